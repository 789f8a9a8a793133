// The small, bounded buffer of recent events the forwarder attaches to an occurrence as context (probe kills,
// evictions, node OOMs): a few per pod or node, for a limited time, for a limited number of pods and nodes — so a
// cluster with 10,000 pods and a noisy event stream cannot grow it.
import { eventTime } from '#shared/event-time.ts';
import type { KubeEvent } from '#shared/k8s-objects.ts';
import { NODE_EVENT_NAMESPACE } from '#shared/node-signals.ts';

export interface ContextLimits {
  perObject: number;
  objects: number;
  ttlMs: number;
}

// At most 500 × 4 events (about 2 MB) for at most 30 minutes: a kill's context is what happened just before it.
const DEFAULTS: ContextLimits = { perObject: 4, objects: 500, ttlMs: 30 * 60_000 };

export class ContextEvents {
  // Insertion order doubles as recency: a key is deleted and re-added on every write, so the first key is the oldest.
  private readonly byObject = new Map<string, KubeEvent[]>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: ContextLimits = DEFAULTS,
  ) {}

  add(event: KubeEvent): void {
    const key = keyOf(event);
    if (!key) return;
    const list = (this.byObject.get(key) ?? []).filter((e) => e.metadata.uid !== event.metadata.uid);
    list.push(event);
    this.byObject.delete(key);
    this.byObject.set(key, list.slice(-this.limits.perObject));
    while (this.byObject.size > this.limits.objects) this.byObject.delete(this.byObject.keys().next().value!);
    // The oldest keys come first: drop those whose newest event has expired, so idle entries do not linger for days.
    for (const [k, events] of this.byObject) {
      if (this.fresh(events.at(-1)!)) break;
      this.byObject.delete(k);
    }
  }

  private fresh(e: KubeEvent): boolean {
    return this.now() - (Date.parse(eventTime(e) ?? '') || 0) <= this.limits.ttlMs;
  }

  /** The events about this pod and its node, newest last, within the time limit. */
  related(podUid: string | undefined, nodeName: string | undefined): KubeEvent[] {
    const fresh = (e: KubeEvent) => this.fresh(e);
    const events = [...(podUid ? (this.byObject.get(`pod/${podUid}`) ?? []) : []), ...(nodeName ? (this.byObject.get(`node/${nodeName}`) ?? []) : [])];
    return events.filter(fresh).sort((a, b) => (eventTime(a) ?? '').localeCompare(eventTime(b) ?? ''));
  }

  forget(podUid: string): void {
    this.byObject.delete(`pod/${podUid}`);
  }

  get size(): number {
    return this.byObject.size;
  }
}

function keyOf(e: KubeEvent): string | undefined {
  const o = e.involvedObject;
  if (o.kind === 'Pod' && o.uid) return `pod/${o.uid}`;
  // A Node event counts only where node components write them (shared/node-signals.ts); one a tenant wrote in its own
  // namespace must not take the place of the kubelet's in the node's few slots.
  if (o.kind === 'Node' && o.name && e.metadata.namespace === NODE_EVENT_NAMESPACE) return `node/${o.name}`;
  return undefined;
}
