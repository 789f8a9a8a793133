// Everything the engine can use about one pod, read live (docs/domain.md §4's tiers): the pod, its events, its node and
// the node's events, the other pods on the node, its owner chain, then — only when permitted — metrics.k8s.io, the
// kubelet's Summary and configz through nodes/proxy, and the log tail of a run that died without saying why in its
// termination message (pods/log, kube/last-words.ts). A source that is forbidden or absent becomes an entry in
// `unavailable` (shared/unseen.ts), never an error: the diagnosis works with less.
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { OombotError } from '#shared/errors.ts';
import {
  EventSchema,
  KubeletConfigzSchema,
  KubeletSummarySchema,
  NodeSchema,
  PodMetricsSchema,
  PodSchema,
  type Pod,
} from '#shared/k8s-objects.ts';
import { NODE_EVENT_NAMESPACE } from '#shared/node-signals.ts';
import { reasonWords, type UnseenEntry, type UnseenSource } from '#shared/unseen.ts';
import { readLastWords } from './last-words.ts';
import { attributeOwner, isCheckedOwnerKind, type OwnerAnswer, type OwnerObject } from './owners.ts';
import { statusMessage, type KubeReader, type KubeResponse } from './rest.ts';
import { WorkloadRef } from './workloads.ts';

export class PodNotFoundError extends OombotError {
  override name = 'PodNotFoundError';
  constructor(message: string) {
    super('not-found', message);
  }
}

/** The API server answered, but not with the pod: 401 or 403 (`forbidden`), or a failure of its own (`unreachable`). */
export class KubeAccessError extends OombotError {
  override name = 'KubeAccessError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(status === 401 || status === 403 ? 'forbidden' : 'unreachable', message);
  }
}

/** Why a read failed: an unseen entry without its source. */
type Why = Omit<UnseenEntry, 'source'>;
type Outcome<T> = { ok: true; value: T } | { ok: false; why: Why };

export async function collectDiagnosisInput(api: KubeReader, namespace: string, name: string): Promise<DiagnosisInput> {
  const pod = await readPod(api, namespace, name);
  if (!pod) throw new PodNotFoundError(`pod ${name} not found in namespace ${namespace} of ${api.description}`);
  return enrichPod(api, pod);
}

/** The pod, or undefined when the namespace has none of that name (404); 401, 403 and failures throw. */
export async function readPod(api: KubeReader, namespace: string, name: string): Promise<Pod | undefined> {
  const res = await api.get(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw accessError(api, res, `cannot read pod ${namespace}/${name}`);
  return PodSchema.parse(res.body);
}

/** A refused or failed request: 401 says how to fix the credentials; anything else carries the API server's reason. */
export function accessError(api: KubeReader, res: KubeResponse, what: string): KubeAccessError {
  if (res.status === 401) return new KubeAccessError(401, `${api.description} rejected the credentials (401 Unauthorized): log in again or fix the kubeconfig user`);
  return new KubeAccessError(res.status, `${what}: ${statusMessage(res)}`);
}

/**
 * Everything else about a pod already in hand — read live, or the snapshot a forwarder sent (the pod itself may be
 * gone by the time an alert is written, evicted pods especially).
 */
export async function enrichPod(api: KubeReader, pod: Pod): Promise<DiagnosisInput> {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const nodeName = pod.spec.nodeName;
  const unavailable: UnseenEntry[] = [];
  const keep = <T>(source: UnseenSource, o: Outcome<T>): T | undefined => {
    if (o.ok) return o.value;
    unavailable.push(unseen(source, o.why));
    return undefined;
  };

  const fetchJson = async <T>(path: string, parse: (b: unknown) => T, timeoutMs?: number): Promise<Outcome<T>> => {
    let r: KubeResponse;
    try {
      r = await api.get(path, timeoutMs ? { timeoutMs } : {});
    } catch (error) {
      // A timeout or a failed connection: said without the transport's own words (hosts, addresses), which go to
      // the operator's log, not to an alert.
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || /timed? ?out|aborted/i.test(error.message));
      return { ok: false, why: { reason: timedOut ? 'timed-out' : 'unreachable' } };
    }
    if (r.status === 200) return { ok: true, value: parse(r.body) };
    if (r.status === 403) return { ok: false, why: { reason: 'not-permitted', detail: statusMessage(r) } };
    // A 404 that names the object (a Status with details.name) comes from a served API: the object is absent. Any
    // other 404 (no Status: "404 page not found") means the path itself is not served here.
    if (r.status === 404) return { ok: false, why: { reason: namesObject(r.body) ? 'absent' : 'not-found' } };
    // The API server's proxy to a node whose status lists no address: no kubelet to ask (a node object alone).
    if (r.status === 500 && statusMessage(r).startsWith('no preferred addresses found')) return { ok: false, why: { reason: 'no-address' } };
    return { ok: false, why: { reason: 'failed', detail: `${statusMessage(r)} (HTTP ${r.status})` } };
  };
  const list = <T>(path: string, parse: (b: unknown) => T) =>
    fetchJson(path, (b) => ((b as { items?: unknown[] }).items ?? []).map(parse));

  // Started first: its reads run beside the others, inside their time.
  const lastWordsRead = readLastWords(api, pod);
  const uidSelector = pod.metadata.uid ? `involvedObject.uid=${pod.metadata.uid}` : `involvedObject.name=${pod.metadata.name}`;
  const [podEvents, node, nodeEvents, nodePods, podMetrics, owner] = await Promise.all([
    list(`/api/v1/namespaces/${enc(namespace)}/events?fieldSelector=${enc(uidSelector)}`, (e) => EventSchema.parse(e)),
    nodeName ? fetchJson(`/api/v1/nodes/${enc(nodeName)}`, (b) => NodeSchema.parse(b)) : Promise.resolve(undefined),
    nodeName
      ? // Only where the kubelet and node-problem-detector write them (shared/node-signals.ts): a Node-kind event in any
        // other namespace is whatever someone allowed to create events there wrote.
        list(`/api/v1/namespaces/${NODE_EVENT_NAMESPACE}/events?fieldSelector=${enc(`involvedObject.kind=Node,involvedObject.name=${nodeName}`)}`, (e) => EventSchema.parse(e))
      : Promise.resolve(undefined),
    nodeName ? list(`/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${nodeName}`)}`, (p) => PodSchema.parse(p)) : Promise.resolve(undefined),
    fetchJson(`/apis/metrics.k8s.io/v1beta1/namespaces/${enc(namespace)}/pods/${enc(name)}`, (b) => PodMetricsSchema.parse(b)),
    attributeOwner(pod, async (kind, ns, n): Promise<OwnerAnswer> => {
      const path = isCheckedOwnerKind(kind) ? WorkloadRef.apiPath({ kind, namespace: ns, name: n }) : undefined;
      if (!path) return { why: `oombot does not read ${kind} objects, so it cannot check the reference` };
      const o = await fetchJson(path, (b) => b as OwnerObject);
      return o.ok ? { object: o.value } : { why: o.why.reason === 'not-found' || o.why.reason === 'absent' ? 'not found' : reasonWords(o.why.reason, o.why.detail) };
    }),
  ]);

  const events = keep('pod-events', podEvents);
  const nodeObject = node && keep('node', node);
  const nodeEventList = nodeEvents && keep('node-events', nodeEvents);
  const otherPods = nodePods && keep('node-pods', nodePods);
  const metrics = keep('metrics', podMetrics);
  const kubelet = nodeName ? await kubeletData(fetchJson, nodeName) : { summary: undefined, configz: undefined, unavailable: [] };
  unavailable.push(...kubelet.unavailable);
  if (owner.note) unavailable.push({ source: 'owner', reason: 'not-verified', detail: owner.note });
  // A log that could not be read is said by the diagnosis, for the run it diagnoses only (shared/last-words.ts).
  const lastWords = await lastWordsRead;

  return {
    pod,
    ...(events ? { events: [...events, ...(nodeEventList ?? [])] } : {}),
    ...(nodeObject ? { node: nodeObject } : {}),
    ...(otherPods ? { nodePods: otherPods.filter((p: Pod) => p.metadata.uid !== pod.metadata.uid) } : {}),
    ...(metrics ? { podMetrics: metrics } : {}),
    ...(kubelet.summary ? { kubeletSummary: kubelet.summary } : {}),
    ...(kubelet.configz ? { kubeletConfig: kubelet.configz } : {}),
    ...(lastWords.length ? { lastWords } : {}),
    // Checked against the API: a pod whose owner does not hold is a bare pod, not its named owner's (kube/owners.ts).
    workload: owner.workload ?? null,
    unavailable,
  };
}

/**
 * The kubelet's Summary and configz through the API server's nodes/proxy. That permission is not read-only (it allows
 * exec into any pod on the node, docs/domain.md §4), so it is opt-in: a 403 here is expected and only noted.
 */
async function kubeletData(
  fetchJson: <T>(path: string, parse: (b: unknown) => T, timeoutMs?: number) => Promise<Outcome<T>>,
  nodeName: string,
) {
  const base = `/api/v1/nodes/${enc(nodeName)}/proxy`;
  const [summary, configz] = await Promise.all([
    fetchJson(`${base}/stats/summary`, (b) => KubeletSummarySchema.parse(b), 5_000),
    fetchJson(`${base}/configz`, (b) => KubeletConfigzSchema.parse(b), 5_000),
  ]);
  const unavailable: UnseenEntry[] = [];
  if (!summary.ok) unavailable.push(unseen('kubelet-summary', summary.why));
  if (!configz.ok) unavailable.push(unseen('kubelet-config', configz.why));
  return { summary: summary.ok ? summary.value : undefined, configz: configz.ok ? configz.value : undefined, unavailable };
}

function unseen(source: UnseenSource, why: Why): UnseenEntry {
  return why.detail === undefined ? { source, reason: why.reason } : { source, reason: why.reason, detail: why.detail };
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Whether a 404's body is the API's Status naming the object that is not there (so the API itself is served). */
function namesObject(body: unknown): boolean {
  const details = typeof body === 'object' && body !== null ? (body as { kind?: unknown; details?: { name?: unknown } }) : undefined;
  return details?.kind === 'Status' && typeof details.details?.name === 'string' && details.details.name !== '';
}
