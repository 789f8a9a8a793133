// The diagnosis engine's entry point: Kubernetes objects in, a Verdict out. Pure: no I/O, no clock.
import type { DiagnosisInput } from './diagnosis-input.ts';
import { DiagnosisError } from './errors.ts';
import { explain, type Case } from './explain.ts';
import { evictionFinding, terminationFinding, type Finding, type Observed } from './findings.ts';
import type { Pod } from './k8s-objects.ts';
import { isPodEvent } from './pod-events.ts';
import { containerMemoryRequests, findContainerSpec, memoryResources, nodeMemory, podMemoryRequests, qosClass, workloadFromOwners, type MemoryResources } from './pod-facts.ts';
import { formatBytes } from './quantity.ts';
import { recommendLimit, recommendRequest, type Sizing } from './recommend-limit.ts';
import { runtimeAdvice } from './runtime-advice.ts';
import { findHeapSetting, findMemorySettings, runsRedis } from './runtime-settings.ts';
import { settingsAtLimit, type SettingAtLimit } from './limit-settings.ts';
import { contextEvidence, currentContainerUsage } from './current-usage.ts';
import { containerStatuses, latestTermination, memoryTerminations, signalName, type Termination } from './terminations.ts';
import type { Recommendation, Verdict } from './verdict.ts';
import { tailOf } from './clip-text.ts';
import { mergeUnseen, unseenSentences, type UnseenEntry } from './unseen.ts';
import { recommendFromCurve } from './curve-recommend.ts';
import { encodeSeries } from './memory-series.ts';
import { aboveRequests, nodeTopEvidence } from './node-top.ts';
import { tooFewEntry, trajectoryOf, type Trajectory } from './trajectory.ts';

export interface DiagnoseOptions {
  /** Diagnose this container; by default the one with the most recent memory-related termination. */
  container?: string;
}

/**
 * Takes input already decoded where it entered (shared/diagnosis-input.ts): it is not validated again here. Raw input
 * in one piece goes through `DiagnosisInputSchema.parse` first.
 */
export function diagnose(input: DiagnosisInput, options: DiagnoseOptions = {}): Verdict {
  const { pod } = input;
  const unavailable = input.unavailable ?? [];
  if (options.container) assertContainer(pod, options.container);

  const nodeName = pod.spec.nodeName ?? input.node?.metadata.name;
  // Only events about this pod or about a node are ever read (pod-events.ts, node-signals.ts): a dump of a busy node
  // holds hundreds about its other pods, which each rule would otherwise scan again. A rule that needs others widens this.
  const events = input.events?.filter((e) => e.involvedObject.kind === 'Node' || isPodEvent(e, pod));
  // Written field by field, never `{ ...base, more }`: Node 20's V8 builds an object literal that starts with a spread
  // through a slow path, about 1 µs for each property after it (a third of a diagnosis, bench/diagnose.bench.ts).
  const observe = (container: string, termination: Termination | undefined, resources: MemoryResources): Observed => ({ pod, node: input.node, nodeName, events, container, termination, resources });
  const terminations = memoryTerminations(pod, input.lastWords).filter((t) => !options.container || t.container === options.container);

  // An eviction is the pod's last word: it outranks earlier terminations in lastState.
  const evictionProbe = observe(options.container ?? '', undefined, { limitBytes: undefined, requestBytes: undefined });
  let finding: Finding | undefined = evictionFinding(evictionProbe);
  const evicted = finding !== undefined;
  let termination: Termination | undefined;
  let container: string;
  if (finding) {
    container = options.container ?? finding.eviction?.containers[0]?.name ?? latestTermination(terminations)?.container ?? pod.spec.containers[0]?.name ?? '';
    termination = terminations.find((t) => t.container === container && t.state === 'current');
  } else {
    termination = latestTermination(terminations);
    if (!termination) throw noMemoryTermination(pod, options.container);
    container = termination.container;
  }

  const observed = observe(container, termination, memoryResources(pod, container));
  // Re-run with the chosen container so per-container evidence (usage at eviction) is attached.
  finding = finding ? evictionFinding(observed)! : terminationFinding(observed, termination!);
  // What the forwarder sampled before the death, when it is this container's (docs/domain.md §14).
  const trajectory = trajectoryOf(input.memory?.series, observed, finding);
  const curve = trajectory?.curve;
  const above = finding.cause === 'node-pressure' && input.memory?.nodeTop ? aboveRequests(input.memory.nodeTop, { namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name ?? '' }) : [];

  const { allocatableBytes, capacityBytes } = nodeMemory(input.node);
  const capacity = capFor(observed, input.nodePods, allocatableBytes, finding.kind === 'pod-limit');
  const now = currentContainerUsage(pod, container, input.podMetrics, input.kubeletSummary, termination?.terminated?.finishedAt ?? undefined);
  const spec = findContainerSpec(pod, container);
  const settings = limitSettings(observed, finding);
  const limitSizing = sizeLimit(observed, finding, capacity, now?.bytes, settings, trajectory);
  // Set request only where the request was far below what the pod used: that gap is what the kubelet evicts by first
  // (docs/domain.md §2) and what lets the scheduler over-pack the node. Near its request, the pod is not the story.
  const requestSizing =
    finding.kind === 'eviction' && finding.usage && farAboveRequest(finding.usage.bytes, observed.resources.requestBytes)
      ? recommendRequest({ currentRequestBytes: observed.resources.requestBytes, usageBytes: finding.usage.bytes, ...capacity })
      : undefined;
  const oom = termination?.runtimeOom;
  const { limitBytes, requestBytes } = observed.resources;
  const raised = limitBytes !== undefined ? recommendLimit({ currentLimitBytes: limitBytes, requestBytes, peakBytes: undefined, ...capacity }) : undefined;
  const advice = oom && oom.resource === 'memory' ? runtimeAdvice(oom, findHeapSetting(spec, oom.runtime), limitBytes, raised?.bytes) : undefined;
  const runtimeLimit = advice?.raiseLimit ? raised : undefined;

  const workload = input.workload === undefined ? workloadFromOwners(pod) : (input.workload ?? undefined);
  const c: Case = { pod, node: input.node, nodeName, events, container, termination, resources: observed.resources, finding, workload, limitSizing: limitSizing ?? runtimeLimit, requestSizing, runtime: advice, allocatableBytes, settings, curve, above };
  const words = explain(c);
  const t = termination?.terminated;
  // The caller's reasons ("the node object: forbidden") replace the engine's generic entries about the same source.
  const redisUnseen = finding.cause === 'limit' && runsRedis(spec) && !findMemorySettings(spec).some((x) => x.program === 'redis');
  const tooFew = curve && finding.cause !== 'not-oom' ? tooFewEntry(curve) : undefined;
  const engineUnseen: UnseenEntry[] = redisUnseen || tooFew ? [...finding.unseen] : finding.unseen;
  if (redisUnseen) engineUnseen.push({ source: 'runtime-setting', reason: 'not-reported', detail: "Redis's maxmemory" });
  if (tooFew) engineUnseen.push(tooFew);
  // The dead run's log, where it could have named a runtime the message did not and could not be read (last-words.ts).
  const logUnseen: UnseenEntry[] = !evicted && termination?.lastWordsUnseen ? [{ source: 'previous-log', ...termination.lastWordsUnseen }] : [];
  const unseen = mergeUnseen(logUnseen.length ? [...unavailable, ...logUnseen] : unavailable, engineUnseen);
  const memoryEvidence = [...(curve && curve.kind !== 'too-few' ? [curve.evidence] : []), ...(above.length ? [nodeTopEvidence(above, nodeName, input.memory?.nodeSampledAt)] : [])];

  return {
    version: 1,
    cause: finding.cause,
    kind: finding.kind,
    confidence: finding.confidence,
    pod: { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
    container: container || null,
    containerType: termination?.containerType ?? containerTypeOf(pod, container),
    ...(workload ? { workload } : {}),
    ...(nodeName ? { node: nodeName } : {}),
    ...(oom ? { runtime: oom.runtime } : {}),
    ...(t
      ? {
          termination: {
            ...(t.reason ? { reason: t.reason } : {}),
            exitCode: t.exitCode,
            ...(signalOf(t) ? { signal: signalOf(t) } : {}),
            ...(t.finishedAt ? { finishedAt: t.finishedAt } : {}),
            restartCount: termination!.restartCount,
            ...(t.message ? { message: tailOf(t.message, 2048) } : {}),
          },
        }
      : {}),
    memory: {
      ...(observed.resources.limitText ? { limit: observed.resources.limitText } : {}),
      ...(observed.resources.requestText ? { request: observed.resources.requestText } : {}),
      ...(observed.resources.limitScope === 'pod' ? { limitScope: 'pod' as const } : {}),
      ...(observed.resources.pod?.limitText ? { podLimit: observed.resources.pod.limitText } : {}),
      ...(observed.resources.pod?.requestText ? { podRequest: observed.resources.pod.requestText } : {}),
      ...(finding.usage ? { usage: formatBytes(finding.usage.bytes), usageSource: finding.usage.source } : {}),
      qosClass: qosClass(pod),
      ...(allocatableBytes !== undefined ? { nodeAllocatable: formatBytes(allocatableBytes), nodeAllocatableBytes: allocatableBytes } : {}),
      ...(capacityBytes !== undefined ? { nodeCapacity: formatBytes(capacityBytes) } : {}),
    },
    ...words,
    evidence: [...finding.evidence, ...memoryEvidence, ...settings.map((x) => x.evidence), ...contextEvidence(container, now, observed.resources.limitBytes, input.kubeletSummary, input.kubeletConfig)],
    missing: unseenSentences(unseen, nodeName),
    unseen,
    ...recommendation(c),
    ...(trajectory ? { trajectory: { series: encodeSeries(trajectory.series), curve: trajectory.curve } } : {}),
  };
}

/** How far above its request a container must have been for "Set request" to be the fix: 20 %. */
export const REQUEST_GAP = 1.2;

function farAboveRequest(usageBytes: number, requestBytes: number | undefined): boolean {
  return requestBytes === undefined || usageBytes >= requestBytes * REQUEST_GAP;
}

/**
 * What the node can give this container (or, for a pod-level limit, the whole pod): allocatable minus the requests of
 * everything else scheduled there.
 */
function capFor(o: Observed, nodePods: Pod[] | undefined, allocatable: number | undefined, wholePod: boolean): { capBytes: number | undefined; capSource?: string } {
  if (allocatable === undefined) return { capBytes: undefined };
  // An init container runs before the app containers, never beside them: they take nothing from it. A pod-level limit
  // covers the pod's own containers: they are inside it, not beside it.
  const isInit = o.termination?.containerType === 'init' || o.pod.spec.initContainers?.some((c) => c.name === o.container);
  const siblings = isInit || wholePod ? 0 : containerMemoryRequests(o.pod, o.container);
  // A node holds up to 110 pods by default: one pass, no intermediate arrays.
  let others = 0;
  for (const p of nodePods ?? []) if (p.metadata.uid !== o.pod.metadata.uid || p.metadata.name !== o.pod.metadata.name) others += podMemoryRequests(p);
  const node = `node ${o.nodeName}`;
  const capSource = nodePods
    ? `${node}'s ${formatBytes(allocatable)} allocatable${others + siblings ? ` less ${formatBytes(others + siblings)} requested by other containers` : ', nothing else requested on it'}`
    : `${node}'s ${formatBytes(allocatable)} allocatable${siblings ? ` less ${formatBytes(siblings)} for the pod's other containers` : ''} (other pods' requests not seen)`;
  return { capBytes: Math.max(0, allocatable - others - siblings), capSource };
}

function sizeLimit(o: Observed, f: Finding, capacity: { capBytes: number | undefined; capSource?: string }, usingNow: number | undefined, settings: SettingAtLimit[], trajectory: Trajectory | undefined): Sizing | undefined {
  const { limitBytes, requestBytes } = o.resources;
  // A pod-level limit is sized for the pod: against its own limit and request; one process's size says little of it.
  if (f.kind === 'pod-limit') return recommendLimit({ currentLimitBytes: o.resources.pod?.limitBytes, requestBytes: o.resources.pod?.requestBytes, peakBytes: undefined, ...capacity });
  const floorBytes = Math.max(0, ...settings.map((x) => x.floorBytes ?? 0));
  const floor = floorBytes ? { bytes: floorBytes, why: 'so the memory cap it runs with stays at 75 % of the limit' } : undefined;
  // No container's limit may exceed the pod-level one (KEP-2837 validation): that caps a container's new limit too.
  const podCap = o.resources.limitScope === 'container' ? o.resources.pod?.limitBytes : undefined;
  const bounded =
    podCap !== undefined && (capacity.capBytes === undefined || podCap < capacity.capBytes)
      ? { capBytes: podCap, capSource: `the pod-level ${o.resources.pod!.limitText} limit, which no container's limit may exceed`, capShort: 'the pod-level limit; raise that first for more' }
      : capacity;
  // With samples, sized from the peak and slope seen (docs/domain.md §14); too few of them, and §6's rule stands alone.
  if (f.cause === 'limit') {
    const fromCurve = trajectory && recommendFromCurve(trajectory.series, trajectory.curve, { killedAtLimit: true, nodeCap: bounded.capBytes, capSource: bounded.capSource, capShort: 'capShort' in bounded ? bounded.capShort : undefined, floor });
    return fromCurve ?? recommendLimit({ currentLimitBytes: limitBytes, requestBytes, peakBytes: f.usage?.bytes, ...bounded, ...(floor ? { floor } : {}) });
  }
  // A container with no limit killed by node or kubepods OOM: give it one, sized from what it was seen using.
  // What it uses now is a floor for its peak (the current instance only, docs/domain.md §4).
  const peak = Math.max(f.usage?.bytes ?? 0, usingNow ?? 0) || undefined;
  if ((f.kind === 'node-oom' || f.kind === 'kubepods-oom') && limitBytes === undefined) {
    // Unless the kill itself was seen higher than any sample (the kernel's anon-rss): then that is the peak to size from.
    const fromCurve = trajectory && !(peak && peak > trajectory.curve.peakBytes) ? recommendFromCurve(trajectory.series, trajectory.curve, { nodeCap: capacity.capBytes, capSource: capacity.capSource }) : undefined;
    if (fromCurve) return fromCurve;
    if (peak || requestBytes) return recommendLimit({ currentLimitBytes: undefined, requestBytes, peakBytes: peak, ...capacity });
  }
  return undefined;
}

function recommendation(c: Case): { recommendation?: Recommendation } {
  const limit = c.limitSizing;
  const request = c.requestSizing;
  // A setting judged at a limit kill is sized to the current limit: the alternative to raising it (limit-settings.ts).
  const atLimit = c.runtime?.setting ? undefined : c.settings.find((x) => x.setting);
  const setting = c.runtime?.setting ?? atLimit?.setting;
  if (!limit && !request && !setting) return {};
  const capped = !!(limit?.capped || request?.capped);
  // The setting itself is the recommendation's own line; its rationale says what it was sized to, not the setting again.
  const sizedTo = limit ? `the new ${limit.display} limit` : c.resources.limitText ? `the ${c.resources.limitText} container limit` : 'the container limit';
  const rationale = [request?.rationale, limit?.rationale, setting ? (atLimit ? `or keep the limit and set ${setting.name} to ${atLimit.sizedTo}` : `${setting.name} sized to ${sizedTo}`) : undefined].filter(Boolean).join('; ');
  return {
    recommendation: {
      ...(limit ? { memoryLimit: limit.quantity, memoryLimitBytes: limit.bytes } : {}),
      ...(request ? { memoryRequest: request.quantity, memoryRequestBytes: request.bytes } : {}),
      ...(setting ? { runtimeSetting: setting } : {}),
      capped,
      rationale,
    },
  };
}

/** The memory settings that decided a limit kill, judged against the limit that killed it. */
function limitSettings(o: Observed, f: Finding): SettingAtLimit[] {
  const { limitBytes, limitText } = o.resources;
  if (f.cause !== 'limit' || limitBytes === undefined || !limitText) return [];
  return settingsAtLimit(findMemorySettings(findContainerSpec(o.pod, o.container)), limitBytes, limitText);
}

function assertContainer(pod: Pod, name: string): void {
  const names = new Set([...containerStatuses(pod).map((s) => s.status.name), ...[...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].map((c) => c.name)]);
  if (!names.has(name)) {
    throw new DiagnosisError('CONTAINER_NOT_FOUND', `container "${name}" not found in pod ${podRef(pod)}; it has: ${[...names].join(', ') || 'no containers'}`);
  }
}

function noMemoryTermination(pod: Pod, container: string | undefined): DiagnosisError {
  const seen = containerStatuses(pod)
    .filter(({ status }) => !container || status.name === container)
    .map(({ status }) => {
      const t = status.state?.terminated ?? status.lastState?.terminated;
      return t ? `${status.name} last exited ${t.exitCode} (${t.reason ?? 'no reason'})` : `${status.name} has not terminated`;
    });
  return new DiagnosisError(
    'NO_MEMORY_TERMINATION',
    `no memory-related termination found in pod ${podRef(pod)}${container ? ` (container ${container})` : ''}${seen.length ? `: ${seen.join('; ')}` : ''}`,
  );
}

/** The kubelet's synthetic ContainerStatusUnknown/137 was no signal at all (docs/domain.md §1). */
function signalOf(t: { exitCode: number; reason?: string | undefined }): string | undefined {
  return t.reason === 'ContainerStatusUnknown' ? undefined : signalName(t.exitCode);
}

function containerTypeOf(pod: Pod, name: string): 'container' | 'init' | 'ephemeral' {
  if (pod.spec.initContainers?.some((c) => c.name === name)) return 'init';
  if (pod.spec.ephemeralContainers?.some((c) => c.name === name)) return 'ephemeral';
  return 'container';
}

function podRef(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? '(unnamed)'}`;
}
