// Pods the kubelet stopped for reasons that are not memory, read off the pod's status (docs/domain.md §7 rule 1: a
// TerminationByKubelet condition is not always an eviction).
//  - Graceful node shutdown (pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go): phase Failed, reason
//    "Terminated", message "Pod was terminated in response to imminent node shutdown.", and since 1.26 a
//    DisruptionTarget condition, reason TerminationByKubelet, with the same message. 1.20–1.21 kubelets wrote reason
//    "Shutdown", "Node is shutting, evicting pods". While shutting down the kubelet refuses new pods: reason
//    "NodeShutdown", "Pod was rejected as the node is shutting down." (1.20: "Shutdown", "Node is in progress of
//    shutting down, not admitting any new pods").
//  - The kubelet preempting a pod to admit a critical one (pkg/kubelet/preemption/preemption.go): phase Failed,
//    reason "Preempting", "Preempted in order to admit critical pod", and a TerminationByKubelet condition.
import type { Pod } from './k8s-objects.ts';

export interface NodeShutdown {
  /** `stopped`: it ran and was stopped; `refused`: the kubelet would not start it. */
  how: 'stopped' | 'refused';
  /** The kubelet's words: the status message or the condition's. */
  text: string;
}

const SHUTDOWN = /imminent node shutdown|Node is shutting, evicting pods/;
const REFUSED = /node is shutting down|in progress of shutting down/i;

export function nodeShutdown(pod: Pod): NodeShutdown | undefined {
  const { reason, message } = pod.status;
  const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === 'TerminationByKubelet' && SHUTDOWN.test(c.message ?? ''));
  if ((reason === 'NodeShutdown' || reason === 'Shutdown') && REFUSED.test(message ?? '')) return { how: 'refused', text: message! };
  if ((reason === 'Terminated' || reason === 'Shutdown') && SHUTDOWN.test(message ?? '')) return { how: 'stopped', text: message! };
  if (condition) return { how: 'stopped', text: condition.message! };
  return undefined;
}

/** The kubelet preempted the pod to make room for a critical pod: its status says so. */
export function kubeletPreemption(pod: Pod): string | undefined {
  const condition = pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True' && /preempted by kubelet/i.test(c.message ?? ''));
  if (pod.status.reason === 'Preempting') return pod.status.message ?? condition?.message ?? 'Preempting';
  return condition?.message;
}
