// What a diagnosis could not see, as data: which source, why, and the words that go with it — a closed vocabulary
// (docs/code-style.md, "Schemas and types"), so the engine and its callers agree on a source without matching each
// other's sentences. The verdict carries the entries in `unseen` and their sentences in `missing`; the sentences are
// written here, and only here, for the CLI, the alert and what the store keeps alike.
import * as z from 'zod';

export const UnseenSourceSchema = z.enum([
  // What a caller reads about the pod (kube/collect.ts live, cli/dump-input.ts from files; docs/domain.md §4's tiers).
  'node', // the Node object: allocatable, MemoryPressure, the runtime's version
  'events', // events of the pod and its node, as one source (the engine's view, and a file dump's)
  'pod-events', // events about the pod (a live read)
  'node-events', // the kubelet's and node-problem-detector's events about the node (a live read)
  'node-pods', // the other pods on the node, whose requests bound what it can still give
  'metrics', // metrics.k8s.io: the current working set
  'kubelet-summary', // the kubelet's Summary API, through nodes/proxy
  'kubelet-config', // the kubelet's configz, through nodes/proxy
  'owner', // the owner the pod names, checked against the API (kube/owners.ts)
  'previous-log', // the log of the run that died, for its last words: the opt-in pods/log (kube/last-words.ts)
  'cluster', // the cluster itself: the analyze step holds no access to it
  // What the engine looked for in what it was given and did not find.
  'eviction-message', // the kubelet's eviction message naming the starved resource
  'eviction-usage', // which containers used more than their request, in that message
  'node-oom-event', // a SystemOOM or kernel OOM event on the node
  'kernel-log', // node-problem-detector's OOMKilling events, or the node's kernel log, around the kill
  'runtime-version', // the container runtime's version on the node
  'termination-log', // the container's last log lines in its termination message
  'runtime-setting', // a program's memory setting, not on its command line
  'memory-samples', // the container's working set before the kill, as the forwarder sampled it (docs/domain.md §14)
]);
export type UnseenSource = z.infer<typeof UnseenSourceSchema>;

export const UnseenReasonSchema = z.enum([
  'not-given', // the engine was not given it, and no caller said why
  'not-in-input', // the input files do not hold it
  'not-permitted', // the API server refused (403)
  'not-found', // the API server does not serve it (404)
  'absent', // it is served, but there is no such object (a 404 naming it): deleted, or no metrics sample of it yet
  'timed-out', // no answer in time
  'unreachable', // no connection
  'no-address', // the node's status lists no kubelet address to ask
  'failed', // any other answer from the API server
  'not-verified', // a reference that could not be checked, or did not hold
  'not-registered', // the cluster is not one oombot may ask
  'not-reported', // whoever would have written it did not
  'too-few', // it was there, but too little of it to read anything from (samples too few or too short)
  'not-enabled', // an opt-in read the cluster's operator has not granted (pods/log): expected, not an error
  'superseded', // what could be read belongs to a later run (the container ran again since)
]);
export type UnseenReason = z.infer<typeof UnseenReasonSchema>;

export const UnseenEntrySchema = z.object({
  source: UnseenSourceSchema,
  reason: UnseenReasonSchema,
  /** The words that go with the reason: the API server's message, how to add it to the files, which owner, when. */
  detail: z.string().optional(),
});
export type UnseenEntry = z.infer<typeof UnseenEntrySchema>;

/** Sources that are part of another: a caller's word on the part answers the engine's line about the whole. */
const PART_OF: Partial<Record<UnseenSource, UnseenSource>> = { 'pod-events': 'events', 'node-events': 'events' };

/**
 * The caller's entries, then the engine's about sources the caller said nothing of: the caller knows why it has no
 * node object ("forbidden"), the engine only that it has none. Each entry once.
 */
export function mergeUnseen(caller: readonly UnseenEntry[], engine: readonly UnseenEntry[]): UnseenEntry[] {
  // A handful of entries each: loops, not Sets and keys, on the diagnosis path (bench/diagnose.bench.ts).
  const out: UnseenEntry[] = [];
  for (const e of caller) addOnce(out, e);
  for (const e of engine) if (!caller.some((c) => c.source === e.source || PART_OF[c.source] === e.source)) addOnce(out, e);
  return out;
}

function addOnce(out: UnseenEntry[], e: UnseenEntry): void {
  if (!out.some((o) => o.source === e.source && o.reason === e.reason && o.detail === e.detail)) out.push(e);
}

/** What each source is, for a reader; `node` is the verdict's node. */
const NAMES: Record<UnseenSource, (node: string | undefined) => string> = {
  node: (node) => `the node object${node ? ` (${node})` : ''}`,
  events: () => 'events',
  'pod-events': () => 'events of the pod',
  'node-events': (node) => `events of node ${node ?? '(unknown)'}`,
  'node-pods': (node) => `other pods on node ${node ?? '(unknown)'} (to size what the node can give)`,
  metrics: () => 'metrics.k8s.io (current working set)',
  'kubelet-summary': () => 'kubelet stats (Summary API)',
  'kubelet-config': () => 'kubelet config (configz)',
  owner: () => "the pod's owner",
  'previous-log': () => "the dead container's log",
  cluster: () => 'the cluster',
  'eviction-message': () => 'the eviction message',
  'eviction-usage': () => 'which containers used more than their request',
  'node-oom-event': () => 'a SystemOOM or kernel OOM event on the node',
  'kernel-log': () => "the node's kernel log",
  'runtime-version': () => 'the container runtime version',
  'termination-log': () => "the container's last log lines",
  'runtime-setting': () => 'the memory setting',
  'memory-samples': () => "the container's memory before the kill (the forwarder's samples)",
};

/** What the engine misses when it has no such source, or the source did not say: the line names what it would tell. */
const LACKING: Partial<Record<UnseenSource, (detail: string | undefined) => string>> = {
  node: () => 'the node object (allocatable, MemoryPressure)',
  events: () => 'events of the pod and its node',
  'eviction-message': () => 'the eviction message naming the starved resource (pod status.message or the Evicted event)',
  'eviction-usage': () => 'which containers used more than their request (not in the eviction message)',
  'node-oom-event': () => 'a SystemOOM or kernel OOM event on the node to tell a node-wide OOM from the kubepods cgroup running out',
  'kernel-log': (when) => `node-problem-detector OOMKilling events or the node's kernel log around ${when ?? 'the kill'}`,
  'runtime-version': () => 'the container runtime version (old runtimes reported OOM kills as Error/137)',
  'termination-log': () => "the container's last log lines (terminationMessagePolicy: FallbackToLogsOnError puts them in the termination message)",
  'runtime-setting': (setting) => `${setting ?? 'the memory setting'}: not on its command line (a config file sets it, or it is unlimited)`,
  'memory-samples': () => "the container's memory before the kill, to tell a leak from load (the forwarder sent no samples of it)",
};

/** Why a read failed, in words: what follows "the node object (n): ". Also the owner check's words (kube/collect.ts). */
export function reasonWords(reason: UnseenReason, detail: string | undefined): string {
  switch (reason) {
    case 'not-given':
      return 'not given';
    case 'not-in-input':
      return `not in the input files${detail ? ` (${detail})` : ''}`;
    case 'not-permitted':
      return `forbidden${detail ? ` (${detail})` : ''}`;
    case 'not-found':
      return 'not served by this cluster';
    case 'absent':
      return 'no such object';
    case 'timed-out':
      return 'no answer in time';
    case 'unreachable':
      return 'the request failed (no connection)';
    case 'no-address':
      return 'the node lists no kubelet address to ask';
    case 'failed':
      return detail ?? 'the request failed';
    case 'not-verified':
      return detail ?? 'not verified';
    case 'not-registered':
      return 'not registered with oombot';
    case 'not-reported':
      return detail ? `not reported (${detail})` : 'not reported';
    case 'too-few':
      return `too few to tell${detail ? ` (${detail})` : ''}`;
    case 'not-enabled':
      return `not enabled${detail ? ` (${detail})` : ' (opt-in)'}`;
    case 'superseded':
      return `only a later run's is left${detail ? ` (${detail})` : ''}`;
  }
}

/** One entry as the sentence people read under "Not seen". */
export function unseenSentence(e: UnseenEntry, node: string | undefined): string {
  if (e.reason === 'not-given' || e.reason === 'not-reported') {
    const lacking = LACKING[e.source];
    if (lacking) return lacking(e.detail);
  }
  // The owner check says which reference and why in its own sentence (kube/owners.ts).
  if (e.source === 'owner' && e.reason === 'not-verified' && e.detail) return e.detail;
  if (e.source === 'cluster' && e.reason === 'not-registered') {
    return `the cluster${e.detail ? ` "${e.detail}"` : ''} is not registered with oombot: only what the forwarder sent was used, and the pod's owner could not be checked`;
  }
  // nodes/proxy is opt-in (docs/domain.md §4): a refusal there is the expected case, not an error to explain.
  if ((e.source === 'kubelet-summary' || e.source === 'kubelet-config') && e.reason === 'not-permitted') return `${NAMES[e.source](node)}: nodes/proxy not granted (opt-in)`;
  // pods/log is opt-in too, because logs can hold secrets (docs/domain.md §4); the kubelet keeps the log of one
  // earlier run only, and none once the pod is deleted, so "not found" means gone, not "not served".
  if (e.source === 'previous-log' && e.reason === 'not-enabled') return `${NAMES[e.source](node)}: not read (pods/log is opt-in)`;
  // metrics-server answers 404 for a pod it has not scraped yet (a container that just restarted): served, not sampled.
  if (e.source === 'metrics' && e.reason === 'absent') return `${NAMES[e.source](node)}: no sample of this pod yet`;
  if (e.source === 'previous-log' && e.reason === 'not-found') return `${NAMES[e.source](node)}: no longer kept by the kubelet`;
  if (e.source === 'previous-log' && e.reason === 'superseded') return `${NAMES[e.source](node)}: it ran again since, and only the later run's log is left`;
  return `${NAMES[e.source](node)}: ${reasonWords(e.reason, e.detail)}`;
}

/** The verdict's `missing`: each entry's sentence, each sentence once. */
export function unseenSentences(entries: readonly UnseenEntry[], node: string | undefined): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const sentence = unseenSentence(e, node);
    if (!out.includes(sentence)) out.push(sentence);
  }
  return out;
}

/**
 * What a renderer shows under "Not seen": the sentences of the verdict's entries, or, for a verdict stored before it
 * had entries (or with a source this version does not know), the sentences it was stored with.
 */
export function notSeen(v: { unseen?: readonly UnseenEntry[] | undefined; missing: readonly string[]; node?: string | undefined }): string[] {
  return v.unseen ? unseenSentences(v.unseen, v.node) : [...v.missing];
}
