// Telling a new occurrence from one already seen, with a few numbers per pod: for each pod that has had a memory
// termination, the highest termination index seen per container; the uids of evicted pods; the counts of node OOM
// events. Pods without memory trouble cost nothing. In a list (at start, or after 410 Gone), what happened before the
// horizon (the replay position) was delivered before: it is remembered as seen, not sent. Watch events are changes
// made after the list, so they are judged by what was seen alone — a kubelet that reports a kill late still counts.
import type { KubeEvent, Pod } from '#shared/k8s-objects.ts';
import { nodeEventOccurrence, podOccurrences, type Occurrence } from '#shared/occurrences.ts';

export class OccurrenceTracker {
  private readonly terminations = new Map<string, Map<string, number>>();
  private readonly evicted = new Set<string>();
  private readonly nodeEvents = new Map<string, number>();

  constructor(
    private readonly cluster: string,
    /** Occurrences before this instant (ms) are not sent: they were delivered before the saved position. */
    private horizonMs: number,
  ) {}

  /**
   * New occurrences this version of the pod shows. `listed`: it comes from a list, not a watch event; 'delivered': from
   * the list a watch resumed from, which an earlier leader delivered in full — remembered as seen, none sent.
   */
  pod(pod: Pod, listed: boolean | 'delivered' = false): Occurrence[] {
    const uid = pod.metadata.uid;
    if (!uid) return [];
    const fresh: Occurrence[] = [];
    for (const o of podOccurrences(this.cluster, pod)) {
      const old = listed === 'delivered' || (listed && Date.parse(o.occurredAt) < this.horizonMs);
      if (o.kind === 'pod-eviction') {
        if (this.evicted.has(uid)) continue;
        this.evicted.add(uid);
      } else {
        const seen = this.terminations.get(uid) ?? new Map<string, number>();
        if (o.kind !== 'container-termination') continue;
        if ((seen.get(o.container) ?? -1) >= o.terminationIndex) continue;
        seen.set(o.container, o.terminationIndex);
        this.terminations.set(uid, seen);
      }
      if (!old) fresh.push(o);
    }
    return fresh;
  }

  podDeleted(uid: string): void {
    this.terminations.delete(uid);
    this.evicted.delete(uid);
  }

  /** After a relist: forget pods that are gone. */
  retainPods(liveUids: Set<string>): void {
    for (const uid of this.terminations.keys()) if (!liveUids.has(uid)) this.terminations.delete(uid);
    for (const uid of this.evicted) if (!liveUids.has(uid)) this.evicted.delete(uid);
  }

  event(event: KubeEvent, listed: boolean | 'delivered' = false): Occurrence | undefined {
    const o = nodeEventOccurrence(this.cluster, event);
    const uid = event.metadata.uid;
    if (!o || !uid) return undefined;
    const count = event.series?.count ?? event.count ?? 1;
    if ((this.nodeEvents.get(uid) ?? 0) >= count) return undefined;
    this.nodeEvents.set(uid, count);
    // Events live an hour by default (kube-apiserver --event-ttl); forget the oldest beyond a few thousand.
    if (this.nodeEvents.size > 5_000) this.nodeEvents.delete(this.nodeEvents.keys().next().value!);
    return listed === 'delivered' || (listed && Date.parse(o.occurredAt) < this.horizonMs) ? undefined : o;
  }

  /** Whether any state is kept for this pod (a memory termination or an eviction seen). */
  tracks(uid: string): boolean {
    return this.terminations.has(uid) || this.evicted.has(uid);
  }

  get trackedPods(): number {
    return this.terminations.size + this.evicted.size;
  }
}

/** Where an occurrence was seen: a watch (by its key) and that watch's resourceVersion just before it. */
export interface SeenAt {
  watch: string;
  /** Undefined when the watch had no version yet (its first list from now): nothing of it can be saved meanwhile. */
  version: string | undefined;
}

/**
 * The replay position, in two forms. By time: every occurrence that happened before it has been delivered — the
 * oldest occurrence still in flight, or, with none in flight, the time up to which the watches have reported, less a
 * margin for the kubelet's status-update lag. By watch: the resourceVersion of each watch up to which every change was
 * handled and its occurrences delivered — the version before its oldest occurrence in flight, or its current one. A
 * new leader resumes each watch from its version (forwarder/watch.ts), which replays only what changed after it, and
 * falls back to the time (minutes back) where the server no longer has it; what either resends, the ids absorb
 * downstream.
 */
export class DeliveryPosition {
  private readonly pending = new Map<string, { atMs: number; seen: SeenAt | undefined }>();

  constructor(private readonly marginMs = 60_000) {}

  started(occurrenceId: string, occurredAtMs: number, seen?: SeenAt): void {
    const known = this.pending.get(occurrenceId);
    this.pending.set(occurrenceId, known === undefined ? { atMs: occurredAtMs, seen } : { atMs: Math.min(known.atMs, occurredAtMs), seen: known.seen });
  }

  delivered(occurrenceId: string): void {
    this.pending.delete(occurrenceId);
  }

  position(observedUntilMs: number): number {
    let oldest = observedUntilMs - this.marginMs;
    for (const p of this.pending.values()) oldest = Math.min(oldest, p.atMs);
    return oldest;
  }

  /**
   * Each watch's delivered version, from the versions the watches are at now: a watch keeps its own unless one of its
   * occurrences is in flight, when it is the version before the oldest of them (a watch hands them over in order, so
   * the first one met is its oldest). A watch without a version, or whose oldest in flight came before it had one, is
   * left out.
   */
  versions(current: Map<string, string | undefined>): Record<string, string> {
    const at = new Map(current);
    const held = new Set<string>();
    for (const { seen } of this.pending.values()) {
      if (!seen || held.has(seen.watch)) continue;
      held.add(seen.watch);
      at.set(seen.watch, seen.version);
    }
    const out: Record<string, string> = {};
    for (const [watch, version] of at) if (version !== undefined) out[watch] = version;
    return out;
  }

  get inFlight(): number {
    return this.pending.size;
  }
}
