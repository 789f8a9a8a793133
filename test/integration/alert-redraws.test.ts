// What on-call sees change after acting on an alert (issue 15 item 5), through the real path: envelopes as the
// forwarder builds them, enriched from the real API server, posted to the one Slack double, the Slack app (Bolt's
// AwsLambdaReceiver) answering requests signed as Slack signs them, its jobs run by runActionJob, on both stores:
// - Mute redraws the alert with who muted it until when and an Unmute button, and Unmute draws it back;
// - a death after Raise limit was applied offers the button again in the thread, sized from the then-current limit —
//   also after a restart (a new app over the same persisted store);
// - `/oom recent` lists one node's evictions as the one entry their alert is;
// - a workload chosen in a storm root answers with the Open runbook button its own alert would have had.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, type V1Node } from '@kubernetes/client-node';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseUrlPoster, runActionJob, type ActionDeps } from '../../bot/actions.ts';
import { answerStormPick } from '../../bot/alert-actions.ts';
import { groupKeyOf } from '../../bot/grouping.ts';
import { groupChoice, STORM_PICK } from '../../bot/storms.ts';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { registerOombot } from '../../bot/slack-app.ts';
import { startSlackApi, type PostedMessage, type SlackApiServer } from '../../console/slack-api.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import type { Store } from '../../store/port.ts';
import { reopenableStores } from '../support/both-stores.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, downStatus, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import * as slackRequests from '../support/slack-requests.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const SECRET = '5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b';
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let dir: string;
const STORES = reopenableStores(() => dynamo, () => dir, 'oombot-redraws');

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  dir = await mkdtemp(join(tmpdir(), 'oombot-redraws-'));
  for (const ns of ['shop', 'ops']) await createNamespace(cluster.admin, ns);
  await createNode(cluster.admin, node() as unknown as V1Node);
});
afterAll(async () => {
  await Promise.all([slack?.close(), dynamo?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const web = () => new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } });
const postDeps = (store: Store): PostDeps => ({ store, slack: web().chat, cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined), routing: { defaultChannel: 'C-ALERTS' } });

/** The Slack app as the `slack` function runs it, its jobs run in-process as the `actions` function would. */
function slackApp(store: Store) {
  const receiver = new AwsLambdaReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
  const app = new App({ receiver, authorize: async () => ({}), processBeforeResponse: true, logLevel: LogLevel.ERROR });
  const actions: ActionDeps = {
    store,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    clusters: ['prod-eu'],
    policy: { allowed: { shop: ['U0ALICE'] }, contact: '#platform', maxFactor: 2 },
    slack: web().chat,
    respond: responseUrlPoster([new URL(slack.url).origin]),
    groupKeyOf: (incident) => groupKeyOf(incident.cluster, incident.verdict),
  };
  const jobs: Promise<void>[] = [];
  registerOombot(app, { store, cluster: () => undefined, clusters: ['prod-eu'], dispatch: async (job) => void jobs.push(runActionJob(actions, job)) });
  const handler = receiver.toHandler();
  return {
    async run(event: ReturnType<typeof slackRequests.signed>) {
      const res = (await handler(event as never, {} as never, () => undefined)) as { statusCode: number; body?: string };
      await Promise.all(jobs);
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { text?: string }) : undefined };
    },
  };
}

const options = (user: string) => ({ secret: SECRET, respondBase: `${slack.url}/respond`, user });
const clickOn = (m: PostedMessage, actionId: string, user: string) => {
  const value = actionsOf(m).find((e) => e.action_id === actionId)?.value;
  if (!value) throw new Error(`no ${actionId} button on that message`);
  return slackRequests.click(actionId, value, { ...options(user), message: { channel: m.channel, ts: m.ts, blocks: m.blocks ?? [] } });
};
type Element = { action_id?: string; value?: string; text?: { text: string } };
const actionsOf = (m: { blocks?: unknown[] }) => ((m.blocks ?? []) as { type: string; elements?: Element[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
const textOf = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);

/** The muted line of an alert (bot/alert.ts MUTED_BLOCK), if it shows one. */
const mutedLineOf = (m: { blocks?: unknown[] }) => ((m.blocks ?? []) as { block_id?: string; elements?: { text: string }[] }[]).find((b) => b.block_id?.startsWith('oombot-muted'))?.elements?.[0]?.text;

/** The alert's blocks as a Mute or Unmute click redrew them through its response_url. */
async function redrawAfter(app: ReturnType<typeof slackApp>, click: ReturnType<typeof slackRequests.click>): Promise<unknown[]> {
  const before = slack.responses.length;
  expect((await app.run(click)).status).toBe(200);
  const redraw = slack.responses.slice(before).map((r) => r.body).find((b) => b['replace_original'] === true);
  if (!redraw) throw new Error('the click redrew nothing');
  return redraw['blocks'] as unknown[];
}

/** A bare pod of namespace ops evicted from the node when it ran low on memory. */
function evictedPod(name: string, second: number): Pod {
  return pod({
    name,
    namespace: 'ops',
    uid: `uid-${name}`,
    containers: [container({ name: 'web', limit: '2Gi', request: '256Mi' })],
    statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(second) })],
    status: { phase: 'Failed', reason: 'Evicted', message: `The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. `, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at(second) }] },
  });
}

/** The death of `workload`'s api container in a pod of its own, as the forwarder sends it. */
function death(workload: string, rsUid: string, o: { pod: string; limit: string; second: number; restarts?: number }): Envelope {
  const p = pod({
    name: `${workload}-7d9f8b6c5-${o.pod}`,
    uid: `uid-${workload}-${o.pod}`,
    deployment: workload,
    rsUid,
    containers: [container({ name: 'api', limit: o.limit, request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(o.second) }, o.restarts ?? 1)],
  });
  return envelopeOf(p, 'container-termination');
}

function envelopeOf(p: Pod, kind: Envelope['kind']): Envelope {
  const occurrence = podOccurrences('prod-eu', p).find((o) => o.kind === kind)!;
  return EnvelopeSchema.parse(buildEnvelope('prod-eu', occurrence, trimPod(p), [], new Date()));
}

const limitOf = async (name: string) => (await cluster.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: 'shop' })).spec!.template.spec!.containers[0]!.resources?.limits?.['memory'];
const message = (ts: string) => slack.messages.find((m) => m.ts === ts)!;

describe.each(STORES)('on %s', (storeName, makeStore) => {
  const suffix = storeName === 'DynamoStore' ? 'd' : 'f';

  it('redraws a muted alert with who muted it until when and an Unmute button, and draws it back on Unmute', async () => {
    const workload = `checkout-${suffix}`;
    const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', workload, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' } } }] });
    const { store } = await makeStore();
    const app = slackApp(store);
    const posted = await postOccurrence(postDeps(store), death(workload, rsUid, { pod: 'a0001', limit: '512Mi', second: 0 }));
    expect(posted.status).toBe('posted');
    const alert = message((posted as { ts: string }).ts);
    expect(actionsOf(alert).map((e) => e.action_id)).toEqual(['oombot_raise', 'oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);

    const before = slack.responses.length;
    expect((await app.run(clickOn(alert, 'oombot_mute_1h', 'U0BOB'))).status).toBe(200);
    const [redraw, answer] = slack.responses.slice(before).map((r) => r.body);
    // The alert, for everyone: the line above the buttons, Unmute where the two Mute buttons were, the rest as it was
    // (its notification text as the click carried it back: test/support/slack-requests.ts sends "alert").
    expect(redraw).toMatchObject({ replace_original: true, text: 'alert' });
    const muted = { blocks: redraw!['blocks'] as unknown[] };
    expect(actionsOf(muted).map((e) => [e.action_id, e.text?.text])).toEqual([['oombot_raise', 'Raise limit to 640Mi'], ['oombot_unmute', 'Unmute'], ['oombot_why', 'Why?']]);
    const line = (muted.blocks as { block_id?: string; elements?: { text: string }[] }[]).find((b) => b.block_id?.startsWith('oombot-muted'))?.elements?.[0]?.text;
    const until = new Date((await store.muteUntil(`prod-eu/shop/Deployment/${workload}`, Date.now()))!).toISOString().slice(11, 16);
    expect(line).toBe(`🔕 Muted for 1 h by <@U0BOB> until ${until} UTC`);
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringMatching(/^Muted Deployment\/checkout-. in shop \(prod-eu\) for 1 h/) });
    // Muted it is: the next death posts nothing.
    expect((await postOccurrence(postDeps(store), death(workload, rsUid, { pod: 'a0002', limit: '512Mi', second: 60 }))).status).toBe('muted');

    const again = slack.responses.length;
    await app.run(slackRequests.click('oombot_unmute', actionsOf(muted).find((e) => e.action_id === 'oombot_unmute')!.value!, { ...options('U0CAROL'), message: { channel: alert.channel, ts: alert.ts, blocks: muted.blocks } }));
    const [back, unmuted] = slack.responses.slice(again).map((r) => r.body);
    expect(actionsOf({ blocks: back!['blocks'] as unknown[] }).map((e) => e.action_id)).toEqual(['oombot_raise', 'oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
    expect(textOf({ blocks: back!['blocks'] as unknown[] })).not.toContain('🔕');
    expect(unmuted?.['text']).toBe(`Unmuted Deployment/${workload} in shop (prod-eu): its next death alerts again.`);
    expect(await store.muteUntil(`prod-eu/shop/Deployment/${workload}`, Date.now())).toBeUndefined();
    // On the record, as Mute is: who, what, from what to what.
    const incidentId = actionsOf(alert)[0]!.value!;
    expect((await store.auditTrail(incidentId)).map((a) => [a.userId, a.action, a.before.replace(/\d{4}-.*Z$/, 'T'), a.after.replace(/\d{4}-.*Z$/, 'T')])).toEqual([
      ['U0BOB', 'mute-1h', 'alerting', 'muted until T'],
      ['U0CAROL', 'unmute', 'muted until T', 'alerting'],
    ]);
  });

  it('redraws the alert from the store with its mute as it stands: the line and Unmute on the handled redraw while it holds, the Mute buttons at the next death once it is undone or has run out', async () => {
    const workload = `orders-${suffix}`;
    const key = `prod-eu/shop/Deployment/${workload}`;
    const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', workload, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] });
    const { store } = await makeStore();
    const app = slackApp(store);
    const die = async (n: number, limit: string) => postOccurrence(postDeps(store), death(workload, rsUid, { pod: `e000${n}`, limit, second: n * 60 }));
    const root = message(((await die(1, '512Mi')) as { ts: string }).ts);

    // Muted from its button, then Raise limit clicked on the muted alert: the handled redraw shows the mute still.
    const muted = await redrawAfter(app, clickOn(root, 'oombot_mute_1h', 'U0BOB'));
    await app.run(clickOn({ ...root, blocks: muted }, 'oombot_raise', 'U0ALICE'));
    expect(await limitOf(workload)).toBe('640Mi');
    const handled = message(root.ts);
    expect(textOf(handled)).toMatch(/✅ Handled: memory limit 512Mi → 640Mi by <@U0ALICE>/);
    expect(mutedLineOf(handled)).toMatch(/^🔕 Muted for 1 h by <@U0BOB> until \d\d:\d\d UTC$/);
    expect(actionsOf(handled).map((e) => e.action_id)).toEqual(['oombot_unmute', 'oombot_why']);

    // Unmuted from its button: the next death moves the counter, and the root offers the two Mute buttons again.
    await redrawAfter(app, clickOn(handled, 'oombot_unmute', 'U0CAROL'));
    expect((await die(2, '640Mi')).status).toBe('threaded');
    const unmuted = message(root.ts);
    expect(textOf(unmuted)).toContain('OOMKilled 2× in');
    expect(textOf(unmuted)).toMatch(/✅ Handled: memory limit 512Mi → 640Mi/);
    expect(mutedLineOf(unmuted)).toBeUndefined();
    expect(actionsOf(unmuted).map((e) => e.action_id)).toEqual(['oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);

    // Muted for 24 h, and the mute has run out (kept past its end, as a table's TTL keeps it): the next death alerts,
    // and the counter's redraw shows no mute.
    await redrawAfter(app, clickOn(unmuted, 'oombot_mute_24h', 'U0BOB'));
    expect(await store.activeMute(key, Date.now())).toMatchObject({ by: 'U0BOB' });
    await store.mute(key, Date.now() - 1_000, 'U0BOB', Date.now() - 86_401_000);
    const updates = message(root.ts).updates;
    expect((await die(3, '640Mi')).status).toBe('threaded');
    const expired = message(root.ts);
    expect(expired.updates).toBeGreaterThan(updates);
    expect(textOf(expired)).toContain('OOMKilled 3× in');
    expect(mutedLineOf(expired)).toBeUndefined();
    expect(actionsOf(expired).map((e) => e.action_id)).toEqual(['oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
  });

  it('keeps the muted line and Unmute on an eviction group’s counter while its first alert’s workload is muted, by the button or by /oom mute, and drops them once unmuted', async () => {
    const { store } = await makeStore();
    const app = slackApp(store);
    const evict = async (name: string, second: number) => postOccurrence(postDeps(store), envelopeOf(evictedPod(`${name}-${suffix}`, second), 'pod-eviction'));
    const first = await evict('cache-1', 0);
    expect(first.status).toBe('posted');
    const root = message((first as { ts: string }).ts);
    expect(actionsOf(root).map((e) => e.action_id)).toContain('oombot_mute_1h');

    // Muted from its button; another workload's pod evicted from the node moves the root's counter, muted line kept.
    const muted = await redrawAfter(app, clickOn(root, 'oombot_mute_1h', 'U0BOB'));
    expect((await evict('queue-2', 30)).status).toBe('threaded');
    const counted = message(root.ts);
    expect(textOf(counted)).toContain('2 pods evicted from node');
    expect(mutedLineOf(counted)).toBe(mutedLineOf({ blocks: muted }));
    expect(actionsOf(counted).map((e) => e.action_id)).not.toContain('oombot_mute_1h');
    expect(actionsOf(counted).map((e) => e.action_id)).toContain('oombot_unmute');

    // Unmuted from its button, then muted by the command: the next count shows the command's mute, who and how long.
    await redrawAfter(app, clickOn({ ...root, blocks: muted }, 'oombot_unmute', 'U0CAROL'));
    expect((await app.run(slackRequests.slashCommand(`mute pod/cache-1-${suffix} 24h -n ops`, options('U0DAVE')))).status).toBe(200);
    expect((await evict('queue-3', 60)).status).toBe('threaded');
    const byCommand = message(root.ts);
    expect(textOf(byCommand)).toContain('3 pods evicted from node');
    expect(mutedLineOf(byCommand)).toMatch(/^🔕 Muted for 24 h by <@U0DAVE> until \d\d:\d\d UTC$/);
    expect(actionsOf(byCommand).filter((e) => e.action_id?.startsWith('oombot_mute') || e.action_id === 'oombot_unmute').map((e) => e.action_id)).toEqual(['oombot_unmute']);

    // Unmuted by the command: the next count draws the two Mute buttons back.
    await app.run(slackRequests.slashCommand(`unmute pod/cache-1-${suffix} -n ops`, options('U0DAVE')));
    expect((await evict('queue-4', 90)).status).toBe('threaded');
    const back = message(root.ts);
    expect(textOf(back)).toContain('4 pods evicted from node');
    expect(mutedLineOf(back)).toBeUndefined();
    expect(actionsOf(back).filter((e) => e.action_id?.startsWith('oombot_mute') || e.action_id === 'oombot_unmute').map((e) => e.action_id)).toEqual(['oombot_mute_1h', 'oombot_mute_24h']);
  });

  it('offers Raise limit again under a handled alert when it dies again after a restart, sized from the limit then in force, and none while the raised limit has not reached the pod', async () => {
    const workload = `cart-${suffix}`;
    const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', workload, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] });
    const { store, reopen } = await makeStore();
    const first = await postOccurrence(postDeps(store), death(workload, rsUid, { pod: 'b0001', limit: '512Mi', second: 0 }));
    const root = message((first as { ts: string }).ts);
    await slackApp(store).run(clickOn(root, 'oombot_raise', 'U0ALICE'));
    expect(await limitOf(workload)).toBe('640Mi');
    expect(textOf(message(root.ts))).toMatch(/✅ Handled: memory limit 512Mi → 640Mi by <@U0ALICE>/);

    // The bot restarts: a new app over the same persisted store. Its pods now run 640Mi, and one dies at it.
    const restarted = await reopen();
    const app = slackApp(restarted);
    const second = await postOccurrence(postDeps(restarted), death(workload, rsUid, { pod: 'b0002', limit: '640Mi', second: 120 }));
    expect(second.status).toBe('threaded');
    const reply = message((second as { ts: string }).ts);
    expect(reply.threadTs).toBe(root.ts);
    expect(textOf(reply)).toContain('Died again after the fix was applied, at its 640Mi limit');
    expect(actionsOf(reply).map((e) => [e.action_id, e.text?.text])).toEqual([['oombot_raise', 'Raise limit to 800Mi'], ['oombot_mute_1h', 'Mute 1 h'], ['oombot_mute_24h', 'Mute 24 h'], ['oombot_why', 'Why?']]);

    // Its button acts on this death: the limit goes up again, the reply says so, and the root keeps its own line.
    const rootUpdates = message(root.ts).updates;
    await app.run(clickOn(reply, 'oombot_raise', 'U0ALICE'));
    expect(await limitOf(workload)).toBe('800Mi');
    expect(textOf(message(reply.ts))).toMatch(/✅ Handled: memory limit 640Mi → 800Mi by <@U0ALICE>/);
    expect(message(root.ts).updates).toBe(rootUpdates);
    const group = await restarted.repeatMessage(groupKeyOf('prod-eu', (await restarted.incident(actionsOf(reply)[0]!.value!))!.verdict));
    expect(group?.ts).toBe(root.ts);
    expect(group?.blocks).toContain('512Mi → 640Mi');

    // A pod still on 640Mi dies after the raise to 800Mi: the fix has not reached it, and a button would be refused.
    const third = await postOccurrence(postDeps(restarted), death(workload, rsUid, { pod: 'b0003', limit: '640Mi', second: 180 }));
    const late = message((third as { ts: string }).ts);
    expect(textOf(late)).toContain('Died again with its old 640Mi limit: the workload holds 800Mi already');
    expect(actionsOf(late).map((e) => e.action_id)).toEqual(['oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
  });

  it('past the thread’s replies, offers the button once per fix: the first death after it is replied, the root marked, later ones only counted', async () => {
    const workload = `burst-${suffix}`;
    const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', workload, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] });
    const { store } = await makeStore();
    const app = slackApp(store);
    const deps = postDeps(store);
    const die = async (n: number, limit: string) => postOccurrence(deps, death(workload, rsUid, { pod: `d${String(n).padStart(4, '0')}`, limit, second: n }));
    slack.perChannelRateLimit = false;
    try {
      const root = message(((await die(0, '512Mi')) as { ts: string }).ts);
      await app.run(clickOn(root, 'oombot_raise', 'U0ALICE'));
      expect(await limitOf(workload)).toBe('640Mi');
      // Ten replies (bot/grouping.ts MAX_THREAD_REPLIES), each offering the button; the 12th is past them.
      const statuses: string[] = [];
      for (let n = 1; n <= 10; n++) statuses.push((await die(n, '640Mi')).status);
      expect(statuses).toEqual(Array(10).fill('threaded'));
      const offered = await die(11, '640Mi');
      expect(offered.status).toBe('threaded');
      const offer = message((offered as { ts: string }).ts);
      expect(actionsOf(offer)[0]?.text?.text).toBe('Raise limit to 800Mi');
      expect((await die(12, '640Mi')).status).toBe('counted');
      const key = groupKeyOf('prod-eu', (await store.incident(actionsOf(offer)[0]!.value!))!.verdict);
      expect((await store.repeatMessage(key))?.blocks).toContain('Died again after the fix was applied: the latest death is in the thread');
      // A raise from that reply is a new fix: the mark goes, and the next death after it is offered the button once.
      await app.run(clickOn(offer, 'oombot_raise', 'U0ALICE'));
      expect(await limitOf(workload)).toBe('800Mi');
      expect((await store.repeatMessage(key))?.blocks).not.toContain('Died again');
      const next = await die(13, '800Mi');
      expect(next.status).toBe('threaded');
      expect(actionsOf(message((next as { ts: string }).ts))[0]?.text?.text).toBe('Raise limit to 1Gi');
      expect((await die(14, '800Mi')).status).toBe('counted');
    } finally {
      slack.perChannelRateLimit = true;
    }
  });

  it('answers a workload chosen in a storm root with the Open runbook button its alert would have had', async () => {
    const { store } = await makeStore();
    // A storm after one group: the second and third workloads are counted in its root, never posted alone.
    const deps: PostDeps = { ...postDeps(store), routing: { defaultChannel: 'C-STORM-RUNBOOK', runbooks: { limit: 'https://wiki.example.com/oom' } }, storms: { threshold: 1, windowMs: 120_000, quietMs: 300_000 } };
    const workloads = ['alpha', 'beta', 'gamma'].map((w) => `${w}-${suffix}`);
    const chains = [];
    for (const w of workloads) chains.push(await createDeploymentChain(cluster.admin, 'shop', w, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' } } }] }));
    const outcomes: PostOutcome[] = [];
    for (const [k, w] of workloads.entries()) outcomes.push(await postOccurrence(deps, death(w, chains[k]!.rsUid, { pod: 'c0001', limit: '512Mi', second: k })));
    const root = slack.messages.find((m) => m.ts === (outcomes.at(-1) as { ts: string }).ts)!;
    expect(textOf(root)).toContain(STORM_PICK);
    const incident = (await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 20 })).find((i) => i.workload === `Deployment/${workloads[2]}`)!;
    expect(incident.runbookUrl).toBe('https://wiki.example.com/oom');
    const answer = await answerStormPick({ store, clusters: ['prod-eu'] }, groupChoice(groupKeyOf('prod-eu', incident.verdict)), root);
    const buttons = actionsOf(answer) as (Element & { url?: string })[];
    expect(buttons.map((b) => [b.action_id, b.url])).toEqual([
      ['oombot_raise', undefined],
      ['oombot_runbook', 'https://wiki.example.com/oom'],
      ['oombot_mute_1h', undefined],
      ['oombot_mute_24h', undefined],
      ['oombot_why', undefined],
    ]);
  });

  it('lists one node’s evictions in /oom recent as the one entry their alert is, with its count and cause', async () => {
    const { store } = await makeStore();
    const evicted = (name: string, second: number) =>
      pod({
        name,
        namespace: 'ops',
        uid: `uid-${name}-${suffix}`,
        containers: [container({ name: 'web', limit: '2Gi', request: '256Mi' })],
        statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(second) })],
        status: { phase: 'Failed', reason: 'Evicted', message: `The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. `, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at(second) }] },
      });
    // One alert and two replies in its thread (bot/grouping.ts: one node's evictions are one group).
    const outcomes = [];
    for (const [k, name] of ['web-1', 'web-2', 'web-3'].entries()) outcomes.push((await postOccurrence(postDeps(store), envelopeOf(evicted(name, k * 30), 'pod-eviction'))).status);
    expect(outcomes).toEqual(['posted', 'threaded', 'threaded']);
    const text = (await slackApp(store).run(slackRequests.slashCommand('recent ops', options('U0ALICE')))).body?.text ?? '';
    expect(text.split('\n')).toEqual(['Last incidents in ops · prod-eu:', expect.stringMatching(/^• 2026-11-27 10:14–10:15 UTC · \*3 pods evicted from node ip-10-0-12-7\* · node ip-10-0-12-7 ran low on memory · latest inc-\w+$/)]);
  });
});
