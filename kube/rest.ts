// Reading the Kubernetes API as plain JSON over HTTPS, authenticated by @kubernetes/client-node's KubeConfig (which
// knows every kubeconfig auth method: tokens, client certs, exec plugins, OIDC). Plain JSON, not client-node's model
// classes: the engine takes wire objects (times as strings), and the generated API classes are most of the
// package's weight (DESIGN.md, cold start table).
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** The port the collectors read through: a GET of an API path. Tests and local mode pass other implementations. */
export interface KubeReader {
  get(path: string, options?: { timeoutMs?: number }): Promise<KubeResponse>;
  /** Where it reads from, for messages: the server URL or a context name. */
  readonly description: string;
}

export class KubeConnectionError extends Error {
  override name = 'KubeConnectionError';
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class KubeConfigReader implements KubeReader {
  readonly description: string;
  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    this.description = `${kc.getCurrentContext() || '(no context)'} (${cluster?.server ?? 'no server'})`;
  }

  async get(path: string, { timeoutMs = 15_000 } = {}): Promise<KubeResponse> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new KubeConnectionError('', 'the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Non-JSON bodies (proxy errors, HTML from a load balancer) stay text for the error message.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (error) => reject(new KubeConnectionError(cluster.server, `cannot reach ${cluster.server}: ${error.message}`, { cause: error })));
      req.end();
    });
  }
}

/** The API server's own reason for a failed request ("pods is forbidden: User ... cannot list ..."), or the status. */
export function statusMessage(res: KubeResponse): string {
  const body = res.body as { message?: unknown } | string | undefined;
  if (typeof body === 'object' && body && typeof body.message === 'string') return body.message;
  return `HTTP ${res.status}`;
}
