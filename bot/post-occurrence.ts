// From an occurrence envelope to Slack, once: claim it, enrich it through the cluster's API, diagnose it, route it
// (bot/routing.ts: opt-outs, mutes, the channel), and post it into its repeat group (bot/grouping.ts: the first alert,
// a reply in its thread, or the root's counter) with the messages of bot/occurrence-messages.ts; then record it.
// A failure before Slack has the message gives the claim back and rethrows, so EventBridge's retry posts it; nothing
// is posted twice.
import type { KubeReader } from '../kube/rest.ts';
import { enrichPod } from '../kube/collect.ts';
import { kindFacts, muteKey, WorkloadRef } from '../kube/workloads.ts';
import { diagnose } from '#shared/diagnose.ts';
import { memoryInput, type DiagnosisInput } from '#shared/diagnosis-input.ts';
import type { Envelope } from '#shared/envelope.ts';
import type { KubeEvent } from '#shared/k8s-objects.ts';
import { untrustedBecause } from '#shared/node-signals.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { GroupMessage, Incident, Incidents, MessageRef, Mutes, OccurrenceClaims, RepeatGroups, Storms } from '../store/port.ts';
import type { StormSettings } from '../store/storms.ts';
import type { ChartPublisher } from './chart-upload.ts';
import { afterPosting, DEFAULT_EVICTION_WINDOW_MS, DEFAULT_REPEAT_WINDOW_MS, groupKeyOf, nodeOomGroupKey, postInGroup, type GroupPost, type SlackChat } from './grouping.ts';
import { incidentId } from './incident-id.ts';
import { nodeOomMessages, podMessages, warningMessages } from './occurrence-messages.ts';
import { raiseTarget } from './plan-patch.ts';
import { joinPodDeath, podDeathMessage, siblingRows, siblingWaitMs, withDiedTogether } from './pod-deaths.ts';
import { withinBudget } from './slack-rate-limits.ts';
import { nodeChannel, route, unreachableChannelNote, warnWanted, type Route, type Routing } from './routing.ts';
import { warningVerdict } from '#shared/memory-warning-verdict.ts';

// What callers have always imported from here.
export { incidentId } from './incident-id.ts';
export { COUNTER_INTERVAL_MS, groupKeyOf, MAX_THREAD_REPLIES, type SlackChat } from './grouping.ts';
export { CHANNEL_ANNOTATION, OPT_OUT_ANNOTATION, RUNBOOK_ANNOTATION, type Routing } from './routing.ts';

export interface PostDeps {
  /** Claims the occurrence, counts it into its group, reads its workload's mute, records the incident. */
  store: OccurrenceClaims & RepeatGroups & Storms & Incidents & Mutes;
  slack: SlackChat;
  /** The cluster registry: a reader for a cluster by name, or undefined when it is not known. */
  cluster(name: string): KubeReader | undefined;
  routing: Routing;
  /**
   * Whether a cluster's alerts offer no Raise limit / Set request button: a token cluster registered without a patch
   * token (kube/cluster-registry.ts), where a click could only be refused. Without it, every cluster's alerts offer it.
   */
  raiseOff?: ((cluster: string) => boolean) | undefined;
  /** Uploads an alert's memory chart (bot/chart-upload.ts); without it, or when it fails, the alert has a sparkline. */
  charts?: ChartPublisher;
  repeatWindowMs?: number;
  evictionWindowMs?: number;
  /**
   * When a channel is in a storm (bot/storms.ts; OOMBOT_STORM_* in functions/env.ts): a pod's death or eviction in a
   * group that opens after more than `threshold` others in the window is counted in one storm message. Without it,
   * every group opens its own alert.
   */
  storms?: StormSettings | undefined;
  /**
   * The invocation's time left (ms), Lambda's context.getRemainingTimeInMillis: a rate limit whose Retry-After does not
   * fit fails the invocation for the bus to retry (bot/slack-rate-limits.ts). Without it, every wait is waited.
   */
  timeLeft?: (() => number) | undefined;
  /** How long a container waits for the alert of its pod's death (by default bot/pod-deaths.ts's siblingWaitMs). */
  podDeathWaitMs?: number;
  now?: () => number;
}

export type PostOutcome =
  | { status: 'duplicate' | 'opted-out' | 'muted'; occurrenceId: string }
  /** A node OOM event that is not the kubelet's or node-problem-detector's word about that node: never posted. */
  | { status: 'untrusted'; occurrenceId: string; reason: string }
  | { status: 'posted' | 'threaded' | 'counted'; occurrenceId: string; channel: string; ts: string; verdict?: Verdict; runbookUrl?: string };

export async function postOccurrence(given: PostDeps, envelope: Envelope): Promise<PostOutcome> {
  // Slack's rate limits are waited out only while the invocation has time for it (bot/slack-rate-limits.ts).
  const deps = { ...given, slack: withinBudget(given.slack, { timeLeft: given.timeLeft }) };
  const now = (deps.now ?? Date.now)();
  const id = envelope.occurrenceId;
  if ((await deps.store.claimOccurrence(id, now)) === 'duplicate') return { status: 'duplicate', occurrenceId: id };
  // Once Slack has the message, the occurrence is posted: it is marked at once, and nothing that fails after it (the
  // counter, the incident record) may give the claim back, or the retry would post it again.
  let posted = false;
  const markPosted = async (message: MessageRef) => {
    await deps.store.markOccurrencePosted(id, message);
    posted = true;
  };
  try {
    const outcome =
      envelope.kind === 'node-oom' ? await postNodeOom(deps, envelope, now, markPosted) : envelope.kind === 'memory-warning' ? await postWarning(deps, envelope, now, markPosted) : await postPod(deps, envelope, now, markPosted);
    if ((outcome.status === 'posted' || outcome.status === 'threaded' || outcome.status === 'counted') && outcome.verdict) {
      const incident = incidentOf(envelope, outcome.verdict, { channel: outcome.channel, ts: outcome.ts }, outcome.runbookUrl);
      await afterPosting(() => deps.store.recordIncident(incident), 'recording the incident');
    }
    return outcome;
  } catch (error) {
    if (!posted) await deps.store.releaseOccurrence(id);
    throw error;
  }
}

type MarkPosted = (message: MessageRef) => Promise<void>;

async function postPod(deps: PostDeps, envelope: Exclude<Envelope, { kind: 'node-oom' | 'memory-warning' }>, now: number, markPosted: MarkPosted): Promise<PostOutcome> {
  const id = envelope.occurrenceId;
  const input = await enrich(deps, envelope);
  const verdict = diagnose(input, envelope.kind === 'container-termination' ? { container: envelope.container } : {});
  const [{ annotations: owners, workload }, mutedUntil] = await Promise.all([
    ownerAnnotations(deps.cluster(envelope.cluster), verdict),
    deps.store.muteUntil(muteKey(envelope.cluster, verdict.pod.namespace, WorkloadRef.key(WorkloadRef.of(verdict))), now),
  ]);
  const to = route({ verdict, annotations: [envelope.pod.metadata.annotations ?? {}, ...owners], routing: deps.routing, mutedUntil });
  if (to.to === 'nobody') return { status: to.because, occurrenceId: id };

  const eviction = verdict.kind === 'eviction' && verdict.node;
  const group = { groupKey: groupKeyOf(envelope.cluster, verdict), occurrenceId: id, windowMs: eviction ? evictionWindow(deps) : (deps.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS), now, channel: to.channel, ...fallbackOf(deps.routing, to, verdict), ...stormOf(deps, verdict), markPosted };
  // Containers of the pod that died with this one are one alert (bot/pod-deaths.ts): the first posts it, listing them.
  const death = await joinPodDeath(deps.store, { cluster: envelope.cluster, pod: envelope.pod, occurrenceId: id, occurredAt: envelope.occurredAt, now, waitMs: deps.podDeathWaitMs ?? siblingWaitMs(deps.timeLeft) });
  const runbook = to.runbookUrl ? { runbookUrl: to.runbookUrl } : {};
  if (death.as === 'listed') return { ...(await recordListed(deps, group, verdict, death.message)), occurrenceId: id, verdict, ...runbook };
  const siblings = death.as === 'first' ? death.siblings : [];
  const rows = [...(envelope.kind === 'container-termination' ? [{ container: envelope.container, verdict }] : []), ...siblingRows(input, siblings)];
  const messages = withDiedTogether(podMessages(verdict, { cluster: envelope.cluster, incidentId: incidentId(id), occurredAt: envelope.occurredAt, now, runbookUrl: to.runbookUrl, charts: deps.charts, workloadLimit: templateLimit(workload, verdict), raiseOff: deps.raiseOff?.(envelope.cluster) }), envelope.pod.status.reason === 'Evicted', rows);
  const { blocks, inStorm, ...outcome } = { blocks: undefined, inStorm: undefined, ...(await postInGroup(deps, group, messages)) };
  if (death.as === 'first' && death.remember) {
    // What the alert lists, for the siblings' invocations: they are recorded against it and post nothing. Listed only
    // where it was shown — a counted occurrence changes no message's blocks, and a storm's root lists no containers
    // (each sibling is counted in the storm by its own group).
    const listed = outcome.status === 'counted' || inStorm ? [id] : [id, ...siblings.map((s) => s.occurrenceId)];
    await afterPosting(() => deps.store.setRepeatMessage(death.key, podDeathMessage({ channel: outcome.channel, ts: outcome.ts, ...(blocks && !inStorm ? { blocks } : {}) }, listed)), "remembering the pod's alert");
  }
  return { ...outcome, occurrenceId: id, verdict, ...runbook };
}

/**
 * A container listed in the alert of its pod's death: recorded against that message, which already shows it. Its own
 * repeat group is counted too, so that the container's next death alone is a repeat, threaded under that alert; an
 * eviction's group is the node's and has counted the pod once already.
 */
async function recordListed(deps: PostDeps, group: GroupPost, verdict: Verdict, message: GroupMessage): Promise<{ status: 'counted'; channel: string; ts: string }> {
  const at = { channel: message.channel, ts: message.ts };
  await group.markPosted(at);
  if (verdict.kind !== 'eviction' && message.blocks) {
    const blocks = message.blocks;
    await afterPosting(async () => {
      const own = await deps.store.recordRepeat(group.groupKey, group.now, group.windowMs, group.occurrenceId);
      if (own.count === 1 && !own.closed) await deps.store.setRepeatMessage(group.groupKey, { ...at, blocks });
    }, 'counting a listed container into its repeat group');
  }
  return { status: 'counted', ...at };
}

/**
 * A warning before the kill (issue 12 item 5): not a death, so not diagnosed as one (shared/memory-warning-verdict.ts).
 * Posted only where it is wanted (bot/routing.ts warnWanted: oombot.io/warn, nearest level first, else OOMBOT_WARN),
 * then routed, muted and recorded like an alert. It opens the repeat group of the container's limit kills, so a kill
 * that follows within the repeat window threads under it.
 */
async function postWarning(deps: PostDeps, envelope: Extract<Envelope, { kind: 'memory-warning' }>, now: number, markPosted: MarkPosted): Promise<PostOutcome> {
  const id = envelope.occurrenceId;
  const api = deps.cluster(envelope.cluster);
  const input = api ? await enrichPod(api, envelope.pod) : undefined;
  const verdict = warningVerdict(envelope, input ? input.workload : null);
  const [{ annotations: owners }, mutedUntil] = await Promise.all([
    ownerAnnotations(api, verdict),
    deps.store.muteUntil(muteKey(envelope.cluster, verdict.pod.namespace, WorkloadRef.key(WorkloadRef.of(verdict))), now),
  ]);
  const annotations = [envelope.pod.metadata.annotations ?? {}, ...owners];
  if (!warnWanted(annotations, deps.routing.warn)) return { status: 'opted-out', occurrenceId: id };
  const to = route({ verdict, annotations, routing: deps.routing, mutedUntil });
  if (to.to === 'nobody') return { status: to.because, occurrenceId: id };
  const group = { groupKey: groupKeyOf(envelope.cluster, verdict), occurrenceId: id, windowMs: deps.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS, now, channel: to.channel, ...fallbackOf(deps.routing, to, verdict), markPosted };
  const messages = warningMessages(verdict, { cluster: envelope.cluster, incidentId: incidentId(id), occurredAt: envelope.occurredAt, now, runbookUrl: to.runbookUrl, charts: deps.charts, raiseOff: deps.raiseOff?.(envelope.cluster) });
  return { ...(await postInGroup(deps, group, messages)), occurrenceId: id, verdict, ...(to.runbookUrl ? { runbookUrl: to.runbookUrl } : {}) };
}

async function postNodeOom(deps: PostDeps, envelope: Extract<Envelope, { kind: 'node-oom' }>, now: number, markPosted: MarkPosted): Promise<PostOutcome> {
  const id = envelope.occurrenceId;
  const node = envelope.node ?? envelope.event.involvedObject.name ?? 'a node';
  // The forwarder publishes only trusted node events, but the bus may carry an older forwarder's, or anyone's who may
  // PutEvents: the same rule again here, against the Node object itself when the cluster can be asked.
  const doubt = await nodeEventDoubt(deps.cluster(envelope.cluster), envelope.event, node);
  if (doubt) return { status: 'untrusted', occurrenceId: id, reason: doubt };
  // A node that keeps running out of memory is one story: its OOMs within the eviction window share a thread.
  const group = { groupKey: nodeOomGroupKey(envelope.cluster, node), occurrenceId: id, windowMs: evictionWindow(deps), now, channel: nodeChannel(deps.routing), markPosted };
  const messages = nodeOomMessages(envelope, node, { cluster: envelope.cluster, incidentId: incidentId(id), occurredAt: envelope.occurredAt, now });
  return { ...(await postInGroup(deps, group, messages)), occurrenceId: id };
}

const evictionWindow = (deps: PostDeps) => deps.evictionWindowMs ?? DEFAULT_EVICTION_WINDOW_MS;

/** What a storm root lists of a pod's group (bot/storms.ts): the workload and container, or the node of its evictions. */
function stormOf(deps: PostDeps, verdict: Verdict): Pick<GroupPost, 'storm'> {
  if (!deps.storms) return {};
  const label =
    verdict.kind === 'eviction' && verdict.node
      ? `evictions from node ${verdict.node}`
      : `${verdict.pod.namespace}/${verdict.workload ? WorkloadRef.short(WorkloadRef.of(verdict)) : verdict.pod.name}${verdict.container ? ` › ${verdict.container}` : ''}`;
  // The words before the count in the group's counter line, as bot/occurrence-messages.ts podMessages says them.
  const counter = verdict.kind === 'eviction' && verdict.node ? `pods evicted from node ${verdict.node}` : (verdict.termination?.reason ?? verdict.kind);
  return { storm: { settings: deps.storms, cause: verdict.cause, label, node: verdict.cause === 'node-pressure' ? (verdict.node ?? undefined) : undefined, counter, timeLeft: deps.timeLeft } };
}

/**
 * A channel named by an annotation or the namespace setting falls back to the default channel when Slack answers that
 * it is not there or oombot is not in it, with a line that says so; the default channel has nothing to fall back to.
 */
function fallbackOf(routing: Routing, to: Extract<Route, { to: 'channel' }>, verdict: Verdict): Pick<GroupPost, 'fallback'> {
  if (to.from.by === 'default') return {};
  const where = { namespace: verdict.pod.namespace, pod: verdict.pod.name, workload: verdict.workload ? WorkloadRef.short(WorkloadRef.of(verdict)) : undefined };
  return { fallback: { channel: routing.defaultChannel, note: unreachableChannelNote(to.channel, to.from, where) } };
}

/**
 * The workload's and the namespace's annotations, where they can be read (a 403 or 404 leaves that level out), and the
 * workload as read (its template says the limit in force now: a handled alert's repeat is sized against it).
 */
async function ownerAnnotations(api: KubeReader | undefined, verdict: Verdict): Promise<{ annotations: Record<string, string>[]; workload?: unknown }> {
  if (!api) return { annotations: [] };
  const read = async (path: string | undefined) => {
    if (!path) return undefined;
    const res = await api.get(path).catch(() => undefined);
    return res?.status === 200 ? (res.body as { metadata?: { annotations?: Record<string, string> } }) : undefined;
  };
  const w = verdict.workload && WorkloadRef.of(verdict);
  const workloadPath = w && kindFacts(w.kind)?.annotations ? WorkloadRef.apiPath(w) : undefined;
  const [workload, namespace] = await Promise.all([read(workloadPath), read(`/api/v1/namespaces/${encodeURIComponent(verdict.pod.namespace)}`)]);
  return { annotations: [workload?.metadata?.annotations ?? {}, namespace?.metadata?.annotations ?? {}], ...(workload ? { workload } : {}) };
}

/** The memory limit the live workload's template gives the verdict's container, where it sets one. */
function templateLimit(workload: unknown, verdict: Verdict): string | undefined {
  if (!workload || !verdict.container) return undefined;
  const target = raiseTarget({ namespace: verdict.pod.namespace, workload: WorkloadRef.key(WorkloadRef.of(verdict)) });
  if ('status' in target) return undefined;
  const podSpec = target.facts.podSpec.reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, workload as Record<string, unknown>);
  const containers = (podSpec?.[verdict.containerType === 'init' ? 'initContainers' : 'containers'] ?? []) as { name?: string; resources?: { limits?: Record<string, string> } }[];
  const limit = Array.isArray(containers) ? containers.find((c) => c.name === verdict.container)?.resources?.limits?.['memory'] : undefined;
  return typeof limit === 'string' ? limit : undefined;
}

async function enrich(deps: PostDeps, envelope: Extract<Envelope, { pod: unknown }>): Promise<DiagnosisInput> {
  const api = deps.cluster(envelope.cluster);
  const base: DiagnosisInput = api
    ? await enrichPod(api, envelope.pod)
    : {
        pod: envelope.pod,
        // Without the cluster the owner the pod names cannot be checked (kube/owners.ts): it is not taken on its word.
        workload: null,
        unavailable: [{ source: 'cluster', reason: 'not-registered', detail: envelope.cluster }],
      };
  // What the forwarder saw at that moment counts as much as what the API still has.
  const seen = new Set((base.events ?? []).map((e) => e.metadata?.uid));
  const events: NonNullable<DiagnosisInput['events']> = [...(base.events ?? []), ...envelope.events.filter((e) => !seen.has(e.metadata.uid))];
  // And only the forwarder saw the memory before the death: the API keeps no past (docs/domain.md §14).
  const { memory, unavailable } = memoryInput(envelope.memory);
  return { ...base, events, ...(memory ? { memory } : {}), ...(unavailable.length ? { unavailable: [...(base.unavailable ?? []), ...unavailable] } : {}) };
}

/** Why a node OOM event is not to be posted, or undefined (shared/node-signals.ts's rule, the Node's uid when readable). */
async function nodeEventDoubt(api: KubeReader | undefined, event: KubeEvent, node: string): Promise<string | undefined> {
  const res = api ? await api.get(`/api/v1/nodes/${encodeURIComponent(node)}`).catch(() => undefined) : undefined;
  if (res?.status === 404) return 'no such node';
  const uid = res?.status === 200 ? (res.body as { metadata?: { uid?: string } }).metadata?.uid : undefined;
  return untrustedBecause(event, { name: node, uid });
}

function incidentOf(envelope: Envelope, v: Verdict, message: MessageRef, runbookUrl: string | undefined): Incident {
  return {
    incidentId: incidentId(envelope.occurrenceId),
    occurrenceId: envelope.occurrenceId,
    cluster: envelope.cluster,
    namespace: v.pod.namespace,
    workload: WorkloadRef.key(WorkloadRef.of(v)),
    container: v.container,
    cause: v.cause,
    kind: v.kind,
    headline: v.headline,
    occurredAt: envelope.occurredAt,
    message,
    verdict: v,
    ...(runbookUrl ? { runbookUrl } : {}),
  };
}
