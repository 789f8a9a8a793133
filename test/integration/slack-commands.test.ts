// `/oom` and the alert's buttons through the real `slack` handler (Bolt's AwsLambdaReceiver), with requests signed
// exactly as Slack signs them, the store on dynalite, a real API server registered as a cluster, and the real `actions`
// handler behind an asynchronous Lambda invoke (the real Lambda SDK against a loopback Invoke endpoint).
import { randomUUID } from 'node:crypto';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import type { handler as actionsHandler } from '../../functions/actions/index.ts';
import type { handler as slackHandler } from '../../functions/slack/index.ts';
import { bundledHandler } from '../support/bundles.ts';
import { renderAlert } from '../../bot/alert.ts';
import { proposedChange } from '../../bot/raise-limit.ts';
import { startLambdaDouble, type LambdaDouble } from '../support/lambda-double.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startAwsJsonDouble, type AwsJsonDouble } from '../support/aws-json-double.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { lambdaTestEnv } from '../support/lambda-env.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import * as slackRequests from '../support/slack-requests.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { diagnose } from '#shared/diagnose.ts';
import { limitVerdict } from '../support/verdicts.ts';

type SlackHandler = typeof slackHandler;
const cluster = useControlPlane();
const SIGNING_SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
let dynamo: LocalDynamo;
let aws: AwsJsonDouble;
let handler: SlackHandler;
let store: DynamoStore;
let slack: SlackApiServer;
let lambda: LambdaDouble;
const BOT_TOKEN = 'xoxb-test-token';
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
  slack = await startSlackApi();
  aws = await startAwsJsonDouble({
    'AmazonSSM.GetParameter': (input) => ({ Parameter: { Name: input['Name'], Type: 'SecureString', Value: input['Name'] === '/oombot/slack/bot-token' ? BOT_TOKEN : SIGNING_SECRET } }),
    'secretsmanager.GetSecretValue': () => ({ SecretString: cluster.controlPlane.adminToken }),
  });
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', 'checkout');
  const p = pod({ deployment: 'checkout', rsUid, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] });
  const { status, ...spec } = p;
  await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
  Object.assign(process.env, lambdaTestEnv({ dynamoEndpoint: dynamo.endpoint, awsUrl: aws.url, controlPlane: cluster.controlPlane }), {
    OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: '/oombot/slack/signing-secret',
    OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token',
    OOMBOT_SLACK_API_URL: slack.apiUrl,
    OOMBOT_ACTIONS_FUNCTION: 'oombot-prod-actions',
    // Alice may change shop; the platform group (Carol) may change every namespace.
    OOMBOT_RAISE_POLICY: JSON.stringify({ allowed: { shop: ['U0ALICE'], '*': ['S0PLATFORM'] }, contact: '#platform', maxFactor: 2 }),
  });
  slack.userGroups['S0PLATFORM'] = ['U0CAROL'];
  const actions = await bundledHandler<typeof actionsHandler>('actions');
  lambda = await startLambdaDouble({ 'oombot-prod-actions': (event) => actions(event) });
  process.env['AWS_ENDPOINT_URL_LAMBDA'] = lambda.url;
  handler = await bundledHandler<SlackHandler>('slack');
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([aws?.close(), dynamo?.close(), slack?.close(), lambda?.close()]);
});

type RequestOptions = { secret?: string; timestamp?: number; user?: string };
/** Slack's requests (test/support/slack-requests.ts), signed with this app's secret unless a test forges one. */
const withSecret = <T extends RequestOptions>(o: T) => ({ ...o, secret: o.secret ?? SIGNING_SECRET, respondBase: `${slack.url}/respond` });
const slashCommand = (text: string, o: RequestOptions = {}) => slackRequests.slashCommand(text, withSecret(o));
const click = (actionId: string, value: string, o: RequestOptions & { message?: { ts: string; blocks: unknown[] }; actionTs?: string } = {}) => slackRequests.click(actionId, value, withSecret(o));
const signed = (body: string, o: RequestOptions = {}) => slackRequests.signed(body, withSecret(o));

async function run(event: ReturnType<typeof slashCommand>) {
  const res = (await handler(event as never, {} as never)) as { statusCode: number; body?: string };
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { response_type?: string; text?: string; blocks?: { text?: { text: string } }[] }) : undefined };
}

describe('the alert’s buttons through the slack handler', () => {
  beforeAll(async () => {
    const p = pod({ deployment: 'billing', containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const v = diagnose({ pod: p, node: node(), events: [] });
    await store.recordIncident({ incidentId: 'inc-btn', occurrenceId: 'term-btn', cluster: 'prod-eu', namespace: 'payments', workload: 'Deployment/billing', container: 'api', cause: v.cause, kind: v.kind, headline: v.headline, occurredAt: T0, message: { channel: 'C-ALERTS', ts: '1.1' }, verdict: v });
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

/** A command whose answer comes later, from `actions`, at the command's response_url. */
async function answeredLater(text: string) {
  const before = slack.responses.length;
  const ack = await run(slashCommand(text));
  await lambda.idle();
  return { ack, answer: slack.responses.slice(before)[0]?.body as { response_type?: string; text?: string; blocks?: { text?: { text: string } }[] } | undefined };
}

describe('/oom through the slack handler', () => {
  it('acknowledges `why` at once and answers with the verdict of a pod OOM-killed in the API server, from actions', async () => {
    const { ack, answer } = await answeredLater('why checkout-7d9f8b6c5-m4tzr -n shop');
    expect(ack).toEqual({ status: 200, body: { response_type: 'ephemeral', text: '🔎 Looking at pod checkout-7d9f8b6c5-m4tzr in shop…' } });
    expect(lambda.invocations.at(-1)).toMatchObject({ functionName: 'oombot-prod-actions', invocationType: 'Event', payload: { kind: 'why', userId: 'U0ALICE' } });
    expect(answer?.response_type).toBe('ephemeral');
    expect(answer?.blocks?.[0]?.text?.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('says which pod was not found, where', async () => {
    expect((await answeredLater('why nope -n shop')).answer?.text).toBe('Pod nope not found in namespace shop of cluster prod-eu.');
  });

  it('finds a pod given without -n in the one namespace that has it, and says where', async () => {
    const { ack, answer } = await answeredLater('why checkout-7d9f8b6c5-m4tzr');
    expect(ack.body?.text).toBe('🔎 Looking at pod checkout-7d9f8b6c5-m4tzr…');
    expect(answer?.blocks?.[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Found in namespace shop (no pod checkout-7d9f8b6c5-m4tzr in default).' }] });
    expect(answer?.blocks?.[1]?.text?.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('lists the namespaces of a pod name found in several, and says when none has it', async () => {
    for (const namespace of ['team-a', 'team-b']) {
      await createNamespace(cluster.admin, namespace);
      const p = pod({ name: 'cart-0', namespace, containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
      const { status, ...spec } = p;
      await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    }
    expect((await answeredLater('why cart-0')).answer?.text).toBe('`cart-0` is in 2 namespaces of cluster prod-eu: team-a, team-b — add `-n &lt;namespace&gt;`.');
    expect((await answeredLater('why ghost-0')).answer?.text).toBe('Pod ghost-0 not found in any namespace of cluster prod-eu.');
  });

  it('lists the clusters it knows when asked about another', async () => {
    expect((await answeredLater('why api-0 --cluster staging')).answer?.text).toBe('I do not know the cluster "staging". Clusters I know: prod-eu.');
  });

  it('tells the user when the actions function cannot take the job, instead of going silent', async () => {
    lambda.refuse(1, 400);
    const { ack, answer } = await answeredLater('why checkout-7d9f8b6c5-m4tzr -n shop');
    expect(ack.status).toBe(200);
    expect(answer?.text).toBe('I could not start that just now (the actions function did not take it); try again in a minute.');
  });

  it.each(['mute checkout', 'why', 'explode', 'why a -n', 'unmute'])('answers %j with usage help', async (text) => {
    const { status, body } = await run(slashCommand(text));
    expect(status).toBe(200);
    expect(body?.response_type).toBe('ephemeral');
    expect(body?.text).toContain('`/oom why &lt;pod&gt; [-n namespace] [--cluster name] [--share]` — why did it die?');
  });

  it('mutes and unmutes through the store, and lists recent incidents from it', async () => {
    expect((await run(slashCommand('mute deploy/checkout 1h -n shop'))).body?.text).toMatch(/^Muted Deployment\/checkout in shop \(prod-eu\) for 1h, until /);
    expect(await store.muteUntil('prod-eu/shop/Deployment/checkout', Date.now())).toBeGreaterThan(Date.now());
    expect((await run(slashCommand('unmute deploy/checkout -n shop'))).body?.text).toBe('Unmuted Deployment/checkout in shop (prod-eu).');
    expect(await store.muteUntil('prod-eu/shop/Deployment/checkout', Date.now())).toBeUndefined();
    // A mute typed as a command is on the record like a Mute button: who, what, until when, and the unmute after it.
    expect(await store.auditTrail('workload/prod-eu/shop/Deployment/checkout')).toEqual([
      expect.objectContaining({ userId: 'U0ALICE', action: 'mute-1h', target: 'shop/Deployment/checkout', before: 'alerting', after: expect.stringMatching(/^muted until 20\d\d-/) }),
      expect.objectContaining({ userId: 'U0ALICE', action: 'unmute', target: 'shop/Deployment/checkout', before: expect.stringMatching(/^muted until /), after: 'alerting' }),
    ]);

    expect((await run(slashCommand('recent shop'))).body?.text).toBe('No incidents recorded in namespace shop of prod-eu.');
    await store.recordIncident({ incidentId: 'inc-abc', occurrenceId: 'term-abc', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', kind: 'container-limit', headline: 'checkout › api was OOMKilled at its 512Mi memory limit', occurredAt: T0, message: { channel: 'C1', ts: '1.1' }, verdict: limitVerdict() });
    expect((await run(slashCommand('recent shop'))).body?.text).toBe('Last incidents in shop · prod-eu:\n• 2026-11-27 10:14 UTC · *checkout › api was OOMKilled at its 512Mi memory limit* · inc-abc');
  });

  it('refuses a forged signature and a stale timestamp with 401, changing nothing', async () => {
    expect((await run(slashCommand('mute deploy/forged 7d -n shop', { secret: 'not-the-secret' }))).status).toBe(401);
    expect((await run(slashCommand('mute deploy/stale 7d -n shop', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }))).status).toBe(401);
    expect(await store.muteUntil('prod-eu/shop/Deployment/forged', Date.now())).toBeUndefined();
    expect(await store.muteUntil('prod-eu/shop/Deployment/stale', Date.now())).toBeUndefined();
  });

  it('refuses a signed request dated in the future with 401: a captured request must not be replayable later', async () => {
    expect((await run(slashCommand('mute deploy/future 7d -n shop', { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 }))).status).toBe(401);
    expect(await store.muteUntil('prod-eu/shop/Deployment/future', Date.now())).toBeUndefined();
  });

  it.each([
    ['no signature headers, a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'payload=%7B'],
    ['no signature headers, a JSON body that is not JSON', { 'content-type': 'application/json' }, '{"type":'],
    ['a timestamp that is not a number', { 'content-type': 'application/json', 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': 'now' }, '{}'],
    ['a payload that is not JSON, signed with another secret', undefined, 'payload=%7Bnot-json'],
  ])('refuses an unsigned or malformed request with 401 before parsing it: %s', async (_name, headers, body) => {
    const event = headers ? ({ ...signed(body), headers } as unknown as ReturnType<typeof signed>) : signed(body, { secret: 'not-the-secret' });
    expect((await run(event)).status).toBe(401);
  });
});

describe('the Raise limit button, end to end', () => {
  const ROOT = { channel: 'C-ALERTS', ts: '1764238443.000100' };
  let alertBlocks: unknown[];
  const apps = () => cluster.admin.makeApiClient(AppsV1Api);
  const cart = () => apps().readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
  const threadReplies = () => slack.messages.filter((m) => m.threadTs === ROOT.ts).map((m) => m.text);

  beforeAll(async () => {
    await apps().createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'cart' },
        spec: {
          selector: { matchLabels: { app: 'cart' } },
          template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'api', image: 'cart:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }, { name: 'sidecar', image: 'proxy:1', resources: { limits: { memory: '64Mi' } } }] } },
        },
      } as V1Deployment,
    });
    const p = pod({ namespace: 'shop', deployment: 'cart', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    const v = diagnose({ pod: p, node: node(), events: [] });
    await store.recordIncident({ incidentId: 'inc-raise', occurrenceId: 'term-raise', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/cart', container: 'api', cause: v.cause, kind: v.kind, headline: v.headline, occurredAt: T0, message: ROOT, verdict: v });
    const alert = renderAlert(v, { cluster: 'prod-eu', incidentId: 'inc-raise', occurredAt: T0, buttons: { raise: proposedChange(v)! } });
    alertBlocks = alert.blocks;
    slack.seed({ ...ROOT, text: alert.text, blocks: alert.blocks });
  });

  it('shows the button with a confirm dialog, and carries only the incident id', () => {
    const actions = alertBlocks.find((b) => (b as { type: string }).type === 'actions') as { elements: Record<string, unknown>[] };
    expect(actions.elements[0]).toMatchObject({ action_id: 'oombot_raise', style: 'primary', value: 'inc-raise', text: { text: 'Raise limit to 640Mi' }, confirm: { title: { text: 'Raise the memory limit?' }, confirm: { text: 'Yes, 640Mi' }, deny: { text: 'Cancel' } } });
    expect(JSON.stringify(actions.elements[0]!['confirm'])).toContain('Container api of Deployment/cart (shop): memory limit 512Mi → 640Mi.');
  });

  it('refuses a user outside the policy, to that user alone and without paging the allowed ones, and the Deployment does not move', async () => {
    const before = (await cart()).metadata!.resourceVersion;
    const answers = slack.responses.length;
    const replies = threadReplies().length;
    expect((await run(click('oombot_raise', 'inc-raise', { user: 'U0MALLORY', message: { ...ROOT, blocks: alertBlocks } }))).status).toBe(200);
    await lambda.idle();
    expect(slack.responses.slice(answers).map((r) => r.body['text'])).toEqual(['⛔ You may not change workloads in shop. Ask #platform. Allowed: U0ALICE, a member of user group S0PLATFORM.']);
    expect(threadReplies()).toHaveLength(replies);
    expect((await cart()).metadata!.resourceVersion).toBe(before);
  });

  it('does not apply a click that arrives minutes late, and says so', async () => {
    const answers = slack.responses.length;
    const rv = (await cart()).metadata!.resourceVersion;
    await run(click('oombot_raise', 'inc-raise', { user: 'U0CAROL', actionTs: ((Date.now() - 5 * 60_000) / 1000).toFixed(6) }));
    await lambda.idle();
    expect(slack.responses.slice(answers).map((r) => r.body['text'])).toEqual(['Your click on inc-raise reached me 5 min late, so I did not apply it: nothing was changed. Click again if it is still needed.']);
    expect((await cart()).metadata!.resourceVersion).toBe(rv);
  });

  it('refuses a tampered incident id to the clicker alone, changing nothing', async () => {
    const before = slack.responses.length;
    const rv = (await cart()).metadata!.resourceVersion;
    await run(click('oombot_raise', 'inc-raise-forged', { user: 'U0ALICE' }));
    await lambda.idle();
    expect(slack.responses.slice(before).map((r) => r.body['text'])).toEqual(['I have no incident inc-raise-forged: nothing was changed.']);
    expect((await cart()).metadata!.resourceVersion).toBe(rv);
  });

  it('lets a member of an allowed user group raise it: one container patched as oombot, the audit line in the thread, the alert marked handled', async () => {
    await run(click('oombot_raise', 'inc-raise', { user: 'U0CAROL', message: { ...ROOT, blocks: alertBlocks } }));
    await lambda.idle();
    const d = await cart();
    const [api, sidecar] = d.spec!.template.spec!.containers;
    expect(api!.resources).toEqual({ limits: { memory: '640Mi' }, requests: { memory: '256Mi' } });
    expect(sidecar!.resources).toEqual({ limits: { memory: '64Mi' } });
    expect(d.metadata!.managedFields!.filter((f) => f.manager === 'oombot').map((f) => f.operation)).toEqual(['Update']);
    expect(threadReplies().at(-1)).toMatch(/^✅ <@U0CAROL> changed the memory limit of api in shop\/Deployment\/cart: 512Mi → 640Mi \(dry run passed; field manager oombot; \d\d:\d\d UTC\)\. Its pods roll out with the new value now\. Put the same change in its source/);
    const root = slack.messages.find((m) => m.ts === ROOT.ts)!;
    expect(root.updates).toBe(1);
    expect(JSON.stringify(root.blocks)).not.toContain('oombot_raise');
    expect(JSON.stringify(root.blocks)).toMatch(/✅ Handled: memory limit 512Mi → 640Mi by <@U0CAROL> at \d\d:\d\d UTC/);
    expect(JSON.stringify(root.blocks)).toContain('oombot_mute_1h'); // the other buttons stay
    expect((await store.auditTrail('inc-raise')).map((a) => [a.userId, a.action, a.before, a.after.slice(0, 30)])).toEqual([
      ['U0MALLORY', 'raise-memory-refused', '', 'You may not change workloads i'],
      ['U0CAROL', 'raise-memory-limit', '512Mi', '640Mi'],
    ]);
  });

  it('applies a click Lambda delivers twice only once', async () => {
    const replies = threadReplies().length;
    const actions = await bundledHandler<typeof actionsHandler>('actions');
    const job = { kind: 'raise', incidentId: 'inc-raise', userId: 'U0ALICE', actionTs: (Date.now() / 1000).toFixed(6), responseUrl: `${slack.url}/respond/${randomUUID()}` };
    await Promise.all([actions(job), actions(job)]);
    // One answer (the limit is already raised), not two.
    expect(threadReplies().slice(replies)).toEqual(['⛔ <@U0ALICE> asked to raise limit to 640Mi: refused. The limit is already 640Mi (someone raised it): nothing was changed.']);
  });

  it('refuses a second click in the thread: someone already raised it', async () => {
    const rv = (await cart()).metadata!.resourceVersion;
    await run(click('oombot_raise', 'inc-raise', { user: 'U0ALICE', message: { ...ROOT, blocks: alertBlocks } }));
    await lambda.idle();
    expect(threadReplies().at(-1)).toBe('⛔ <@U0ALICE> asked to raise limit to 640Mi: refused. The limit is already 640Mi (someone raised it): nothing was changed.');
    expect((await cart()).metadata!.resourceVersion).toBe(rv);
  });
});
