// What a click on Raise limit / Set request comes to: the change made, or a refusal that says why and what to do. Each
// step of the raise (bot/raise-policy.ts, bot/plan-patch.ts, bot/apply-patch.ts) may end in a refusal; only the last
// one makes a change.
import { slackText } from './slack-limits.ts';

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

/**
 * At most this much of a refusal's reason reaches Slack: an admission webhook's answer, which the API server passes on
 * as its message, can run to pages.
 */
export const REASON_MAX = 2000;

/** A refusal whose whole text is escaped, then clipped, once, here: names and the API server's messages come from the cluster. */
export function refuse(reason: string, audience: Refusal['audience'] = 'thread'): Refusal {
  return { status: 'refused', reason: slackText(reason, REASON_MAX), audience };
}

/** What a click is said to be about: "raise limit to 640Mi" (oombot's own label of the proposed change). */
export function clickedChange(label: string): string {
  return `${label[0]!.toLowerCase()}${label.slice(1)}`;
}

/** A refusal as Slack shows it: to the clicker alone, or in the alert's thread naming who asked. `what` is clickedChange's. */
export function refusalText(refusal: Refusal, userId: string, what: string): string {
  return refusal.audience === 'user' ? `⛔ ${refusal.reason}` : `⛔ <@${userId}> asked to ${what}: refused. ${refusal.reason}`;
}

/** The most of one cluster-given part of a change's lines: names, values (quantities, when the API server wrote them). */
const PART_MAX = 600;

/**
 * A change made, as the thread is told it and as the alert's handled line says it (bot/alert.ts withHandled). The
 * clicker's mention is oombot's own; everything else came from the cluster or the store, escaped. `at` is "HH:MM".
 */
export function changeTexts(outcome: Patched, userId: string, at: string, reference: string): { thread: string; handled: string } {
  // Each part clipped on its own, so that the whole stays within a context element and no cut reaches the mention.
  const changed = outcome.field === 'pod-limit' ? `the pod-level memory limit of ${slackText(`${outcome.target} (it bounds ${outcome.container})`, PART_MAX)}` : `the memory ${outcome.field} of ${slackText(`${outcome.container} in ${outcome.target}`, PART_MAX)}`;
  const values = slackText(`${outcome.before} → ${outcome.after}`, PART_MAX);
  const line = `<@${userId}> changed ${changed}: ${values} (dry run passed; field manager oombot; ${at} UTC).`;
  const source = outcome.how === 'workload' ? ' Put the same change in its source (Helm values, manifests), or the next deploy undoes it.' : '';
  const audit = outcome.auditError ? ` ⚠️ The audit record could not be written (reference \`${reference}\`): this message is the record.` : '';
  return {
    thread: `✅ ${line} ${slackText(outcome.next, PART_MAX)}${source}${audit}`,
    handled: `✅ Handled: ${outcome.field === 'pod-limit' ? 'pod-level memory limit' : `memory ${outcome.field}`} ${values} by <@${userId}> at ${at} UTC`,
  };
}
