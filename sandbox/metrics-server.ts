// A small metrics-server for the local control plane, registered as a cluster registers the real one: the APIService
// `v1beta1.metrics.k8s.io` backed by the Service `kube-system/metrics-server`, so metrics.k8s.io/v1beta1 reaches it
// through the kube-apiserver's aggregation layer, with the caller's authentication and RBAC applied there and again
// here (sandbox/requestheader.ts). What it reports is set by its driver — a test, or the demo making a container's
// working set climb — instead of scraped from kubelets, which do not exist here (docs/architecture.md, "How we test").
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiTarget } from './api-request.ts';
import type { ControlPlane } from './control-plane.ts';
import { attributesOf, route, serve, status, type Reply } from './metrics-api.ts';
import { registerMetricsApi, unregisterMetricsApi } from './metrics-registration.ts';
import { MetricsSamples } from './metrics-samples.ts';
import { authenticate, authorize, readRequestHeaderConfig, type RequestHeaderConfig } from './requestheader.ts';
import { issueCert } from './x509.ts';

export interface MetricsServerOptions {
  /** The window reported for a container's or node's first sample; later ones report the time since the previous. */
  resolutionMs?: number;
  /** Honour `limit`/`continue` on lists. Off by default, as in metrics-server, which always returns the whole list. */
  paginate?: boolean;
  /** Called after each request is answered, with the identity the front proxy asserted. */
  onRequest?: (request: ServedRequest) => void;
  log?: (line: string) => void;
}

export interface ServedRequest {
  method: string;
  path: string;
  user?: string;
  groups?: string[];
  status: number;
}

export interface SampleOptions {
  /** When the sample was taken (its `timestamp`); now by default. */
  at?: Date;
  /** CPU use over the sample's window, in nanocores; 0 by default. */
  cpuNanoCores?: number;
}

export interface MetricsServer {
  /** https://127.0.0.1:PORT, the server itself; clients go through the kube-apiserver instead. */
  readonly url: string;
  /** The CA of its serving certificate, which the APIService's caBundle holds. */
  readonly caPem: string;
  /** Records a new sample of a container's working set: what `containers[].usage.memory` reports from now on. */
  setWorkingSet(namespace: string, pod: string, container: string, bytes: number, options?: SampleOptions): void;
  /** Records a new sample of a node's usage. */
  setNodeUsage(node: string, memoryBytes: number, options?: SampleOptions): void;
  /** Forgets a pod's samples: it is absent from lists and its get answers NotFound, as before its first scrape. */
  removePod(namespace: string, pod: string): void;
  removeNode(node: string): void;
  /** Unregisters the APIService and Service, then closes the server. Safe to call twice. */
  stop(): Promise<void>;
}

const configWaitMs = 30_000;

/**
 * Starts the server on 127.0.0.1 and registers it with `cp`; resolves once metrics.k8s.io/v1beta1 answers through
 * the kube-apiserver. Opt-in: a control plane without it does not serve metrics.k8s.io, as a cluster without
 * metrics-server does not.
 */
export async function startMetricsServer(cp: ControlPlane, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  const api: ApiTarget = { url: cp.url, caPem: cp.caData, token: cp.adminToken };
  const requestHeader = await waitForRequestHeaderConfig(api);
  // Its own CA and serving certificate, as metrics-server makes when given none (k8s.io/client-go util/cert
  // GenerateSelfSignedCertKey), valid for the Service's name: the aggregator verifies it as
  // `<service>.<namespace>.svc` against the APIService's caBundle (kube-aggregator handler_proxy.go).
  const ca = issueCert({ commonName: 'metrics-server-ca', ca: true });
  const serving = issueCert(
    { commonName: 'metrics-server', usage: ['server'], dnsNames: ['metrics-server.kube-system.svc', 'localhost'], ips: ['127.0.0.1'] },
    ca,
  );
  const samples = new MetricsSamples(options.resolutionMs);
  const server = https.createServer(
    // The client certificate is requested and checked against the request-header CA, but a request without one is
    // still answered (with 401), as the generic apiserver does.
    { key: serving.keyPem, cert: serving.certPem + ca.certPem, ca: requestHeader.caPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      handle(req, res, { api, samples, requestHeader, paginate: options.paginate ?? false }).then(
        (served) => options.onRequest?.(served),
        (error: unknown) => {
          log(`metrics server: ${req.method} ${req.url} failed: ${error instanceof Error ? error.message : String(error)}`);
          if (!res.headersSent) send(res, { status: 500, body: status(500, 'InternalError', 'internal error') });
        },
      );
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    await registerMetricsApi(cp, api, { port, caPem: ca.certPem });
  } catch (error) {
    await close();
    throw error;
  }
  log(`metrics.k8s.io served through the aggregation layer from https://127.0.0.1:${port} after ${Date.now() - t0} ms`);

  let stopped: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    setWorkingSet(namespace, pod, container, bytes, { at = new Date(), cpuNanoCores = 0 } = {}) {
      samples.setContainer(namespace, pod, container, { memoryBytes: bytes, cpuNanoCores }, at);
    },
    setNodeUsage(node, memoryBytes, { at = new Date(), cpuNanoCores = 0 } = {}) {
      samples.setNode(node, { memoryBytes, cpuNanoCores }, at);
    },
    removePod: (namespace, pod) => samples.removePod(namespace, pod),
    removeNode: (node) => samples.removeNode(node),
    stop() {
      stopped ??= (async () => {
        // Unregister first: an APIService whose server is gone makes discovery of the whole API partial (503).
        await unregisterMetricsApi(cp, api).catch((error: unknown) => {
          log(`metrics server: unregistering failed: ${error instanceof Error ? error.message : String(error)}`);
        });
        await close();
      })();
      return stopped;
    },
  };
}

async function waitForRequestHeaderConfig(api: ApiTarget): Promise<RequestHeaderConfig> {
  const deadline = Date.now() + configWaitMs;
  for (;;) {
    const config = await readRequestHeaderConfig(api);
    if (config) return config;
    if (Date.now() > deadline) {
      throw new Error(
        'kube-system/extension-apiserver-authentication holds no request-header CA: start the kube-apiserver with ' +
          '--requestheader-client-ca-file (sandbox/control-plane.ts does)',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface HandlerContext {
  api: ApiTarget;
  samples: MetricsSamples;
  requestHeader: RequestHeaderConfig;
  paginate: boolean;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext): Promise<ServedRequest> {
  const url = new URL(req.url ?? '/', 'https://metrics-server.kube-system.svc');
  const method = req.method ?? 'GET';
  const done = (reply: Reply, who?: { user: string; groups: string[] }): ServedRequest => {
    send(res, reply);
    return { method, path: url.pathname, ...(who ? { user: who.user, groups: who.groups } : {}), status: reply.status };
  };
  // metrics-server's --authorization-always-allow-paths: probes need no identity.
  if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) return done({ status: 200, body: 'ok', contentType: 'text/plain' });

  const who = authenticate(req, ctx.requestHeader);
  if ('refused' in who) return done({ status: 401, body: status(401, 'Unauthorized', 'Unauthorized') });
  const target = route(url.pathname);
  if (!target) {
    return done({ status: 404, body: status(404, 'NotFound', 'the server could not find the requested resource') }, who);
  }
  const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
  const attributes = attributesOf(target, watch);
  const decision = await authorize(ctx.api, who, attributes);
  if (!decision.allowed) return done({ status: 403, body: forbidden(who.user, attributes, decision.reason) }, who);
  if (method !== 'GET' || watch) {
    return done({ status: 405, body: status(405, 'MethodNotAllowed', `${method} is not supported`) }, who);
  }
  if (target.kind === 'discovery') {
    return done(target.reply(String(req.headers.accept ?? ''), req.headers['if-none-match']), who);
  }
  const query = url.searchParams;
  const limit = Number(query.get('limit') ?? '');
  const reply = await serve(
    target,
    {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
      limit: Number.isInteger(limit) && limit > 0 ? limit : undefined,
      continue: query.get('continue') ?? undefined,
    },
    { api: ctx.api, samples: ctx.samples, now: new Date(), paginate: ctx.paginate },
  );
  return done(reply, who);
}

/** The generic apiserver's 403 (endpoints/handlers/responsewriters Forbidden), with the authorizer's reason. */
function forbidden(user: string, attributes: ReturnType<typeof attributesOf>, reason?: string): unknown {
  const because = reason ? `: ${reason}` : '';
  if ('path' in attributes) {
    return status(403, 'Forbidden', `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path}"${because}`);
  }
  const { verb, resource, group, namespace, name } = attributes;
  const scope = namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const what = `${resource}.${group}${name !== undefined ? ` "${name}"` : ''}`;
  const message = `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}${because}`;
  return status(403, 'Forbidden', message, { ...(name !== undefined ? { name } : {}), group, kind: resource });
}

function send(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json', ...reply.headers });
  res.end(text);
}
