// The forwarder: lead (or stand by), list and watch pods and the events that matter, turn what changed into
// occurrences, and deliver each to the sink — then, on stop, drain and hand the Lease over with the final position.
import type { OccurrenceMemory } from '#shared/envelope.ts';
import type { KubeEvent } from '#shared/k8s-objects.ts';
import { CONTEXT_REASONS, NODE_OOM_REASONS, podUidOf, type Occurrence } from '#shared/occurrences.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';
import { memoryTerminations } from '#shared/terminations.ts';
import type { KubeTransport } from '../kube/rest.ts';
import type { ForwarderConfig } from './config.ts';
import { ContextEvents } from './context-events.ts';
import { DeliveryQueue, type Sink } from './delivery.ts';
import { buildEnvelope, toEntry } from './envelopes.ts';
import { asEvent, asPod } from './kube-shapes.ts';
import { electionPeriods, LeaderElector, type LeadingOutcome, VERSIONS_ANNOTATION } from './lease.ts';
import type { ForwarderMetrics } from './metrics.ts';
import { DEFAULT_WARNING_SETTINGS } from './memory-warning.ts';
import { MemorySampler, type SampledWarning } from './sampler.ts';
import type { Check } from './server.ts';
import { DeliveryPosition, OccurrenceTracker, type SeenAt } from './tracker.ts';
import { trimEvent, trimPod } from './trim.ts';
import { sleep } from './sleep.ts';
import { ListWatch } from './watch.ts';
import type { Logger } from '#shared/log.ts';

export interface ForwarderDeps {
  config: ForwarderConfig;
  api: KubeTransport;
  sink: Sink;
  log: Logger;
  metrics: ForwarderMetrics;
}

/** How long a stop may spend delivering what is queued: inside Kubernetes' default 30 s grace period. */
const DRAIN_MS = 20_000;

export class Forwarder {
  private watches: ListWatch[] = [];
  private leading = false;
  private standingBy = false;
  private started = false;
  private elector: LeaderElector | undefined;
  /** When each watch (by its resource) last failed: it is failing until it hears from the server after that. */
  private readonly watchFailedAt = new Map<string, number>();
  private watchOf = new Map<string, ListWatch>();
  /** Set when this process stopped leading without being asked to (the Lease unrenewed, or taken): when, and why. */
  private steppedDown: { atMs: number; why: string } | undefined;
  // Each term as leader has its own queue, position and context: what a term could not deliver when it stepped down is
  // replayed by whoever leads next, from the position saved on the Lease, and must not hold this process's back.
  private queue: DeliveryQueue;
  private position = new DeliveryPosition();
  private context = new ContextEvents();
  private tracker: OccurrenceTracker | undefined;
  /** The leader's memory sampler (forwarder/sampler.ts), unless OOMBOT_MEMORY_SAMPLING=false. */
  private sampler: MemorySampler | undefined;
  private sampling: Promise<void> | undefined;
  private horizon = 0;
  private moved = false;

  constructor(private readonly d: ForwarderDeps) {
    this.queue = this.newQueue();
  }

  private newQueue(): DeliveryQueue {
    const { d } = this;
    const { metrics, log } = d;
    return new DeliveryQueue(d.sink, {
      log,
      hooks: {
        delivered: (entry) => {
          this.position.delivered(entry.id);
          this.moved = true;
          metrics.lag.observe(Math.max(0, (Date.now() - entry.occurredAtMs) / 1000));
        },
        abandoned: (entry) => {
          this.position.delivered(entry.id);
          metrics.entries.inc({ result: 'abandoned' });
        },
        sent: (n) => metrics.entries.inc({ result: 'sent' }, n),
        failed: (n) => n && metrics.entries.inc({ result: 'failed' }, n),
        retried: (n) => metrics.entries.inc({ result: 'retried' }, n),
      },
    });
  }

  /**
   * Runs until the signal aborts (SIGTERM). Leadership lost — the Lease unrenewed while the API server is away, or
   * taken by another replica — ends a term, never the process: it stands by and leads again once it holds the Lease.
   */
  async run(signal: AbortSignal): Promise<'stopped'> {
    const { config, api, log } = this.d;
    const elector = config.leaderElection ? new LeaderElector(api, { ...config.lease, identity: config.identity, log, ...electionPeriods(config.lease.durationSeconds), annotations: () => ({ [VERSIONS_ANNOTATION]: JSON.stringify(this.currentVersions()) }), moved: () => this.takeMoved() }) : undefined;
    this.elector = elector;
    while (!signal.aborted) {
      const saved = elector ? await elector.acquire(signal, () => (this.standingBy = true)) : undefined;
      if (signal.aborted) break;
      const outcome = await this.lead(signal, elector, saved);
      if (outcome === 'stopped') break;
      this.steppedDown = { atMs: Date.now(), why: outcome === 'taken' ? 'another replica took the Lease' : 'the Lease could not be renewed in time' };
    }
    return 'stopped';
  }

  /** One term as leader, from the position saved on the Lease until the signal aborts or the Lease is lost. */
  private async lead(signal: AbortSignal, elector: LeaderElector | undefined, saved: number | undefined): Promise<LeadingOutcome> {
    const { config, api, log, metrics } = this.d;
    this.standingBy = false;
    this.steppedDown = undefined;
    this.started = false;
    this.queue = this.newQueue();
    this.position = new DeliveryPosition();
    this.context = new ContextEvents();
    this.leading = true;
    metrics.leader.set(1);

    const now = Date.now();
    // Resume from the saved position, but never further back than the replay maximum; a first start looks back a
    // little, so that what happened just before the install is not missed.
    this.horizon = saved !== undefined ? Math.max(saved, now - config.replayMaxMs) : now - config.firstStartLookbackMs;
    log.info('forwarding', { cluster: config.cluster, sink: this.d.sink.name, replayFrom: new Date(this.horizon).toISOString() });
    this.tracker = new OccurrenceTracker(config.cluster, this.horizon);
    // Only the leader samples: it alone watches pods, which tell the sampler whose memory to keep. A standby would
    // double the load on metrics-server for a curve that only helps after a handover; a new leader starts with none.
    if (config.memory.enabled) {
      const { warnHorizonMs, ...memory } = config.memory;
      // Before the kill: the sampler judges each container near its limit after every poll (forwarder/memory-warning.ts).
      const warnings = warnHorizonMs > 0 ? { settings: { ...DEFAULT_WARNING_SETTINGS, horizonMs: warnHorizonMs }, onWarning: (w: SampledWarning) => void this.onWarning(w) } : undefined;
      this.sampler = new MemorySampler({ api, log, metrics, ...memory, namespaces: config.namespaces, inScope: (ns) => this.inScope(ns), ...(warnings ? { warnings } : {}) });
    }
    this.queue.start();

    const stopWatches = new AbortController();
    const stopRenewing = new AbortController();
    this.watches = this.makeWatches();
    // Each watch resumes where the last leader had delivered everything, so that it replays seconds, not minutes.
    const versions = elector?.savedVersions() ?? {};
    for (const w of this.watches) w.resume(versions[w.key]);
    this.started = true;
    const watching = Promise.all(this.watches.map((w) => w.run(stopWatches.signal)));
    if (this.sampler) this.sampling = this.sample(this.sampler, stopWatches.signal);
    const gauge = setInterval(() => {
      metrics.queueDepth.set(this.queue.depth);
      metrics.trackedPods.set(this.tracker?.trackedPods ?? 0);
      if (this.sampler) metrics.memoryRings.set(this.sampler.rings.size);
    }, 1_000);

    // Renewing goes on through the drain below: a replica that stops renewing while it still delivers would let a
    // standby lead beside it.
    const leading: Promise<LeadingOutcome> = elector ? elector.keepLeading(stopRenewing.signal, () => this.currentPosition()) : new Promise<'stopped'>((resolve) => stopRenewing.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    const stopped = new Promise<'stopped'>((resolve) => (signal.aborted ? resolve('stopped') : signal.addEventListener('abort', () => resolve('stopped'), { once: true })));
    const outcome = await Promise.race([leading, stopped]);
    stopWatches.abort();
    this.queue.close();
    // Another replica may lead now, or soon, and replays from the position saved on the Lease, which nothing still
    // queued here has passed: sending it too would only race that replica. So on stepping down nothing more is sent,
    // from now on — not once the watches have stopped, since a list waiting on an unreachable server can take its full
    // time-out — and what was queued is left to whoever leads next: this process too, once it takes the Lease again.
    const dropping = outcome === 'stopped' ? undefined : this.queue.drain(0);
    await watching;
    await this.sampling;
    clearInterval(gauge);
    if (dropping) {
      stopRenewing.abort();
      const dropped = await dropping;
      this.sampler = undefined;
      this.sampling = undefined;
      this.leading = false;
      standingBy(metrics);
      log.warn('stepped down: standing by until the Lease can be taken again; whoever leads next replays from the saved position', { why: outcome, notSent: dropped });
      return outcome;
    }
    const left = await this.queue.drain(DRAIN_MS);
    stopRenewing.abort();
    await leading;
    this.leading = false;
    standingBy(metrics);
    if (left) log.error('stopped with entries undelivered; the next leader replays them from the saved position', { undelivered: left });
    await elector?.release(this.currentPosition());
    log.info('stopped', { undelivered: left });
    return 'stopped';
  }

  /**
   * Sampling starts once every watch has listed: the pods tell the sampler whose memory to keep, and a poll beside the
   * first lists would only slow them.
   */
  private async sample(sampler: MemorySampler, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.watches.every((w) => w.synced)) await sleep(100, signal);
    if (!signal.aborted) await sampler.run(signal);
  }

  /**
   * Everything before this instant has been delivered. Until every watch has listed, that is at most the horizon:
   * pages not yet read may hold what happened while no one was forwarding.
   */
  private currentPosition(): number {
    const observedUntil = Math.min(...this.watches.map((w) => w.lastActivity), Date.now());
    const position = this.position.position(observedUntil);
    return this.watches.every((w) => w.synced) ? position : Math.min(position, this.horizon);
  }

  /** Whether deliveries moved the position since the elector last asked (it then saves it soon). */
  private takeMoved(): boolean {
    const moved = this.moved;
    this.moved = false;
    return moved;
  }

  /** Each watch's resourceVersion up to which everything has been delivered (DeliveryPosition.versions). */
  private currentVersions(): Record<string, string> {
    return this.position.versions(new Map(this.watches.map((w) => [w.key, w.resourceVersion])));
  }

  private makeWatches(): ListWatch[] {
    const { config, api, log, metrics } = this.d;
    const options = (resource: string) => ({
      idleTimeoutMs: config.watchIdleTimeoutMs,
      log,
      onRestart: (reason: 'idle' | 'error') => {
        metrics.watchRestarts.inc({ resource, reason });
        if (reason === 'error') this.watchFailedAt.set(resource, Date.now());
      },
      onGone: () => metrics.watchGone.inc({ resource }),
    });
    const exclude = config.excludeNamespaces.map((ns) => `metadata.namespace!=${ns}`).join(',');
    // The pods the tracker keeps state for that a list still shows: only those, so a list holds nothing per healthy pod
    // and its peak does not grow with the cluster (docs/architecture.md, "Budgets").
    const listed = new Set<string>();
    const pods = new ListWatch(api, '/api/v1/pods', exclude ? { fieldSelector: exclude } : {}, {
      listed: async (item, delivered) => {
        await this.onPod(item, delivered ? 'delivered' : true, pods);
        const uid = (item['metadata'] as { uid?: string } | undefined)?.uid;
        if (uid && this.tracker!.tracks(uid)) listed.add(uid);
      },
      synced: () => {
        this.tracker!.retainPods(listed);
        listed.clear();
        this.sampler?.synced();
      },
      event: async (type, item) => {
        if (type === 'DELETED') {
          const uid = (item['metadata'] as { uid?: string } | undefined)?.uid;
          // A pod deleted right after it died still counts: look at its last state before forgetting it.
          await this.onPod(item, false, pods);
          this.sampler?.deleted(item);
          if (uid) {
            this.tracker!.podDeleted(uid);
            this.context.forget(uid);
          }
          return;
        }
        await this.onPod(item, false, pods);
      },
    }, options('pods'));
    // One watch per reason: field selectors cannot OR, and the server filters far more cheaply than we could.
    const reasons = [...NODE_OOM_REASONS, ...CONTEXT_REASONS];
    const events = reasons.map(
      (reason) => {
        const watch: ListWatch = new ListWatch(api, '/api/v1/events', { fieldSelector: `reason=${reason}` }, {
          listed: (item, delivered) => this.onEvent(item, delivered ? 'delivered' : true, watch),
          synced: () => undefined,
          event: (type, item) => (type === 'DELETED' ? undefined : this.onEvent(item, false, watch)),
        }, options(`events/${reason}`));
        return watch;
      },
    );
    this.watchOf = new Map([['pods', pods], ...events.map((w, i) => [`events/${reasons[i]}`, w] as const)]);
    this.watchFailedAt.clear();
    return [pods, ...events];
  }

  private inScope(namespace: string | undefined): boolean {
    const { namespaces, excludeNamespaces } = this.d.config;
    if (!namespace) return true;
    return (!namespaces || namespaces.includes(namespace)) && !excludeNamespaces.includes(namespace);
  }

  /** `from`: the watch that saw it, whose version the position keeps (DeliveryPosition). */
  private async onPod(raw: Record<string, unknown>, listed: boolean | 'delivered', from: ListWatch): Promise<void> {
    // Every pod tells the sampler its node, requests, limits and restart counts; one that finished is let go once its
    // occurrences have taken its curve.
    this.sampler?.observe(raw, listed !== false);
    try {
      await this.podOccurrences(raw, listed, from);
    } finally {
      this.sampler?.finished(raw);
    }
  }

  private async podOccurrences(raw: Record<string, unknown>, listed: boolean | 'delivered', from: ListWatch): Promise<void> {
    // Most pods never had a container terminate: skip them before the cost of validating the whole object.
    if (!mayHaveOccurrence(raw)) return;
    const parsed = asPod(raw);
    if (!parsed || !this.inScope(parsed.metadata.namespace)) return;
    // A container that died of memory has its curve kept from now on, limit or not.
    this.sampler?.diedOfMemory(parsed, memoryTerminations(parsed).map((t) => t.container));
    const occurrences = this.tracker!.pod(parsed, listed);
    if (!occurrences.length) return;
    const pod = trimPod(parsed);
    // All of them count as in flight before the first may wait for room in the queue: the saved position must not
    // pass the later ones meanwhile.
    const seen = seenAt(from);
    for (const o of occurrences) this.position.started(o.occurrenceId, Date.parse(o.occurredAt), seen);
    for (const o of occurrences) await this.deliver(o, pod);
  }

  private async onEvent(raw: Record<string, unknown>, listed: boolean | 'delivered', from: ListWatch): Promise<void> {
    const parsed = asEvent(raw);
    if (!parsed) return;
    const event = trimEvent(parsed);
    if (event.involvedObject.kind === 'Pod' && !this.inScope(event.involvedObject.namespace)) return;
    if (!isUsefulContext(event)) return;
    this.context.add(event);
    const o = this.tracker!.event(event, listed);
    if (!o) return;
    this.position.started(o.occurrenceId, Date.parse(o.occurredAt), seenAt(from));
    await this.deliver(o, undefined);
  }

  /**
   * A container climbing into its limit (forwarder/memory-warning.ts): its pod is read once (the sampler keeps no spec),
   * and the warning goes out like an occurrence, with its curve. Whether it is posted is the analyzer's choice: only it
   * reads the namespace's and workload's annotations (oombot.io/warn) and the OOMBOT_WARN setting.
   */
  private async onWarning(w: SampledWarning): Promise<void> {
    const { api, config, log } = this.d;
    try {
      const res = await api.get(`/api/v1/namespaces/${encodeURIComponent(w.namespace)}/pods/${encodeURIComponent(w.name)}`);
      const parsed = res.status === 200 ? asPod(res.body) : undefined;
      const uid = parsed?.metadata.uid;
      const row = this.sampler?.pods.get(w.namespace, w.name);
      if (!parsed || !uid || !row || !this.sampler?.pods.isPod(row, uid)) return;
      const { warning } = w;
      const o: Occurrence = {
        kind: 'memory-warning',
        occurrenceId: memoryWarningId(config.cluster, uid, w.container, warning.restarts, warning.limitBytes, warning.climb),
        occurredAt: new Date(warning.atMs).toISOString(),
        node: parsed.spec.nodeName,
        podUid: uid,
        container: w.container,
        warning: {
          restarts: warning.restarts,
          climbStartedAt: new Date(warning.climbStartMs).toISOString(),
          workingSetBytes: warning.workingSetBytes,
          limitBytes: warning.limitBytes,
          bytesPerMinute: warning.bytesPerMinute,
          reachesLimitAt: new Date(warning.reachesLimitAtMs).toISOString(),
        },
      };
      this.position.started(o.occurrenceId, Date.parse(o.occurredAt));
      await this.deliver(o, trimPod(parsed));
    } catch (error) {
      log.warn('cannot send a memory warning', { pod: `${w.namespace}/${w.name}`, container: w.container, error });
    }
  }

  private async deliver(o: Occurrence, pod: ReturnType<typeof trimPod> | undefined): Promise<void> {
    const { config, metrics, log } = this.d;
    metrics.occurrences.inc({ kind: o.kind });
    const own = o.kind === 'node-oom' ? o.event.metadata.uid : undefined;
    const events = this.context.related(podUidOf(o), o.node).filter((e) => e.metadata.uid !== own);
    const build = (memory?: OccurrenceMemory) => toEntry(buildEnvelope(config.cluster, o, pod, events, new Date(), memory), config.source);
    let entry;
    try {
      try {
        const memory = this.sampler?.memoryFor(o, pod);
        entry = build(memory);
      } catch (error) {
        // The curve is a bonus: an occurrence is never lost for it.
        if (!this.sampler) throw error;
        log.warn('cannot attach the memory samples to an occurrence; it goes without them', { occurrenceId: o.occurrenceId, error });
        entry = build();
      }
    } catch (error) {
      // Cannot happen with the last shrink step (a bare envelope); if it ever does, say which occurrence, loudly.
      log.error('cannot build an entry for an occurrence; it is not delivered', { occurrenceId: o.occurrenceId, error });
      metrics.entries.inc({ result: 'abandoned' });
      this.position.delivered(o.occurrenceId);
      return;
    }
    log.info('occurrence', { occurrenceId: o.occurrenceId, kind: o.kind, pod: pod ? `${pod.metadata.namespace}/${pod.metadata.name}` : undefined, container: o.kind === 'container-termination' || o.kind === 'memory-warning' ? o.container : undefined, node: o.node, occurredAt: o.occurredAt });
    await this.queue.enqueue(entry);
  }

  /**
   * For /readyz: leading with every watch listed, or standing by. Not ready, with the reason, while the Lease cannot be
   * reached: leading on until the renew deadline, or stepped down and retrying.
   */
  unready(): string | undefined {
    const trouble = this.elector?.trouble;
    const at = (ms: number) => new Date(ms).toISOString();
    if (trouble && this.leading) return `cannot renew the Lease since ${at(trouble.sinceMs)} (${trouble.error}); still leading, stepping down at ${at(trouble.stepsDownAtMs ?? trouble.sinceMs)} unless a renewal goes through first`;
    const down = this.steppedDown ? `stepped down at ${at(this.steppedDown.atMs)} (${this.steppedDown.why})` : 'starting';
    if (trouble) return `${down}: cannot reach the Lease since ${at(trouble.sinceMs)} (${trouble.error}); retrying`;
    if (this.standingBy) return undefined;
    if (!this.leading) return this.steppedDown ? `${down}: taking the Lease again` : 'starting: not yet leading or standing by';
    const failing = [...this.watchFailedAt].filter(([resource, failedAt]) => failedAt > (this.watchOf.get(resource)?.lastActivity ?? Infinity));
    if (failing.length) return `cannot watch ${failing.map(([resource]) => resource).join(', ')} since ${at(Math.min(...failing.map(([, failedAt]) => failedAt)))}; retrying (the log says why)`;
    const waiting = this.watches.filter((w) => !w.synced).map((w) => w.path);
    return this.started && !waiting.length ? undefined : `still listing: ${waiting.join(', ') || 'starting'}`;
  }

  /** For /readyz?verbose: what does not decide readiness but should be seen — memory sampling. */
  checks(): Check[] {
    if (!this.leading || !this.sampler) return [];
    return [{ name: 'memory-sampling', ...this.sampler.check() }];
  }

  /**
   * For /healthz: only what a restart would fix, never a server that is away. Each attempt to take or renew the Lease
   * is bounded by a request timeout and followed by another within a retry period, failed or not, so while the
   * process is sound they never stop; if none has ended for a minute (four Lease durations if longer), something in
   * this process is stuck. An API server or AWS that does not answer only fails attempts, which /readyz reports.
   */
  unhealthy(): string | undefined {
    if (!this.elector) return undefined;
    const limitMs = Math.max(60_000, 4 * this.d.config.lease.durationSeconds * 1000);
    const sinceMs = Date.now() - this.elector.lastAttemptMs;
    return sinceMs > limitMs ? `stuck: no attempt to take or renew the Lease has ended for ${Math.round(sinceMs / 1000)} s` : undefined;
  }
}

/** A watch's version while its handler runs: the one before the line it is handling. */
function seenAt(watch: ListWatch): SeenAt {
  return { watch: watch.key, version: watch.resourceVersion };
}

function mayHaveOccurrence(raw: Record<string, unknown>): boolean {
  const status = raw['status'] as { reason?: string; containerStatuses?: unknown[]; initContainerStatuses?: unknown[]; ephemeralContainerStatuses?: unknown[] } | undefined;
  if (!status) return false;
  if (status.reason === 'Evicted') return true;
  const any = (list: unknown[] | undefined) =>
    list?.some((s) => {
      const c = s as { state?: { terminated?: unknown }; lastState?: { terminated?: unknown } };
      return !!c.state?.terminated || !!c.lastState?.terminated;
    });
  return !!(any(status.containerStatuses) || any(status.initContainerStatuses) || any(status.ephemeralContainerStatuses));
}

/** Unhealthy events are common (readiness probes); only liveness and startup failures explain a kill. */
function isUsefulContext(e: KubeEvent): boolean {
  if (e.reason === 'Unhealthy') return /^(Liveness|Startup) probe failed/i.test(e.message ?? '');
  return true;
}

/**
 * A replica that no longer leads shows nothing of the term it ran: its queue was handed to the next leader and its
 * sampler stopped. The chart's alert rules and dashboard read these gauges (docs/architecture.md, "Contracts outsiders
 * rely on"); a standby that kept its last queue depth or sampling state would show a second, stale leader.
 */
function standingBy(metrics: ForwarderMetrics): void {
  metrics.leader.set(0);
  metrics.queueDepth.set(0);
  metrics.trackedPods.set(0);
  metrics.memoryRings.set(0);
  metrics.memorySampling.zero();
}
