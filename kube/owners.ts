// The pod's top-level owner (Deployment, StatefulSet, DaemonSet, CronJob) through ReplicaSet and Job owners — but only
// an owner that really owns it. Anyone who may create a pod may write any ownerReference on it (the API server checks
// neither that the owner exists nor its uid), so a name alone would let a pod borrow another team's Deployment: its
// alerts, its routing annotations, and its Raise limit button. A link counts when the owner exists with the uid the
// reference carries and, where the owner selects its pods, its selector matches the pod's labels — what the owner's
// own controller requires before it counts the pod as its own.
import type { Pod } from '#shared/k8s-objects.ts';
import { workloadFromOwners, type Workload } from '#shared/pod-facts.ts';
import { WorkloadRef, type WorkloadKind } from './workloads.ts';

interface OwnerRef {
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface OwnerObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerRef[] };
  spec?: { selector?: LabelSelector };
}

/** A lookup answers the owner, or undefined with why it could not ("not found", "forbidden (…)"). */
export type OwnerAnswer = { object: OwnerObject } | { object?: undefined; why: string };
export type OwnerLookup<R> = (kind: string, namespace: string, name: string) => R;

/** Who the pod belongs to; `note` says why an owner named by the pod was not taken. */
export interface Attribution {
  workload: Workload | undefined;
  note?: string;
}

/** What may own a pod: the controllers that create pods. A Deployment or a CronJob never does (its ReplicaSets or Jobs do). */
const POD_OWNERS: readonly WorkloadKind[] = ['ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet'];
/** What may own those, one level up: a ReplicaSet's Deployment, a Job's CronJob. */
const OWNER_OF: Record<string, string> = { ReplicaSet: 'Deployment', Job: 'CronJob' };
/**
 * The kinds oombot reads to check a link (kube/collect.ts, at their API paths in kube/workloads.ts); above a checked
 * link, a controller it does not read is taken at its word.
 */
export const CHECKED_OWNER_KINDS: readonly WorkloadKind[] = [...POD_OWNERS, 'Deployment', 'CronJob'];

const isOneOf = (kinds: readonly WorkloadKind[], kind: string): kind is WorkloadKind => (kinds as readonly string[]).includes(kind);

export function isCheckedOwnerKind(kind: string): kind is WorkloadKind {
  return isOneOf(CHECKED_OWNER_KINDS, kind);
}

function controllerOf(refs: OwnerRef[] | undefined): OwnerRef | undefined {
  return refs?.find((r) => r.controller);
}

/**
 * Follows the controller references two levels up (Pod → ReplicaSet → Deployment, Pod → Job → CronJob), checking each
 * link. A pod whose owner does not check out is a bare pod.
 */
export async function attributeOwner(pod: Pod, lookup: OwnerLookup<Promise<OwnerAnswer>>): Promise<Attribution> {
  const ref = controllerOf(pod.metadata.ownerReferences);
  if (!ref) return { workload: undefined };
  const ns = pod.metadata.namespace ?? 'default';
  const notPodOwner = podOwnerRefused(ref);
  const first = notPodOwner ? refusedParent(ref, notPodOwner) : afterParent(pod, ref, await lookup(ref.kind, ns, ref.name));
  if ('done' in first) return first.done;
  return afterGrand(pod, ref, first.up, await lookup(first.up.kind, ns, first.up.name));
}

/**
 * Offline (objects from files): the chain is checked the same way where the files hold the owners; where they do not,
 * the owner is inferred from names, for display only (the CLI changes nothing).
 */
export function attributeOwnerFromFiles(pod: Pod, find: OwnerLookup<OwnerObject | undefined>): Attribution {
  const ref = controllerOf(pod.metadata.ownerReferences);
  if (!ref) return { workload: undefined };
  const ns = pod.metadata.namespace ?? 'default';
  const notPodOwner = podOwnerRefused(ref);
  if (notPodOwner) return refusedParent(ref, notPodOwner).done;
  const parent = find(ref.kind, ns, ref.name);
  // Not in the files: inferred from names (the pod-template-hash convention), as kubectl users expect to read it.
  if (!parent) return { workload: workloadFromOwners(pod) };
  const first = afterParent(pod, ref, { object: parent });
  if ('done' in first) return first.done;
  const grand = find(first.up.kind, ns, first.up.name);
  return grand ? afterGrand(pod, ref, first.up, { object: grand }) : { workload: { kind: first.up.kind, name: first.up.name } };
}

function podOwnerRefused(ref: OwnerRef): string | undefined {
  if (!isCheckedOwnerKind(ref.kind) || isOneOf(POD_OWNERS, ref.kind)) return undefined;
  return `a ${ref.kind} never owns pods itself (its ${ref.kind === 'Deployment' ? 'ReplicaSets' : 'Jobs'} do), so the reference is not its own`;
}

function refusedParent(ref: OwnerRef, why: string): { done: Attribution } {
  return { done: { workload: undefined, note: `the owner ${WorkloadRef.key(ref)} the pod names: ${why}; treated as a bare pod` } };
}

function afterParent(pod: Pod, ref: OwnerRef, parent: OwnerAnswer): { done: Attribution } | { up: OwnerRef } {
  const refused = linkRefused(ref, parent, pod.metadata.labels);
  if (refused) return refusedParent(ref, refused);
  const up = controllerOf(parent.object!.metadata?.ownerReferences);
  if (!up) return { done: { workload: { kind: ref.kind, name: ref.name } } };
  // A controller oombot does not read (an Argo Rollout, say) set this reference on an object whose link to the pod
  // was checked: only whoever may write that object could have forged it.
  if (!isCheckedOwnerKind(up.kind)) return { done: { workload: { kind: up.kind, name: up.name } } };
  if (OWNER_OF[ref.kind] !== up.kind) {
    return { done: { workload: { kind: ref.kind, name: ref.name }, note: `the owner ${WorkloadRef.key(up)} of ${WorkloadRef.key(ref)}: a ${up.kind} does not own ${ref.kind}s, so the reference is not taken` } };
  }
  return { up };
}

function afterGrand(pod: Pod, ref: OwnerRef, up: OwnerRef, grand: OwnerAnswer): Attribution {
  const refused = linkRefused(up, grand, pod.metadata.labels);
  if (refused) return { workload: { kind: ref.kind, name: ref.name }, note: `the owner ${WorkloadRef.key(up)} of ${WorkloadRef.key(ref)}: ${refused}` };
  return { workload: { kind: up.kind, name: up.name } };
}

/** Why an owner reference does not hold, or undefined when it does. */
function linkRefused(ref: OwnerRef, answer: OwnerAnswer, labels: Record<string, string> | undefined): string | undefined {
  if (!answer.object) return answer.why;
  const o = answer.object;
  if (!ref.uid || o.metadata?.uid !== ref.uid) return `exists with another uid than the reference's (${ref.uid ?? 'none'}), so the reference is not its`;
  const selector = o.spec?.selector;
  if (selector && !selectorMatches(selector, labels ?? {})) return "its selector does not match the pod's labels, so it does not own the pod";
  return undefined;
}

/** Kubernetes label selector semantics (apimachinery's LabelSelectorAsSelector): every term must hold. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'In' ? has && values.includes(labels[key]!)
      : operator === 'NotIn' ? !has || !values.includes(labels[key]!)
      : operator === 'Exists' ? has
      : operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}
