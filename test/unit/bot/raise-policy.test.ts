// Who may press Raise: the policy's users and the members of its Slack user groups, per namespace or for all ("*");
// nobody by default. The group lookup is a plain function here, as slackGroupMembers is in production.
import { describe, expect, it } from 'vitest';
import { authorize, GroupLookupError, type GroupMembers } from '../../../bot/raise-policy.ts';

/** A lookup over fixed groups that remembers what it was asked. */
function groups(members: Record<string, string[]>): GroupMembers & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (group: string) => {
    asked.push(group);
    const found = members[group];
    if (!found) throw new Error(`usergroups.users.list: no_such_subteam (${group})`);
    return found;
  };
  return Object.assign(lookup, { asked });
}

describe('authorize', () => {
  it('allows a user the namespace lists, without asking Slack about any group', async () => {
    const lookup = groups({});
    expect(await authorize({ allowed: { shop: ['S0ONCALL', 'U0ALICE'] } }, 'shop', 'U0ALICE', lookup)).toEqual({ status: 'allowed', via: 'U0ALICE' });
    expect(lookup.asked).toEqual([]);
  });

  it('allows a member of a user group the namespace lists, and says which group', async () => {
    const lookup = groups({ S0ONCALL: ['U0DAVE', 'U0EVE'] });
    expect(await authorize({ allowed: { shop: ['S0ONCALL'] } }, 'shop', 'U0DAVE', lookup)).toEqual({ status: 'allowed', via: 'S0ONCALL' });
    expect(lookup.asked).toEqual(['S0ONCALL']);
  });

  it('allows what "*" lists in every namespace, and a namespace entry adds to it', async () => {
    const policy = { allowed: { '*': ['U0ROOT'], shop: ['U0ALICE'] } };
    expect(await authorize(policy, 'payments', 'U0ROOT')).toEqual({ status: 'allowed', via: 'U0ROOT' });
    expect(await authorize(policy, 'shop', 'U0ROOT')).toEqual({ status: 'allowed', via: 'U0ROOT' });
    expect(await authorize(policy, 'payments', 'U0ALICE')).toEqual({ status: 'refused', reason: 'You may not change workloads in payments. Allowed: U0ROOT.', audience: 'user' });
  });

  it('allows nobody by default, and says so to the clicker alone', async () => {
    expect(await authorize({}, 'shop', 'U0ALICE')).toEqual({ status: 'refused', reason: 'You may not change workloads in shop.', audience: 'user' });
    expect(await authorize({ allowed: {} }, 'shop', 'U0ALICE', groups({}))).toEqual({ status: 'refused', reason: 'You may not change workloads in shop.', audience: 'user' });
  });

  it('names who to ask (the operator’s words, a mention kept raw) and who may, without mentioning them', async () => {
    const policy = { allowed: { shop: ['U0ALICE', 'S0ONCALL'] }, contact: '<!subteam^S0PLATFORM>' };
    expect(await authorize(policy, 'shop', 'U0MALLORY', groups({ S0ONCALL: ['U0DAVE'] }))).toEqual({
      status: 'refused',
      reason: 'You may not change workloads in shop. Ask <!subteam^S0PLATFORM>. Allowed: U0ALICE, a member of user group S0ONCALL.',
      audience: 'user',
    });
  });

  it('counts only user ids when it has no way to read groups', async () => {
    expect(await authorize({ allowed: { shop: ['S0ONCALL'] } }, 'shop', 'U0DAVE')).toEqual({ status: 'refused', reason: 'You may not change workloads in shop. Allowed: a member of user group S0ONCALL.', audience: 'user' });
  });

  it('finds no entry for a namespace named like an Object property', async () => {
    expect(await authorize({ allowed: {} }, 'constructor', 'U0ALICE')).toEqual({ status: 'refused', reason: 'You may not change workloads in constructor.', audience: 'user' });
    expect(await authorize({ allowed: { shop: ['U0ALICE'] } }, '__proto__', 'U0ALICE')).toEqual({ status: 'refused', reason: 'You may not change workloads in __proto__.', audience: 'user' });
  });

  it('asks once about a group listed both for the namespace and for "*"', async () => {
    const lookup = groups({ S0ONCALL: [] });
    await authorize({ allowed: { shop: ['S0ONCALL'], '*': ['S0ONCALL'] } }, 'shop', 'U0DAVE', lookup);
    expect(lookup.asked).toEqual(['S0ONCALL']);
  });

  describe('when a group lookup fails', () => {
    it('rejects with the group and the cause, rather than tell a possible member they may not', async () => {
      const failing = authorize({ allowed: { shop: ['S0GONE'] } }, 'shop', 'U0DAVE', groups({}));
      await expect(failing).rejects.toBeInstanceOf(GroupLookupError);
      await expect(failing).rejects.toMatchObject({ name: 'GroupLookupError', code: 'GROUP_LOOKUP_FAILED', group: 'S0GONE', message: 'could not read the members of Slack user group S0GONE: usergroups.users.list: no_such_subteam (S0GONE)', cause: expect.any(Error) });
    });

    it('still allows a user another group admits', async () => {
      const lookup = groups({ S0ONCALL: ['U0DAVE'] });
      expect(await authorize({ allowed: { shop: ['S0GONE', 'S0ONCALL'] } }, 'shop', 'U0DAVE', lookup)).toEqual({ status: 'allowed', via: 'S0ONCALL' });
      expect(lookup.asked).toEqual(['S0GONE', 'S0ONCALL']);
    });

    it('rejects even when the other groups answered without the user: the failed one might have held them', async () => {
      await expect(authorize({ allowed: { shop: ['S0ONCALL', 'S0GONE'] } }, 'shop', 'U0EVE', groups({ S0ONCALL: ['U0DAVE'] }))).rejects.toMatchObject({ group: 'S0GONE' });
    });
  });
});
