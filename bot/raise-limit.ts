// The one-click limit increase, re-checked on the server (DESIGN.md, "Security rules"): the incident comes from the
// store, not the button; the user must be allowed for that namespace; the value is capped by a factor over the current
// limit and by the node; workloads that GitOps manages are refused; the patch is dry-run first, then applied to that
// one container with field manager `oombot`, and recorded in the audit trail. Every refusal says why and who to ask.
import type { KubeTransport } from '../kube/rest.ts';
import { statusMessage } from '../kube/rest.ts';
import { formatBytes, tryParseQuantity } from '../shared/quantity.ts';
import type { Verdict } from '../shared/verdict.ts';
import type { Store } from '../store/port.ts';

export interface RaisePolicy {
  /** Slack user ids allowed to change workloads, per namespace ("*" for every namespace). Default: nobody. */
  allowed: Record<string, string[]>;
  /** Who to ask, for the refusal message. */
  contact?: string;
  /** The new limit may be at most this factor over the current one. */
  maxFactor?: number;
}

export interface RaiseDeps {
  store: Store;
  cluster(name: string): KubeTransport | undefined;
  policy: RaisePolicy;
  now?: () => number;
}

export type RaiseOutcome =
  | { status: 'patched'; target: string; container: string; before: string; after: string }
  | { status: 'refused'; reason: string };

const WORKLOAD_PATHS: Record<string, { path: string; podSpec: string[] }> = {
  Deployment: { path: '/apis/apps/v1/namespaces/%ns/deployments/%name', podSpec: ['spec', 'template', 'spec'] },
  StatefulSet: { path: '/apis/apps/v1/namespaces/%ns/statefulsets/%name', podSpec: ['spec', 'template', 'spec'] },
  DaemonSet: { path: '/apis/apps/v1/namespaces/%ns/daemonsets/%name', podSpec: ['spec', 'template', 'spec'] },
  CronJob: { path: '/apis/batch/v1/namespaces/%ns/cronjobs/%name', podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
};

/** Labels and annotations Argo CD and Flux put on what they manage: a change here would be reverted, or fight Git. */
const GITOPS_MARKS: [string, 'label' | 'annotation', string][] = [
  ['argocd.argoproj.io/instance', 'label', 'Argo CD'],
  ['argocd.argoproj.io/tracking-id', 'annotation', 'Argo CD'],
  ['kustomize.toolkit.fluxcd.io/name', 'label', 'Flux'],
  ['helm.toolkit.fluxcd.io/name', 'label', 'Flux'],
];

const GITOPS_MANAGERS: Record<string, string> = { 'argocd-controller': 'Argo CD', 'argocd-application-controller': 'Argo CD', 'kustomize-controller': 'Flux', 'helm-controller': 'Flux' };

const refuse = (reason: string): RaiseOutcome => ({ status: 'refused', reason });

export async function raiseLimit(deps: RaiseDeps, request: { incidentId: string; userId: string }): Promise<RaiseOutcome> {
  const incident = await deps.store.incident(request.incidentId);
  if (!incident) return refuse(`I have no incident ${request.incidentId}: nothing was changed.`);
  const verdict = JSON.parse(incident.verdict) as Verdict;
  const wanted = verdict.recommendation?.memoryLimit;
  if (verdict.cause !== 'limit' || !wanted || !verdict.container) return refuse('This incident was not its own memory limit, so raising it is not the fix: nothing was changed.');

  const allowed = [...(deps.policy.allowed[incident.namespace] ?? []), ...(deps.policy.allowed['*'] ?? [])];
  if (!allowed.includes(request.userId)) {
    return refuse(`You may not change workloads in ${incident.namespace}.${deps.policy.contact ? ` Ask ${deps.policy.contact}.` : ''}${allowed.length ? ` Allowed: ${allowed.map((u) => `<@${u}>`).join(', ')}.` : ''}`);
  }
  const [kind, name] = incident.workload.split('/') as [string, string];
  const shape = WORKLOAD_PATHS[kind];
  if (!shape) return refuse(`${incident.workload} is not a workload I can change (a ${kind}); change its owner's template instead.`);
  const api = deps.cluster(incident.cluster);
  if (!api) return refuse(`I cannot reach cluster ${incident.cluster}: nothing was changed.`);

  const path = shape.path.replace('%ns', encodeURIComponent(incident.namespace)).replace('%name', encodeURIComponent(name));
  const current = await api.get(path);
  if (current.status === 404) return refuse(`${incident.workload} no longer exists in ${incident.namespace}.`);
  if (current.status !== 200) return refuse(`I could not read ${incident.workload}: ${statusMessage(current)}`);
  const object = current.body as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;
  // The controllers' own field managers are the surest sign (Argo CD before 3.0 tracked by app.kubernetes.io/instance,
  // a label too common to trust alone).
  const managers = ((object.metadata as { managedFields?: { manager?: string }[] } | undefined)?.managedFields ?? []).map((f) => f.manager);
  const controller = managers.find((m) => m && GITOPS_MANAGERS[m]);
  if (controller) return refuse(`${incident.workload} is managed by ${GITOPS_MANAGERS[controller]} (field manager ${controller}): change the limit in Git, or ${GITOPS_MANAGERS[controller]} will revert it.`);
  for (const [key, where, tool] of GITOPS_MARKS) {
    const marks = where === 'label' ? object.metadata?.labels : object.metadata?.annotations;
    if (marks?.[key] !== undefined) return refuse(`${incident.workload} is managed by ${tool} (${where} ${key}): change the limit in Git, or ${tool} will revert it.`);
  }
  const podSpec = shape.podSpec.reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, object);
  const containers = (podSpec?.['containers'] ?? []) as { name: string; resources?: { limits?: Record<string, string>; requests?: Record<string, string> } }[];
  const target = containers.find((c) => c.name === verdict.container);
  if (!target) return refuse(`${incident.workload} has no container ${verdict.container} any more.`);

  const before = target.resources?.limits?.['memory'];
  const beforeBytes = tryParseQuantity(before);
  const afterBytes = tryParseQuantity(wanted)!;
  const maxFactor = deps.policy.maxFactor ?? 2;
  if (beforeBytes !== undefined && afterBytes <= beforeBytes) return refuse(`The limit is already ${before} (someone raised it): nothing was changed.`);
  if (beforeBytes !== undefined && afterBytes > beforeBytes * maxFactor) return refuse(`${wanted} is more than ${maxFactor}× the current ${before}: change it by hand if you mean it.`);
  const allocatable = tryParseQuantity(verdict.memory.nodeAllocatable);
  if (allocatable !== undefined && afterBytes > allocatable) return refuse(`${wanted} is more than node ${verdict.node} can give (${formatBytes(allocatable)} allocatable): nothing was changed.`);

  // A strategic-merge patch of that one container; the request only if it would exceed the new limit.
  const requestBytes = tryParseQuantity(target.resources?.requests?.['memory']);
  const resources = { limits: { memory: wanted }, ...(requestBytes !== undefined && requestBytes > afterBytes ? { requests: { memory: wanted } } : {}) };
  const patch = nest(shape.podSpec, { containers: [{ name: verdict.container, resources }] });
  for (const dryRun of [true, false]) {
    const res = await api.request('PATCH', `${path}?fieldManager=oombot${dryRun ? '&dryRun=All' : ''}`, { body: patch, contentType: 'application/strategic-merge-patch+json' });
    if (res.status === 403) return refuse(`oombot may not change ${incident.workload} in ${incident.namespace} (403: ${statusMessage(res)}). Bind it the oombot-patcher role there.`);
    if (res.status === 409) return refuse(`${incident.workload} changed while I was patching it: try again.`);
    if (res.status !== 200) return refuse(`The ${dryRun ? 'dry run' : 'patch'} of ${incident.workload} failed: ${statusMessage(res)}`);
  }
  const at = new Date((deps.now ?? Date.now)()).toISOString();
  const after = wanted;
  await deps.store.recordAudit({ incidentId: incident.incidentId, cluster: incident.cluster, userId: request.userId, action: 'raise-memory-limit', target: `${incident.namespace}/${incident.workload}/${verdict.container}`, before: before ?? 'none', after, at });
  return { status: 'patched', target: `${incident.namespace}/${incident.workload}`, container: verdict.container, before: before ?? 'none', after };
}

function nest(keys: string[], leaf: unknown): Record<string, unknown> {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Record<string, unknown>;
}
