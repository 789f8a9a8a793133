// What the node said around the time of a kill: the kubelet's SystemOOM, node-problem-detector's OOMKilling (the kernel
// line), eviction-threshold events (DOMAIN.md §2). Matched to the kill by time, or by the pod's cgroup when the kernel
// line names it.
import { eventTime, type KubeEvent } from './k8s-objects.ts';
import { memcgNamesPod, parseKernelOomLine, parseSystemOom, type KernelOomKill } from './kernel-oom.ts';

/**
 * How far apart a kill and its node event may be. The kubelet reports SystemOOM when its OOM watcher reads the kernel
 * log, and node-problem-detector when it tails it: both within seconds; two minutes also absorbs clock skew and
 * event aggregation.
 */
export const NODE_EVENT_WINDOW_MS = 2 * 60_000;

export interface NodeOomSignal {
  event: KubeEvent;
  source: 'SystemOOM' | 'kernel';
  kernel: KernelOomKill | undefined;
  /** The kernel line names this pod's cgroup. */
  namesPod: boolean;
}

export function isNodeEvent(event: KubeEvent, nodeName: string | undefined): boolean {
  return event.involvedObject.kind === 'Node' && (!nodeName || event.involvedObject.name === nodeName || event.source?.host === nodeName);
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

/** Node OOM signals near `at`, most specific first (those naming the pod, then SystemOOM, then other kernel lines). */
export function nodeOomSignals(events: KubeEvent[], nodeName: string | undefined, podUid: string | undefined, at: string | undefined): NodeOomSignal[] {
  const signals: NodeOomSignal[] = [];
  for (const event of events) {
    if (!isNodeEvent(event, nodeName) && !kernelLineNamesPod(event, podUid)) continue;
    const kernel = parseKernelOomLine(event.message);
    const namesPod = !!kernel && (memcgNamesPod(kernel.taskMemcg, podUid) || memcgNamesPod(event.message, podUid));
    if (!namesPod && !nearTime(event, at)) continue;
    if (event.reason === 'SystemOOM' || parseSystemOom(event.message)) {
      signals.push({ event, source: 'SystemOOM', kernel: undefined, namesPod: false });
    } else if (kernel) {
      signals.push({ event, source: 'kernel', kernel, namesPod });
    }
  }
  const rank = (s: NodeOomSignal) => (s.namesPod ? 0 : s.source === 'SystemOOM' ? 1 : 2);
  return signals.sort((a, b) => rank(a) - rank(b));
}

function kernelLineNamesPod(event: KubeEvent, podUid: string | undefined): boolean {
  return !!event.message && memcgNamesPod(event.message, podUid) && !!parseKernelOomLine(event.message);
}

/** A node-wide OOM: SystemOOM, or a kernel line whose scope is the whole node. */
export function isNodeWide(signal: NodeOomSignal): boolean {
  return signal.source === 'SystemOOM' || signal.kernel?.scope === 'node';
}
