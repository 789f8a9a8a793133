// Cluster text never speaks in Slack. Names and messages from a cluster may hold Slack's control sequences — an
// ownerReference's name is any string the API server accepts, so is an Event's involvedObject name, a termination
// message is the container's own output — and `<!channel>` in any text Slack parses as mrkdwn (a message's top-level
// `text` too) would page a whole channel. This drives every Slack call the app makes with hostile names — alerts,
// thread replies, counter updates, node OOMs, the buttons, /oom, a refused and an applied Raise limit with its redraw —
// through the real @slack/web-api client into the Slack double, with a real API server, and checks every text Slack
// would parse.
import { AppsV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionJob, type ActionDeps } from '../../bot/actions.ts';
import { answerAlertAction } from '../../bot/alert-actions.ts';
import { ACTIONS } from '../../bot/alert.ts';
import { answerOom } from '../../bot/oom-command.ts';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, event, node, pod, restartedStatus, TEMPLATE_HASH } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const CHANNEL = '<!channel>';
const HOSTILE_OWNER = `${CHANNEL} checkout & co`;
const HOSTILE_NODE = `<!here> ip-10-0-0-1 ${'&x'.repeat(1600)}`;
const HOSTILE_MESSAGE = `java.lang.Exception <!everyone> <https://evil.example|click me> & more 😀${'<@U0VICTIM>'.repeat(300)}`;

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let deps: PostDeps;
let store: DynamoStore;
let rolloutRs = '';
let cartRs = '';

beforeAll(async () => {
  [dynamo, slack] = await Promise.all([startDynalite(), startSlackApi()]);
  slack.perChannelRateLimit = false;
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  // A ReplicaSet an Argo Rollout would own (a kind oombot does not read, so its name is taken from the checked
  // ReplicaSet's reference): the API server accepts any name in an ownerReference.
  const labels = { app: 'checkout', 'pod-template-hash': TEMPLATE_HASH };
  const rs = await cluster.admin.makeApiClient(AppsV1Api).createNamespacedReplicaSet({
    namespace: 'shop',
    body: {
      metadata: { name: `checkout-${TEMPLATE_HASH}`, labels, ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: HOSTILE_OWNER, uid: '6d1f5c2e-0000-4000-8000-000000000001', controller: true }] },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'api', image: 'api:1' }] } } },
    },
  });
  rolloutRs = rs.metadata!.uid!;
  cartRs = (await createDeploymentChain(cluster.admin, 'shop', 'cart', { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] })).rsUid;
  deps = {
    store,
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }).chat,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    routing: { defaultChannel: 'C-ALERTS' },
  };
});
afterAll(async () => {
  await Promise.all([slack?.close(), dynamo?.close()]);
});

function oomKilled(o: { name: string; deployment: string; rsUid: string; restarts: number }): Pod {
  return pod({
    name: o.name,
    uid: `a1b2c3d4-0000-4000-8000-${String(o.restarts).padStart(6, '0')}${o.name.length.toString().padStart(6, '0')}`,
    deployment: o.deployment,
    rsUid: o.rsUid,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, message: HOSTILE_MESSAGE, finishedAt: at(o.restarts * 60) }, o.restarts)],
  });
}
const hostilePod = (restarts: number) => oomKilled({ name: `checkout-${TEMPLATE_HASH}-m4tzr`, deployment: 'checkout', rsUid: rolloutRs, restarts });

const envelopesOf = (p: Pod): Envelope[] => podOccurrences('prod-eu', p).map((o) => EnvelopeSchema.parse(buildEnvelope('prod-eu', o, p, [], new Date())));

/** Every string in a Slack payload that Slack parses as mrkdwn: top-level text, mrkdwn text objects; not plain_text. */
function mrkdwnTexts(payload: unknown, out: string[] = [], plain = false): string[] {
  if (typeof payload === 'string') {
    if (!plain) out.push(payload);
    return out;
  }
  if (Array.isArray(payload)) {
    for (const p of payload) mrkdwnTexts(p, out);
    return out;
  }
  if (payload && typeof payload === 'object') {
    const o = payload as Record<string, unknown>;
    const isPlain = o['type'] === 'plain_text';
    for (const [k, v] of Object.entries(o)) {
      // title, deny and a button's text are plain_text by Block Kit's rules; block_id, action_id and value are ids.
      if (k === 'text' || k === 'elements' || k === 'fields' || k === 'blocks' || (k === 'confirm' && typeof v === 'object')) mrkdwnTexts(k === 'blocks' && typeof v === 'string' ? JSON.parse(v) : v, out, isPlain && k === 'text');
    }
  }
  return out;
}

/** What may appear between < and > in oombot's own texts: the mention of the user who clicked. Nothing else. */
function controlSequences(text: string): string[] {
  return [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]!).filter((inner) => !/^@U0[A-Z]+$/.test(inner) || inner === '@U0VICTIM');
}

function expectInert(texts: string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expect({ text: t.slice(0, 200), controlSequences: controlSequences(t) }).toEqual({ text: t.slice(0, 200), controlSequences: [] });
    // An & is an entity Slack decodes, never the start of one that clipping cut.
    expect(t.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/&/);
    // A lone surrogate (half an emoji) makes the Web API client throw before it sends anything.
    expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  }
}

const callTexts = (calls: SlackApiServer['calls']) => calls.flatMap((c) => mrkdwnTexts({ text: c.args['text'], blocks: c.args['blocks'] }));

function actionDeps(responses: unknown[]): ActionDeps {
  return {
    store,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    clusters: ['prod-eu'],
    policy: { allowed: { shop: ['U0ALICE'] }, contact: '#platform' },
    slack: deps.slack,
    respond: async (_url, message) => void responses.push(message),
  };
}

describe('hostile cluster text on every Slack call', () => {
  it('alerts, thread replies and counter updates escape the owner name and the termination message', async () => {
    const before = slack.calls.length;
    const first = await postOccurrence(deps, envelopesOf(hostilePod(1))[0]!);
    expect(first).toMatchObject({ status: 'posted', verdict: { workload: { kind: 'Rollout', name: HOSTILE_OWNER } } });
    expect(await postOccurrence(deps, envelopesOf(hostilePod(2))[0]!)).toMatchObject({ status: 'threaded' });
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    expectInert(callTexts(calls));
  });

  it('node OOM messages escape a hostile, over-long node name and kernel line, and still fit Slack', async () => {
    const before = slack.calls.length;
    const e = event({ reason: 'SystemOOM', message: `System OOM encountered, victim process: ${HOSTILE_MESSAGE}, pid: 4242`, on: { kind: 'Node', name: HOSTILE_NODE } });
    const envelope = (n: number): Envelope => ({ version: 1, kind: 'node-oom', occurrenceId: `node-hostile-${n}`, cluster: 'elsewhere', occurredAt: at(n), observedAt: at(n), node: HOSTILE_NODE, events: [], event: { ...e, source: { component: 'kubelet', host: HOSTILE_NODE }, metadata: { ...e.metadata, uid: `ev-hostile-${n}` } } });
    expect(await postOccurrence(deps, envelope(1))).toMatchObject({ status: 'posted' });
    expect(await postOccurrence(deps, envelope(2))).toMatchObject({ status: 'threaded' });
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    expectInert(callTexts(calls));
  });

  it('the buttons, /oom recent, /oom why --share, and refused Raise limits escape what the store and the cluster hold', async () => {
    const first = (await store.recentIncidents('prod-eu')).find((i) => i.workload.startsWith('Rollout/'))!;
    const { status, ...spec } = hostilePod(3);
    await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    const commandDeps = { store, cluster: deps.cluster, clusters: ['prod-eu'] };
    const answers = [
      await answerAlertAction({ store }, ACTIONS.mute1h, first.incidentId, 'U0ALICE'),
      await answerAlertAction({ store }, ACTIONS.why, first.incidentId, 'U0ALICE'),
      await answerAlertAction({ store }, ACTIONS.why, `${CHANNEL}-forged`, 'U0ALICE'),
      await answerOom(commandDeps, 'recent', 'U0ALICE'),
      await answerOom(commandDeps, `why checkout-${TEMPLATE_HASH}-m4tzr -n shop --share`, 'U0ALICE'),
    ];
    expect(answers[4]).toMatchObject({ response_type: 'in_channel' });
    const responses: unknown[] = [];
    const before = slack.calls.length;
    const click = (userId: string) => ({ kind: 'raise' as const, incidentId: first.incidentId, userId, actionTs: (Date.now() / 1000).toFixed(6), responseUrl: `${slack.url}/respond/x` });
    await runActionJob(actionDeps(responses), click('U0MALLORY')); // the policy's refusal, to the clicker alone
    await runActionJob(actionDeps(responses), click('U0ALICE')); // a Rollout cannot be patched: refused in the thread
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(responses).toHaveLength(1);
    expectInert([...answers.flatMap((a) => mrkdwnTexts(a)), ...responses.flatMap((r) => mrkdwnTexts(r)), ...callTexts(calls)]);
  });

  it('an applied Raise limit — the thread reply and the alert redrawn as handled — escapes what it quotes', async () => {
    const posted = await postOccurrence(deps, envelopesOf(oomKilled({ name: `cart-${TEMPLATE_HASH}-q8x2z`, deployment: 'cart', rsUid: cartRs, restarts: 4 }))[0]!);
    expect(posted).toMatchObject({ status: 'posted', verdict: { workload: { kind: 'Deployment', name: 'cart' } } });
    const incident = (await store.recentIncidents('prod-eu')).find((i) => i.workload === 'Deployment/cart')!;
    const root = slack.messages.find((m) => m.ts === incident.message.ts)!;
    const responses: unknown[] = [];
    const before = slack.calls.length;
    await runActionJob(actionDeps(responses), { kind: 'raise', incidentId: incident.incidentId, userId: 'U0ALICE', actionTs: (Date.now() / 1000).toFixed(6), message: { channel: root.channel, ts: root.ts, blocks: root.blocks! } });
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(String(calls[0]!.args['text'])).toMatch(/^✅ <@U0ALICE> changed the memory limit of api in shop\/Deployment\/cart: 512Mi → /);
    expectInert(callTexts(calls));
  });

  it('a node OOM event that is not the node components\' word is not posted, whoever put it on the bus', async () => {
    const before = slack.calls.length;
    const e = event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 1', on: { kind: 'Node', name: 'ip-10-0-12-7', namespace: 'shop' } });
    const envelope: Envelope = { version: 1, kind: 'node-oom', occurrenceId: 'node-forged-1', cluster: 'prod-eu', occurredAt: at(1), observedAt: at(1), node: 'ip-10-0-12-7', events: [], event: e };
    expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'untrusted', reason: expect.stringMatching(/namespace shop/) });
    const missing: Envelope = { ...envelope, occurrenceId: 'node-forged-2', node: 'ip-10-9-9-9', event: { ...e, metadata: { ...e.metadata, namespace: 'default' }, involvedObject: { ...e.involvedObject, name: 'ip-10-9-9-9' }, source: { component: 'kubelet', host: 'ip-10-9-9-9' } } };
    expect(await postOccurrence(deps, missing)).toMatchObject({ status: 'untrusted', reason: 'no such node' });
    // The node exists, but the event names another object's uid than this Node's (the API server lets any writer set it).
    const otherUid: Envelope = { ...envelope, occurrenceId: 'node-forged-3', event: { ...e, metadata: { ...e.metadata, namespace: 'default' }, involvedObject: { ...e.involvedObject, uid: 'f0e1d2c3-0000-4000-8000-000000000009' } } };
    expect(await postOccurrence(deps, otherUid)).toMatchObject({ status: 'untrusted', reason: "its node uid is not this node's" });
    expect(slack.calls.length).toBe(before);
  });
});
