// The words: a header that answers "what and why" in under 150 characters, one sentence that says whose problem it is
// (the code's or the node's), and one action, sized (shared/MESSAGES.md).
import type { Finding, Observed } from './findings.ts';
import { formatBytes } from './quantity.ts';
import { RUNTIME_NAMES, type RuntimeAdvice } from './runtime-advice.ts';
import type { Sizing } from './recommend-limit.ts';
import { nodeCondition, type Workload } from './pod-facts.ts';

export interface Case extends Observed {
  finding: Finding;
  workload: Workload | undefined;
  limitSizing: Sizing | undefined;
  requestSizing: Sizing | undefined;
  runtime: RuntimeAdvice | undefined;
  allocatableBytes: number | undefined;
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
  const e = (headline: string, summary: string, action: string): Explanation => ({ headline: clip(headline, 150), summary, action });

  switch (f.kind) {
    case 'container-limit':
      return e(
        `${who} was OOMKilled at its ${limit} memory limit`,
        `The container used all the memory it is allowed${nodeWasFine(c)}.`,
        `If load grew, raise the limit${sized(c.limitSizing)}; if memory climbs steadily after each restart, suspect a leak first.`,
      );
    case 'child-process':
      return e(
        `${who}: a child process was OOM-killed at the ${limit} memory limit`,
        `A process inside the container (not its main process, which exited ${exit} afterwards) ran out of the container's memory${nodeWasFine(c)}.`,
        `Raise the limit${sized(c.limitSizing)} if the workers need it, or cap how many worker processes start and how much each may use.`,
      );
    case 'eviction': {
      const usage = f.usage ? ` and \`${c.container}\` was using ${formatBytes(f.usage.bytes)} against a ${c.resources.requestText ?? 'zero'} request, so the kubelet evicted it first` : '';
      const threshold = f.eviction?.thresholdBytes !== undefined ? ` below the ${formatBytes(f.eviction.thresholdBytes)} eviction threshold${f.eviction.availableBytes !== undefined ? ` (${formatBytes(f.eviction.availableBytes)} left)` : ''}` : '';
      return e(
        `${pod} was evicted: node ${node} ran low on memory`,
        `Not this pod's limit${limit ? ` (${limit})` : ''}: the node's available memory fell${threshold}${usage}.`,
        c.requestSizing
          ? `Set the request closer to real usage (${c.requestSizing.quantity}) so the scheduler stops over-packing this node; or add capacity.`
          : 'Set memory requests close to real usage on the pods of this node so the scheduler stops over-packing it; or add capacity.',
      );
    }
    case 'admission-rejected':
      return e(
        `${pod} was rejected: node ${node} was under memory pressure`,
        'The pod never ran: the kubelet refused it because the node had MemoryPressure.',
        'Find what fills the node (pods far above their requests) and set realistic requests, or add capacity; the pod itself is not at fault.',
      );
    case 'node-oom':
      return e(
        `${who} was killed by a node-wide OOM, not by its own limit`,
        `The node ran out of memory${f.nodeSignal ? ` (${f.nodeSignal.source === 'SystemOOM' ? 'kubelet' : 'kernel'}: "${f.nodeSignal.event.message}")` : ''}${limit ? '' : `; \`${c.container}\` has no memory limit${c.resources.requestText ? ` and a ${c.resources.requestText} request` : ''}, which makes it an early victim`}.`,
        limit
          ? `Not this container's fault: find what else on ${node} grew, set realistic requests there, or add capacity.`
          : `Give it a limit${sized(c.limitSizing)} and a realistic request; check what else on ${node} grew.`,
      );
    case 'kubepods-oom':
      return e(
        limit ? `${who} was OOM-killed below its ${limit} limit: the node's pods ran out of memory` : `${who} was OOM-killed with no memory limit of its own`,
        limit
          ? `The kernel killed it inside a parent cgroup (the pods' share of ${node}) that ran out${f.usage ? `, while the process it killed used ${formatBytes(f.usage.bytes)}` : ''}: other pods most likely pushed the node past what the kubelet reserves for pods.`
          : `Without a limit only the node's memory bounds it, and the pods on ${node} together ran out of what they may use.`,
        limit
          ? `Set requests close to real usage on the pods of ${node} so they are not over-packed; raising this container's limit is unlikely to help.`
          : `Give it a limit${sized(c.limitSizing)} and a realistic request so the scheduler and the OOM killer know its size.`,
      );
    case 'jvm-heap':
    case 'node-heap':
    case 'dotnet-heap':
    case 'go-heap':
    case 'python-heap': {
      const name = RUNTIME_NAMES[c.termination!.runtimeOom!.runtime];
      const heap = c.runtime?.heapInForce;
      return e(
        `${who} died of a ${name} memory limit, not the container limit${limit ? ` (${limit})` : ''}`,
        `${name} ran out of memory on its own terms ("${c.termination!.runtimeOom!.line}")${heap ? `; its cap was ${heap}` : ''}.`,
        c.runtime?.action ?? 'Size the runtime to the container limit.',
      );
    }
    case 'liveness-probe': {
      const probe = f.kill?.kind === 'liveness-probe' ? f.kill.probe : 'liveness';
      const timeout = c.pod.spec.containers.find((x) => x.name === c.container)?.livenessProbe?.timeoutSeconds;
      return e(
        `${who} exited ${exit}, but not from memory: the ${probe} probe killed it`,
        `Exit ${exit} is SIGKILL from the kubelet after failed ${probe} probes, not the OOM killer${f.kill?.kind === 'liveness-probe' && f.kill.failure ? ` ("${f.kill.failure.message}")` : ''}.`,
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
    case 'other-eviction':
      return e(
        `${pod} was evicted for ${f.eviction?.resource ?? 'another resource'}, not memory`,
        `Node ${node} ran low on ${f.eviction?.resource ?? 'a resource other than memory'}, and the kubelet evicted this pod to reclaim it.`,
        f.eviction?.resource === 'ephemeral-storage'
          ? 'Set ephemeral-storage requests and limits, and clean up what the pods write to local disk.'
          : `Find what consumes ${f.eviction?.resource ?? 'that resource'} on the node; the memory limit is not the fix.`,
      );
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

function nodeWasFine(c: Case): string {
  if (!c.node) return ' (the node was not seen)';
  const pressure = nodeCondition(c.node, 'MemoryPressure');
  if (pressure?.status === 'True') return `, while node ${c.nodeName} was also under MemoryPressure`;
  const alloc = c.allocatableBytes !== undefined ? `${formatBytes(c.allocatableBytes)} allocatable, ` : '';
  return `; the node was fine (${alloc}no MemoryPressure)`;
}

function sized(s: Sizing | undefined): string {
  return s ? ` to ${s.quantity} (${s.short})` : '';
}

function timeOfDay(iso: string | null | undefined): string {
  const d = new Date(iso ?? '');
  return Number.isNaN(d.getTime()) ? 'the time of the kill' : `${d.toISOString().slice(11, 16)} UTC on ${d.toISOString().slice(0, 10)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
