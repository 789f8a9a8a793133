// The one-click memory fix, re-checked on the server (docs/architecture.md, "Security rules"), in three steps: who may
// press (bot/raise-policy.ts), what would change and whether the caps allow it (bot/plan-patch.ts, pure), then a dry
// run and the patch with field manager `oombot` (bot/apply-patch.ts). The incident is the one the caller loaded from
// the store by the button's id, never anything the button carried. Every refusal says why and who to ask, and every
// click, applied or refused, is kept in the audit trail.
import type { PatcherLookup } from '../kube/cluster-registry.ts';
import type { KubeTransport } from '../kube/rest.ts';
import type { Incident, Store } from '../store/port.ts';
import { applyPlan, recordRaise, statusMessage } from './apply-patch.ts';
import { intendedChange, planPatch, raiseTarget, type LiveObject } from './plan-patch.ts';
import { refuse, type RaiseOutcome } from './raise-outcome.ts';
import { authorize, type GroupMembers, type RaisePolicy } from './raise-policy.ts';

// What the alert, the configuration loaders and the actions read of the raise, from where they always have.
export { proposedChange, type ProposedChange } from './plan-patch.ts';
export type { RaiseOutcome } from './raise-outcome.ts';
export { RaisePolicySchema, type RaisePolicy } from './raise-policy.ts';

export interface RaiseDeps {
  store: Pick<Store, 'recordAudit'>;
  cluster(name: string): KubeTransport | undefined;
  /**
   * The identity that patches, where it is not `cluster`'s: a token cluster's patch token, or `no-patch-token`
   * (kube/cluster-registry.ts). Without this port `cluster` patches too (local mode: the kubeconfig's own identity).
   */
  patcher?: PatcherLookup;
  policy: RaisePolicy;
  /** The members of a Slack user group (usergroups.users.list); without it, only user ids in the policy count. */
  groupMembers?: GroupMembers;
  now?: () => number;
}

export async function raiseLimit(deps: RaiseDeps, request: { incident: Incident; userId: string }): Promise<RaiseOutcome> {
  const { incident, userId } = request;
  const outcome = await check(deps, incident, userId);
  return recordRaise(deps.store, incident, userId, outcome, new Date((deps.now ?? Date.now)()).toISOString());
}

async function check(deps: RaiseDeps, incident: Incident, userId: string): Promise<RaiseOutcome> {
  // In this order: whether a memory change is the fix at all (said in the thread, whoever clicked), then the policy
  // (said to the clicker alone), then what the cluster holds now.
  const change = intendedChange(incident.verdict);
  if (change.status === 'refused') return change;
  const allowed = await authorize(deps.policy, incident.namespace, userId, deps.groupMembers);
  if (allowed.status === 'refused') return allowed;
  const target = raiseTarget(incident);
  if ('status' in target) return target;
  // The whole raise (the read it plans from, the dry run, the patch) runs as the identity that patches: what was checked
  // is what that identity sees. A token cluster without one is refused here, before any call, in words an operator
  // can act on, not as the API server's 403 (docs/architecture.md, "Security rules").
  const api = deps.patcher ? deps.patcher(incident.cluster) : deps.cluster(incident.cluster);
  if (api === 'no-patch-token') return refuse(`Cluster ${incident.cluster} has no patch token, so Raise limit is off there: nothing was changed. Set patchTokenSecretId in its OOMBOT_CLUSTERS entry to a token bound to oombot-patcher (README, "Deploy the backend", step 4).`);
  if (!api) return refuse(`I cannot reach cluster ${incident.cluster}: nothing was changed.`);
  const current = await api.get(target.path);
  if (current.status === 404) return refuse(`${incident.workload} no longer exists in ${incident.namespace}: nothing was changed.`);
  if (current.status !== 200) return refuse(`I could not read ${incident.workload}: ${statusMessage(current)}`);
  const plan = planPatch({ incident, live: current.body as LiveObject, policy: deps.policy });
  if (plan.status === 'refused') return plan;
  return applyPlan(api, plan, incident);
}

