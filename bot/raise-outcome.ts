// What a click on Raise limit / Set request comes to: the change made, or a refusal that says why and what to do. Each
// step of the raise (bot/raise-policy.ts, bot/plan-patch.ts, bot/apply-patch.ts) may end in a refusal; only the last
// one makes a change.
import { escapeMrkdwn } from './slack-limits.ts';

/** What the button changes: a container's limit or request, or the pod-level limit (KEP-2837). */
export type ChangedField = 'limit' | 'request' | 'pod-limit';

export interface Patched {
  status: 'patched';
  /** "<namespace>/<workload key>": "shop/Deployment/checkout". */
  target: string;
  container: string;
  field: ChangedField;
  before: string;
  after: string;
  how: 'workload' | 'resize';
  /** What happens next, for this kind of workload (a rollout, the next run, a resize the kubelet applies). */
  next: string;
  /** Set when the change was made but its audit record could not be written. */
  auditError?: string;
}

/**
 * A refusal, posted to Slack as it is: what came from the cluster or the store in it is already escaped. `user`: only
 * the one who clicked needs to hear it (the policy said no); `thread`: everyone watching the alert.
 */
export interface Refusal {
  status: 'refused';
  reason: string;
  audience: 'user' | 'thread';
}

export type RaiseOutcome = Patched | Refusal;

/** A refusal whose whole text is escaped, once, here: names and the API server's messages come from the cluster. */
export function refuse(reason: string, audience: Refusal['audience'] = 'thread'): Refusal {
  return { status: 'refused', reason: escapeMrkdwn(reason), audience };
}
