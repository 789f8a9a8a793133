// The kubelet's admission refusals (docs/domain.md §7 rule 1): a pod bound to a node whose kubelet would not start it.
// rejectPod (pkg/kubelet/kubelet.go) writes phase Failed, the admit handler's reason, and "Pod was rejected: " + its
// message ("Pod " + message before that wording), with a Warning event of the same reason. The resource check
// (pkg/kubelet/lifecycle/predicate.go) gives reason "OutOf<resource>" and InsufficientResourceError's text,
//   "Node didn't have enough resource: memory, requested: 8589934592, used: 12348030976, capacity: 16181772288"
// in bytes for memory and storage, millicores for cpu, a count for pods; `capacity` is the node's allocatable and
// `used` what the pods already admitted there request. Nothing ran: no container was started.
import type { Pod } from './k8s-objects.ts';
import { rejectionConditions } from './eviction-message.ts';
import { formatBytes } from './quantity.ts';

export interface AdmissionRefusal {
  /** status.reason: OutOfmemory, OutOfcpu, UnexpectedAdmissionError, Evicted (a node condition), ... */
  reason: string;
  /** The kubelet's message without the "Pod was rejected: " prefix. */
  detail: string;
  insufficient?: { resource: string; requested: number; used: number; capacity: number };
  /** The node conditions that refused it (the eviction manager's admit handler). */
  conditions?: string[];
}

/** Reasons an admit handler gives (lifecycle/predicate.go, eviction, nodeshutdown, topology, sysctl, apparmor). */
const ADMIT_REASONS = /^(OutOf\S+|UnexpectedAdmissionError|NodeAffinity|NodeSelectorMismatching|NodeName|NodePorts|PodOSNotSupported|PodOSSelectorNodeLabelDoesNotMatch|InvalidNodeInfo|UnknownReason|SysctlForbidden|TopologyAffinityError|AppArmor|Evicted|NodeShutdown|Shutdown)$/;
const INSUFFICIENT = /Node didn't have enough resource: (\S+), requested: (\d+), used: (\d+), capacity: (\d+)/;

export function admissionRefusal(pod: Pod): AdmissionRefusal | undefined {
  const { phase, reason, message } = pod.status;
  if (phase !== 'Failed' || !reason || !message) return undefined;
  const current = message.startsWith('Pod was rejected: ');
  const detail = message.replace(/^Pod (was rejected: )?/, '');
  if (!current) {
    // The older "Pod " + message, only for an admit handler's reasons: an eviction's own text can start with "Pod " too.
    if (detail === message || !ADMIT_REASONS.test(reason)) return undefined;
    if (reason === 'Evicted' && !rejectionConditions(detail)) return undefined;
  }
  const m = INSUFFICIENT.exec(detail);
  const conditions = rejectionConditions(detail);
  return {
    reason,
    detail,
    ...(m ? { insufficient: { resource: m[1]!, requested: Number(m[2]), used: Number(m[3]), capacity: Number(m[4]) } } : {}),
    ...(conditions ? { conditions } : {}),
  };
}

/** An amount from the kubelet's admission message: bytes for memory and storage, millicores for cpu, else a count. */
export function admissionAmount(resource: string, n: number): string {
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) return formatBytes(n);
  if (resource === 'cpu') return `${n}m`;
  return String(n);
}
