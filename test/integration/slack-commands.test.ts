// `/oom` through the real `slack` handler (Bolt's AwsLambdaReceiver), with requests signed exactly as Slack signs
// them, the store on dynalite, and a real API server registered as a cluster.
import { createHmac, randomUUID } from 'node:crypto';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { handler as slackHandler } from '../../functions/slack/index.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startAwsJsonDouble, type AwsJsonDouble } from '../support/aws-json-double.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { lambdaTestEnv } from '../support/lambda-env.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.ts';
import { diagnose } from '../../shared/diagnose.ts';

type SlackHandler = typeof slackHandler;
const cluster = useControlPlane();
const SIGNING_SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
let dynamo: LocalDynamo;
let aws: AwsJsonDouble;
let handler: SlackHandler;
let store: DynamoStore;
let slack: SlackDouble;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
  slack = await startSlackDouble();
  aws = await startAwsJsonDouble({
    'AmazonSSM.GetParameter': (input) => ({ Parameter: { Name: input['Name'], Type: 'SecureString', Value: SIGNING_SECRET } }),
    'secretsmanager.GetSecretValue': () => ({ SecretString: cluster.controlPlane.adminToken }),
  });
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  const p = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] });
  const { status, ...spec } = p;
  await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
  Object.assign(process.env, lambdaTestEnv({ dynamoEndpoint: dynamo.endpoint, awsUrl: aws.url, controlPlane: cluster.controlPlane }), {
    OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: '/oombot/slack/signing-secret',
  });
  ({ handler } = await import('../../functions/slack/index.ts'));
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([aws?.close(), dynamo?.close(), slack?.close()]);
});

/** An API Gateway (HTTP API, payload 2.0) event carrying a slash command, signed as Slack signs it. */
function slashCommand(text: string, options: { secret?: string; timestamp?: number } = {}) {
  return signed(new URLSearchParams({ token: 'deprecated', team_id: 'T0TEAM', channel_id: 'C-ALERTS', user_id: 'U0ALICE', user_name: 'alice', command: '/oom', text, response_url: 'https://hooks.slack.invalid/commands/1', trigger_id: '1.2.3' }).toString(), options);
}

/** A click on one of the alert's buttons (interactivity: block_actions), signed as Slack signs it. */
function click(actionId: string, value: string, options: { secret?: string; timestamp?: number } = {}) {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0BOB', username: 'bob', team_id: 'T0TEAM' },
    team: { id: 'T0TEAM', domain: 'acme' },
    api_app_id: 'A0OOMBOT',
    token: 'deprecated',
    trigger_id: '1.2.4',
    container: { type: 'message', message_ts: '1.1', channel_id: 'C-ALERTS', is_ephemeral: false },
    channel: { id: 'C-ALERTS', name: 'alerts' },
    message: { ts: '1.1', type: 'message', text: 'alert' },
    response_url: `${slack.url}/respond/${randomUUID()}`,
    actions: [{ type: 'button', action_id: actionId, block_id: 'oombot-actions', value, text: { type: 'plain_text', text: 'x' }, action_ts: '1.2' }],
  };
  return signed(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
}

function signed(body: string, { secret = SIGNING_SECRET, timestamp = Math.floor(Date.now() / 1000) }: { secret?: string; timestamp?: number } = {}) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/slack/events' }, requestId: randomUUID() },
  };
}

async function run(event: ReturnType<typeof slashCommand>) {
  const res = (await handler(event as never, {} as never)) as { statusCode: number; body?: string };
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { response_type?: string; text?: string; blocks?: { text?: { text: string } }[] }) : undefined };
}

describe('the alert’s buttons through the slack handler', () => {
  beforeAll(async () => {
    const p = pod({ deployment: 'billing', containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const v = diagnose({ pod: p, node: node(), events: [] });
    await store.recordIncident({ incidentId: 'inc-btn', occurrenceId: 'term-btn', cluster: 'prod-eu', namespace: 'payments', workload: 'Deployment/billing', container: 'api', cause: v.cause, kind: v.kind, headline: v.headline, occurredAt: T0, message: { channel: 'C-ALERTS', ts: '1.1' }, verdict: JSON.stringify(v) });
  });

  it('mutes the incident’s workload for an hour, from the store, and says so to the clicker', async () => {
    const before = slack.responses.length;
    expect((await run(click('oombot_mute_1h', 'inc-btn'))).status).toBe(200);
    expect(await store.muteUntil('prod-eu/payments/Deployment/billing', Date.now())).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(await store.auditTrail('inc-btn')).toEqual([expect.objectContaining({ userId: 'U0BOB', action: 'mute-1h', target: 'payments/Deployment/billing' })]);
    const [answer] = slack.responses.slice(before);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringMatching(/^Muted Deployment\/billing in payments \(prod-eu\) for 1 h, until \d\d:\d\d UTC\. `\/oom unmute deploy\/billing -n payments` undoes it\.$/) });
  });

  it('answers Why? with the full evidence, ephemerally', async () => {
    const before = slack.responses.length;
    await run(click('oombot_why', 'inc-btn'));
    const text = String(slack.responses.slice(before)[0]?.body['text']);
    expect(text).toMatch(/^\*billing › api was OOMKilled at its 512Mi memory limit\* — limit \/ container-limit, confidence high\n\*Evidence\*\n• container api: lastState\.terminated reason OOMKilled/);
    expect(text).toContain('*Recommendation:* +25 % over the 512Mi limit it died at');
  });

  it('acts only on incidents it holds: a forged value mutes nothing', async () => {
    const before = slack.responses.length;
    await run(click('oombot_mute_24h', 'inc-forged'));
    expect(slack.responses.slice(before)[0]?.body['text']).toBe('I have no incident inc-forged any more (incidents are kept 90 days).');
  });

  it('refuses a forged click with 401, changing nothing', async () => {
    expect((await run(click('oombot_mute_24h', 'inc-other', { secret: 'wrong' }))).status).toBe(401);
  });
});

describe('/oom through the slack handler', () => {
  it('answers `why` for a pod OOM-killed in the API server with the verdict, ephemerally', async () => {
    const { status, body } = await run(slashCommand('why checkout-7d9f8b6c5-m4tzr -n shop'));
    expect(status).toBe(200);
    expect(body?.response_type).toBe('ephemeral');
    expect(body?.blocks?.[0]?.text?.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('says which pod was not found, where', async () => {
    const { body } = await run(slashCommand('why nope -n shop'));
    expect(body?.text).toBe('Pod nope not found in namespace shop of cluster prod-eu.');
  });

  it('lists the clusters it knows when asked about another', async () => {
    const { body } = await run(slashCommand('why api-0 --cluster staging'));
    expect(body?.text).toBe('I do not know the cluster "staging". Clusters I know: prod-eu.');
  });

  it.each(['mute checkout', 'why', 'explode', 'why a -n', 'unmute'])('answers %j with usage help', async (text) => {
    const { status, body } = await run(slashCommand(text));
    expect(status).toBe(200);
    expect(body?.response_type).toBe('ephemeral');
    expect(body?.text).toContain('`/oom why <pod> [-n namespace] [--cluster name]` — why did it die?');
  });

  it('mutes and unmutes through the store, and lists recent incidents from it', async () => {
    expect((await run(slashCommand('mute deploy/checkout 1h -n shop'))).body?.text).toMatch(/^Muted Deployment\/checkout in shop \(prod-eu\) for 1h, until /);
    expect(await store.muteUntil('prod-eu/shop/Deployment/checkout', Date.now())).toBeGreaterThan(Date.now());
    expect((await run(slashCommand('unmute deploy/checkout -n shop'))).body?.text).toBe('Unmuted Deployment/checkout in shop (prod-eu).');
    expect(await store.muteUntil('prod-eu/shop/Deployment/checkout', Date.now())).toBeUndefined();

    expect((await run(slashCommand('recent shop'))).body?.text).toBe('No incidents recorded in namespace shop of prod-eu.');
    await store.recordIncident({ incidentId: 'inc-abc', occurrenceId: 'term-abc', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', kind: 'container-limit', headline: 'checkout › api was OOMKilled at its 512Mi memory limit', occurredAt: T0, message: { channel: 'C1', ts: '1.1' }, verdict: '{}' });
    expect((await run(slashCommand('recent shop'))).body?.text).toBe('Last incidents in shop · prod-eu:\n• 2026-11-27 10:14 UTC · *checkout › api was OOMKilled at its 512Mi memory limit* · inc-abc');
  });

  it('refuses a forged signature and a stale timestamp with 401, changing nothing', async () => {
    expect((await run(slashCommand('mute deploy/forged 7d -n shop', { secret: 'not-the-secret' }))).status).toBe(401);
    expect((await run(slashCommand('mute deploy/stale 7d -n shop', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }))).status).toBe(401);
    expect(await store.muteUntil('prod-eu/shop/Deployment/forged', Date.now())).toBeUndefined();
    expect(await store.muteUntil('prod-eu/shop/Deployment/stale', Date.now())).toBeUndefined();
  });
});
