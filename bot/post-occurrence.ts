// From an occurrence envelope to Slack, once: claim it, enrich it through the cluster's API, diagnose it, honour
// opt-outs and mutes, route it to a channel, and post — or, when the same workload, container and cause repeat within
// a window (or pods keep being evicted from one node), reply in the first alert's thread and update its counter.
// A failure gives the claim back and rethrows, so EventBridge's retry posts it; nothing is posted twice.
import type { ChatPostMessageArguments, ChatUpdateArguments } from '@slack/web-api';
import type { KubeReader } from '../kube/rest.ts';
import { enrichPod } from '../kube/collect.ts';
import { kindFacts, muteKey, WorkloadRef } from '../kube/workloads.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import type { Envelope } from '#shared/envelope.ts';
import type { KubeEvent } from '#shared/k8s-objects.ts';
import { untrustedBecause } from '#shared/node-signals.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { Incident, Store } from '../store/port.ts';
import { proposedChange } from './raise-limit.ts';
import { bestEffort } from './failures.ts';
import { renderAlert, renderRepeat, withCounter, type AlertMessage } from './alert.ts';
import { clip, SLACK_LIMITS, slackText } from './slack-limits.ts';

/** The two chat methods used, as @slack/web-api's WebClient has them (it waits out 429s by Retry-After itself). */
export interface SlackChat {
  postMessage(args: ChatPostMessageArguments): Promise<{ ok?: boolean; ts?: string; channel?: string }>;
  update(args: ChatUpdateArguments): Promise<{ ok?: boolean }>;
}

export interface Routing {
  defaultChannel: string;
  /** namespace → channel */
  namespaceChannels?: Record<string, string>;
  /** Runbook URLs by cause ("limit", "node-pressure", "runtime", "not-oom", "unknown") or "default", used when no
   *  oombot.io/runbook annotation names one. */
  runbooks?: Record<string, string>;
}

export interface PostDeps {
  store: Store;
  slack: SlackChat;
  /** The cluster registry: a reader for a cluster by name, or undefined when it is not known. */
  cluster(name: string): KubeReader | undefined;
  routing: Routing;
  repeatWindowMs?: number;
  evictionWindowMs?: number;
  now?: () => number;
}

export type PostOutcome =
  | { status: 'duplicate' | 'opted-out' | 'muted'; occurrenceId: string }
  /** A node OOM event that is not the kubelet's or node-problem-detector's word about that node: never posted. */
  | { status: 'untrusted'; occurrenceId: string; reason: string }
  | { status: 'posted' | 'threaded' | 'counted'; occurrenceId: string; channel: string; ts: string; verdict?: Verdict };

/**
 * Quiet under storms (docs/architecture.md, "Reliability rules"): a group's first alert, then at most this many replies
 * in its thread; beyond that an occurrence only raises the root's counter, and the counter is rewritten at most every
 * COUNTER_INTERVAL_MS. Slack allows about one message per second per channel, so a storm of 1,000 as replies would take
 * 17 minutes to post.
 */
export const MAX_THREAD_REPLIES = 10;
export const COUNTER_INTERVAL_MS = 10_000;
/** How long a repeat waits for its group's first alert to be posted by a concurrent invocation. */
const FIRST_POST_WAIT_MS = 5_000;

/** Annotations users put on a pod (from its template): where alerts go, and no alerts at all. */
export const CHANNEL_ANNOTATION = 'oombot.io/slack-channel';
export const RUNBOOK_ANNOTATION = 'oombot.io/runbook';
export const OPT_OUT_ANNOTATION = 'oombot.io/alerts';

export async function postOccurrence(deps: PostDeps, envelope: Envelope): Promise<PostOutcome> {
  const now = (deps.now ?? Date.now)();
  const id = envelope.occurrenceId;
  if ((await deps.store.claimOccurrence(id, now)) === 'duplicate') return { status: 'duplicate', occurrenceId: id };
  // Once Slack has the message, the occurrence is posted: it is marked at once, and nothing that fails after it (the
  // counter, the incident record) may give the claim back, or the retry would post it again.
  let posted = false;
  const markPosted = async (message: { channel: string; ts: string }) => {
    await deps.store.markOccurrencePosted(id, message);
    posted = true;
  };
  try {
    const outcome = await post(deps, envelope, now, markPosted);
    if ((outcome.status === 'posted' || outcome.status === 'threaded' || outcome.status === 'counted') && outcome.verdict) {
      await afterPosting(() => deps.store.recordIncident(incidentOf(envelope, outcome.verdict!, { channel: outcome.channel, ts: outcome.ts })), 'recording the incident');
    }
    return outcome;
  } catch (error) {
    if (!posted) await deps.store.releaseOccurrence(id);
    throw error;
  }
}

/** A step after the message went out: logged when it fails, never thrown (a throw would post the alert again). */
const afterPosting = (step: () => Promise<unknown>, what: string) => bestEffort(step, `${what} failed after posting; the alert stands`, undefined, 'warn');

type MarkPosted = (message: { channel: string; ts: string }) => Promise<void>;

async function post(deps: PostDeps, envelope: Envelope, now: number, markPosted: MarkPosted): Promise<PostOutcome> {
  const id = envelope.occurrenceId;
  if (envelope.kind === 'node-oom') return postNodeOom(deps, envelope, markPosted, now);
  const pod = envelope.pod;
  const verdict = diagnose(await enrich(deps, envelope), envelope.kind === 'container-termination' ? { container: envelope.container } : {});
  // Annotations on the pod win over its workload's, which win over its namespace's.
  const levels = [pod.metadata.annotations ?? {}, ...(await ownerAnnotations(deps.cluster(envelope.cluster), verdict))];
  const annotation = (key: string) => levels.map((a) => a[key]).find((v) => v !== undefined);
  if (annotation(OPT_OUT_ANNOTATION) === 'off') return { status: 'opted-out', occurrenceId: id };
  if (await deps.store.muteUntil(muteKey(envelope.cluster, verdict.pod.namespace, WorkloadRef.key(WorkloadRef.of(verdict))), now)) return { status: 'muted', occurrenceId: id };

  const channel = annotation(CHANNEL_ANNOTATION) ?? deps.routing.namespaceChannels?.[verdict.pod.namespace] ?? deps.routing.defaultChannel;
  // Only https links become a button: an annotation is written by whoever may edit the workload.
  const runbook = [annotation(RUNBOOK_ANNOTATION), deps.routing.runbooks?.[verdict.cause], deps.routing.runbooks?.['default']].find(isButtonUrl);
  const raise = proposedChange(verdict);
  const ctx = { cluster: envelope.cluster, incidentId: incidentId(id), occurredAt: envelope.occurredAt, buttons: { ...(runbook ? { runbookUrl: runbook } : {}), ...(raise ? { raise } : {}) } };
  const eviction = verdict.kind === 'eviction' && verdict.node;
  const groupKey = groupKeyOf(envelope.cluster, verdict);
  const windowMs = eviction ? (deps.evictionWindowMs ?? 10 * 60_000) : (deps.repeatWindowMs ?? 60 * 60_000);
  const minutesSince = (firstAt: number) => Math.max(1, Math.round((now - firstAt) / 60_000));
  const outcome = await postInGroup(deps, { groupKey, occurrenceId: id, windowMs, now, channel, markPosted }, {
    first: () => renderAlert(verdict, ctx),
    reply: () => renderRepeat(verdict, ctx),
    counter: (count, firstAt) =>
      eviction
        ? `${count} pods evicted from node ${verdict.node} in ${minutesSince(firstAt)} min · latest ${verdict.pod.name} · see thread`
        : `${verdict.termination?.reason ?? verdict.kind} ${count}× in ${minutesSince(firstAt)} min · latest ${new Date(envelope.occurredAt).toISOString().slice(11, 16)} UTC · see thread`,
  });
  return { ...outcome, occurrenceId: id, verdict };
}

/** A URL a Slack button may open: https, parseable, and within Slack's 3,000 characters for a button's url. */
function isButtonUrl(url: string | undefined): url is string {
  if (!url?.startsWith('https://') || url.length > 3000) return false;
  return URL.canParse(url);
}

/** Many evictions from one node are one story (the node ran out); repeats of one container's death are another. */
export function groupKeyOf(cluster: string, verdict: Verdict): string {
  return verdict.kind === 'eviction' && verdict.node ? `evict/${cluster}/${verdict.node}` : `repeat/${cluster}/${verdict.pod.namespace}/${WorkloadRef.key(WorkloadRef.of(verdict))}/${verdict.container}/${verdict.cause}`;
}

interface GroupPost {
  groupKey: string;
  /** Counts the occurrence once into its group, even when a retry comes back after a failed post. */
  occurrenceId?: string;
  windowMs: number;
  now: number;
  channel: string;
  markPosted: MarkPosted;
}

/**
 * Posts into a repeat group: the first occurrence as its own message; later ones within the window as replies in its
 * thread (at most MAX_THREAD_REPLIES), then only as the root's counter, rewritten at most every COUNTER_INTERVAL_MS.
 */
async function postInGroup(
  deps: PostDeps,
  g: GroupPost,
  render: { first: () => AlertMessage; reply: () => AlertMessage; counter: (count: number, firstAt: number) => string },
): Promise<{ status: 'posted' | 'threaded' | 'counted'; channel: string; ts: string }> {
  const group = await deps.store.recordRepeat(g.groupKey, g.now, g.windowMs, g.occurrenceId);
  // A repeat that arrived while a concurrent invocation is still posting the first waits for it, briefly — many pods of
  // one workload often die together.
  for (let waited = 0; group.count > 1 && !group.message && waited < FIRST_POST_WAIT_MS; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    const message = await deps.store.repeatMessage(g.groupKey);
    if (message) group.message = message;
  }

  if (group.count === 1 || !group.message) {
    // The first of its group (or the first never appeared: then this one stands alone rather than be lost).
    const alert = render.first();
    // Slack answers with the channel's id: a channel configured by name (#oom-alerts) must be updated by that id.
    const { channel, ts } = await postMessage(deps.slack, g.channel, alert);
    await g.markPosted({ channel, ts });
    // The group's first message is whichever alert is set first: a standalone alert posted because the first failed
    // becomes the root, so later repeats thread again.
    await afterPosting(() => deps.store.setRepeatMessage(g.groupKey, { channel, ts, blocks: JSON.stringify(alert.blocks), text: alert.text }), 'remembering the first alert');
    return { status: 'posted', channel, ts };
  }

  const root = group.message;
  const threaded = group.count <= MAX_THREAD_REPLIES + 1;
  const reply = render.reply();
  const ts = threaded ? (await postMessage(deps.slack, root.channel, reply, root.ts)).ts : root.ts;
  await g.markPosted({ channel: root.channel, ts });
  if (root.blocks && (threaded || (await deps.store.claimCounterUpdate(g.groupKey, g.now, COUNTER_INTERVAL_MS)))) {
    const blocks = root.blocks;
    const counter = render.counter(group.count, group.firstAt);
    await afterPosting(() => deps.slack.update({ channel: root.channel, ts: root.ts, text: root.text ?? reply.text, blocks: withCounter(JSON.parse(blocks), counter) }), 'updating the counter');
  }
  return { status: threaded ? 'threaded' : 'counted', channel: root.channel, ts };
}

/** The workload's and the namespace's annotations, where they can be read (a 403 or 404 leaves that level out). */
async function ownerAnnotations(api: KubeReader | undefined, verdict: Verdict): Promise<Record<string, string>[]> {
  if (!api) return [];
  const read = async (path: string | undefined) => {
    if (!path) return {};
    const res = await api.get(path).catch(() => undefined);
    return res?.status === 200 ? ((res.body as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {}) : {};
  };
  const w = verdict.workload && WorkloadRef.of(verdict);
  const workloadPath = w && kindFacts(w.kind)?.annotations ? WorkloadRef.apiPath(w) : undefined;
  return Promise.all([read(workloadPath), read(`/api/v1/namespaces/${encodeURIComponent(verdict.pod.namespace)}`)]);
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
  return { ...base, events };
}

async function postNodeOom(deps: PostDeps, envelope: Extract<Envelope, { kind: 'node-oom' }>, markPosted: MarkPosted, now: number): Promise<PostOutcome> {
  const node = envelope.node ?? envelope.event.involvedObject.name ?? 'a node';
  // The forwarder publishes only trusted node events, but the bus may carry an older forwarder's, or anyone's who may
  // PutEvents: the same rule again here, against the Node object itself when the cluster can be asked.
  const doubt = await nodeEventDoubt(deps.cluster(envelope.cluster), envelope.event, node);
  if (doubt) return { status: 'untrusted', occurrenceId: envelope.occurrenceId, reason: doubt };
  const when = `${new Date(envelope.occurredAt).toISOString().slice(11, 16)} UTC`;
  // The node's name and the kernel line are cluster text: escaped, then clipped (escaping lengthens them).
  const message = (text: string): AlertMessage => ({
    text: slackText(text, SLACK_LIMITS.fallbackText),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(text, SLACK_LIMITS.headerText), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `The kernel's OOM killer acted for the whole node: "${slackText(envelope.event.message ?? '', 2000)}". Pods killed with it get their own alerts.` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`${envelope.cluster} · node ${node} · ${when} · ${incidentId(envelope.occurrenceId)}`, SLACK_LIMITS.contextText) }] },
    ],
  });
  // A node that keeps running out of memory is one story: its OOMs within the eviction window share a thread.
  const outcome = await postInGroup(deps, { groupKey: `nodeoom/${envelope.cluster}/${node}`, occurrenceId: envelope.occurrenceId, windowMs: deps.evictionWindowMs ?? 10 * 60_000, now, channel: deps.routing.defaultChannel, markPosted }, {
    first: () => message(`🟠 Node ${node} ran out of memory (${envelope.cluster})`),
    reply: () => message(`Node ${node} ran out of memory again at ${when}`),
    counter: (count, firstAt) => `node-wide OOM ${count}× in ${Math.max(1, Math.round((now - firstAt) / 60_000))} min · latest ${when} · see thread`,
  });
  return { ...outcome, occurrenceId: envelope.occurrenceId };
}

/** Why a node OOM event is not to be posted, or undefined (shared/node-signals.ts's rule, the Node's uid when readable). */
async function nodeEventDoubt(api: KubeReader | undefined, event: KubeEvent, node: string): Promise<string | undefined> {
  const res = api ? await api.get(`/api/v1/nodes/${encodeURIComponent(node)}`).catch(() => undefined) : undefined;
  if (res?.status === 404) return 'no such node';
  const uid = res?.status === 200 ? (res.body as { metadata?: { uid?: string } }).metadata?.uid : undefined;
  return untrustedBecause(event, { name: node, uid });
}

async function postMessage(slack: SlackChat, channel: string, message: AlertMessage, threadTs?: string): Promise<{ channel: string; ts: string }> {
  const res = await slack.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}) });
  if (!res.ts) throw new Error(`Slack accepted a message to ${channel} without a ts`);
  return { channel: res.channel ?? channel, ts: res.ts };
}

function incidentOf(envelope: Envelope, v: Verdict, message: { channel: string; ts: string }): Incident {
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
  };
}

/** A short incident id for people and buttons: "inc-" and the first characters of the occurrence's hash. */
export function incidentId(occurrenceId: string): string {
  // 16 base32 characters (80 bits) of the occurrence's hash: no collision in any realistic history.
  return `inc-${occurrenceId.split('-').pop()!.slice(0, 16)}`;
}
