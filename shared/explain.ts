// The words: a header that answers "what and why" in under 150 characters, one sentence that says whose problem it is
// (the code's or the node's), and one action, sized (docs/alert-style.md).
import type { Finding, Observed } from './findings.ts';
import type { SettingAtLimit } from './limit-settings.ts';
import { memoryVolumes, RUNTIME_DEFAULT_SHM_BYTES, volumeShort } from './memory-volumes.ts';
import { formatBytes, MiB } from './quantity.ts';
import { roundUpToStep } from './recommend-limit.ts';
import { phpSize, RUNTIME_NAMES, type RuntimeAdvice } from './runtime-advice.ts';
import type { Sizing } from './recommend-limit.ts';
import { admissionAmount } from './admission.ts';
import { nodeCondition, type Workload } from './pod-facts.ts';
import { clipText, headOf } from './clip-text.ts';
import type { CurveSizing } from './curve-recommend.ts';
import { minutes, rateText, type Curve } from './memory-curve.ts';
import { aboveRequestText, type AboveRequest } from './node-top.ts';

export interface Case extends Observed {
  finding: Finding;
  workload: Workload | undefined;
  /** Sized from the curve where there were samples (curve-recommend.ts): then it says what the new limit buys. */
  limitSizing: (Sizing & Partial<Pick<CurveSizing, 'buysTime'>>) | undefined;
  requestSizing: Sizing | undefined;
  runtime: RuntimeAdvice | undefined;
  allocatableBytes: number | undefined;
  /** Memory settings that decided a limit kill (limit-settings.ts). */
  settings: SettingAtLimit[];
  /** What the container's memory did before the death, where the forwarder sampled it (docs/domain.md §14). */
  curve?: Curve | undefined;
  /** For node pressure: the node's users most above their requests at the last sample (node-top.ts). */
  above?: AboveRequest[] | undefined;
}

export interface Explanation {
  headline: string;
  summary: string;
  action: string;
}

export function explain(c: Case): Explanation {
  const { finding: f } = c;
  const who = c.workload ? `${c.workload.name} › ${c.container}` : `${c.pod.metadata.name} › ${c.container}`;
  const pod = c.pod.metadata.name ?? 'the pod';
  const node = c.nodeName ?? 'its node';
  const limit = c.resources.limitText;
  const exit = c.termination?.terminated.exitCode;
  // Long object names give way before the clause does: a header cut mid-sentence no longer says why.
  const names = [c.workload?.name, c.pod.metadata.name, c.container, c.nodeName].filter((n): n is string => !!n);
  const e = (headline: string, summary: string, action: string): Explanation => ({ headline: fitHeadline(headline, names), summary, action });

  switch (f.kind) {
    case 'container-limit':
      return e(
        `${who} was OOMKilled at its ${limit} memory limit`,
        `The container used all the memory it is allowed${nodeWasFine(c)}.`,
        `${beforeRaising(c)}${limitAction(c)}`,
      );
    case 'child-process':
      return e(
        `${who}: a child process was OOM-killed at the ${limit} memory limit`,
        `A process inside the container (not its main process, which exited ${exit} afterwards) ran out of the container's memory${nodeWasFine(c)}.`,
        `${beforeRaising(c)}Raise the limit${sized(c.limitSizing)} if the workers need it, or cap how many worker processes start and how much each may use.`,
      );
    case 'pod-limit': {
      const own = c.resources.limitScope === 'container' ? `, below its own ${limit} limit` : '';
      const podLimit = c.resources.pod?.limitText ?? limit;
      return e(
        `${who} was OOM-killed at the pod's ${podLimit} memory limit${own}`,
        `The pod-level limit (spec.resources) bounds all of ${pod}'s containers together, and together they used all of it${nodeWasFine(c)}.`,
        `${beforeRaising(c)}If load grew, raise the pod-level limit (spec.resources.limits.memory, not a container's)${sized(c.limitSizing)}; or find which container grew (kubectl top pod --containers).`,
      );
    }
    case 'injected-sidecar': {
      const s = f.sidecar!;
      const value = c.limitSizing?.quantity;
      return e(
        `${who}, ${s.injector}'s injected sidecar, was OOMKilled at its ${limit} memory limit`,
        `The sidecar used all the memory its injector gave it${nodeWasFine(c)}; ${s.injector} sets its resources in each new pod, so the workload template does not hold them.`,
        `Set annotation \`${s.limitAnnotation}${value ? `: "${value}"` : ''}\` on the workload's pod template${value ? ` (${c.limitSizing!.short})` : ''}, or ${s.defaults}; a patch to the container in the template does not stick.${s.injector === 'Istio' ? ' A proxy that grows with the mesh holds config for every service: a Sidecar resource that narrows what it sees cuts its memory.' : ''}`,
      );
    }
    case 'eviction': {
      const usage = f.usage ? ` and \`${c.container}\` was using ${formatBytes(f.usage.bytes)} against a ${c.resources.requestText ?? 'zero'} request, so the kubelet evicted it first` : '';
      const threshold = f.eviction?.thresholdBytes !== undefined ? ` below the ${formatBytes(f.eviction.thresholdBytes)} eviction threshold${f.eviction.availableBytes !== undefined ? ` (${formatBytes(f.eviction.availableBytes)} left)` : ''}` : '';
      return e(
        `${pod} was evicted: node ${node} ran low on memory`,
        `Not this pod's limit${limit ? ` (${limit})` : ''}: the node's available memory fell${threshold}${usage}.`,
        c.requestSizing
          ? `Set the request closer to real usage (${c.requestSizing.display}) so the scheduler stops over-packing this node; or add capacity.`
          : `Set memory requests close to real usage on the pods of this node${firstOn(c)} so the scheduler stops over-packing it; or add capacity.`,
      );
    }
    case 'admission-rejected':
      return e(
        `${pod} was rejected: node ${node} was under memory pressure`,
        'The pod never ran: the kubelet refused it because the node had MemoryPressure.',
        `Find what fills the node (pods far above their requests${others(c).length ? `: ${pusherNames(c)}` : ''}) and set realistic requests, or add capacity; the pod itself is not at fault.`,
      );
    case 'node-oom':
      return e(
        `${who} was killed by a node-wide OOM, not by its own limit`,
        `The node ran out of memory${f.nodeSignal ? ` (${f.nodeSignal.source === 'SystemOOM' ? 'kubelet' : 'kernel'}: "${f.nodeSignal.event.message}")` : ''}${limit ? '' : `; \`${c.container}\` has no memory limit${c.resources.requestText ? ` and a ${c.resources.requestText} request` : ''}, which makes it an early victim`}${pushers(c)}.`,
        limit
          ? `Not this container's fault: ${others(c).length ? `set realistic requests on ${pusherNames(c)}` : `find what else on ${node} grew, set realistic requests there`}, or add capacity.`
          : `Give it a memory limit${sizedOf(c.limitSizing)} and a realistic request; ${others(c).length ? `set realistic requests on ${pusherNames(c)} too` : `check what else on ${node} grew`}.`,
      );
    case 'kubepods-oom':
      return e(
        limit ? `${who} was OOM-killed below its ${limit} limit: the node's pods ran out of memory` : `${who} was OOM-killed with no memory limit of its own`,
        limit
          ? `The kernel killed it inside a parent cgroup (the pods' share of ${node}) that ran out${f.usage ? `, while the process it killed used ${formatBytes(f.usage.bytes)}` : ''}: other pods most likely pushed the node past what the kubelet reserves for pods${pushers(c)}.`
          : `Without a limit only the node's memory bounds it, and the pods on ${node} together ran out of what they may use${pushers(c)}.`,
        limit
          ? `Set requests close to real usage on the pods of ${node}${firstOn(c)} so they are not over-packed; raising this container's limit is unlikely to help.`
          : `Give it a memory limit${sizedOf(c.limitSizing)} and a realistic request so the scheduler and the OOM killer know its size.`,
      );
    case 'jvm-heap':
    case 'node-heap':
    case 'dotnet-heap':
    case 'go-heap':
    case 'python-heap':
    case 'php-heap': {
      const oom = c.termination!.runtimeOom!;
      const name = RUNTIME_NAMES[oom.runtime];
      const heap = c.runtime?.heapInForce;
      const what = oom.runtime === 'php' && oom.capBytes !== undefined ? `PHP's memory_limit (${phpSize(oom.capBytes)})` : `a ${name} memory limit`;
      return e(
        `${who} died of ${what}, not the container limit${limit ? ` (${limit})` : ''}`,
        `${name} ran out of memory on its own terms ("${oom.line}")${heap ? `; its cap was ${heap}` : ''}.`,
        c.runtime?.action ?? 'Size the runtime to the container limit.',
      );
    }
    case 'rust-alloc': {
      const oom = c.termination!.runtimeOom!;
      const size = oom.allocationBytes !== undefined ? ` of ${formatBytes(oom.allocationBytes)}` : '';
      return e(
        `${who} aborted: a Rust allocation${size} failed, not the container limit${limit ? ` (${limit})` : ''}`,
        `The allocator returned no memory ("${oom.line}") and Rust aborted the process (exit ${exit}); the memory cgroup did not kill it.`,
        c.runtime?.action ?? 'Find what refuses memory before the cgroup does, or what asks for so much at once.',
      );
    }
    case 'thread-limit': {
      const oom = c.termination!.runtimeOom!;
      const name = RUNTIME_NAMES[oom.runtime];
      const dump = oom.runtime === 'jvm' ? ' (a thread dump: jstack, or kill -3)' : '';
      return e(
        `${who} could not start a thread: a process/thread limit, not memory`,
        `${oom.runtime === 'jvm' ? 'The JVM' : name} asked the kernel for a new thread and was refused ("${oom.line}"): the pod reached a limit on processes and threads, not its memory limit${limit ? ` (${limit})` : ''}.`,
        `Find what starts so many threads${dump}: unbounded thread pools, a thread per connection. Or raise the limit that refused it: the kubelet's podPidsLimit (per pod), ulimit -u in the image, or kernel.threads-max. Do not raise the memory limit for this.`,
      );
    }
    case 'shm-full':
      return shmFull(c, who);
    case 'liveness-probe': {
      const probe = f.kill?.kind === 'liveness-probe' ? f.kill.probe : 'liveness';
      const timeout = c.pod.spec.containers.find((x) => x.name === c.container)?.livenessProbe?.timeoutSeconds;
      const failure = f.kill?.kind === 'liveness-probe' && f.kill.failure ? ` ("${f.kill.failure.message}")` : '';
      // 143: it honoured the kubelet's SIGTERM; an OOMKilled beside it is stale (docs/domain.md §7 rule 3).
      const stale = c.termination?.terminated.reason === 'OOMKilled' ? "; the runtime's OOMKilled can come from an earlier kill in its cgroup, not from this exit" : '';
      return e(
        `${who} exited ${exit}, but not from memory: the ${probe} probe killed it`,
        exit === 143
          ? `Exit 143 is SIGTERM from the kubelet restarting it after failed ${probe} probes${failure}, not the OOM killer${stale}.`
          : `Exit ${exit} is SIGKILL from the kubelet after failed ${probe} probes, not the OOM killer${failure}.`,
        `Look at the probe's timeout${timeout ? ` (${timeout} s)` : ''} and what makes the endpoint slow; do not raise the memory limit.`,
      );
    }
    case 'external-kill':
      return e(
        `${who} exited ${exit}, but not from memory: it was ${f.kill?.kind === 'external-kill' ? f.kill.how : 'stopped'}`,
        'Exit 137 is SIGKILL sent on purpose by Kubernetes, not the OOM killer.',
        'Nothing to change in memory. If it was slow to stop, make it exit on SIGTERM within terminationGracePeriodSeconds.',
      );
    case 'status-unknown':
      return e(
        `${who} shows exit 137, but that is the kubelet's placeholder, not a kill`,
        'The kubelet could not find the container when the pod was deleted or its node went away, and wrote ContainerStatusUnknown/137 for it.',
        'Nothing to change in memory; look at why the pod or its node went away.',
      );
    case 'other-eviction': {
      const starved = resourceWords(f.eviction?.resource);
      return e(
        `${pod} was evicted: node ${node} ran low on ${starved}, not memory`,
        `Node ${node} ran low on ${starved}, and the kubelet evicted this pod to reclaim it; memory was not the problem.`,
        f.eviction?.resource === 'ephemeral-storage'
          ? 'Set ephemeral-storage requests and limits, and clean up what the pods write to local disk (logs, temp files, image layers); the memory limit is not the fix.'
          : f.eviction?.resource === 'pids'
            ? "Find what forks or starts threads without bound on the node, or set the kubelet's podPidsLimit; the memory limit is not the fix."
            : `Find what consumes ${starved} on the node; the memory limit is not the fix.`,
      );
    }
    case 'storage-limit': {
      const s = f.storageLimit!;
      const what =
        s.scope === 'pod'
          ? `its containers' ${s.limit} ephemeral-storage limits were used up`
          : s.scope === 'container'
            ? `${s.container} passed its ${s.limit} ephemeral-storage limit`
            : `emptyDir ${s.volume} passed its ${s.limit} sizeLimit`;
      return e(
        `${pod} was evicted: ${what}, not memory`,
        `The kubelet evicts a pod whose local disk use (writable layers, logs, emptyDir volumes) passes its own limit, whatever the node has left: this was disk, not memory, and not node pressure.`,
        s.scope === 'emptyDir'
          ? `Find what fills volume ${s.volume} and clean it up, or raise its sizeLimit; the memory limit is not the fix.`
          : 'Find what writes to local disk (logs to files, temp files, caches) and clean it up or move it to a volume, or raise the ephemeral-storage limit; the memory limit is not the fix.',
      );
    }
    case 'node-shutdown': {
      const refused = f.shutdown?.how === 'refused';
      return e(
        refused ? `${pod} was refused: node ${node} was shutting down, not memory` : `${pod} was stopped for a node shutdown, not memory`,
        refused
          ? `The kubelet on ${node} refuses new pods while the node shuts down; nothing ran.`
          : `The kubelet on ${node} stopped its pods because the node was shutting down (graceful node shutdown)${exit === 137 ? '; exit 137 is its SIGKILL when the grace period ran out, not the OOM killer' : ''}.`,
        'Nothing to change in memory: a controller recreates the pod on another node. If it needs longer to stop cleanly, raise the kubelet\'s shutdownGracePeriod (and shutdownGracePeriodCriticalPods).',
      );
    }
    case 'not-admitted':
      return notAdmitted(c, e, pod, node);
    case 'unexplained-sigkill': {
      const plausible = limit ? ` With a ${limit} limit a memory kill is plausible (older runtimes reported OOM kills as "Error").` : '';
      return e(
        `${who} exited ${exit} with reason "${c.termination?.terminated.reason ?? 'none'}" — memory unproven`,
        `SIGKILL, but the runtime did not report an OOM and no kernel or kubelet event explains it.${plausible}`,
        `To settle it: node-problem-detector's OOMKilling events or the node's kernel log around ${timeOfDay(c.termination?.terminated.finishedAt)}.`,
      );
    }
  }
}

/** Sentences to put before "raise the limit": memory-backed volumes to size, settings that decided the death. */
function beforeRaising(c: Case): string {
  const volumes = memoryVolumes(c.pod, c.container);
  const parts = volumes.length
    ? [
        `Files in memory-backed ${volumes.length === 1 ? 'volume' : 'volumes'} ${volumes.map(volumeShort).join(', ')} count against this limit and survive restarts: ${volumes.some((v) => !v.sizeLimitText) ? 'give it a sizeLimit' : 'keep its sizeLimit well below the limit'} or move those files to disk.`,
      ]
    : [];
  for (const s of c.settings) if (s.advice) parts.push(s.advice);
  return parts.length ? `${parts.join(' ')} ` : '';
}

/** A full /dev/shm (or another memory-backed mount): SIGBUS or ENOSPC, not an OOM kill (bus-error.ts). */
function shmFull(c: Case, who: string): Explanation {
  const shm = c.finding.shm!;
  const path = shm.kind === 'memory-volume' ? shm.volume.mountPath : '/dev/shm';
  const current = shm.kind === 'runtime-default' ? RUNTIME_DEFAULT_SHM_BYTES : shm.kind === 'memory-volume' ? shm.volume.sizeLimitBytes : undefined;
  // Twice what filled up, at least 256Mi, and an eighth of the memory limit for a big container (DataLoader workers
  // of a 16Gi trainer pass tensors of hundreds of MiB through /dev/shm); never more than half the limit.
  const limitBytes = c.resources.limitBytes;
  const wanted = current !== undefined ? roundUpToStep(Math.max(256 * MiB, current * 2, (limitBytes ?? 0) / 8)) : undefined;
  const next = wanted !== undefined ? formatBytes(limitBytes !== undefined && current !== undefined ? Math.max(current, Math.min(wanted, limitBytes / 2)) : wanted) : undefined;
  const room = `and leave room for it in the memory limit${c.resources.limitText ? ` (${c.resources.limitText})` : ''}: its pages count against it`;
  const size =
    shm.kind === 'runtime-default'
      ? `the runtime's default ${formatBytes(RUNTIME_DEFAULT_SHM_BYTES)}`
      : shm.kind === 'memory-volume'
        ? shm.volume.sizeLimitText
          ? `sizeLimit ${shm.volume.sizeLimitText}`
          : 'no sizeLimit'
        : `volume ${shm.name}`;
  const sigbus = c.finding.confidence !== 'high';
  const action =
    shm.kind === 'runtime-default'
      ? `Mount a memory-backed emptyDir at /dev/shm with a sizeLimit (e.g. ${next}, over the runtime's default ${formatBytes(RUNTIME_DEFAULT_SHM_BYTES)}) ${room}.`
      : shm.kind === 'memory-volume'
        ? shm.volume.sizeLimitText
          ? `Raise the sizeLimit of volume ${shm.volume.name} (now ${shm.volume.sizeLimitText}, e.g. to ${next}) ${room}; or write those files to disk.`
          : `Volume ${shm.volume.name} has no sizeLimit, so its size is the pod's memory limits, and it filled them: raise the memory limit, or write those files to disk.`
        : `Make /dev/shm bigger: volume ${shm.name} is not a memory-backed emptyDir, so its size is set where it is defined; a memory-backed emptyDir with a sizeLimit is the usual way.`;
  return {
    headline: clip(sigbus ? `${who} hit a bus error: most likely a full /dev/shm, not an OOM kill` : `${who} filled ${path} (${path === '/dev/shm' ? 'shared memory' : 'a memory-backed volume'}): not an OOM kill`, 150),
    summary: sigbus
      ? `The process died of SIGBUS (exit ${c.termination?.terminated.exitCode}), not the OOM killer: most often a write through a memory mapping to a full tmpfs such as ${path} (${size}).`
      : `${path} (${size}) is a tmpfs and it was full: writes to it fail ("No space left on device") or raise SIGBUS; the memory cgroup did not kill it.`,
    action,
  };
}

function nodeWasFine(c: Case): string {
  if (!c.node) return ' (the node was not seen)';
  const pressure = nodeCondition(c.node, 'MemoryPressure');
  if (pressure?.status === 'True') return `, while node ${c.nodeName} was also under MemoryPressure`;
  const alloc = c.allocatableBytes !== undefined ? `${formatBytes(c.allocatableBytes)} allocatable, ` : '';
  return `; the node was fine (${alloc}no MemoryPressure)`;
}

/**
 * After a kill at the limit: what the curve says, where the forwarder sampled the container (docs/domain.md §14) — a
 * leak is not fixed by a limit, load is, a spike needs finding, a plateau needs room. Without a curve, the raise, and
 * the leak to rule out first.
 */
function limitAction(c: Case): string {
  const curve = c.curve;
  const s = c.limitSizing;
  const raise = `raise the limit${sized(s)}`;
  switch (curve?.kind) {
    case 'leak': {
      const rate = rateText(curve.slopeBytesPerMinute);
      const runs = curve.runsBefore ?? 0;
      const what = runs
        ? `A leak, not load: memory climbed ${rate}, across ${runs} restart${runs === 1 ? '' : 's'}, and never gave any back.`
        : `Leak-like: memory climbed ${rate} for ${minutes(curve.climbMinutes)} without falling back (one run: load that only grows looks the same).`;
      const bought = s?.buysTime ? `${capitalize(s.buysTime.text)}.` : `A higher limit${sized(s)} only buys time.`;
      return `${what} Find what keeps growing (a heap profile before the next kill). ${bought}`;
    }
    case 'spike': {
      const jump = formatBytes(curve.jumpBytes ?? 0);
      const when = curve.unseen ? `Memory rose ${jump} to the limit within ${curve.jumpSeconds} s, faster than the sampling saw` : `Memory jumped ${jump} within ${curve.jumpSeconds} s just before the kill`;
      return `${when}: find what allocates that much at once (one large request, a batch, a cache fill). If such bursts are normal, ${raise}.`;
    }
    case 'plateau':
      return `Memory sat at the limit for ${minutes(curve.plateauMinutes ?? 0)} before the kill: it needs more room. ${capitalize(raise)}.`;
    case 'load':
      return `Load, not a leak: memory ${curve.swings ? 'rose and fell back with the work' : 'stepped up and held'}. ${capitalize(raise)}.`;
    case 'flat':
      return `No leak seen: memory held level (peak ${formatBytes(curve.peakBytes)}) until it reached the limit. ${capitalize(raise)}.`;
    default:
      return `If load grew, ${raise}; if memory climbs steadily after each restart, suspect a leak first.`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The node's users most above their requests, this pod left out: whose pods pushed the node over (node-top.ts). */
function others(c: Case): AboveRequest[] {
  return (c.above ?? []).filter((a) => !a.self);
}

/** "; most above its request: shop/api-7d9f › api used 1.4Gi over its 512Mi request", or nothing. */
function pushers(c: Case): string {
  const list = others(c);
  return list.length ? `; most above ${list.length === 1 ? 'its request' : 'their requests'}: ${list.map(aboveRequestText).join('; ')}` : '';
}

/** "shop/api-7d9f and web/cache-0". */
function pusherNames(c: Case): string {
  const names = others(c).map((a) => `${a.user.namespace}/${a.user.pod}`);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}

/** ", first shop/api-7d9f (most above its request)", or nothing. */
function firstOn(c: Case): string {
  const n = others(c).length;
  return n ? `, first ${pusherNames(c)} (most above ${n === 1 ? 'its request' : 'their requests'})` : '';
}

function sized(s: Sizing | undefined): string {
  return s ? ` to ${s.display} (${s.short})` : '';
}

function sizedOf(s: Sizing | undefined): string {
  return s ? ` of ${s.display} (${s.short})` : '';
}

/** The starved resource of an eviction in words (pkg/kubelet/eviction: nodefs and imagefs signals starve ephemeral-storage). */
function resourceWords(resource: string | undefined): string {
  const words: Record<string, string> = {
    'ephemeral-storage': 'disk (ephemeral storage)',
    inodes: 'inodes',
    pids: 'process IDs (PIDs)',
  };
  return resource ? (words[resource] ?? resource) : 'a resource other than memory';
}

const ADMISSION_WORDS: Record<string, string> = { memory: 'memory', cpu: 'CPU', pods: 'pod slots', 'ephemeral-storage': 'ephemeral storage' };

/** Refused at the kubelet's admission (admission.ts): nothing ran, and it is the scheduler's or the node's story. */
function notAdmitted(c: Case, e: (h: string, s: string, a: string) => Explanation, pod: string, node: string): Explanation {
  const r = c.finding.refusal!;
  const short = r.insufficient;
  if (short) {
    const words = ADMISSION_WORDS[short.resource] ?? short.resource;
    const n = (v: number) => admissionAmount(short.resource, v);
    return e(
      `${pod} never ran: node ${node}'s allocatable ${words} could not fit it`,
      `The pod never ran: the kubelet on node ${node} refused it because the node's allocatable ${words} could not fit its request (${n(short.requested)} requested, ${n(short.used)} already requested by other pods, ${n(short.capacity)} allocatable): a scheduling or node problem, not an OOM.`,
      "Nothing ran out of memory. A kubelet refuses what the scheduler would not have placed: a pod bound with spec.nodeName or a static pod, or a node whose allocatable shrank or took other pods first. Let the scheduler place it, free room on the node, or add capacity; a controller creates a replacement.",
    );
  }
  if (r.conditions?.length) {
    const conditions = r.conditions.join(', ');
    return e(
      `${pod} never ran: node ${node} had ${conditions}, not memory`,
      `The pod never ran: the kubelet on node ${node} refused it because the node had ${conditions}; memory was not the problem.`,
      `Find what fills node ${node} (${conditions}) and free it, or add capacity; a controller creates a replacement elsewhere. The memory limit is not the fix.`,
    );
  }
  return e(
    `${pod} never ran: the kubelet on ${node} refused it (${r.reason}), not memory`,
    `The pod never ran: the kubelet on node ${node} refused it at admission (${r.reason}: "${r.detail}"): a node problem, not an OOM.`,
    'Nothing ran out of memory: fix what the kubelet refused it for (a device plugin, node labels or affinity, the node itself); a controller creates a replacement.',
  );
}

function timeOfDay(iso: string | null | undefined): string {
  const d = new Date(iso ?? '');
  return Number.isNaN(d.getTime()) ? 'the time of the kill' : `${d.toISOString().slice(11, 16)} UTC on ${d.toISOString().slice(0, 10)}`;
}

function clip(text: string, max: number): string {
  return clipText(text, max);
}

/** Names in a headline are shortened at most to this many characters before their ellipsis. */
const MIN_NAME = 8;

/**
 * The headline within `max` (docs/alert-style.md: under 150 characters): the longest object name in it is shortened
 * first, with an ellipsis, then the next, so the clause that says why stays whole; clipping the end is the last resort.
 */
export function fitHeadline(headline: string, names: string[], max = 150): string {
  let text = headline;
  const tried = new Set<string>();
  while (text.length > max) {
    // A whole name only: not a workload's name inside its pod's.
    const inText = [...new Set(names)].filter((n) => !tried.has(n) && n.length > MIN_NAME + 1 && wholeName(n).test(text)).sort((a, b) => b.length - a.length);
    const name = inText[0];
    if (!name) break;
    tried.add(name);
    const count = text.match(wholeName(name, 'g'))!.length;
    const keep = Math.max(MIN_NAME, name.length - Math.ceil((text.length - max) / count) - 1);
    text = text.replace(wholeName(name, 'g'), `${headOf(name, keep)}…`);
  }
  return clip(text, max);
}

function wholeName(name: string, flags = ''): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.-])${escaped}(?![\\w.-])`, flags);
}
