// The one-click memory fix, re-checked on the server (docs/architecture.md, "Security rules"): the incident comes from
// the store, not the button; the user (or one of their Slack user groups) must be allowed for that namespace; the value
// is capped by a factor over the current one and by the node; workloads that GitOps manages are refused; the patch is
// dry-run first, then applied to that one container with field manager `oombot`, and recorded in the audit trail. Every
// refusal says why and who to ask, and refusals are on the record too.
import * as z from 'zod';
import type { KubeTransport } from '../kube/rest.ts';
import { statusMessage as rawStatusMessage, type KubeResponse } from '../kube/rest.ts';
import { kindFacts, WorkloadRef } from '../kube/workloads.ts';
import { formatBytes, tryParseQuantity } from '#shared/quantity.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { Incident, Store } from '../store/port.ts';
import { escapeMrkdwn, withoutCaller } from './slack-limits.ts';

/** The API server's message (escaped with the rest of a refusal, in `refuse`). */
const statusMessage = (res: KubeResponse) => withoutCaller(rawStatusMessage(res));

/**
 * Who may press the button, per namespace ("*" for every namespace): Slack user ids (U…, W…) and user group ids (S…);
 * default nobody. `contact` is who to ask, for the refusal ("#platform", "<!subteam^S0PLATFORM>"); the new limit may
 * be at most `maxFactor` over the current one (default 2).
 */
export const RaisePolicySchema = z.object({
  allowed: z.record(z.string(), z.array(z.string().regex(/^[UWS][A-Z0-9]+$/, 'must be a Slack user id (U…, W…) or user group id (S…)'))).default({}),
  contact: z.string().optional(),
  maxFactor: z.number().min(1).max(10).default(2),
});
/** As configured (defaults not yet applied): what a caller may pass. */
export type RaisePolicy = z.input<typeof RaisePolicySchema>;

export interface RaiseDeps {
  store: Store;
  cluster(name: string): KubeTransport | undefined;
  policy: RaisePolicy;
  /** The members of a Slack user group (usergroups.users.list); without it, only user ids in the policy count. */
  groupMembers?(groupId: string): Promise<string[]>;
  now?: () => number;
}

/**
 * What the button offers for a verdict: the limit it died at (cause limit), the pod-level limit when that is what ran
 * out (KEP-2837: it bounds all the pod's containers), or a realistic request (an eviction).
 */
export interface ProposedChange {
  field: 'limit' | 'request' | 'pod-limit';
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

export type RaiseOutcome =
  | {
      status: 'patched';
      target: string;
      container: string;
      field: 'limit' | 'request' | 'pod-limit';
      before: string;
      after: string;
      how: 'workload' | 'resize';
      /** What happens next, for this kind of workload (a rollout, the next run, a resize the kubelet applies). */
      next: string;
      /** Set when the change was made but its audit record could not be written. */
      auditError?: string;
    }
  /** `user`: only the one who clicked needs to hear it (the policy said no); `thread`: everyone watching the alert. */
  | { status: 'refused'; reason: string; audience: 'user' | 'thread' };

/** Labels and annotations Argo CD and Flux put on what they manage: a change here would be reverted, or fight Git. */
const GITOPS_MARKS: [string, 'label' | 'annotation', string][] = [
  ['argocd.argoproj.io/instance', 'label', 'Argo CD'],
  ['argocd.argoproj.io/tracking-id', 'annotation', 'Argo CD'],
  ['kustomize.toolkit.fluxcd.io/name', 'label', 'Flux'],
  ['helm.toolkit.fluxcd.io/name', 'label', 'Flux'],
];

const GITOPS_MANAGERS: Record<string, string> = { 'argocd-controller': 'Argo CD', 'argocd-application-controller': 'Argo CD', 'kustomize-controller': 'Flux', 'helm-controller': 'Flux' };

type ContainerSpec = { name: string; resources?: { limits?: Record<string, string>; requests?: Record<string, string> } };
type KubeObject = { metadata?: { resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: { manager?: string }[] } } & Record<string, unknown>;

export async function raiseLimit(deps: RaiseDeps, request: { incidentId: string; userId: string }): Promise<RaiseOutcome> {
  const incident = await deps.store.incident(request.incidentId);
  if (!incident) return { status: 'refused', reason: escapeMrkdwn(`I have no incident ${request.incidentId}: nothing was changed.`), audience: 'user' };
  const outcome = await check(deps, incident, request.userId);
  const at = new Date((deps.now ?? Date.now)()).toISOString();
  const container = incident.container ?? '';
  if (outcome.status === 'patched') {
    try {
      await deps.store.recordAudit({ incidentId: incident.incidentId, cluster: incident.cluster, userId: request.userId, action: `raise-memory-${outcome.field}`, target: `${incident.namespace}/${incident.workload}/${outcome.container}`, before: outcome.before, after: outcome.after, at });
    } catch (error) {
      // The change is made: say so, and that its record is missing, rather than report a failure that did not happen.
      return { ...outcome, auditError: (error as Error).message };
    }
  } else {
    // A refused click is on the record too: who tried what on which incident, and why it was refused.
    await deps.store.recordAudit({ incidentId: incident.incidentId, cluster: incident.cluster, userId: request.userId, action: 'raise-memory-refused', target: `${incident.namespace}/${incident.workload}/${container}`, before: '', after: outcome.reason.slice(0, 500), at });
  }
  return outcome;
}

async function check(deps: RaiseDeps, incident: Incident, userId: string): Promise<RaiseOutcome> {
  // A refusal is posted to Slack as it is: everything in it that came from the cluster or the store (names, the API
  // server's message) is escaped here, once. Only the policy's `contact`, the operator's own words (it may be a
  // <!subteam^…> mention), is written raw, in the policy refusal below.
  const refuse = (reason: string, audience: 'user' | 'thread' = 'thread'): RaiseOutcome => ({ status: 'refused', reason: escapeMrkdwn(reason), audience });
  const verdict = incident.verdict;
  const change = proposedChange(verdict);
  if (verdict.kind === 'injected-sidecar') return refuse(`${verdict.container} is injected by a webhook that sets its resources in every new pod: a change to the workload's template would not stick. Use the injector's annotation named in the alert: nothing was changed.`);
  if (!change || !verdict.container) return refuse('Raising memory is not the fix for this incident (it did not die at its own limit, nor was it evicted below its usage): nothing was changed.');

  // Own keys only: a namespace named "constructor" must not find Object's.
  const policy = deps.policy.allowed ?? {};
  const entry = (key: string) => (Object.hasOwn(policy, key) ? (policy[key] ?? []) : []);
  const allowed = [...entry(incident.namespace), ...entry('*')];
  if (!(await isAllowed(deps, allowed, userId))) {
    // Said to the clicker alone, and naming who may without mentioning them: a refusal must not page the platform team.
    const who = allowed.map((id) => (id.startsWith('S') ? `a member of user group ${id}` : id));
    const reason = `${escapeMrkdwn(`You may not change workloads in ${incident.namespace}.`)}${deps.policy.contact ? ` Ask ${deps.policy.contact}.` : ''}${who.length ? escapeMrkdwn(` Allowed: ${who.join(', ')}.`) : ''}`;
    return { status: 'refused', reason, audience: 'user' };
  }
  // What Raise changes, by kind (kube/workloads.ts): a workload's pod template, or a bare pod in place (pods/resize).
  const workload = WorkloadRef.fromKey(incident.workload, incident.namespace);
  const kind = workload?.kind ?? incident.workload;
  const shape = workload && kindFacts(kind);
  if (!workload || !shape?.raise) return refuse(`${incident.workload} is not something I can change (a ${kind}'s pod template cannot be edited); change its owner's template instead.`);
  const api = deps.cluster(incident.cluster);
  if (!api) return refuse(`I cannot reach cluster ${incident.cluster}: nothing was changed.`);

  const path = WorkloadRef.apiPath(workload)!;
  const current = await api.get(path);
  if (current.status === 404) return refuse(`${incident.workload} no longer exists in ${incident.namespace}: nothing was changed.`);
  if (current.status !== 200) return refuse(`I could not read ${incident.workload}: ${statusMessage(current)}`);
  const object = current.body as KubeObject;
  const gitops = gitopsOwner(object);
  if (gitops) return refuse(`${incident.workload} is managed by ${gitops.tool} (${gitops.mark}): change the ${change.field} in Git, or ${gitops.tool} will revert it.`);
  const podSpec = shape.podSpec.reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, object);
  // Init containers (native sidecars among them) live in their own list; strategic merge patches it by name too.
  const list = verdict.containerType === 'init' ? 'initContainers' : 'containers';
  const podLevel = change.field === 'pod-limit';
  // The pod-level limit lives in the pod spec's own resources (spec.resources, KEP-2837), not in a container.
  const target: ContainerSpec | undefined = podLevel ? { name: '', ...(podSpec?.['resources'] ? { resources: podSpec['resources'] as ContainerSpec['resources'] } : {}) } : ((podSpec?.[list] ?? []) as ContainerSpec[]).find((c) => c.name === verdict.container);
  if (!target) return refuse(`${incident.workload} has no container ${verdict.container} any more: nothing was changed.`);
  if (podLevel && target.resources?.limits?.['memory'] === undefined) return refuse(`${incident.workload} no longer sets a pod-level memory limit: nothing was changed.`);

  // A value the template does not set may come from a LimitRange: the diagnosed pod shows what applied.
  const limit = podLevel ? target.resources!.limits!['memory'] : (target.resources?.limits?.['memory'] ?? verdict.memory.limit);
  const req = podLevel ? target.resources?.requests?.['memory'] : (target.resources?.requests?.['memory'] ?? verdict.memory.request);
  const limitBytes = tryParseQuantity(limit);
  const requestBytes = tryParseQuantity(req);
  const afterBytes = tryParseQuantity(change.value)!;
  const raisesLimit = change.field !== 'request';
  const before = raisesLimit ? limit : req;
  const beforeBytes = raisesLimit ? limitBytes : requestBytes;
  const maxFactor = deps.policy.maxFactor ?? 2;
  const what = podLevel ? 'pod-level limit' : change.field;
  if (beforeBytes !== undefined && afterBytes <= beforeBytes) return refuse(`The ${what} is already ${before} (someone raised it): nothing was changed.`);
  // A request is sized from usage and may rightly be far above the old one; its cap is the limit and the node.
  if (raisesLimit && beforeBytes !== undefined && afterBytes > beforeBytes * maxFactor) return refuse(`${change.value} is more than ${maxFactor}× the current ${before}: change it by hand if you mean it.`);
  if (change.field === 'request' && limitBytes !== undefined && afterBytes > limitBytes) return refuse(`A request of ${change.value} is above the limit ${limit}: raise the limit first, by hand.`);
  const allocatable = tryParseQuantity(verdict.memory.nodeAllocatable);
  if (allocatable !== undefined && afterBytes > allocatable) return refuse(`${change.value} is more than node ${verdict.node} can give (${formatBytes(allocatable)} allocatable): nothing was changed.`);

  // That one container, and the request only when needed: when the new limit would be below it, or when request and
  // limit were equal (the Guaranteed class; a bare pod's QoS class cannot change in place, KEP-1287, and a workload's
  // should not change behind its owners' back: it decides eviction order and CPU pinning).
  const resources: Record<string, Record<string, string>> = {};
  if (raisesLimit) {
    resources['limits'] = { memory: change.value };
    if (requestBytes !== undefined && (requestBytes > afterBytes || requestBytes === limitBytes)) resources['requests'] = { memory: change.value };
  } else {
    resources['requests'] = { memory: change.value };
  }
  const how = shape.raise === 'resize' ? 'resize' : 'workload';
  let patchPath = path;
  if (how === 'resize') {
    if (!(await supportsResize(api))) return refuse(`${incident.workload} is a bare pod and this API server has no pods/resize (Kubernetes 1.33 or later): change the pod's manifest and recreate it.`);
    patchPath = `${path}/resize`;
  }
  // The resourceVersion read above is a precondition: if anyone changed the object since it was checked, the API
  // server answers 409 and nothing is changed (a concurrent raise to more is never undone by this one).
  const leaf = podLevel ? { resources } : { [list]: [{ name: verdict.container, resources }] };
  const patch = { metadata: { resourceVersion: object.metadata?.resourceVersion }, ...nest(how === 'resize' ? ['spec'] : shape.podSpec, leaf) };
  for (const dryRun of [true, false]) {
    const res = await api.request('PATCH', `${patchPath}?fieldManager=oombot${dryRun ? '&dryRun=All' : ''}`, { body: patch, contentType: 'application/strategic-merge-patch+json' });
    if (res.status === 403) return refuse(`oombot may not change ${incident.workload} in ${incident.namespace} (403: ${statusMessage(res)}). Bind it the oombot-patcher role there.`);
    if (res.status === 404) return refuse(`${incident.workload} no longer exists in ${incident.namespace}: nothing was changed.`);
    if (res.status === 409) return refuse(`${incident.workload} changed while I was checking it: nothing was changed. Look at its ${what} now, and click again if it still needs it.`);
    // The API server refuses a resize while a running container's status has no `resources`: its kubelet is older
    // than in-place resize (KEP-1287: the kubelet reports allocated resources there).
    if (how === 'resize' && res.status === 422 && rawStatusMessage(res).includes('without support for resize')) return refuse(`The kubelet on node ${verdict.node ?? 'of this pod'} cannot resize pods in place: change the pod's manifest and recreate it.`);
    // Resizing a pod that has pod-level resources needs InPlacePodLevelResourcesVerticalScaling (KEP-5419: alpha and
    // off by default in 1.35); without it the API server forbids any resize of such a pod, container limits included.
    if (how === 'resize' && res.status === 422 && rawStatusMessage(res).includes('pod-level resources')) return refuse(`${incident.workload} has pod-level resources, and this API server cannot resize such a pod in place (the InPlacePodLevelResourcesVerticalScaling feature gate is off; alpha since Kubernetes 1.35): change the pod's manifest and recreate it. Nothing was changed.`);
    if (res.status !== 200) return refuse(`The ${dryRun ? 'dry run' : 'patch'} of ${incident.workload} was refused by the API server: ${statusMessage(res)}`);
  }
  return { status: 'patched', target: `${incident.namespace}/${incident.workload}`, container: verdict.container, field: change.field, before: before ?? 'none', after: change.value, how, next: whatNext(kind, object, incident.namespace, verdict.pod.name) };
}

/** What the change does next, by kind and update strategy: not every workload rolls on its own. */
function whatNext(kind: string, object: KubeObject, namespace: string, pod: string): string {
  const spec = (object['spec'] ?? {}) as { updateStrategy?: { type?: string }; podManagementPolicy?: string };
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

async function isAllowed(deps: RaiseDeps, allowed: string[], userId: string): Promise<boolean> {
  if (allowed.includes(userId)) return true;
  for (const group of allowed.filter((id) => id.startsWith('S'))) {
    if (deps.groupMembers && (await deps.groupMembers(group)).includes(userId)) return true;
  }
  return false;
}

function gitopsOwner(object: KubeObject): { tool: string; mark: string } | undefined {
  // The controllers' own field managers are the surest sign (Argo CD before 3.0 tracked by app.kubernetes.io/instance,
  // a label too common to trust alone).
  const controller = (object.metadata?.managedFields ?? []).map((f) => f.manager).find((m) => m && GITOPS_MANAGERS[m]);
  if (controller) return { tool: GITOPS_MANAGERS[controller]!, mark: `field manager ${controller}` };
  for (const [key, where, tool] of GITOPS_MARKS) {
    const marks = where === 'label' ? object.metadata?.labels : object.metadata?.annotations;
    if (marks?.[key] !== undefined) return { tool, mark: `${where} ${key}` };
  }
  return undefined;
}

/** Whether the API server serves pods/resize (discovery of the core group). */
async function supportsResize(api: KubeTransport): Promise<boolean> {
  const res = await api.get('/api/v1');
  const resources = (res.body as { resources?: { name: string }[] } | undefined)?.resources ?? [];
  return res.status === 200 && resources.some((r) => r.name === 'pods/resize');
}

function nest(keys: readonly string[], leaf: unknown): Record<string, unknown> {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Record<string, unknown>;
}
