// The verdict rules (docs/domain.md §7), from what was observed to a cause, a kind, a confidence, the evidence used and
// the evidence missing. Texts for people are written in explain.ts; sizes in recommend.ts.
import type { KubeEvent, Node, Pod } from './k8s-objects.ts';
import { admissionAmount, admissionRefusal, type AdmissionRefusal } from './admission.ts';
import { isMemoryPressureRejection, parseEvictionMessage, parseStorageLimitEviction, evictionFromEventAnnotations, type EvictionMessage, type StorageLimitEviction } from './eviction-message.ts';
import { kubeletPreemption, nodeShutdown, type NodeShutdown } from './kubelet-stops.ts';
import { ignoredNodeOomEvents, isNodeWide, nodeOomSignals, whoseKill, type ContainerIdentity, type IgnoredNodeEvent, type KillAttribution, type NodeOomSignal } from './node-signals.ts';
import { expectedOomScoreAdj, memcgNamesPod } from './kernel-oom.ts';
import { injectedSidecar, type InjectedSidecar } from './injected-sidecar.ts';
import { memoryVolumeEvidence, memoryVolumes, RUNTIME_DEFAULT_SHM_BYTES, shmOf, type Shm } from './memory-volumes.ts';
import { findContainerSpec, nodeMemory, oomScoreRequestBytes, qosClass } from './pod-facts.ts';
import type { Runtime, RuntimeOom } from './runtime-oom.ts';
import { evictedEvent, isPodEvent, killExplanation, type KillExplanation } from './pod-events.ts';
import { formatBytes, tryParseQuantity } from './quantity.ts';
import { signalName, SIGKILL_EXIT, type Termination } from './terminations.ts';
import type { MemoryResources } from './pod-facts.ts';
import { nodeCondition } from './pod-facts.ts';
import type { Cause, Confidence, Kind } from './verdict.ts';
import { clipText } from './clip-text.ts';
import type { UnseenEntry } from './unseen.ts';

export interface Observed {
  pod: Pod;
  container: string;
  termination: Termination | undefined;
  resources: MemoryResources;
  node: Node | undefined;
  nodeName: string | undefined;
  /** undefined: events could not be read. */
  events: KubeEvent[] | undefined;
}

export interface Finding {
  cause: Cause;
  kind: Kind;
  confidence: Confidence;
  evidence: string[];
  /** What the engine looked for and did not have (shared/unseen.ts); a caller's entry for the same source replaces it. */
  unseen: UnseenEntry[];
  usage?: { bytes: number; source: string };
  eviction?: EvictionMessage;
  kill?: KillExplanation;
  nodeSignal?: NodeOomSignal;
  /** For an injected sidecar: the injector whose annotations set its limit. */
  sidecar?: InjectedSidecar;
  /** For shm-full: what backs the full tmpfs. */
  shm?: Shm;
  /** For storage-limit: which ephemeral-storage limit the pod passed. */
  storageLimit?: StorageLimitEviction;
  /** For node-shutdown: whether it was stopped or refused, in the kubelet's words. */
  shutdown?: NodeShutdown;
  /** For not-admitted: what the kubelet's admission said. */
  refusal?: AdmissionRefusal;
}

/** The runtime kinds, by runtime (a closed vocabulary: verdict.ts). */
const RUNTIME_KINDS: Record<Runtime, Kind> = {
  jvm: 'jvm-heap',
  node: 'node-heap',
  dotnet: 'dotnet-heap',
  go: 'go-heap',
  python: 'python-heap',
  php: 'php-heap',
  rust: 'rust-alloc',
};

/** Where a runtime said it ran out, quoted: its termination message, or the lines matched in its log (last-words.ts). */
function runtimeOomEvidence(oom: RuntimeOom): string {
  if (!oom.fromLog) return `termination message: ${quote(oom.line)}`;
  return `from the ${oom.fromLog.run === 'previous' ? 'previous' : 'dead'} container's log: ${oom.fromLog.lines.map(quote).join(' … ')}`;
}

/** How far below its limit a kernel-reported victim must be for the OOM to have come from a parent cgroup. */
const WELL_BELOW_LIMIT = 0.75;
/** A kernel line that does not name the pod's cgroup is taken as this container's only when its size says so. */
const AT_LIMIT = { min: 0.75, max: 1.05 };
/** 128 + SIGTERM(15): how a process that honours the kubelet's stop request exits. */
const SIGTERM_EXIT = 143;

/** An eviction (docs/domain.md §2 and §7 rule 1), or undefined when the pod was not evicted by its kubelet. */
export function evictionFinding(o: Observed): Finding | undefined {
  const { pod } = o;
  const events = o.events ?? [];
  const stopped = kubeletStop(o);
  if (stopped) return stopped;
  const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === 'TerminationByKubelet');
  const event = evictedEvent(events, pod);
  const evicted = pod.status.reason === 'Evicted' || !!condition || !!event;
  if (!evicted) return undefined;

  if (isMemoryPressureRejection(pod.status.message)) {
    return {
      cause: 'node-pressure',
      kind: 'admission-rejected',
      confidence: 'high',
      evidence: [`pod status: ${quote(pod.status.message)}`, ...nodeEvidence(o)],
      unseen: [],
    };
  }
  const texts = [pod.status.message, condition?.message, event?.message];
  const eviction = texts.map(parseEvictionMessage).find(Boolean) ?? evictionFromEventAnnotations(event?.metadata.annotations);
  const evidence = [
    ...(pod.status.reason === 'Evicted' ? [`pod status: reason Evicted, ${quote(pod.status.message)}`] : []),
    ...(condition ? [`condition DisruptionTarget=True (TerminationByKubelet): ${quote(condition.message)}`] : []),
    ...(event ? [`event Evicted (${event.type ?? 'Warning'}): ${quote(event.message)}`] : []),
  ];
  // Its own ephemeral-storage limit, not the node: the kubelet's limit checks evict without any node pressure.
  const storage = texts.map(parseStorageLimitEviction).find(Boolean);
  if (storage) {
    return {
      cause: 'not-oom',
      kind: 'storage-limit',
      confidence: 'high',
      evidence: [...evidence, 'the kubelet evicts a pod whose local disk use (writable layers, logs, emptyDir) passes its ephemeral-storage limit, whatever the node has left', ...nodeEvidence(o)],
      unseen: [],
      eviction: { resource: 'ephemeral-storage', thresholdBytes: undefined, availableBytes: undefined, containers: storage.scope === 'container' ? [{ name: storage.container, usageBytes: undefined, requestBytes: undefined }] : [] },
      storageLimit: storage,
    };
  }
  if (!eviction) {
    return {
      cause: 'node-pressure',
      kind: 'eviction',
      confidence: 'low',
      evidence: [...evidence, ...nodeEvidence(o)],
      unseen: [{ source: 'eviction-message', reason: 'not-reported' }],
    };
  }
  if (eviction.resource !== 'memory') {
    return { cause: 'not-oom', kind: 'other-eviction', confidence: 'high', evidence: [...evidence, ...nodeEvidence(o)], unseen: [], eviction };
  }
  const mine = eviction.containers.find((c) => c.name === o.container);
  if (eviction.thresholdBytes !== undefined && eviction.availableBytes !== undefined) {
    evidence.push(`node memory.available ${formatBytes(eviction.availableBytes)} fell below the ${formatBytes(eviction.thresholdBytes)} eviction threshold`);
  }
  for (const c of eviction.containers) {
    if (c.usageBytes !== undefined) {
      evidence.push(`container ${c.name} was using ${formatBytes(c.usageBytes)} against a ${c.requestBytes !== undefined ? formatBytes(c.requestBytes) : 'missing'} request (kubelet)`);
    }
  }
  return {
    cause: 'node-pressure',
    kind: 'eviction',
    confidence: 'high',
    evidence: [...evidence, ...nodeEvidence(o)],
    unseen: eviction.containers.length ? [] : [{ source: 'eviction-usage', reason: 'not-reported' }],
    eviction,
    ...(mine?.usageBytes !== undefined ? { usage: { bytes: mine.usageBytes, source: 'the kubelet at eviction' } } : {}),
  };
}

/** A container termination that memory could explain (§7 rules 2–4). */
export function terminationFinding(o: Observed, t: Termination): Finding {
  const evidence = [terminationEvidence(t), ...limitEvidence(o)];
  if (t.runtimeOom?.resource === 'threads') {
    // not-oom, though the JVM calls it an OutOfMemoryError: a thread could not start because the pod reached a limit
    // on processes/threads (the pids cgroup, the kubelet's podPidsLimit, ulimit -u), and the cause names who must act
    // and how — a bigger memory limit would not let one more thread start (docs/domain.md §8, "Threads are not heap").
    return {
      cause: 'not-oom',
      kind: 'thread-limit',
      confidence: 'high',
      evidence: [...evidence, runtimeOomEvidence(t.runtimeOom), 'a refused thread start (pthread_create EAGAIN) is a PID/thread limit, not memory'],
      unseen: [],
    };
  }
  if (t.runtimeOom) {
    return {
      cause: 'runtime',
      kind: RUNTIME_KINDS[t.runtimeOom.runtime],
      confidence: 'high',
      evidence: [...evidence, runtimeOomEvidence(t.runtimeOom)],
      unseen: [],
    };
  }
  // Exit 143 right after a liveness or startup probe's Killing: the probe restarted it, and an OOMKilled beside it can
  // be stale (docs/domain.md §7 rule 3's exception).
  if (t.terminated.exitCode === SIGTERM_EXIT && o.events) {
    const kill = killExplanation(o.events, o.pod, o.container, t.terminated.finishedAt ?? undefined);
    if (kill?.kind === 'liveness-probe') return probeKill(o, t, evidence, kill);
  }
  // A full tmpfs fails writes (ENOSPC) or raises SIGBUS; an OOM kill or a SIGKILL says something else happened last.
  if (t.busError && t.terminated.reason !== 'OOMKilled' && t.terminated.exitCode !== SIGKILL_EXIT) return busError(o, t, evidence);
  // Only the kubelet's and node-problem-detector's own events about this node count; look-alikes are named, not used.
  const node = { name: o.nodeName, uid: o.node?.metadata.uid };
  const signals = o.events ? nodeOomSignals(o.events, node, o.pod.metadata.uid, t.terminated.finishedAt ?? undefined) : [];
  evidence.push(...(o.events ? ignoredNodeOomEvents(o.events, node, t.terminated.finishedAt ?? undefined) : []).map((i) => ignoredEvidence(i, o.nodeName)));
  if (t.terminated.reason === 'OOMKilled') return oomKilled(o, t, [...evidence, ...memoryVolumeEvidence(o.pod, o.container, o.resources.limitText)], signals);
  return sigkill(o, t, evidence, signals);
}

function busError(o: Observed, t: Termination, evidence: string[]): Finding {
  const bus = t.busError!;
  const shm: Shm =
    bus.path === '/dev/shm' ? shmOf(o.pod, o.container) : { kind: 'memory-volume', volume: memoryVolumes(o.pod, o.container).find((v) => v.mountPath === bus.path)! };
  const backing =
    shm.kind === 'runtime-default'
      ? `nothing is mounted at /dev/shm: it is the container runtime's default ${formatBytes(RUNTIME_DEFAULT_SHM_BYTES)} tmpfs (containerd, CRI-O)`
      : shm.kind === 'other-volume'
        ? `/dev/shm is volume ${shm.name}, not a memory-backed emptyDir`
        : memoryVolumeEvidence(o.pod, o.container, o.resources.limitText).find((line) => line.includes(` at ${shm.volume.mountPath},`))!;
  const policy = findContainerSpec(o.pod, o.container)?.terminationMessagePolicy;
  return {
    cause: 'not-oom',
    kind: 'shm-full',
    confidence: bus.how === 'message' ? 'high' : 'medium',
    evidence: [
      ...evidence,
      bus.line ? `termination message: ${quote(bus.line)}` : `exit ${t.terminated.exitCode} is SIGBUS, not the OOM killer's SIGKILL`,
      ...(bus.how === 'sigbus' ? ['SIGBUS most often means a write through a memory mapping to a full tmpfs such as /dev/shm (a file truncated under a mapping does it too)'] : []),
      backing,
      `the runtime reported "${t.terminated.reason ?? 'no reason'}", not OOMKilled: the memory cgroup did not kill it`,
    ],
    unseen: bus.how === 'sigbus' && policy !== 'FallbackToLogsOnError' ? [{ source: 'termination-log', reason: 'not-reported' }] : [],
    shm,
  };
}

function oomKilled(o: Observed, t: Termination, evidence: string[], signals: NodeOomSignal[]): Finding {
  const { limitBytes } = o.resources;
  // A node-wide OOM near the kill is evidence of a given strength, not the verdict (docs/domain.md §7 rule 3): whose
  // process it took is read from its own numbers. One that took another container's process leaves a limit kill a limit
  // kill (less sure: several processes can die in one node OOM, and the kubelet's event recorder drops repeats); for a
  // container without a limit, only a parent cgroup can have killed it, so the node OOM stays the likely killer.
  const kills = nodeWideKills(o, signals);
  const nodeWide = kills.find((k) => k.by.whose === 'this') ?? kills.find((k) => k.by.whose === 'unknown') ?? (limitBytes === undefined ? kills[0] : undefined);
  // A kernel line is this container's when its cgroup path names the pod. node-problem-detector's lines rarely carry
  // the path; then the victim's oom_score_adj, which the kubelet derives from the container's QoS and request, tells
  // whose process it was, and failing that its size must fit this limit — never time alone, or another process's
  // kill on a busy node would be blamed on this container.
  const expectedAdj = expectedOomScoreAdj(qosClass(o.pod), oomScoreRequestBytes(o.pod, o.resources.requestBytes), nodeMemory(o.node).capacityBytes);
  const ownKernelLine =
    signals.find((s) => s.source === 'kernel' && s.namesPod) ??
    signals.find((s) => {
      if (s.source !== 'kernel' || !s.kernel || s.kernel.scope === 'node') return false;
      const adj = s.kernel.oomScoreAdj;
      if (adj !== undefined && expectedAdj !== undefined) return Math.abs(adj - expectedAdj) <= 1;
      const rss = s.kernel.anonRssBytes;
      return limitBytes !== undefined && rss !== undefined && rss >= limitBytes * AT_LIMIT.min && rss <= limitBytes * AT_LIMIT.max;
    });
  const otherKernelLines = signals.filter((s) => s.source === 'kernel' && s !== ownKernelLine && s.kernel?.scope !== 'node');
  const unseen = missingNodeSources(o);
  const usage = ownKernelLine?.kernel?.anonRssBytes !== undefined ? { bytes: ownKernelLine.kernel.anonRssBytes, source: `kernel OOM line (anon-rss of ${ownKernelLine.kernel.process ?? 'the victim'})` } : undefined;
  const withUsage = usage ? { usage } : {};
  const unmatched = otherKernelLines.map((s) => `${signalEvidence(s)} — not matched to this container (neither its cgroup, its oom_score_adj nor its size points to it)`);

  if (nodeWide) {
    // Its own process, or a container without a limit and a victim left unnamed: the node OOM is the killer.
    const sure = nodeWide.by.whose === 'this' || (limitBytes === undefined && nodeWide.by.whose === 'unknown' && nodeWide.by.victim === undefined);
    const kernel = nodeWide.by.whose === 'this' ? nodeWide.by.kernel : undefined;
    const rss = kernel?.anonRssBytes !== undefined ? { usage: { bytes: kernel.anonRssBytes, source: `kernel OOM line (anon-rss of ${kernel.process ?? 'the victim'})` } } : withUsage;
    return {
      cause: 'node-pressure',
      kind: 'node-oom',
      confidence: sure ? 'high' : 'medium',
      evidence: [...evidence, ...killEvidence(kills), ...unmatched, ...nodeEvidence(o)],
      unseen,
      nodeSignal: nodeWide.s,
      ...rss,
    };
  }
  if (limitBytes === undefined) {
    // No limit of its own: only the pod, kubepods or node cgroup can have run out (docs/domain.md §3).
    return {
      cause: 'node-pressure',
      kind: 'kubepods-oom',
      confidence: o.events ? 'medium' : 'low',
      evidence: [...evidence, 'the container has no memory limit, so its own cgroup cannot have run out', ...(ownKernelLine ? [signalEvidence(ownKernelLine)] : []), ...nodeEvidence(o)],
      unseen: [...unseen, { source: 'node-oom-event', reason: 'not-reported' }],
      ...withUsage,
    };
  }
  const podLimit = o.resources.pod?.limitBytes;
  if (usage && o.resources.limitScope === 'container' && usage.bytes < limitBytes * WELL_BELOW_LIMIT && podLimit !== undefined) {
    // The pod's own cgroup, bounded by its pod-level limit (KEP-2837), is the nearest parent that can run out; the
    // kernel line's oom_memcg tells when it names a cgroup (the pod's slice itself, not one of its containers).
    const ranOut = ownKernelLine?.kernel?.oomMemcg;
    const podRanOut = ranOut === undefined || isPodCgroup(ranOut, o.pod.metadata.uid);
    if (podRanOut) {
      return {
        cause: 'limit',
        kind: 'pod-limit',
        confidence: ranOut !== undefined ? 'high' : 'medium',
        evidence: [
          ...evidence,
          signalEvidence(ownKernelLine!),
          `the killed process used ${formatBytes(usage.bytes)} (anon-rss), ${Math.round((usage.bytes / limitBytes) * 100)} % of the container's own ${o.resources.limitText} limit: ${ranOut !== undefined ? 'the pod\'s cgroup ran out' : 'a parent cgroup ran out, and the pod-level limit is the nearest one'}`,
          ...nodeEvidence(o),
        ],
        unseen,
        usage,
        nodeSignal: ownKernelLine!,
      };
    }
  }
  if (usage && o.resources.limitScope === 'container' && usage.bytes < limitBytes * WELL_BELOW_LIMIT) {
    return {
      cause: 'node-pressure',
      kind: 'kubepods-oom',
      confidence: ownKernelLine?.namesPod ? 'high' : 'medium',
      evidence: [
        ...evidence,
        signalEvidence(ownKernelLine!),
        `the killed process used ${formatBytes(usage.bytes)} (anon-rss), ${Math.round((usage.bytes / limitBytes) * 100)} % of the container's ${o.resources.limitText} limit: a parent cgroup ran out, not the container's`,
        ...nodeEvidence(o),
      ],
      unseen,
      usage,
      nodeSignal: ownKernelLine!,
    };
  }
  const sidecar = o.resources.limitScope === 'container' ? injectedSidecar(o.pod, o.container) : undefined;
  const kind: Kind = o.resources.limitScope === 'pod' ? 'pod-limit' : sidecar ? 'injected-sidecar' : t.terminated.exitCode === SIGKILL_EXIT ? 'container-limit' : 'child-process';
  const pressure = nodeCondition(o.node, 'MemoryPressure');
  const nodeSeen = !!o.node && !!o.events;
  const confidence: Confidence = pressure?.status === 'True' || kills.length ? 'medium' : nodeSeen ? 'high' : 'medium';
  return {
    cause: 'limit',
    kind,
    confidence,
    evidence: [
      ...evidence,
      ...(t.terminated.exitCode !== SIGKILL_EXIT ? [`reason OOMKilled with exit ${t.terminated.exitCode}: a child process was killed at the limit and PID 1 exited afterwards`] : []),
      ...(sidecar ? [`${o.container} was injected by ${sidecar.injector} (${sidecar.mark}): the injector sets its resources in every new pod`] : []),
      ...(ownKernelLine ? [signalEvidence(ownKernelLine)] : []),
      ...unmatched,
      ...(kills.length
        ? [...killEvidence(kills), "a node-wide OOM took another container's process within 2 min of the kill; several processes can die in one, but none logged was this container's, so its own limit is the likelier killer"]
        : o.events
          ? [`no SystemOOM or node-wide kernel OOM event on node ${o.nodeName ?? '(unknown)'} within 2 min of the kill`]
          : []),
      ...nodeEvidence(o),
    ],
    unseen,
    ...withUsage,
    ...(sidecar ? { sidecar } : {}),
  };
}

/** True when a cgroup path is the pod's own cgroup (its slice or directory is the last element), not a container's. */
function isPodCgroup(path: string, podUid: string | undefined): boolean {
  if (!memcgNamesPod(path, podUid)) return false;
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return memcgNamesPod(last, podUid);
}

function sigkill(o: Observed, t: Termination, evidence: string[], signals: NodeOomSignal[]): Finding {
  const { terminated } = t;
  const unseen = missingNodeSources(o);
  if (terminated.reason === 'ContainerStatusUnknown') {
    return {
      cause: 'not-oom',
      kind: 'status-unknown',
      confidence: 'high',
      evidence: [...evidence, 'ContainerStatusUnknown/137 is written by the kubelet when it cannot find the container on deletion or eviction; no signal was sent'],
      unseen,
    };
  }
  const kill = o.events ? killExplanation(o.events, o.pod, o.container, terminated.finishedAt ?? undefined) : undefined;
  if (kill?.kind === 'liveness-probe') return probeKill(o, t, evidence, kill);
  if (kill) {
    return {
      cause: 'not-oom',
      kind: 'external-kill',
      confidence: kill.event || o.pod.metadata.deletionTimestamp ? 'high' : 'medium',
      evidence: [...evidence, kill.event ? `event ${kill.event.reason}: ${quote(kill.event.message)}` : `pod was ${kill.how}`, ...(o.pod.metadata.deletionTimestamp ? [`pod deletionTimestamp ${o.pod.metadata.deletionTimestamp}`] : [])],
      unseen,
      kill,
    };
  }
  // Old runtimes reported OOM kills as Error/137 (docs/domain.md §1): a kernel line naming this pod settles it.
  const own = signals.find((s) => s.namesPod);
  if (own && own.kernel?.scope !== 'node') {
    return { cause: 'limit', kind: 'container-limit', confidence: 'medium', evidence: [...evidence, signalEvidence(own), 'the runtime did not report OOMKilled, but the kernel killed a process in this pod\'s cgroup'], unseen, nodeSignal: own };
  }
  const kills = nodeWideKills(o, signals);
  const nodeWide = kills.find((k) => k.by.whose === 'this') ?? kills.find((k) => k.by.whose === 'unknown');
  if (nodeWide) {
    return { cause: 'node-pressure', kind: 'node-oom', confidence: 'medium', evidence: [...evidence, ...killEvidence(kills), 'the runtime did not report OOMKilled; a node-wide OOM at the same time is the likely killer'], unseen, nodeSignal: nodeWide.s };
  }
  const runtime = o.node?.status.nodeInfo?.containerRuntimeVersion;
  const lookedFor: UnseenEntry[] = [{ source: 'kernel-log', reason: 'not-reported', ...(terminated.finishedAt ? { detail: terminated.finishedAt } : {}) }];
  if (!runtime) lookedFor.push({ source: 'runtime-version', reason: 'not-reported' });
  return {
    cause: 'unknown',
    kind: 'unexplained-sigkill',
    confidence: 'low',
    evidence: [
      ...evidence,
      `exit ${terminated.exitCode} is SIGKILL; the runtime reported "${terminated.reason ?? 'no reason'}", not OOMKilled`,
      ...(o.events ? ['no probe kill, deletion, preemption or eviction event explains it'] : []),
      ...killEvidence(kills),
      ...(runtime ? [`node runtime ${runtime}`] : []),
    ],
    unseen: [...unseen, ...lookedFor],
  };
}

function probeKill(o: Observed, t: Termination, evidence: string[], kill: Extract<KillExplanation, { kind: 'liveness-probe' }>): Finding {
  const stale =
    t.terminated.exitCode === SIGTERM_EXIT && t.terminated.reason === 'OOMKilled'
      ? [`exit ${SIGTERM_EXIT} is SIGTERM: the kubelet stopped it for the failed ${kill.probe} probe and it exited; the runtime's OOMKilled can be stale (containerd reports it while the cgroup's oom_kill counter is above 0, which also counts a child process killed earlier)`]
      : [];
  return {
    cause: 'not-oom',
    kind: 'liveness-probe',
    confidence: 'high',
    evidence: [...evidence, `event Killing: ${quote(kill.event.message)}${countText(kill.event)}`, ...(kill.failure ? [`event Unhealthy: ${quote(kill.failure.message)}${countText(kill.failure)}`] : []), ...stale],
    unseen: missingNodeSources(o),
    kill,
  };
}

/**
 * Stopped or refused by the kubelet for something the pod's status names and memory does not explain: a graceful
 * node shutdown, an admission refusal (the node's allocatable could not fit it, a node condition other than
 * MemoryPressure, a device), or the kubelet preempting it for a critical pod (kubelet-stops.ts, admission.ts).
 */
function kubeletStop(o: Observed): Finding | undefined {
  const { pod } = o;
  const status = `pod status: phase ${pod.status.phase ?? '(none)'}, reason ${pod.status.reason ?? '(none)'}, ${quote(pod.status.message)}`;
  const shutdown = nodeShutdown(pod);
  if (shutdown) {
    return {
      cause: 'not-oom',
      kind: 'node-shutdown',
      confidence: 'high',
      evidence: [
        pod.status.message ? status : `condition DisruptionTarget=True (TerminationByKubelet): ${quote(shutdown.text)}`,
        shutdown.how === 'stopped'
          ? 'the kubelet stops every pod on a node that is shutting down (graceful node shutdown); a SIGKILL exit then means the grace period ran out, not the OOM killer'
          : 'the kubelet refuses new pods while its node shuts down: nothing ran',
        ...nodeEvidence(o),
      ],
      unseen: [],
      shutdown,
    };
  }
  const refusal = admissionRefusal(pod);
  if (refusal && !isMemoryPressureRejection(pod.status.message)) {
    const r = refusal.insufficient;
    const event = (o.events ?? []).find((e) => isPodEvent(e, pod) && e.reason === refusal.reason);
    return {
      cause: 'not-oom',
      kind: 'not-admitted',
      confidence: 'high',
      evidence: [
        status,
        ...(event ? [`event ${refusal.reason}: ${quote(event.message)}`] : []),
        ...(r ? [`kubelet admission on node ${o.nodeName}: ${admissionAmount(r.resource, r.requested)} ${r.resource} requested, ${admissionAmount(r.resource, r.used)} already requested by the pods admitted there, ${admissionAmount(r.resource, r.capacity)} allocatable`] : []),
        'a pod refused at admission never started a container',
        ...nodeEvidence(o),
      ],
      unseen: [],
      refusal,
    };
  }
  const preempted = kubeletPreemption(pod);
  if (preempted) {
    return {
      cause: 'not-oom',
      kind: 'external-kill',
      confidence: 'high',
      evidence: [status, `the kubelet preempted it: ${quote(preempted)}`],
      unseen: [],
      kill: { kind: 'external-kill', event: undefined, how: 'preempted by the kubelet to admit a critical pod' },
    };
  }
  return undefined;
}

interface NodeWideKill {
  s: NodeOomSignal;
  by: KillAttribution;
}

/** The node-wide OOM kills near this one, each with whose process it took (node-signals.ts whoseKill). */
function nodeWideKills(o: Observed, signals: NodeOomSignal[]): NodeWideKill[] {
  const c: ContainerIdentity = {
    podUid: o.pod.metadata.uid,
    processes: processOfContainer(o),
    oomScoreAdj: expectedOomScoreAdj(qosClass(o.pod), oomScoreRequestBytes(o.pod, o.resources.requestBytes), nodeMemory(o.node).capacityBytes),
    limitBytes: o.resources.limitBytes,
  };
  return signals.filter(isNodeWide).map((s) => ({ s, by: whoseKill(s, signals, c) }));
}

/** Each node-wide kill's event, then whose process it took and why (once for a SystemOOM and its kernel line). */
function killEvidence(kills: NodeWideKill[]): string[] {
  const whose = { this: "it took this container's process", other: "it took another container's process", unknown: 'whose process it took is not known' };
  return [...new Set([...kills.map((k) => signalEvidence(k.s)), ...kills.map((k) => `${whose[k.by.whose]}: ${k.by.why}`)])];
}

function ignoredEvidence(i: IgnoredNodeEvent, nodeName: string | undefined): string {
  return `not counted: a ${i.event.reason === 'OOMKilling' ? 'kernel OOM' : 'SystemOOM'} event about node ${nodeName}, because ${i.why} (only the kubelet's and node-problem-detector's own events in namespace default count)`;
}

/** Process names this container may run: the basenames in its command and args, and its image's name. */
function processOfContainer(o: Observed): string[] {
  const spec = findContainerSpec(o.pod, o.container);
  const words = [...(spec?.command ?? []), ...(spec?.args ?? [])].map((w) => w.split('/').pop() ?? w);
  const image = spec?.image?.split('/').pop()?.split(/[:@]/)[0];
  return [...words, ...(image ? [image] : []), o.container];
}

export function terminationEvidence(t: Termination): string {
  const { terminated } = t;
  const where = t.state === 'current' ? 'state.terminated' : 'lastState.terminated';
  // The kubelet's synthetic ContainerStatusUnknown/137 was no signal at all (docs/domain.md §1).
  const signal = terminated.reason === 'ContainerStatusUnknown' ? undefined : signalName(terminated.exitCode);
  const type = t.containerType === 'container' ? 'container' : `${t.containerType} container`;
  return `${type} ${t.container}: ${where} reason ${terminated.reason ?? '(none)'}, exit ${terminated.exitCode}${signal ? ` (${signal})` : ''}${terminated.finishedAt ? ` at ${terminated.finishedAt}` : ''}, ${t.restartCount} restart${t.restartCount === 1 ? '' : 's'}`;
}

function limitEvidence(o: Observed): string[] {
  const r = o.resources;
  const pod = r.pod;
  const podLevel = pod ? `pod-level memory limit ${pod.limitText ?? 'none'}, request ${pod.requestText ?? 'none'} (spec.resources)` : undefined;
  if (r.limitScope === 'pod') {
    return [`no memory limit of its own, request ${r.requestText ?? 'none'} (pod spec); the ${podLevel} bounds it and the pod's other containers together`];
  }
  return [`memory limit ${r.limitText ?? 'none'}, request ${r.requestText ?? 'none'} (pod spec)`, ...(podLevel ? [`${podLevel}, shared by all its containers`] : [])];
}

function nodeEvidence(o: Observed): string[] {
  if (!o.node) return [];
  const pressure = nodeCondition(o.node, 'MemoryPressure');
  const alloc = o.node.status.allocatable?.['memory'];
  const details = [
    alloc !== undefined ? `allocatable ${forPeople(alloc)}` : undefined,
    pressure ? `MemoryPressure=${pressure.status}${pressure.lastTransitionTime ? ` since ${pressure.lastTransitionTime}` : ''}` : undefined,
  ].filter(Boolean);
  return [`node ${o.nodeName}${details.length ? `: ${details.join(', ')}` : ''}`];
}

/** A node quantity in the largest unit ("14.5Gi", not "15207124Ki"): context, where one decimal is enough. */
function forPeople(q: string | number): string {
  const bytes = tryParseQuantity(q);
  return bytes === undefined ? String(q) : formatBytes(bytes);
}

/** The engine's own entries for a source it was not given; a caller's entry for the same source replaces them. */
function missingNodeSources(o: Observed): UnseenEntry[] {
  const unseen: UnseenEntry[] = [];
  if (!o.node) unseen.push({ source: 'node', reason: 'not-given' });
  if (!o.events) unseen.push({ source: 'events', reason: 'not-given' });
  return unseen;
}

function signalEvidence(s: NodeOomSignal): string {
  const prefix = s.source === 'SystemOOM' ? 'event SystemOOM on the node' : `event ${s.event.reason ?? 'OOMKilling'} (kernel)`;
  return `${prefix}: ${quote(s.event.message)}`;
}

function countText(e: KubeEvent): string {
  const count = e.series?.count ?? e.count;
  return count && count > 1 ? ` (${count}×)` : '';
}

export function quote(text: string | undefined): string {
  const t = (text ?? '').trim();
  return `"${clipText(t, 300, '...')}"`;
}
