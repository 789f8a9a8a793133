// A plan (bot/plan-patch.ts) applied: a server-side dry run, then the strategic-merge patch with field manager `oombot`;
// every refusal of the API server said in words; and every click, applied or refused, kept in the audit trail
// (docs/architecture.md, "Security rules").
import { headOf } from '#shared/clip-text.ts';
import { statusMessage as rawStatusMessage, type KubeResponse, type KubeTransport } from '../kube/rest.ts';
import type { Incident, Store } from '../store/port.ts';
import type { PatchPlan, RaiseSubject } from './plan-patch.ts';
import { refuse, type RaiseOutcome } from './raise-outcome.ts';
import { withoutCaller } from './slack-limits.ts';

/** The API server's message, without the caller it names (an ARN); escaped with the rest of the refusal. */
export function statusMessage(res: KubeResponse): string {
  return withoutCaller(rawStatusMessage(res));
}

export async function applyPlan(api: KubeTransport, plan: PatchPlan, incident: RaiseSubject): Promise<RaiseOutcome> {
  const { workload, namespace } = incident;
  if (plan.how === 'resize' && !(await supportsResize(api))) return refuse(`${workload} is a bare pod and this API server has no pods/resize (Kubernetes 1.33 or later): change the pod's manifest and recreate it.`);
  for (const dryRun of [true, false]) {
    const res = await api.request('PATCH', `${plan.path}?fieldManager=oombot${dryRun ? '&dryRun=All' : ''}`, { body: plan.patch, contentType: 'application/strategic-merge-patch+json' });
    if (res.status === 403) return refuse(`oombot may not change ${workload} in ${namespace} (403: ${statusMessage(res)}). Bind it the oombot-patcher role there.`);
    if (res.status === 404) return refuse(`${workload} no longer exists in ${namespace}: nothing was changed.`);
    if (res.status === 409) return refuse(`${workload} changed while I was checking it: nothing was changed. Look at its ${plan.what} now, and click again if it still needs it.`);
    // The API server refuses a resize while a running container's status has no `resources`: its kubelet is older
    // than in-place resize (KEP-1287: the kubelet reports allocated resources there).
    if (plan.how === 'resize' && res.status === 422 && rawStatusMessage(res).includes('without support for resize')) return refuse(`The kubelet on node ${incident.verdict.node ?? 'of this pod'} cannot resize pods in place: change the pod's manifest and recreate it.`);
    // Resizing a pod that has pod-level resources needs InPlacePodLevelResourcesVerticalScaling (KEP-5419: alpha and
    // off by default in 1.35); without it the API server forbids any resize of such a pod, container limits included.
    if (plan.how === 'resize' && res.status === 422 && rawStatusMessage(res).includes('pod-level resources')) return refuse(`${workload} has pod-level resources, and this API server cannot resize such a pod in place (the InPlacePodLevelResourcesVerticalScaling feature gate is off; alpha since Kubernetes 1.35): change the pod's manifest and recreate it. Nothing was changed.`);
    if (res.status !== 200) return refuse(`The ${dryRun ? 'dry run' : 'patch'} of ${workload} was refused by the API server: ${statusMessage(res)}`);
  }
  return { status: 'patched', target: `${namespace}/${workload}`, container: plan.container, field: plan.field, before: plan.before, after: plan.after, how: plan.how, next: plan.next };
}

/**
 * Keeps the click in the audit trail: who changed what from what to what, or who tried and why it was refused. When a
 * change was made but its record cannot be written, the outcome says so (`auditError`) instead of reporting a failure
 * that did not happen; a refusal's record failing is thrown, as nothing was changed.
 */
export async function recordRaise(store: Pick<Store, 'recordAudit'>, incident: Pick<Incident, 'incidentId' | 'cluster' | 'namespace' | 'workload' | 'container'>, userId: string, outcome: RaiseOutcome, at: string): Promise<RaiseOutcome> {
  const record = { incidentId: incident.incidentId, cluster: incident.cluster, userId, at };
  if (outcome.status === 'patched') {
    try {
      await store.recordAudit({ ...record, action: `raise-memory-${outcome.field}`, target: `${incident.namespace}/${incident.workload}/${outcome.container}`, before: outcome.before, after: outcome.after });
    } catch (error) {
      return { ...outcome, auditError: error instanceof Error ? error.message : String(error) };
    }
    return outcome;
  }
  await store.recordAudit({ ...record, action: 'raise-memory-refused', target: `${incident.namespace}/${incident.workload}/${incident.container ?? ''}`, before: '', after: headOf(outcome.reason, 500) });
  return outcome;
}

/** Whether the API server serves pods/resize (discovery of the core group). */
async function supportsResize(api: KubeTransport): Promise<boolean> {
  const res = await api.get('/api/v1');
  const resources = (res.body as { resources?: { name: string }[] } | undefined)?.resources ?? [];
  return res.status === 200 && resources.some((r) => r.name === 'pods/resize');
}
