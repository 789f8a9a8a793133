// The metrics.k8s.io/v1beta1 API as metrics-server serves it (pkg/api/pod.go, node.go), over the samples a test or the
// demo set (sandbox/metrics-samples.ts): the discovery documents the kube-apiserver's aggregator reads, and list and
// get of PodMetrics and NodeMetrics. As in metrics-server, the pods and nodes come from the API server — pods only while
// their phase is Running, as its pod informer lists them — and one without a sample is left out, so labels and field
// selectors select what they select in a cluster.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { apiRequest, type ApiTarget } from './api-request.ts';
import type { MetricsSamples, NodeMetrics, ObjectRef, PodMetrics } from './metrics-samples.ts';
import type { Attributes } from './requestheader.ts';

export const GROUP = 'metrics.k8s.io';
export const VERSION = 'v1beta1';
const GROUP_VERSION = `${GROUP}/${VERSION}`;

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Route =
  | { kind: 'discovery'; path: string; reply: (accept: string, ifNoneMatch?: string) => Reply }
  | { kind: 'list' | 'get'; resource: 'pods' | 'nodes'; namespace?: string; name?: string };

const resources = [
  { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
];
const groupVersion = { groupVersion: GROUP_VERSION, version: VERSION };
const apiGroup = { name: GROUP, versions: [groupVersion], preferredVersion: groupVersion };

/** What a GET of `path` asks for, or undefined for a path this server does not serve (404). */
export function route(path: string): Route | undefined {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/apis') return { kind: 'discovery', path: p, reply: groupList };
  if (p === `/apis/${GROUP}`) return { kind: 'discovery', path: p, reply: () => ok({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup }) };
  const base = `/apis/${GROUP_VERSION}`;
  if (p === base) {
    const list = { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GROUP_VERSION, resources };
    return { kind: 'discovery', path: p, reply: () => ok(list) };
  }
  if (!p.startsWith(`${base}/`)) return undefined;
  const parts = p.slice(base.length + 1).split('/').map(decodeURIComponent);
  const [a, b, c, d] = parts;
  if (parts.length === 1 && (a === 'pods' || a === 'nodes')) return { kind: 'list', resource: a };
  if (parts.length === 2 && a === 'nodes') return { kind: 'get', resource: 'nodes', name: b };
  if (a === 'namespaces' && c === 'pods' && parts.length === 3) return { kind: 'list', resource: 'pods', namespace: b };
  if (a === 'namespaces' && c === 'pods' && parts.length === 4) return { kind: 'get', resource: 'pods', namespace: b, name: d };
  return undefined;
}

/** The authorization attributes of a request for `route`, as the apiserver's RequestInfo resolves them. */
export function attributesOf(route: Route, watch: boolean): Attributes {
  if (route.kind === 'discovery') return { verb: 'get', path: route.path };
  const verb = route.kind === 'get' ? 'get' : watch ? 'watch' : 'list';
  return {
    verb,
    group: GROUP,
    version: VERSION,
    resource: route.resource,
    ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
    ...(route.name !== undefined ? { name: route.name } : {}),
  };
}

/**
 * GET /apis. The aggregator asks for aggregated discovery (apidiscovery.k8s.io/v2) and falls back to the group
 * version's APIResourceList when it gets anything else (kube-aggregator handler_discovery.go); both are served.
 */
function groupList(accept: string, ifNoneMatch?: string): Reply {
  if (!/g=apidiscovery\.k8s\.io;\s*v=v2(?![a-z0-9])/.test(accept)) {
    return ok({ kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup] });
  }
  const body = {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [
      {
        metadata: { name: GROUP, creationTimestamp: null },
        versions: [
          {
            version: VERSION,
            resources: resources.map((r) => ({
              resource: r.name,
              responseKind: { group: '', version: '', kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singularName,
              verbs: r.verbs,
            })),
            freshness: 'Current',
          },
        ],
      },
    ],
  };
  const etag = `"${createHash('sha512').update(JSON.stringify(body)).digest('hex').toUpperCase()}"`;
  const contentType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
  if (ifNoneMatch === etag) return { status: 304, body: undefined, headers: { ETag: etag } };
  return { status: 200, body, contentType, headers: { ETag: etag } };
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

const MetadataListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({
        name: z.string(),
        namespace: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
      }),
    }),
  ),
});

export interface ServeContext {
  api: ApiTarget;
  samples: MetricsSamples;
  now: Date;
  /** Honour `limit` and `continue`. metrics-server does not: it always answers the whole list. */
  paginate: boolean;
}

/** A list or get of `route` (not discovery), as metrics-server answers it. */
export async function serve(route: Extract<Route, { kind: 'list' | 'get' }>, query: ListQuery, ctx: ServeContext): Promise<Reply> {
  const kind = route.resource === 'pods' ? 'PodMetrics' : 'NodeMetrics';
  const fields = checkFieldSelector(query.fieldSelector);
  if (typeof fields === 'object') return fields;
  const metricsOf = (ref: ObjectRef): PodMetrics | NodeMetrics | undefined =>
    route.resource === 'pods' ? ctx.samples.pod(ref, ctx.now) : ctx.samples.node(ref, ctx.now);

  if (route.kind === 'get') {
    const name = route.name as string;
    const listed = await listFromApi(ctx.api, route, { fieldSelector: `metadata.name=${name}` });
    if ('status' in listed) return listed;
    const found = listed[0];
    // metrics-server's pod and node listers answer NotFound for an object they do not hold (client-go listers name
    // pods by their resource, nodes by `node`); for one they hold without a sample, it names its own resource.
    if (!found) return notFound(route.resource === 'pods' ? 'pods' : 'node', '', name);
    const metrics = metricsOf(found.metadata);
    const id = route.resource === 'pods' ? `${route.namespace}/${name}` : name;
    if (!metrics) return notFound(route.resource === 'pods' ? 'podmetrics' : 'nodemetrics', GROUP, id);
    return ok({ kind, apiVersion: GROUP_VERSION, ...metrics });
  }

  const listed = await listFromApi(ctx.api, route, { labelSelector: query.labelSelector, fieldSelector: fields });
  if ('status' in listed) return listed;
  const items = listed
    .map((o) => metricsOf(o.metadata))
    .filter((m): m is PodMetrics | NodeMetrics => m !== undefined)
    .sort((a, b) => key(a).localeCompare(key(b)));
  const page = ctx.paginate ? paginate(items, query) : { items, metadata: {} };
  if ('status' in page) return page;
  return ok({ kind: `${kind}List`, apiVersion: GROUP_VERSION, metadata: page.metadata, items: page.items });
}

/** Pods from the API server, as metrics-server's pod informer holds them (phase Running); all nodes. */
async function listFromApi(
  api: ApiTarget,
  route: Extract<Route, { kind: 'list' | 'get' }>,
  selectors: { labelSelector?: string; fieldSelector?: string },
): Promise<{ metadata: ObjectRef }[] | Reply> {
  const params = new URLSearchParams();
  if (selectors.labelSelector) params.set('labelSelector', selectors.labelSelector);
  const fields = [...(route.resource === 'pods' ? ['status.phase=Running'] : []), ...(selectors.fieldSelector ? [selectors.fieldSelector] : [])];
  if (fields.length > 0) params.set('fieldSelector', fields.join(','));
  const collection =
    route.resource === 'nodes'
      ? '/api/v1/nodes'
      : route.namespace !== undefined
        ? `/api/v1/namespaces/${encodeURIComponent(route.namespace)}/pods`
        : '/api/v1/pods';
  const res = await apiRequest(api, 'GET', `${collection}?${params}`);
  if (res.status !== 200) return { status: res.status, body: JSON.parse(res.body) as unknown };
  return MetadataListSchema.parse(JSON.parse(res.body)).items;
}

/**
 * The generic apiserver lets a field selector name only metadata.name and metadata.namespace for these kinds
 * (runtime.DefaultMetaV1FieldSelectorConversion) and answers 400 for any other field. Returns the selector to pass on.
 */
function checkFieldSelector(selector: string | undefined): string | undefined | Reply {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const field = term.split(/!=|==|=/)[0]?.trim() ?? '';
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      const message = `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
      return { status: 400, body: status(400, 'BadRequest', message) };
    }
  }
  return selector;
}

function paginate<T extends PodMetrics | NodeMetrics>(items: T[], query: ListQuery): { items: T[]; metadata: { continue?: string } } | Reply {
  let start = 0;
  if (query.continue) {
    const after = decodeContinue(query.continue);
    if (after === undefined) {
      return { status: 400, body: status(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion') };
    }
    start = items.findIndex((item) => key(item) > after);
    if (start < 0) start = items.length;
  }
  const limit = query.limit && query.limit > 0 ? query.limit : items.length;
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length && page.length > 0;
  return { items: page, metadata: more ? { continue: encodeContinue(key(page[page.length - 1]!)) } : {} };
}

function encodeContinue(after: string): string {
  return Buffer.from(JSON.stringify({ v: 'oombot.sandbox/metrics', after })).toString('base64url');
}

function decodeContinue(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof parsed.after === 'string' ? parsed.after : undefined;
  } catch {
    return undefined;
  }
}

/** metrics-server sorts pods by namespace then name, nodes by name. */
function key(item: PodMetrics | NodeMetrics): string {
  return `${item.metadata.namespace ?? ''}\u0000${item.metadata.name}`;
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

export function status(code: number, reason: string, message: string, details?: Record<string, string>): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function notFound(resource: string, group: string, name: string): Reply {
  const qualified = group ? `${resource}.${group}` : resource;
  const details = { name, ...(group ? { group } : {}), kind: resource };
  return { status: 404, body: status(404, 'NotFound', `${qualified} "${name}" not found`, details) };
}
