// What the node said around the time of a kill: the kubelet's SystemOOM, node-problem-detector's OOMKilling (the kernel
// line), eviction-threshold events (docs/domain.md §2, §10). Matched to the kill by time, or by the pod's cgroup when
// the kernel line names it.
//
// Events are not the node's word by default: anyone who may create Events in a namespace can write one whose
// involvedObject is a Node. A node signal counts only when it comes from where its writer puts it, under its writer's
// name, about this node:
//  - the kubelet and node-problem-detector record node events through client-go's recorder, which files an event whose
//    object has no namespace (a Node) in `default` (client-go tools/record/event.go, makeEvent); node-problem-detector
//    can be told another namespace (--event-namespace), which oombot does not follow;
//  - the kubelet's recorder is `source.component: kubelet`, `source.host: <node>`, and since client-go copies the source
//    into the reporting fields, `reportingComponent: kubelet` (pkg/kubelet/kubelet.go, tools/record/event.go);
//    node-problem-detector's kernel monitor is `source.component: kernel-monitor` (config/kernel-monitor.json, its
//    k8sexporter's problemclient), host the node;
//  - both refer to the node as `{kind: Node, name: <node>, uid: <node name>}` (kubelet.go's nodeRef, problemclient's
//    getNodeRef), never with another node's name or uid.
// Even then a signal is evidence of a given strength, not the verdict: whose process a node-wide kill took is read from
// its own numbers (whoseKill).
import { eventTime } from './event-time.ts';
import type { KubeEvent } from './k8s-objects.ts';
import { memcgNamesPod, parseKernelOomLine, parseSystemOom, type KernelOomKill } from './kernel-oom.ts';
import { formatBytes } from './quantity.ts';

/**
 * How far apart a kill and its node event may be. The kubelet reports SystemOOM when its OOM watcher reads the kernel
 * log, and node-problem-detector when it tails it: both within seconds; two minutes also absorbs clock skew and
 * event aggregation.
 */
export const NODE_EVENT_WINDOW_MS = 2 * 60_000;

/** The namespace node components file node events in (client-go's recorder, for an object without a namespace). */
export const NODE_EVENT_NAMESPACE = 'default';

/** Who writes each node OOM event: its reason → the component that reports it. */
const WRITERS: Record<string, { component: string; who: string }> = {
  SystemOOM: { component: 'kubelet', who: 'the kubelet' },
  OOMKilling: { component: 'kernel-monitor', who: "node-problem-detector's kernel monitor" },
};

/** The node being diagnosed: its name, and its Node object's uid when the object was read. */
export interface NodeIdentity {
  name: string | undefined;
  uid?: string | undefined;
}

export interface NodeOomSignal {
  event: KubeEvent;
  source: 'SystemOOM' | 'kernel';
  kernel: KernelOomKill | undefined;
  /** The kernel line names this pod's cgroup. */
  namesPod: boolean;
}

/** An event shaped like a node OOM signal about this node, which did not come from its writer. */
export interface IgnoredNodeEvent {
  event: KubeEvent;
  why: string;
}

/** Node OOM events are about a Node and carry SystemOOM or OOMKilling (or their texts). */
export function looksLikeNodeOom(event: KubeEvent): boolean {
  if (event.involvedObject.kind !== 'Node') return false;
  return event.reason === 'SystemOOM' || event.reason === 'OOMKilling' || !!parseSystemOom(event.message) || !!parseKernelOomLine(event.message);
}

/**
 * Why this node OOM event is not the kubelet's or node-problem-detector's word about this node, or undefined when it
 * is. The reasons name only what the API server validates (namespaces are DNS labels), never the event's free text.
 */
export function untrustedBecause(event: KubeEvent, node: NodeIdentity): string | undefined {
  const o = event.involvedObject;
  if (o.kind !== 'Node') return 'it is not about a Node';
  if (!node.name || o.name !== node.name) return 'it is about another node';
  const namespace = event.metadata.namespace;
  if (namespace !== NODE_EVENT_NAMESPACE) return `it was written in namespace ${namespace ?? '(none)'}, where node components do not write`;
  const writer = WRITERS[event.reason ?? ''];
  if (!writer) return 'its reason is neither SystemOOM nor OOMKilling';
  const components = [event.source?.component, event.reportingComponent].filter((c): c is string => !!c);
  if (!components.length || components.some((c) => c !== writer.component)) return `it was not reported by ${writer.who}`;
  const host = event.source?.host;
  if (host && host !== node.name) return 'its source host is another node';
  if (o.uid && o.uid !== node.name && o.uid !== node.uid) return "its node uid is not this node's";
  return undefined;
}

export function nearTime(event: KubeEvent, at: string | undefined, windowMs = NODE_EVENT_WINDOW_MS): boolean {
  const t = Date.parse(eventTime(event) ?? '');
  const ref = Date.parse(at ?? '');
  if (Number.isNaN(t) || Number.isNaN(ref)) return false;
  // An aggregated event (count > 1) says when it first and last happened, not when the others did: only those two
  // instants can be matched to a kill. Taking its whole span would blame a SystemOOM that repeats over days.
  const first = Date.parse(event.firstTimestamp ?? '') || t;
  return Math.abs(t - ref) <= windowMs || Math.abs(first - ref) <= windowMs;
}

/**
 * Trusted node OOM signals near `at` (or naming the pod's cgroup), most specific first: those naming the pod, then
 * SystemOOM, then other kernel lines.
 */
export function nodeOomSignals(events: KubeEvent[], node: NodeIdentity, podUid: string | undefined, at: string | undefined): NodeOomSignal[] {
  const signals: NodeOomSignal[] = [];
  for (const event of events) {
    if (!looksLikeNodeOom(event) || untrustedBecause(event, node)) continue;
    if (event.reason === 'SystemOOM') {
      if (nearTime(event, at)) signals.push({ event, source: 'SystemOOM', kernel: undefined, namesPod: false });
      continue;
    }
    const kernel = parseKernelOomLine(event.message);
    if (!kernel) continue;
    const namesPod = memcgNamesPod(kernel.taskMemcg, podUid) || memcgNamesPod(event.message, podUid);
    if (namesPod || nearTime(event, at)) signals.push({ event, source: 'kernel', kernel, namesPod });
  }
  const rank = (s: NodeOomSignal) => (s.namesPod ? 0 : s.source === 'SystemOOM' ? 1 : 2);
  return signals.sort((a, b) => rank(a) - rank(b));
}

/** Node OOM events about this node near `at` that were not counted, with why. */
export function ignoredNodeOomEvents(events: KubeEvent[], node: NodeIdentity, at: string | undefined): IgnoredNodeEvent[] {
  const ignored: IgnoredNodeEvent[] = [];
  for (const event of events) {
    if (!looksLikeNodeOom(event) || event.involvedObject.name !== node.name || !nearTime(event, at)) continue;
    const why = untrustedBecause(event, node);
    if (why) ignored.push({ event, why });
  }
  return ignored;
}

/** A node-wide OOM: SystemOOM, or a kernel line whose scope is the whole node. */
export function isNodeWide(signal: NodeOomSignal): boolean {
  return signal.source === 'SystemOOM' || signal.kernel?.scope === 'node';
}

/** What is known of the container a node-wide kill may have taken. */
export interface ContainerIdentity {
  podUid: string | undefined;
  /** Process names it may run (its command's and args' basenames, its image's name, its own name). */
  processes: string[];
  /** The oom_score_adj the kubelet gives its processes (docs/domain.md §3), when it can be worked out. */
  oomScoreAdj: number | undefined;
  limitBytes: number | undefined;
}

export interface KillAttribution {
  /** `this`: the kill took this container's process; `other`: another's; `unknown`: its numbers cannot tell. */
  whose: 'this' | 'other' | 'unknown';
  /** Why, in a clause: "its oom_score_adj 900 is not this container's 969". */
  why: string;
  /** The kernel line that told (the signal itself, or the one with a SystemOOM's pid). */
  kernel: KernelOomKill | undefined;
  victim: string | undefined;
}

/** A kernel-reported victim this far above a limit cannot have lived under it (the cgroup would have run out first). */
const ABOVE_LIMIT = 1.05;

/**
 * Whose process a node-wide kill took. The kernel's own numbers decide first — the victim's cgroup path, then its
 * oom_score_adj (set by the kubelet per container from QoS and request, so a different one is another container), then
 * a resident size this container's limit could not have held; the victim's process name only confirms, since a
 * container's command rarely names every process it runs. A SystemOOM is read with the kernel line of the same pid.
 */
export function whoseKill(signal: NodeOomSignal, signals: NodeOomSignal[], c: ContainerIdentity): KillAttribution {
  const system = signal.source === 'SystemOOM' ? parseSystemOom(signal.event.message) : undefined;
  const kernel = signal.kernel ?? (system?.pid !== undefined ? signals.find((s) => s.kernel?.pid === system.pid)?.kernel : undefined);
  const victim = system?.victimProcess ?? kernel?.process;
  const result = (whose: KillAttribution['whose'], why: string): KillAttribution => ({ whose, why, kernel, victim });
  if (kernel?.taskMemcg && c.podUid) {
    return memcgNamesPod(kernel.taskMemcg, c.podUid) ? result('this', "the victim's cgroup is this pod's") : result('other', "the victim's cgroup is another pod's");
  }
  if (kernel && memcgNamesPod(signal.event.message, c.podUid)) return result('this', "the kernel line names this pod's cgroup");
  const adj = kernel?.oomScoreAdj;
  if (adj !== undefined && c.oomScoreAdj !== undefined && Math.abs(adj - c.oomScoreAdj) > 1) {
    return result('other', `the victim's oom_score_adj ${adj} is not this container's ${c.oomScoreAdj}`);
  }
  const rss = kernel?.anonRssBytes;
  if (rss !== undefined && c.limitBytes !== undefined && rss > c.limitBytes * ABOVE_LIMIT) {
    return result('other', `the victim held ${formatBytes(rss)}, more than this container's limit allows`);
  }
  const named = victim !== undefined && c.processes.includes(victim);
  if (named) return result('this', `the victim process ${victim} is this container's${adj !== undefined ? ` and its oom_score_adj ${adj} is too` : ''}`);
  if (victim === undefined) return result('unknown', 'the event names no victim');
  return result('unknown', `the victim process "${victim}" is not named in this container's command`);
}
