// Each container's recent memory, kept by the leading forwarder so that the envelope of a memory death carries the
// curve up to it (docs/domain.md §14): every interval, one list of metrics.k8s.io pod metrics (or one per watched
// namespace), of which it keeps, in a bounded ring per container, the samples of containers with a memory limit or that
// died of memory before, and of every other container only the last one, for the node's top users. The pods come from
// the forwarder's own pod watch, which already sees every spec and termination: the sampler asks the API for nothing
// else. Without metrics.k8s.io (404) or without the right to read it (403) nothing else changes: it says so once, in
// the log, in /readyz?verbose and in a metric, and asks again every few minutes.
import type { KubeResponse, KubeTransport } from '../kube/rest.ts';
import { statusMessage } from '../kube/rest.ts';
import type { NodeMemoryUser, OccurrenceMemory } from '#shared/envelope.ts';
import { MAX_NODE_MEMORY_USERS } from '#shared/envelope-constants.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import type { Logger } from '#shared/log.ts';
import type { EncodedSeries, MemorySeries } from '#shared/memory-series.ts';
import { encodeSeries } from '#shared/memory-series-codec.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { tryParseQuantity } from '#shared/quantity.ts';
import { ListItems } from './list-items.ts';
import { hasFinished, podRef, podSpecView } from './memory-pod-view.ts';
import { MemoryPods, type PodRow } from './memory-pods.ts';
import { MemoryRings } from './memory-rings.ts';
import { idleClimb, stepWarning, type ClimbState, type MemoryWarning, type WarningSettings } from './memory-warning.ts';
import type { ForwarderMetrics } from './metrics.ts';
import { nextPollAt, type PollResult } from './poll-schedule.ts';
import { sleep as realSleep } from './sleep.ts';

export const POD_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1';

/** metrics-server answers 10,000 pods in about a second; a poll that takes this long is a failed one. */
const POLL_TIMEOUT_MS = 15_000;

export type SamplingState = 'starting' | 'sampling' | 'absent' | 'forbidden' | 'failing';
const STATES: SamplingState[] = ['starting', 'sampling', 'absent', 'forbidden', 'failing'];
const STATE_OF: Record<PollResult, SamplingState> = { ok: 'sampling', absent: 'absent', forbidden: 'forbidden', failed: 'failing' };

export interface SamplerOptions {
  api: KubeTransport;
  log: Logger;
  metrics: ForwarderMetrics;
  intervalMs: number;
  windowMs: number;
  /** How long a missing or forbidden metrics.k8s.io is left alone before it is asked again. */
  retryMs: number;
  /** Namespace-scoped: one list per namespace instead of one for the cluster. */
  namespaces: string[] | undefined;
  inScope: (namespace: string) => boolean;
  /** metrics-server ignores `limit` and answers whole lists; a server that pages is followed. */
  pageSize?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Before the kill (forwarder/memory-warning.ts): its settings, and who hears a warning. Without it, none is given. */
  warnings?: { settings: WarningSettings; onWarning: (w: SampledWarning) => void };
}

/** A container climbing into its limit, as the sampler saw it: the pod by name (the forwarder reads it), and its curve. */
export interface SampledWarning {
  namespace: string;
  name: string;
  container: string;
  warning: MemoryWarning;
}

export interface PollOutcome {
  result: PollResult;
  /** The API server's message, for a poll that did not reach the samples. */
  detail?: string;
  status?: number;
}

type Raw = Record<string, unknown>;

export class MemorySampler {
  readonly rings: MemoryRings;
  readonly pods: MemoryPods;
  private current: SamplingState = 'starting';
  private last: PollOutcome | undefined;
  private listing = new Set<PodRow>();
  private round = 0;
  private tops = new Map<string, { users: NodeMemoryUser[]; atMs: number }>();
  private topsRound = -1;
  /** Each ring's container's memory limit in bytes (0: none), set from the pod watch. */
  private readonly limits: number[] = [];
  /** The climb of each container near its limit or warned about (forwarder/memory-warning.ts), by namespace/pod/container. */
  private readonly climbs = new Map<string, { pod: number; state: ClimbState }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly o: SamplerOptions) {
    this.rings = new MemoryRings(Math.ceil(o.windowMs / o.intervalMs));
    this.pods = new MemoryPods(
      () => {
        const slot = this.rings.allocate();
        this.limits[slot] = 0;
        return slot;
      },
      (slot) => this.rings.release(slot),
    );
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.setGauge();
  }

  get state(): SamplingState {
    return this.current;
  }

  /** A pod from the watch (or a list, `listed`): its node, requests, limits and restart counts as they are now. */
  observe(raw: Raw, listed = false): void {
    const ref = podRef(raw);
    if (!ref || !this.o.inScope(ref.namespace)) return;
    // A pod that finished is kept only if known, until its occurrences are built (finished()).
    if (hasFinished(raw) && !this.pods.get(ref.namespace, ref.name)) return;
    const view = podSpecView(raw);
    if (!view) return;
    const row = this.pods.set(view);
    if (listed) this.listing.add(row);
    for (const c of view.containers) {
      const i = this.pods.find(row, c.name);
      const slot = i >= 0 ? this.pods.slot(row, i) : -1;
      if (slot >= 0) this.limits[slot] = c.limitBytes ?? 0;
    }
  }

  /** These containers died of memory: keep their curve from now on, limit or not. */
  diedOfMemory(pod: Pod, containers: string[]): void {
    const { namespace, name, uid } = pod.metadata;
    const row = namespace && name ? this.pods.get(namespace, name) : undefined;
    if (row && this.pods.isPod(row, uid) && containers.length) this.pods.sampleFrom(row, containers);
  }

  /** After its occurrences were built: a pod that finished will not be sampled again. */
  finished(raw: Raw): void {
    const ref = podRef(raw);
    if (ref && hasFinished(raw)) this.forget(ref);
  }

  deleted(raw: Raw): void {
    const ref = podRef(raw);
    if (ref) this.forget(ref);
  }

  private forget(ref: { namespace: string; name: string; uid: string | undefined }): void {
    const row = this.pods.get(ref.namespace, ref.name);
    if (row && (ref.uid === undefined || this.pods.isPod(row, ref.uid))) this.pods.delete(ref.namespace, ref.name);
  }

  /** A (re)list of pods is complete: pods it did not show are gone. */
  synced(): void {
    this.pods.retain(this.listing);
    this.listing = new Set();
  }

  /** Polls until the signal aborts, every interval, or every retry period while the API is missing or forbidden. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.now();
      const cpu = process.cpuUsage();
      // A stop does not wait for a poll in flight: the forwarder's drain on SIGTERM has 20 s in all.
      const outcome = await unlessAborted(
        // Whatever a poll throws is a failed poll: sampling must never take the forwarder down.
        this.poll(signal).catch((error: unknown): PollOutcome => ({ result: 'failed', detail: error instanceof Error ? error.message : String(error) })),
        signal,
      );
      if (!outcome || signal.aborted) return;
      const used = process.cpuUsage(cpu);
      const finished = this.now();
      this.o.metrics.memoryPollCpu.inc((used.user + used.system) / 1e6);
      this.o.metrics.memoryPollDuration.observe((finished - started) / 1000);
      this.o.metrics.memoryPolls.inc({ result: outcome.result });
      this.o.metrics.memoryRings.set(this.rings.size);
      this.settle(outcome);
      if (outcome.result === 'ok') {
        // Counted apart from the poll's: the check grows with the containers near their limits, the poll with all pods.
        const judging = process.cpuUsage();
        this.warn();
        const judged = process.cpuUsage(judging);
        this.o.metrics.memoryWarnCpu.inc((judged.user + judged.system) / 1e6);
      }
      await this.sleep(Math.max(0, nextPollAt(outcome.result, started, finished, this.o) - this.now()), signal);
    }
  }

  /** One round: every page of the cluster's pod metrics (or each watched namespace's). */
  async poll(signal: AbortSignal): Promise<PollOutcome> {
    const paths = this.o.namespaces
      ? this.o.namespaces.map((ns) => `${POD_METRICS_PATH}/namespaces/${encodeURIComponent(ns)}/pods`)
      : [`${POD_METRICS_PATH}/pods`];
    for (const path of paths) {
      let next: string | undefined;
      do {
        const query = new URLSearchParams({ limit: String(this.o.pageSize ?? 500), ...(next ? { continue: next } : {}) });
        let res;
        let list: { metadata?: { continue?: unknown } } | undefined;
        try {
          ({ res, list } = await this.page(`${path}?${query.toString()}`));
        } catch (error) {
          return { result: 'failed', detail: error instanceof Error ? error.message : String(error) };
        }
        if (signal.aborted) return { result: 'ok' };
        if (res.status === 404) return { result: 'absent', status: 404, detail: statusMessage(res) };
        if (res.status === 403) return { result: 'forbidden', status: 403, detail: statusMessage(res) };
        if (res.status !== 200) return { result: 'failed', status: res.status, detail: statusMessage(res) };
        const cont = list?.metadata?.continue;
        next = typeof cont === 'string' && cont ? cont : undefined;
      } while (next && !signal.aborted);
    }
    this.round += 1;
    return { result: 'ok' };
  }

  /**
   * One page, its items recorded as they arrive where the transport can hand the body over in pieces
   * (forwarder/list-items.ts), else read whole.
   */
  private async page(path: string): Promise<{ res: KubeResponse; list?: { metadata?: { continue?: unknown } } }> {
    const at = this.now();
    if (this.o.api.read) {
      const items = new ListItems((item) => this.record(item, at));
      const res = await this.o.api.read(path, { onChunk: (text) => items.write(text), timeoutMs: POLL_TIMEOUT_MS });
      return res.status === 200 ? { res, list: items.end() } : { res };
    }
    const res = await this.o.api.get(path, { timeoutMs: POLL_TIMEOUT_MS });
    const body = res.body as { items?: unknown; metadata?: { continue?: unknown } } | undefined;
    if (res.status === 200 && Array.isArray(body?.items)) for (const item of body.items as unknown[]) this.record(item, at);
    return { res, list: body ?? {} };
  }

  /** A PodMetrics (metrics-server pkg/api/pod.go): each container's working set at the pod's `timestamp`. */
  private record(item: unknown, fallback: number): void {
    const raw = item as { metadata?: { namespace?: unknown; name?: unknown }; timestamp?: unknown; containers?: unknown };
    const namespace = raw?.metadata?.namespace;
    const name = raw?.metadata?.name;
    if (typeof namespace !== 'string' || typeof name !== 'string' || !this.o.inScope(namespace)) return;
    const row = this.pods.get(namespace, name);
    if (!row || !Array.isArray(raw.containers)) return;
    const stamped = typeof raw.timestamp === 'string' ? Date.parse(raw.timestamp) : NaN;
    const atMs = Number.isNaN(stamped) ? fallback : stamped;
    for (const c of raw.containers as { name?: unknown; usage?: { memory?: unknown } }[]) {
      if (typeof c?.name !== 'string') continue;
      const i = this.pods.find(row, c.name);
      const bytes = typeof c.usage?.memory === 'string' ? tryParseQuantity(c.usage.memory) : undefined;
      if (i < 0 || bytes === undefined || bytes < 0) continue;
      this.pods.record(row, i, atMs, bytes, this.round);
      const slot = this.pods.slot(row, i);
      if (slot >= 0) this.rings.push(slot, atMs, bytes, this.pods.restarts(row, i));
    }
  }

  /**
   * After a poll: every container near its limit, or whose climb is remembered, judged again (forwarder/memory-warning.ts);
   * only those few have their recent samples read. A warning goes to `onWarning`; its envelope's curve is memoryFor's.
   */
  warn(): void {
    const w = this.o.warnings;
    if (!w) return;
    const { settings, onWarning } = w;
    const seen = new Set<string>();
    const found: SampledWarning[] = [];
    this.pods.forEach((namespace, name, row) => {
      const at = this.pods.sampledAt(row);
      if (at === undefined) return;
      for (const c of this.pods.containers(row)) {
        const limit = c.slot >= 0 ? (this.limits[c.slot] ?? 0) : 0;
        if (!limit || c.lastBytes === undefined) continue;
        const key = `${namespace}\u0000${name}\u0000${c.name}`;
        const kept = this.climbs.get(key);
        const previous = kept && kept.pod === this.pods.identity(row) ? kept.state : undefined;
        if (!previous && c.lastBytes < settings.nearFraction * limit) continue;
        seen.add(key);
        const step = stepWarning(previous, this.rings.samples(c.slot, at - settings.fitSpanMs), limit, settings);
        if (idleClimb(step.state)) this.climbs.delete(key);
        else this.climbs.set(key, { pod: this.pods.identity(row), state: step.state });
        if (step.warning) found.push({ namespace, name, container: c.name, warning: step.warning });
      }
    });
    for (const key of this.climbs.keys()) if (!seen.has(key)) this.climbs.delete(key);
    for (const f of found) onWarning(f);
  }

  private settle(outcome: PollOutcome): void {
    const before = this.current;
    this.current = STATE_OF[outcome.result];
    this.last = outcome;
    this.setGauge();
    if (this.current === before) return;
    const { log } = this.o;
    const every = formatDuration(this.o.retryMs);
    switch (this.current) {
      case 'sampling':
        log.info('sampling memory from metrics.k8s.io', { every: formatDuration(this.o.intervalMs), window: formatDuration(this.o.windowMs), containers: this.rings.size });
        return;
      case 'absent':
        // Info, not a warning: many clusters run without metrics-server, and everything else works.
        log.info(`memory sampling off: metrics.k8s.io is not served by this cluster; occurrences are forwarded without memory curves, and it is asked again every ${every}`, { status: outcome.status, detail: outcome.detail });
        return;
      case 'forbidden':
        log.warn(`memory sampling off: not allowed to list pods.metrics.k8s.io (grant get and list on it, as the chart's ClusterRole does); occurrences are forwarded without memory curves, and it is asked again every ${every}`, { status: outcome.status, detail: outcome.detail });
        return;
      case 'failing':
        log.warn('memory sampling failed; trying again at the next poll', { status: outcome.status, detail: outcome.detail });
        return;
    }
  }

  private setGauge(): void {
    for (const s of STATES) this.o.metrics.memorySampling.set({ state: s }, s === this.current ? 1 : 0);
  }

  /** For /readyz?verbose: what sampling is doing, and whether that is all right (it never makes the forwarder unready). */
  check(): { ok: boolean; detail: string } {
    const every = formatDuration(this.o.retryMs);
    const detail = this.last?.detail ? `: ${this.last.detail}` : '';
    switch (this.current) {
      case 'starting':
        return { ok: true, detail: 'memory sampling starts once pods are listed' };
      case 'sampling':
        return { ok: true, detail: `memory of ${this.rings.size} containers, every ${formatDuration(this.o.intervalMs)} over ${formatDuration(this.o.windowMs)}` };
      case 'absent':
        return { ok: false, detail: `memory sampling off: metrics.k8s.io is not served by this cluster (HTTP 404); install metrics-server to keep each container's memory before a kill; asked again every ${every}` };
      case 'forbidden':
        return { ok: false, detail: `memory sampling off: listing pods.metrics.k8s.io is forbidden (HTTP 403)${detail}; grant get and list on pods.metrics.k8s.io; asked again every ${every}` };
      case 'failing':
        return { ok: false, detail: `memory sampling failing${this.last?.status ? ` (HTTP ${this.last.status})` : ''}${detail}; trying again every ${formatDuration(this.o.intervalMs)}` };
    }
  }

  /**
   * What the envelope of this occurrence carries (shared/envelope.ts, version 2), or undefined when there is nothing:
   * for a container's termination its curve up to the kill, for an eviction the evicted pod's biggest sampled
   * container's; and for all three kinds the node's top memory users at the last sample, which tell who pushed a node
   * over — a container OOM-killed far below its own limit was killed for the node (docs/domain.md §2).
   */
  memoryFor(o: Occurrence, pod: Pod | undefined): OccurrenceMemory | undefined {
    const memory: OccurrenceMemory = {};
    const atMs = Math.floor(Date.parse(o.occurredAt) / 1000) * 1000;
    if (pod && !Number.isNaN(atMs)) {
      const container = o.kind === 'container-termination' || o.kind === 'memory-warning' ? o.container : o.kind === 'pod-eviction' ? this.biggest(pod) : undefined;
      // A warning's curve leads up to now, not to a kill.
      const series = container ? this.seriesOf(pod, container, atMs, o.kind !== 'memory-warning') : undefined;
      if (series) memory.series = series;
    }
    const top = o.node && o.kind !== 'memory-warning' ? this.nodeTop(o.node) : undefined;
    if (top?.users.length) {
      memory.nodeTop = top.users;
      memory.nodeSampledAt = new Date(top.atMs).toISOString();
    }
    return memory.series || memory.nodeTop ? memory : undefined;
  }

  private rowOf(pod: Pod): PodRow | undefined {
    const { namespace, name, uid } = pod.metadata;
    const row = namespace && name ? this.pods.get(namespace, name) : undefined;
    return row && this.pods.isPod(row, uid) ? row : undefined;
  }

  /** The pod's sampled container that used most at its last sample. */
  private biggest(pod: Pod): string | undefined {
    const row = this.rowOf(pod);
    if (!row) return undefined;
    let best: { name: string; bytes: number } | undefined;
    for (const c of this.pods.containers(row)) {
      const bytes = c.slot >= 0 ? this.rings.latestBytes(c.slot) : undefined;
      if (bytes !== undefined && (!best || bytes > best.bytes)) best = { name: c.name, bytes };
    }
    return best?.name;
  }

  /** The container's samples up to the kill (or a warning), within the window, with its limit and request from the spec. */
  private seriesOf(pod: Pod, container: string, killedAt: number, killed = true): EncodedSeries | undefined {
    const row = this.rowOf(pod);
    const i = row ? this.pods.find(row, container) : -1;
    const slot = row && i >= 0 ? this.pods.slot(row, i) : -1;
    if (slot < 0) return undefined;
    const samples = this.rings.samples(slot, killedAt - this.o.windowMs, killedAt);
    if (!samples.length) return undefined;
    const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === container);
    const limit = tryParseQuantity(spec?.resources?.limits?.['memory']) ?? tryParseQuantity(pod.spec.resources?.limits?.['memory']);
    const request = tryParseQuantity(spec?.resources?.requests?.['memory']);
    const series: MemorySeries = { container, samples, ...(killed ? { killedAt } : {}) };
    if (limit !== undefined && limit > 0) series.limitBytes = limit;
    if (request !== undefined && request >= 0) series.requestBytes = request;
    return encodeSeries(series);
  }

  /**
   * The node's biggest memory users at the last poll that saw it: by working set above request, biggest first (a
   * container without a request counts whole). That is the kubelet's own order for eviction, less priority (docs/
   * domain.md §2): who used most beyond what they asked for is who pushed the node over. Every node's are found in one
   * pass over the pods, once per poll round and only when an occurrence asks: an eviction storm costs one pass.
   */
  private nodeTop(node: string): { users: NodeMemoryUser[]; atMs: number } | undefined {
    if (this.topsRound !== this.round) {
      this.tops = this.allNodeTops();
      this.topsRound = this.round;
    }
    return this.tops.get(node);
  }

  private allNodeTops(): Map<string, { users: NodeMemoryUser[]; atMs: number }> {
    type Candidate = NodeMemoryUser & { above: number };
    const byNode = new Map<string, { round: number; atMs: number; users: Candidate[] }>();
    const byAbove = (a: Candidate, b: Candidate) => b.above - a.above || b.workingSetBytes - a.workingSetBytes;
    this.pods.forEach((namespace, name, row) => {
      const round = this.pods.round(row);
      if (round < 0) return;
      const node = this.pods.node(row);
      let top = byNode.get(node);
      // Only what the last poll that saw the node listed: metrics-server leaves out what it no longer measures.
      if (!top || round > top.round) byNode.set(node, (top = { round, atMs: 0, users: [] }));
      else if (round < top.round) return;
      top.atMs = Math.max(top.atMs, this.pods.sampledAt(row) ?? 0);
      for (const c of this.pods.containers(row)) {
        if (c.lastBytes === undefined) continue;
        top.users.push({ namespace, pod: name, container: c.name, workingSetBytes: c.lastBytes, ...(c.requestBytes !== undefined ? { requestBytes: c.requestBytes } : {}), above: c.lastBytes - (c.requestBytes ?? 0) });
      }
      if (top.users.length > 4 * MAX_NODE_MEMORY_USERS) top.users = top.users.sort(byAbove).slice(0, MAX_NODE_MEMORY_USERS);
    });
    const tops = new Map<string, { users: NodeMemoryUser[]; atMs: number }>();
    for (const [node, top] of byNode) {
      tops.set(node, { users: top.users.sort(byAbove).slice(0, MAX_NODE_MEMORY_USERS).map(({ above: _above, ...u }) => u), atMs: top.atMs });
    }
    return tops;
  }
}

/** 30000 → "30s", 300000 → "5m": as the settings are written. */
function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** What `work` resolves to, or undefined as soon as the signal aborts (the work goes on, unheard). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
