// The few raw requests the sandbox makes: startControlPlane's while it waits for the apiserver, the metrics server's.
// node:https rather than fetch: Node 20's global fetch cannot be given a CA to trust without importing undici, and
// loading @kubernetes/client-node's generated API for a handful of calls is not worth it.
import https from 'node:https';

export interface ApiTarget {
  url: string;
  caPem: string;
  token: string;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export function apiRequest(
  target: ApiTarget,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, target.url),
      {
        method,
        ca: target.caPem,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: 'application/json',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        timeout: 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
