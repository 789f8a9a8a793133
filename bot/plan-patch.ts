// What a click on Raise limit / Set request would change, decided without I/O: from the incident's verdict, the workload
// as the API server returned it just now, and the policy's cap (docs/architecture.md, "Security rules"). Either a plan —
// the strategic-merge patch of that one container (or of the pod-level resources) and the numbers it rests on — or a
// refusal that says why and what to do instead. bot/apply-patch.ts dry-runs and applies a plan; nothing here does.
import { kindFacts, WorkloadRef, type KindFacts } from '../kube/workloads.ts';
import { formatBytes, MiB, tryParseQuantity } from '#shared/quantity.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { Incident } from '../store/port.ts';
import { gitopsOwner, type ManagedMetadata } from './gitops.ts';
import { refuse, type ChangedField, type Refusal } from './raise-outcome.ts';
import type { RaisePolicy } from './raise-policy.ts';

/**
 * What the button offers for a verdict: the limit it died at (cause limit), the pod-level limit when that is what ran
 * out (KEP-2837: it bounds all the pod's containers), or a realistic request (an eviction).
 */
export interface ProposedChange {
  field: ChangedField;
  value: string;
  /** The button's text: "Raise limit to 640Mi", "Raise pod limit to 2560Mi", "Set request to 1Gi". */
  label: string;
}

export function proposedChange(v: Verdict): ProposedChange | undefined {
  if (!v.container || v.containerType === 'ephemeral') return undefined;
  const r = v.recommendation;
  // An injected sidecar's resources come from its injector's annotations: a patch to the template would not stick.
  if (v.kind === 'injected-sidecar') return undefined;
  if (v.kind === 'pod-limit' && r?.memoryLimit) return { field: 'pod-limit', value: r.memoryLimit, label: `Raise pod limit to ${r.memoryLimit}` };
  if (v.cause === 'limit' && r?.memoryLimit) return { field: 'limit', value: r.memoryLimit, label: `Raise limit to ${r.memoryLimit}` };
  // The kubelet evicts by usage above request first (docs/domain.md §2): a request far below real use is the fix.
  if (v.kind === 'eviction' && r?.memoryRequest) return { field: 'request', value: r.memoryRequest, label: `Set request to ${r.memoryRequest}` };
  return undefined;
}

/** What the incident is about, as stored. */
export type RaiseSubject = Pick<Incident, 'namespace' | 'workload' | 'verdict'>;

/** The change a verdict calls for, and the container it is for. */
export type IntendedChange = ProposedChange & { status: 'intended'; container: string };

/** What a verdict calls for; or why a memory change is not the fix. */
export function intendedChange(verdict: Verdict): IntendedChange | Refusal {
  const change = proposedChange(verdict);
  if (verdict.kind === 'injected-sidecar') return refuse(`${verdict.container} is injected by a webhook that sets its resources in every new pod: a change to the workload's template would not stick. Use the injector's annotation named in the alert: nothing was changed.`);
  if (!change || !verdict.container) return refuse('Raising memory is not the fix for this incident (it did not die at its own limit, nor was it evicted below its usage): nothing was changed.');
  return { status: 'intended', ...change, container: verdict.container };
}

/** The object Raise would change, by kind (kube/workloads.ts): a workload's pod template, or a bare pod in place. */
export interface RaiseTarget {
  ref: WorkloadRef;
  facts: KindFacts & { raise: NonNullable<KindFacts['raise']> };
  /** Where the API serves it. */
  path: string;
}

export function raiseTarget(subject: Pick<Incident, 'namespace' | 'workload'>): RaiseTarget | Refusal {
  const ref = WorkloadRef.fromKey(subject.workload, subject.namespace);
  const kind = ref?.kind ?? subject.workload;
  const facts = ref && kindFacts(kind);
  const path = ref && WorkloadRef.apiPath(ref);
  if (!ref || !facts?.raise || !path) return refuse(`${subject.workload} is not something I can change (a ${kind}'s pod template cannot be edited); change its owner's template instead.`);
  return { ref, facts: { ...facts, raise: facts.raise }, path };
}

/** A workload or pod as the API server returned it: only what planning reads is typed. */
export type LiveObject = { metadata?: ManagedMetadata & { resourceVersion?: string } & Record<string, unknown> } & Record<string, unknown>;

type Resources = { limits?: Record<string, string>; requests?: Record<string, string> };
type ContainerSpec = { name: string; resources?: Resources };

export interface PatchPlan {
  status: 'planned';
  field: ChangedField;
  /** The container that died (a pod-level limit bounds it; the patch leaves the container itself alone). */
  container: string;
  /** How refusals name the field: "limit", "request", "pod-level limit". */
  what: string;
  how: 'workload' | 'resize';
  /** Where to PATCH: the workload, or the bare pod's resize subresource. */
  path: string;
  /** The strategic-merge patch, with the resourceVersion that was checked as its precondition. */
  patch: Record<string, unknown>;
  /** The value in force before ("none" when neither the template nor the diagnosed pod had one), and the new one. */
  before: string;
  after: string;
  /** The numbers the caps were checked against, in bytes. */
  basis: {
    currentBytes?: number;
    newBytes: number;
    /** maxFactor × the current limit (requests have no factor cap: they are sized from usage). */
    factorCapBytes?: number;
    /** A request's cap: the limit in force. */
    limitBytes?: number;
    nodeAllocatableBytes?: number;
    /** `display text`: an incident stored before the verdict carried the exact bytes. */
    nodeAllocatableFrom?: 'bytes' | 'display text';
    resourceVersion?: string;
  };
  /** What the change does next, for this kind of workload. */
  next: string;
}

/**
 * The patch a click would apply, or why it may not: the workload is managed by GitOps, the container (or the pod-level
 * limit) is gone, someone raised it already, or the new value is over a cap — maxFactor × the current limit, the limit
 * for a request, the node's allocatable.
 */
export function planPatch(input: { incident: RaiseSubject; live: LiveObject; policy: Pick<RaisePolicy, 'maxFactor'> }): PatchPlan | Refusal {
  const { incident, live, policy } = input;
  const verdict = incident.verdict;
  const change = intendedChange(verdict);
  if (change.status === 'refused') return change;
  const target = raiseTarget(incident);
  if ('status' in target) return target;
  const gitops = gitopsOwner(live.metadata);
  if (gitops) return refuse(`${incident.workload} is managed by ${gitops.tool} (${gitops.mark}): change the ${change.field} in Git, or ${gitops.tool} will revert it.`);

  const podSpec = target.facts.podSpec.reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, live);
  // Init containers (native sidecars among them) live in their own list; strategic merge patches it by name too.
  const list = verdict.containerType === 'init' ? 'initContainers' : 'containers';
  const podLevel = change.field === 'pod-limit';
  // The pod-level limit lives in the pod spec's own resources (spec.resources, KEP-2837), not in a container.
  const spec: ContainerSpec | undefined = podLevel ? { name: '', ...(podSpec?.['resources'] ? { resources: podSpec['resources'] as Resources } : {}) } : ((podSpec?.[list] ?? []) as ContainerSpec[]).find((c) => c.name === change.container);
  if (!spec) return refuse(`${incident.workload} has no container ${change.container} any more: nothing was changed.`);
  if (podLevel && spec.resources?.limits?.['memory'] === undefined) return refuse(`${incident.workload} no longer sets a pod-level memory limit: nothing was changed.`);

  // A value the template does not set may come from a LimitRange: the diagnosed pod shows what applied.
  const limit = podLevel ? spec.resources!.limits!['memory'] : (spec.resources?.limits?.['memory'] ?? verdict.memory.limit);
  const request = podLevel ? spec.resources?.requests?.['memory'] : (spec.resources?.requests?.['memory'] ?? verdict.memory.request);
  const limitBytes = tryParseQuantity(limit);
  const requestBytes = tryParseQuantity(request);
  const raisesLimit = change.field !== 'request';
  const before = raisesLimit ? limit : request;
  const currentBytes = raisesLimit ? limitBytes : requestBytes;
  const what = podLevel ? 'pod-level limit' : change.field;
  const newBytes = tryParseQuantity(change.value);
  // Only a stored verdict written by hand or damaged gets here: the recommender writes quantities.
  if (newBytes === undefined) return refuse(`The recommended ${what} ${change.value} is not a quantity I can read: nothing was changed.`);
  const maxFactor = policy.maxFactor ?? 2;
  if (currentBytes !== undefined && newBytes <= currentBytes) return refuse(`The ${what} is already ${before} (someone raised it): nothing was changed.`);
  // A request is sized from usage and may rightly be far above the old one; its cap is the limit and the node.
  const factorCapBytes = raisesLimit && currentBytes !== undefined ? currentBytes * maxFactor : undefined;
  if (factorCapBytes !== undefined && newBytes > factorCapBytes) return refuse(`${change.value} is more than ${maxFactor}× the current ${before}: change it by hand if you mean it.`);
  if (change.field === 'request' && limitBytes !== undefined && newBytes > limitBytes) return refuse(`A request of ${change.value} is above the limit ${limit}: raise the limit first, by hand.`);
  // The exact bytes the diagnosis read off the node. An incident stored before the verdict carried them has only the
  // display text, rounded to one decimal ("15Gi" for 14.96Gi): read back for those alone.
  const exact = verdict.memory.nodeAllocatableBytes;
  const allocatable = exact ?? tryParseQuantity(verdict.memory.nodeAllocatable);
  if (allocatable !== undefined && newBytes > allocatable) return refuse(`${change.value} is more than node ${verdict.node} can give (${allocatableText(allocatable, newBytes)} allocatable): nothing was changed.`);

  // That one container, and the request only when needed: when the new limit would be below it, or when request and
  // limit were equal (the Guaranteed class; a bare pod's QoS class cannot change in place, KEP-1287, and a workload's
  // should not change behind its owners' back: it decides eviction order and CPU pinning).
  const resources: Record<string, Record<string, string>> = {};
  if (raisesLimit) {
    resources['limits'] = { memory: change.value };
    if (requestBytes !== undefined && (requestBytes > newBytes || requestBytes === limitBytes)) resources['requests'] = { memory: change.value };
  } else {
    resources['requests'] = { memory: change.value };
  }
  const how = target.facts.raise === 'resize' ? 'resize' : 'workload';
  const resourceVersion = live.metadata?.resourceVersion;
  // The resourceVersion read is a precondition: if anyone changed the object since it was checked, the API server
  // answers 409 and nothing is changed (a concurrent raise to more is never undone by this one).
  const leaf = podLevel ? { resources } : { [list]: [{ name: change.container, resources }] };
  const patch = { metadata: { resourceVersion }, ...nest(how === 'resize' ? ['spec'] : target.facts.podSpec, leaf) };
  return {
    status: 'planned',
    field: change.field,
    container: change.container,
    what,
    how,
    path: how === 'resize' ? `${target.path}/resize` : target.path,
    patch,
    before: before ?? 'none',
    after: change.value,
    basis: {
      ...(currentBytes !== undefined ? { currentBytes } : {}),
      newBytes,
      ...(factorCapBytes !== undefined ? { factorCapBytes } : {}),
      ...(change.field === 'request' && limitBytes !== undefined ? { limitBytes } : {}),
      ...(allocatable !== undefined ? { nodeAllocatableBytes: allocatable, nodeAllocatableFrom: exact !== undefined ? ('bytes' as const) : ('display text' as const) } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    next: whatNext(target.ref.kind, live, incident.namespace, verdict.pod.name),
  };
}

/**
 * The node's allocatable as the refusal shows it: the usual short form, or whole MiB rounded down when the short form
 * (one decimal) would read as enough ("15Gi is more than … can give (15Gi allocatable)" for 14.96Gi).
 */
function allocatableText(allocatable: number, wanted: number): string {
  const short = formatBytes(allocatable);
  return tryParseQuantity(short)! < wanted ? short : `${Math.floor(allocatable / MiB)}Mi`;
}

/** What the change does next, by kind and update strategy: not every workload rolls on its own. */
function whatNext(kind: string, live: LiveObject, namespace: string, pod: string): string {
  const spec = (live['spec'] ?? {}) as { updateStrategy?: { type?: string } };
  switch (kind) {
    case 'Pod':
      return `Resize requested: the kubelet applies it in place (\`kubectl get pod -n ${namespace} ${pod}\` shows any PodResizePending condition). It does not survive a rollout or the pod being recreated: change its manifest too.`;
    case 'CronJob':
      return 'The next run uses it; a Job already running keeps the old value.';
    case 'DaemonSet':
      return spec.updateStrategy?.type === 'OnDelete' ? `Its update strategy is OnDelete: delete its pods to apply it (\`kubectl delete pod -n ${namespace} ${pod}\` first).` : 'Its pods roll out with the new value now, node by node.';
    case 'StatefulSet':
      if (spec.updateStrategy?.type === 'OnDelete') return `Its update strategy is OnDelete: delete its pods to apply it (\`kubectl delete pod -n ${namespace} ${pod}\` first).`;
      // Kubernetes docs, StatefulSet "Forced rollback": a rolling update waits for a broken pod to become Ready.
      return `Its pods roll out one by one; if ${pod} keeps crash-looping the rollout waits on it: \`kubectl delete pod -n ${namespace} ${pod}\` lets it move.`;
    default:
      return 'Its pods roll out with the new value now.';
  }
}

function nest(keys: readonly string[], leaf: unknown): Record<string, unknown> {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Record<string, unknown>;
}
