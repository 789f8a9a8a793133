// A loopback Lambda Invoke endpoint for the real @aws-sdk/client-lambda (AWS_ENDPOINT_URL_LAMBDA pointed here): an
// asynchronous invoke (X-Amz-Invocation-Type: Event) is answered 202 at once, as Lambda queues it, and the registered
// handler then runs in this process, as the Lambda runtime would run the function. Unsigned requests get 403.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LambdaDouble {
  url: string;
  invocations: { functionName: string; invocationType: string; payload: unknown }[];
  /** Waits until every invocation started so far has finished. */
  idle(): Promise<void>;
  /** Refuse the next n invokes with this status (Lambda throttling is 429). */
  refuse(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function startLambdaDouble(functions: Record<string, (event: unknown) => Promise<unknown>>): Promise<LambdaDouble> {
  const invocations: LambdaDouble['invocations'] = [];
  const running = new Set<Promise<unknown>>();
  let refusals = { n: 0, status: 429 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body?: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return json(404, { Type: 'User', message: `no route ${req.method} ${req.url}` });
      if (!String(req.headers['authorization'] ?? '').startsWith('AWS4-HMAC-SHA256 ')) return json(403, { Type: 'User', message: 'Missing Authentication Token' });
      if (refusals.n > 0) {
        refusals.n -= 1;
        return json(refusals.status, { Type: 'User', message: 'Rate Exceeded.' });
      }
      const functionName = decodeURIComponent(match[1]!);
      const fn = functions[functionName];
      if (!fn) return json(404, { Type: 'User', message: `Function not found: ${functionName}` });
      const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
      invocations.push({ functionName, invocationType, payload });
      const run = fn(payload);
      if (invocationType === 'Event') {
        const tracked = run.catch(() => undefined).finally(() => running.delete(tracked));
        running.add(tracked);
        return json(202);
      }
      run.then((result) => json(200, result), (error: unknown) => json(200, { errorMessage: (error as Error).message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    idle: async () => {
      while (running.size) await Promise.all(running);
    },
    refuse: (n, status = 429) => (refusals = { n, status }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
