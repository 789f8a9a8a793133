// Who may press Raise limit / Set request, per namespace (docs/architecture.md, "Security rules"): Slack users and the
// members of Slack user groups the operator names; nobody by default. The group lookup is injected (Slack's
// usergroups.users.list in production, bot/actions.ts's slackGroupMembers), so the decision itself is plain data.
import * as z from 'zod';
import type { Refusal } from './raise-outcome.ts';
import { escapeMrkdwn } from './slack-limits.ts';

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

/** The members of a Slack user group (usergroups.users.list). */
export type GroupMembers = (groupId: string) => Promise<string[]>;

/** Allowed, and by which entry of the policy: the user's own id, or a user group they are in. */
export interface Authorized {
  status: 'allowed';
  via: string;
}

/** A user group's members could not be read: whether the user may press is not known, so nothing may change. */
export class GroupLookupError extends Error {
  override name = 'GroupLookupError';
  readonly code = 'GROUP_LOOKUP_FAILED';
  constructor(
    readonly group: string,
    cause: unknown,
  ) {
    super(`could not read the members of Slack user group ${group}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Whether `userId` may change workloads in `namespace`. Without `groupMembers`, only user ids in the policy count. A
 * group whose members cannot be read neither allows nor refuses: when no other entry allows the user, authorize
 * rejects with a GroupLookupError (a refusal would tell a member they may not, which is not known).
 */
export async function authorize(policy: RaisePolicy, namespace: string, userId: string, groupMembers?: GroupMembers): Promise<Authorized | Refusal> {
  // Own keys only: a namespace named "constructor" must not find Object's.
  const entries = policy.allowed ?? {};
  const entry = (key: string) => (Object.hasOwn(entries, key) ? (entries[key] ?? []) : []);
  const allowed = [...new Set([...entry(namespace), ...entry('*')])];
  if (allowed.includes(userId)) return { status: 'allowed', via: userId };
  let failure: GroupLookupError | undefined;
  if (groupMembers) {
    for (const group of allowed.filter((id) => id.startsWith('S'))) {
      try {
        if ((await groupMembers(group)).includes(userId)) return { status: 'allowed', via: group };
      } catch (error) {
        failure ??= new GroupLookupError(group, error);
      }
    }
  }
  if (failure) throw failure;
  // Said to the clicker alone, and naming who may without mentioning them: a refusal must not page the platform team.
  // The policy's `contact` is the operator's own words (it may be a <!subteam^…> mention): written raw, the rest escaped.
  const who = allowed.map((id) => (id.startsWith('S') ? `a member of user group ${id}` : id));
  const reason = `${escapeMrkdwn(`You may not change workloads in ${namespace}.`)}${policy.contact ? ` Ask ${policy.contact}.` : ''}${who.length ? escapeMrkdwn(` Allowed: ${who.join(', ')}.`) : ''}`;
  return { status: 'refused', reason, audience: 'user' };
}

/**
 * Why a whole cluster's alerts offer no Raise limit button: a token cluster registered without a patch token
 * (kube/cluster-registry.ts), where a click could only be refused (bot/raise-limit.ts still refuses one, from an
 * alert posted before). Said on the alert where the button would be, as plain words; the size stays in its text.
 */
export function raiseOffLine(cluster: string, field: 'limit' | 'pod-limit' | 'request'): string {
  const button = field === 'request' ? 'Set request' : 'Raise limit';
  return escapeMrkdwn(`${button} is off for cluster ${cluster}: it has no patch token (README, "Deploy the backend", step 4).`);
}
