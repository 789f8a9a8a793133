// Envelope in → enrichment from the real API server → DynamoDB (dynalite) → Slack (the double, through the real
// @slack/web-api client): each occurrence is posted once; repeats and eviction storms go into one thread.
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { nodeEventOccurrence, podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, downStatus, event, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let deps: PostDeps;
let table = 0;
/** The real checkout Deployment's ReplicaSet: its pods are attributed to it only with this uid (kube/owners.ts). */
let checkoutRs = '';

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  checkoutRs = (await createDeploymentChain(cluster.admin, 'shop', 'checkout')).rsUid;
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

/** A fresh table and dependencies per test, so counts and groups do not leak between tests. */
async function fresh(): Promise<PostDeps> {
  const name = `oombot-${++table}`;
  await dynamo.createTable(name);
  deps = {
    store: new DynamoStore(dynamo.client, name),
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    routing: { defaultChannel: 'C-ALERTS', namespaceChannels: { payments: 'C-PAYMENTS' } },
  };
  return deps;
}

function envelopes(p: Pod): Envelope[] {
  return podOccurrences('prod-eu', p).map((o) => EnvelopeSchema.parse(buildEnvelope('prod-eu', o, trimPod(p), [], new Date())));
}

const checkout = (restarts: number, name = 'checkout-7d9f8b6c5-m4tzr', annotations?: Record<string, string>) =>
  pod({
    name,
    deployment: 'checkout',
    rsUid: checkoutRs,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts * 60) }, restarts)],
    ...(annotations ? { metadata: { annotations } } : {}),
  });

const posted = (channel: string, since: number) => slack.messages.slice(since).filter((m) => m.channel === channel);

describe('postOccurrence', () => {
  it('posts a limit OOM once, explained, to the default channel', async () => {
    await fresh();
    const before = slack.messages.length;
    const [envelope] = envelopes(checkout(4));
    const outcome = await postOccurrence(deps, envelope!);
    expect(outcome).toMatchObject({ status: 'posted', channel: 'C-ALERTS', verdict: { cause: 'limit', kind: 'container-limit', confidence: 'high' } });
    const [message] = posted('C-ALERTS', before);
    expect((message!.blocks![0] as { text: { text: string } }).text.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
    expect(JSON.stringify(message!.blocks)).toContain('prod-eu · shop · deploy/checkout · ip-10-0-12-7');
    // Enriched through the API server: the node's allocatable is there.
    expect(JSON.stringify(message!.blocks)).toContain('node 14Gi allocatable');
    // Recorded as an incident, for /oom recent and for the buttons to act on.
    const [incident] = await deps.store.recentIncidents('prod-eu');
    expect(incident).toMatchObject({ cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', message: { channel: 'C-ALERTS', ts: message!.ts } });
    expect(incident!.verdict).toMatchObject({ cause: 'limit', recommendation: { memoryLimit: '640Mi' } });
  });

  it('offers Raise limit for a limit OOM, and the runbook configured for its cause when no annotation names one', async () => {
    await fresh();
    const before = slack.messages.length;
    await postOccurrence({ ...deps, routing: { ...deps.routing, runbooks: { limit: 'https://wiki.example.com/oom-limit', default: 'https://wiki.example.com/memory' } } }, envelopes(checkout(1))[0]!);
    const [message] = posted('C-ALERTS', before);
    const actions = message!.blocks!.find((b) => (b as { type: string }).type === 'actions') as { elements: { action_id: string; text: { text: string }; url?: string; value: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.text.text])).toEqual([['oombot_raise', 'Raise limit to 640Mi'], ['oombot_runbook', 'Open runbook'], ['oombot_mute_1h', 'Mute 1 h'], ['oombot_mute_24h', 'Mute 24 h'], ['oombot_why', 'Why?']]);
    expect(actions.elements[1]!.url).toBe('https://wiki.example.com/oom-limit');
    // Values carry the incident id, never the context.
    expect(new Set(actions.elements.map((e) => e.value))).toEqual(new Set([(await deps.store.recentIncidents('prod-eu'))[0]!.incidentId]));
  });

  it('prefers the workload’s runbook annotation over the configured one, and accepts only https', async () => {
    await fresh();
    const before = slack.messages.length;
    const runbooks = { routing: { ...deps.routing, runbooks: { default: 'https://wiki.example.com/memory' } } };
    await postOccurrence({ ...deps, ...runbooks }, envelopes(checkout(1, 'checkout-7d9f8b6c5-aaaaa', { 'oombot.io/runbook': 'https://runbooks.example.com/checkout' }))[0]!);
    await fresh();
    await postOccurrence({ ...deps, ...runbooks }, envelopes(checkout(1, 'checkout-7d9f8b6c5-bbbbb', { 'oombot.io/runbook': 'javascript:alert(1)' }))[0]!);
    const urls = posted('C-ALERTS', before).map((m) => JSON.stringify(m.blocks).match(/"url":"([^"]+)"/)?.[1]);
    expect(urls).toEqual(['https://runbooks.example.com/checkout', 'https://wiki.example.com/memory']);
  });

  it('posts the same envelope once, whether it comes twice or five times at once', async () => {
    await fresh();
    const before = slack.messages.length;
    const [envelope] = envelopes(checkout(2));
    const outcomes = await Promise.all([...Array.from({ length: 5 }, () => postOccurrence(deps, envelope!))]);
    outcomes.push(await postOccurrence(deps, envelope!));
    expect(outcomes.filter((o) => o.status === 'posted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(5);
    expect(slack.messages.length - before).toBe(1);
  });

  it('threads a recurrence under the first alert and updates its counter', async () => {
    await fresh();
    const before = slack.messages.length;
    for (const restarts of [1, 2, 3]) await postOccurrence(deps, envelopes(checkout(restarts))[0]!);
    const messages = posted('C-ALERTS', before);
    expect(messages).toHaveLength(3);
    const [root, ...replies] = messages;
    expect(replies.every((r) => r.threadTs === root!.ts)).toBe(true);
    expect(root!.updates).toBe(2);
    expect(JSON.stringify(root!.blocks)).toMatch(/OOMKilled 3× in \d+ min · latest 10:17 UTC · see thread/);
  });

  it('updates the counter of an alert posted to a channel named, not by id (Slack answers with the id)', async () => {
    await fresh();
    const named = { ...deps, routing: { defaultChannel: '#oom-alerts' } };
    const before = slack.messages.length;
    for (const restarts of [1, 2]) await postOccurrence(named, envelopes(checkout(restarts, 'checkout-7d9f8b6c5-named'))[0]!);
    const [root, reply] = slack.messages.slice(before);
    expect(root!.channel).toMatch(/^C[0-9A-F]+$/);
    expect(reply!.threadTs).toBe(root!.ts);
    expect(root!.updates).toBe(1);
    expect((await deps.store.recentIncidents('prod-eu'))[0]!.message.channel).toBe(root!.channel);
  });

  it('collapses 30 evictions from one node in a minute into one message and its thread', async () => {
    await fresh();
    slack.perChannelRateLimit = false; // 30 posts at Slack's 1/s would take 30 s; the 429 path is tested separately
    try {
      const before = slack.messages.length;
      const evictions = Array.from({ length: 30 }, (_, i) => {
        const evicted = pod({
          name: `web-${i}`,
          uid: `5f0c6d4a-0000-4000-8000-${String(i).padStart(12, '0')}`,
          containers: [container({ name: 'web', limit: '2Gi', request: '256Mi' })],
          statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(i) })],
          status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. ' },
        });
        return () => postOccurrence({ ...deps, now: () => Date.parse(at(i)) }, envelopes(evicted)[0]!);
      });
      // The alert and its ten replies one by one, then the other 19 at once, as concurrent invocations meet them.
      for (const post of evictions.slice(0, 11)) await post();
      await Promise.all(evictions.slice(11).map((post) => post()));
      const messages = posted('C-ALERTS', before);
      const roots = messages.filter((m) => !m.threadTs);
      expect(roots).toHaveLength(1);
      // The first ten repeats are replies in the thread; after that only the root's counter moves, every 10 s at most,
      // and once more after the last with the last count.
      expect(messages.filter((m) => m.threadTs === roots[0]!.ts)).toHaveLength(10);
      // Each reply, then the first of the 19 at once and the one that waited for the next slot (a third only on a
      // machine so slow that the 19 took more than 10 s to reach Slack).
      expect(roots[0]!.updates).toBeGreaterThanOrEqual(10 + 2);
      expect(roots[0]!.updates).toBeLessThanOrEqual(10 + 3);
      expect(JSON.stringify(roots[0]!.blocks)).toMatch(/\b30 pods evicted from node ip-10-0-12-7 in 1 min/);
    } finally {
      slack.perChannelRateLimit = true;
    }
  });

  it('posts every alert of a burst once and in order through Slack’s 429s', async () => {
    await fresh();
    const before = slack.messages.length;
    slack.force429(2, 1); // within the client's retries; beyond them the invocation fails and is retried whole
    const names = ['api-a', 'api-b', 'api-c', 'api-d'];
    for (const [i, name] of names.entries()) {
      const p = pod({ name: `${name}-0`, uid: `6f0c6d4a-0000-4000-8000-${String(i).padStart(12, '0')}`, containers: [container({ name, limit: '256Mi' })], statuses: [restartedStatus(name, { reason: 'OOMKilled', exitCode: 137 }, 1)] });
      expect(await postOccurrence(deps, envelopes(p)[0]!)).toMatchObject({ status: 'posted' });
    }
    const alerts = posted('C-ALERTS', before);
    expect(alerts.map((m) => (m.blocks![0] as { text: { text: string } }).text.text.split(' ')[1])).toEqual(names.map((n) => `${n}-0`));
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage').length - alerts.length).toBeGreaterThanOrEqual(2); // the 429s were retried
  });

  it('puts a node’s repeated OOMs in one thread', async () => {
    await fresh();
    const before = slack.messages.length;
    for (const count of [1, 2, 3]) {
      const e = { ...event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 7', at: at(count * 30) }), count };
      e.metadata.uid = 'systemoom-uid-1';
      const o = nodeEventOccurrence('prod-eu', e)!;
      expect(await postOccurrence(deps, EnvelopeSchema.parse(buildEnvelope('prod-eu', o, undefined, [], new Date())))).toMatchObject({ status: count === 1 ? 'posted' : 'threaded' });
    }
    const messages = posted('C-ALERTS', before);
    expect(messages).toHaveLength(3);
    expect(messages.filter((m) => m.threadTs === messages[0]!.ts)).toHaveLength(2);
    expect(JSON.stringify(messages[0]!.blocks)).toMatch(/node-wide OOM 3× in \d+ min/);
  });

  it('routes by the pod’s channel annotation, then by namespace', async () => {
    await fresh();
    const before = slack.messages.length;
    await postOccurrence(deps, envelopes(checkout(1, 'checkout-a', { 'oombot.io/slack-channel': 'C-TEAM' }))[0]!);
    const payments = pod({ name: 'pay-1', namespace: 'payments', containers: [container({ name: 'api', limit: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    await postOccurrence(deps, envelopes(payments)[0]!);
    expect(posted('C-TEAM', before)).toHaveLength(1);
    expect(posted('C-PAYMENTS', before)).toHaveLength(1);
  });

  it('reads the channel and the opt-out from the workload or the namespace too', async () => {
    await fresh();
    const before = slack.messages.length;
    const core = cluster.admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'billing', annotations: { 'oombot.io/slack-channel': 'C-BILLING' } } } });
    await core.createNamespace({ body: { metadata: { name: 'sandbox', annotations: { 'oombot.io/alerts': 'off' } } } });
    const invoicer = await createDeploymentChain(cluster.admin, 'billing', 'invoicer', { annotations: { 'oombot.io/slack-channel': 'C-INVOICES' } });
    const inNamespace = (namespace: string, deployment: string, n: number) =>
      pod({ namespace, deployment, ...(deployment === 'invoicer' ? { rsUid: invoicer.rsUid } : {}), uid: `8f0c6d4a-0000-4000-8000-${String(n).padStart(12, '0')}`, containers: [container({ name: 'api', limit: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    await postOccurrence(deps, envelopes(inNamespace('billing', 'invoicer', 1))[0]!);
    await postOccurrence(deps, envelopes(inNamespace('billing', 'ledger', 2))[0]!);
    expect(await postOccurrence(deps, envelopes(inNamespace('sandbox', 'toy', 3))[0]!)).toMatchObject({ status: 'opted-out' });
    expect(posted('C-INVOICES', before)).toHaveLength(1); // the Deployment's annotation
    expect(posted('C-BILLING', before)).toHaveLength(1); // the namespace's
    expect(slack.messages.length - before).toBe(2);
  });

  it('honours the opt-out annotation and mutes', async () => {
    const d = await fresh();
    const before = slack.messages.length;
    expect(await postOccurrence(d, envelopes(checkout(1, 'checkout-b', { 'oombot.io/alerts': 'off' }))[0]!)).toMatchObject({ status: 'opted-out' });
    await d.store.mute('prod-eu/shop/Deployment/checkout', Date.now() + 3_600_000, 'U1');
    expect(await postOccurrence(d, envelopes(checkout(2, 'checkout-c'))[0]!)).toMatchObject({ status: 'muted' });
    expect(slack.messages.length).toBe(before);
  });

  it('keeps a reply posted when the root’s counter cannot be updated (the root was deleted), and never posts it twice', async () => {
    await fresh();
    const first = await postOccurrence(deps, envelopes(checkout(1, 'checkout-e'))[0]!);
    expect(first.status).toBe('posted');
    // Someone deletes the root alert: chat.update now fails with message_not_found.
    slack.messages.splice(slack.messages.findIndex((m) => first.status === 'posted' && m.ts === first.ts), 1);
    const [second] = envelopes(checkout(2, 'checkout-e'));
    expect(await postOccurrence(deps, second!)).toMatchObject({ status: 'threaded' });
    expect(await postOccurrence(deps, second!)).toMatchObject({ status: 'duplicate' });
  });

  it('fails the invocation during a Slack outage and posts once on the retry', async () => {
    await fresh();
    const before = slack.messages.length;
    const [envelope] = envelopes(checkout(7));
    slack.force5xx(10);
    await expect(postOccurrence(deps, envelope!)).rejects.toThrow();
    slack.force5xx(0);
    expect(await postOccurrence(deps, envelope!)).toMatchObject({ status: 'posted' });
    expect(await postOccurrence(deps, envelope!)).toMatchObject({ status: 'duplicate' });
    expect(slack.messages.length - before).toBe(1);
  });

  it('does not count a retried occurrence twice: the next one is the 2nd, not the 3rd', async () => {
    await fresh();
    const before = slack.messages.length;
    const [first] = envelopes(checkout(1, 'checkout-7d9f8b6c5-retry'));
    slack.force5xx(10);
    await expect(postOccurrence(deps, first!)).rejects.toThrow();
    slack.force5xx(0);
    await postOccurrence(deps, first!);
    await postOccurrence(deps, envelopes(checkout(2, 'checkout-7d9f8b6c5-retry'))[0]!);
    const [root, reply] = slack.messages.slice(before);
    expect(reply!.threadTs).toBe(root!.ts);
    expect(JSON.stringify(root!.blocks)).toMatch(/OOMKilled 2× in \d+ min/);
  });

  it('answers a retry that comes back after a new group opened in its own group’s thread, leaving the new group alone', async () => {
    await fresh();
    const before = slack.messages.length;
    const t0 = Date.parse(at(0));
    const post = (restarts: number, minute: number) => postOccurrence({ ...deps, now: () => t0 + minute * 60_000 }, envelopes(checkout(restarts, 'checkout-7d9f8b6c5-regroup'))[0]!);
    expect(await post(1, 0)).toMatchObject({ status: 'posted' });
    // The 2nd fails in Slack and is given back; the group goes quiet for longer than its hour, and the 3rd opens anew.
    slack.force5xx(10);
    await expect(post(2, 1)).rejects.toThrow();
    slack.force5xx(0);
    expect(await post(3, 90)).toMatchObject({ status: 'posted' });
    // The retry of the 2nd: a reply under the first alert, where it was counted, not under the new group's root.
    expect(await post(2, 91)).toMatchObject({ status: 'threaded' });
    expect(await post(4, 92)).toMatchObject({ status: 'threaded' });
    const [firstRoot, newRoot, retried, fourth] = slack.messages.slice(before);
    expect(newRoot!.threadTs).toBeUndefined();
    expect(retried!.threadTs).toBe(firstRoot!.ts);
    expect(fourth!.threadTs).toBe(newRoot!.ts);
    // The new group counted the 4th as its 2nd: the retry neither counted there nor rewrote its counter.
    expect(newRoot!.updates).toBe(1);
    expect(JSON.stringify(newRoot!.blocks)).toMatch(/OOMKilled 2× in 2 min/);
    expect(firstRoot!.updates).toBe(0);
  });

  it('still explains an occurrence from a cluster it cannot read, and says so', async () => {
    await fresh();
    const [envelope] = envelopes(checkout(1, 'checkout-d'));
    const outcome = await postOccurrence(deps, { ...envelope!, cluster: 'elsewhere' });
    expect(outcome).toMatchObject({ status: 'posted', verdict: { cause: 'limit', confidence: 'medium' } });
    expect(outcome.status === 'posted' && outcome.verdict?.missing).toContain('the cluster "elsewhere" is not registered with oombot: only what the forwarder sent was used, and the pod\'s owner could not be checked');
  });
});
