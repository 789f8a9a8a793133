// Talking to the Kubernetes API as plain JSON over HTTPS. Two ways to authenticate, one transport:
//  - a kubeconfig, through @kubernetes/client-node's KubeConfig (it knows every auth method: tokens, client certs,
//    exec plugins, OIDC), loaded lazily by the caller;
//  - in a pod, the ServiceAccount token and CA the kubelet mounts (in-cluster.ts), without client-node at all: its
//    root import pulls in the whole generated API, which alone would break the forwarder's memory budget
//    (docs/architecture.md, "Budgets").
// Plain JSON, not client-node's model classes: the engine takes wire objects (times as strings).
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { type ErrorCode, OombotError } from '#shared/errors.ts';

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

export interface StreamOptions {
  signal: AbortSignal;
  /** Called for each line of the response body (a watch sends one JSON object per line). */
  onLine: (line: string) => void | Promise<void>;
}

/** Reading, writing and watching: what the forwarder needs. */
export interface KubeTransport extends KubeReader {
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: { body?: unknown; timeoutMs?: number; contentType?: string }): Promise<KubeResponse>;
  /** Streams a long GET line by line. Resolves with the status when the server ends it; rejects on network errors. */
  stream(path: string, options: StreamOptions): Promise<KubeResponse>;
  /**
   * A GET whose body is handed over as it arrives, decoded, so that a large list need never be held whole (the
   * forwarder's memory sampler). A failure's body is read whole and returned, as `get` returns it.
   */
  read?(path: string, options: { onChunk: (text: string) => void; timeoutMs?: number }): Promise<KubeResponse>;
}

/** No answer from the API server: no connection, a reset, a time-out (`unreachable`). */
export class KubeConnectionError extends OombotError {
  override name = 'KubeConnectionError';
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unreachable', message, options);
  }
}

/**
 * The API server answered, but not with what was asked: its code follows from the status (401 and 403 `forbidden`,
 * 404 `not-found`, 429 and 5xx `unreachable`), so a log line says which without reading the message.
 */
export class KubeStatusError extends OombotError {
  override name = 'KubeStatusError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(codeOfStatus(status), message);
  }
}

function codeOfStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429 || status >= 500) return 'unreachable';
  return 'internal';
}

/** What a request needs besides method and path: the server and TLS/auth options, fresh per request (tokens rotate). */
export type ConnectionOptions = () => Promise<{ server: string; options: https.RequestOptions }>;

export class HttpsTransport implements KubeTransport {
  constructor(
    private readonly connection: ConnectionOptions,
    readonly description: string,
  ) {}

  get(path: string, { timeoutMs }: { timeoutMs?: number } = {}): Promise<KubeResponse> {
    return this.request('GET', path, timeoutMs ? { timeoutMs } : {});
  }

  async request(method: string, path: string, { body, timeoutMs = 15_000, contentType = 'application/json' }: { body?: unknown; timeoutMs?: number; contentType?: string } = {}): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.open(method, path, { timeoutMs, ...(payload === undefined ? {} : { payload, contentType }) });
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    return { status: res.statusCode ?? 0, body: parseBody(text) };
  }

  async read(path: string, { onChunk, timeoutMs = 15_000 }: { onChunk: (text: string) => void; timeoutMs?: number }): Promise<KubeResponse> {
    const res = await this.open('GET', path, { timeoutMs });
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return { status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) };
    }
    // Decoded as a stream: a multi-byte character split across two chunks must not become two replacement characters.
    res.setEncoding('utf8');
    for await (const chunk of res) onChunk(chunk as string);
    return { status: 200, body: undefined };
  }

  async stream(path: string, { signal, onLine }: StreamOptions): Promise<KubeResponse> {
    const res = await this.open('GET', path, { signal });
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return { status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) };
    }
    let rest = '';
    // Decode as a stream: a multi-byte character split across two chunks must not become two replacement characters.
    res.setEncoding('utf8');
    try {
      for await (const chunk of res) {
        rest += chunk as string;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          // Awaiting here pauses reading: a full delivery queue slows the watch instead of growing memory.
          if (line.trim()) await onLine(line);
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
    return { status: 200, body: undefined };
  }

  private async open(method: string, path: string, o: { timeoutMs?: number; payload?: string; contentType?: string; signal?: AbortSignal }): Promise<http.IncomingMessage> {
    const { server, options } = await this.connection();
    const url = new URL(server.replace(/\/$/, '') + path);
    const transport = url.protocol === 'http:' ? http : https;
    const headers = { ...(options.headers as Record<string, string | string[]> | undefined), Accept: 'application/json', ...(o.payload !== undefined ? { 'Content-Type': o.contentType ?? 'application/json' } : {}) };
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, method, headers, ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) }, resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${(o.timeoutMs ?? 0) / 1000} s`)));
      req.on('error', (error) => reject(new KubeConnectionError(server, `cannot reach ${server}: ${error.message}`, { cause: error })));
      req.end(o.payload);
    });
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Non-JSON bodies (proxy errors, HTML from a load balancer) stay text for the error message.
    return text;
  }
}

/** A transport authenticated by a kubeconfig's current context. */
export function kubeConfigTransport(kc: KubeConfig): HttpsTransport {
  const cluster = kc.getCurrentCluster();
  return new HttpsTransport(async () => {
    const current = kc.getCurrentCluster();
    if (!current) throw new KubeConnectionError('', 'the kubeconfig has no current cluster');
    const options: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(options);
    return { server: current.server, options };
  }, `${kc.getCurrentContext() || '(no context)'} (${cluster?.server ?? 'no server'})`);
}

/** The API server's own reason for a failed request ("pods is forbidden: User ... cannot list ..."), or the status. */
export function statusMessage(res: KubeResponse): string {
  const body = res.body as { message?: unknown } | string | undefined;
  if (typeof body === 'object' && body && typeof body.message === 'string') return body.message;
  return `HTTP ${res.status}`;
}
