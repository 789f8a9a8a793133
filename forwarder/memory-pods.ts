// What the sampler knows of each running pod, from the forwarder's pod watch: its node, and per container its memory
// request, its restart count, its last working set and, for those worth a curve, the number of its ring
// (forwarder/memory-rings.ts). metrics.k8s.io names a pod by namespace and name only, so that is the key. One small
// array per pod instead of objects: at 10,000 pods an object per container would cost more than the rings
// (docs/architecture.md, "Budgets").

/** A pod's row: its uid's hash, its node, when and in which poll it was last sampled, then `STRIDE` values a container. */
export type PodRow = (string | number)[];

const UID = 0;
const NODE = 1;
const SAMPLED_AT = 2;
const ROUND = 3;
const HEAD = 4;
export const STRIDE = 5;
const NAME = 0;
const REQUEST = 1;
const RESTARTS = 2;
const SLOT = 3;
const LAST = 4;

/** Seconds are counted from here so that they stay small integers (V8 keeps those unboxed) for decades. */
const EPOCH_S = 1_700_000_000;

export interface ContainerSpec {
  name: string;
  /** Memory request in bytes, if any. */
  requestBytes: number | undefined;
  /** Its memory limit in bytes (its own, else the pod's), if any: what a warning before the kill measures against. */
  limitBytes?: number | undefined;
  restarts: number;
  /** It has a memory limit (its own or the pod's), or died of memory before: its memory is kept as a curve. */
  sampled: boolean;
}

export interface PodSpecView {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  containers: ContainerSpec[];
}

export interface ContainerView {
  name: string;
  requestBytes: number | undefined;
  restarts: number;
  slot: number;
  /** The last working set sampled, or undefined. */
  lastBytes: number | undefined;
}

const PAGE = 4096;

/**
 * Strings that repeat across pods (node and container names, namespaces) are kept once. The table forgets everything
 * when it grows past its bound, so a cluster that keeps inventing names cannot grow it.
 */
class Interned {
  private readonly seen = new Map<string, string>();
  constructor(private readonly max = 8_192) {}
  of(s: string): string {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.set(s, s);
    return s;
  }
}

export class MemoryPods {
  private readonly byNamespace = new Map<string, Map<string, PodRow>>();
  private readonly names = new Interned();
  private rows = 0;

  /**
   * @param allocate gives a ring to a container to be sampled; `release` takes it back.
   */
  constructor(
    private readonly allocate: () => number,
    private readonly release: (slot: number) => void,
  ) {}

  get(namespace: string, name: string): PodRow | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /**
   * Records a pod as it is now. A container keeps its ring, last sample and sampling through updates; a pod of the same
   * name with another uid (a StatefulSet's replacement) starts afresh. Returns its row.
   */
  set(spec: PodSpecView): PodRow {
    const uid = hash(spec.uid);
    let pods = this.byNamespace.get(spec.namespace);
    if (!pods) this.byNamespace.set(this.names.of(spec.namespace), (pods = new Map()));
    const old = pods.get(spec.name);
    if (old && old[UID] !== uid) {
      this.releaseRow(old);
      pods.delete(spec.name);
      this.rows -= 1;
    }
    const previous = old && old[UID] === uid ? old : undefined;
    // Sized once: an array grown by push keeps half as much again in spare capacity.
    const row: PodRow = new Array<string | number>(HEAD + STRIDE * spec.containers.length);
    row[UID] = uid;
    row[NODE] = this.names.of(spec.node);
    row[SAMPLED_AT] = previous ? previous[SAMPLED_AT]! : 0;
    row[ROUND] = previous ? previous[ROUND]! : -1;
    spec.containers.forEach((c, k) => {
      const i = HEAD + STRIDE * k;
      const before = previous ? this.find(previous, c.name) : -1;
      const slot = before >= 0 ? (previous![before + SLOT] as number) : -1;
      row[i + NAME] = this.names.of(c.name);
      row[i + REQUEST] = c.requestBytes === undefined ? 0 : Math.round(c.requestBytes / PAGE) + 1;
      row[i + RESTARTS] = c.restarts;
      row[i + SLOT] = slot >= 0 ? slot : c.sampled ? this.allocate() : -1;
      row[i + LAST] = before >= 0 ? (previous![before + LAST] as number) : -1;
    });
    // Containers the new spec no longer has (cannot happen to a pod, but a ring must never leak).
    if (previous) {
      for (let i = HEAD; i < previous.length; i += STRIDE) {
        if (this.find(row, previous[i + NAME] as string) < 0 && (previous[i + SLOT] as number) >= 0) this.release(previous[i + SLOT] as number);
      }
    } else this.rows += 1;
    pods.set(spec.name, row);
    return row;
  }

  /** From now on, keep a curve of these containers' memory: they died of it. */
  sampleFrom(row: PodRow, containers: string[]): void {
    for (const name of containers) {
      const i = this.find(row, name);
      if (i >= 0 && (row[i + SLOT] as number) < 0) row[i + SLOT] = this.allocate();
    }
  }

  delete(namespace: string, name: string): void {
    const pods = this.byNamespace.get(namespace);
    const row = pods?.get(name);
    if (!pods || !row) return;
    this.releaseRow(row);
    pods.delete(name);
    this.rows -= 1;
    if (!pods.size) this.byNamespace.delete(namespace);
  }

  /** After a relist: forget the pods it did not show. */
  retain(keep: Set<PodRow>): void {
    for (const [namespace, pods] of this.byNamespace) {
      for (const [name, row] of pods) if (!keep.has(row)) this.delete(namespace, name);
    }
  }

  /** Which pod the row is (its uid's hash): a same-named successor has another. */
  identity(row: PodRow): number {
    return row[UID] as number;
  }

  isPod(row: PodRow, uid: string | undefined): boolean {
    return uid !== undefined && row[UID] === hash(uid);
  }

  node(row: PodRow): string {
    return row[NODE] as string;
  }

  /** When the pod was last sampled (ms), or undefined. */
  sampledAt(row: PodRow): number | undefined {
    const s = row[SAMPLED_AT] as number;
    return s ? (s + EPOCH_S) * 1000 : undefined;
  }

  /** Which poll last listed it (the sampler counts them), or -1. */
  round(row: PodRow): number {
    return row[ROUND] as number;
  }

  /** The container's position in the row, or -1. */
  find(row: PodRow, container: string): number {
    for (let i = HEAD; i < row.length; i += STRIDE) if (row[i + NAME] === container) return i;
    return -1;
  }

  /** Records a container's working set sampled at `atMs`, listed by poll `round` (the caller keeps its curve). */
  record(row: PodRow, index: number, atMs: number, bytes: number, round: number): void {
    row[index + LAST] = Math.round(bytes / PAGE);
    row[SAMPLED_AT] = Math.floor(atMs / 1000) - EPOCH_S;
    row[ROUND] = round;
  }

  /** The container's ring, or -1 for one whose memory is not kept as a curve. */
  slot(row: PodRow, index: number): number {
    return row[index + SLOT] as number;
  }

  restarts(row: PodRow, index: number): number {
    return row[index + RESTARTS] as number;
  }

  container(row: PodRow, index: number): ContainerView {
    const request = row[index + REQUEST] as number;
    const last = row[index + LAST] as number;
    return {
      name: row[index + NAME] as string,
      requestBytes: request ? (request - 1) * PAGE : undefined,
      restarts: row[index + RESTARTS] as number,
      slot: row[index + SLOT] as number,
      lastBytes: last >= 0 ? last * PAGE : undefined,
    };
  }

  *containers(row: PodRow): Generator<ContainerView> {
    for (let i = HEAD; i < row.length; i += STRIDE) yield this.container(row, i);
  }

  /** Every pod with its namespace and name. */
  *all(): Generator<{ namespace: string; name: string; row: PodRow }> {
    for (const [namespace, pods] of this.byNamespace) for (const [name, row] of pods) yield { namespace, name, row };
  }

  /** The same without an object per pod, for passes over all of them. */
  forEach(f: (namespace: string, name: string, row: PodRow) => void): void {
    for (const [namespace, pods] of this.byNamespace) for (const [name, row] of pods) f(namespace, name, row);
  }

  get size(): number {
    return this.rows;
  }

  private releaseRow(row: PodRow): void {
    for (let i = HEAD; i < row.length; i += STRIDE) if ((row[i + SLOT] as number) >= 0) this.release(row[i + SLOT] as number);
  }
}

/**
 * FNV-1a, 30 bits: tells a pod from its same-named successor. A collision (about one replacement in a billion) would let
 * the successor carry its predecessor's curve; a uid would cost 60 bytes a pod.
 */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x3fffffff;
}
