// A storm's details on demand (issue 13 item 2; docs/alert-style.md, "Repeats and storms"): a storm made through the
// real posting path (envelopes → enrichment from the real API server → DynamoDB on dynalite → the one Slack double),
// then `/oom recent`, the root's "Explain a workload…" select and the Raise limit button of the answer, through the real
// `slack` handler (Bolt's AwsLambdaReceiver) with requests signed as Slack signs them, and the real `actions` handler
// behind an asynchronous Lambda invoke.
import { AppsV1Api, type V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { handler as actionsHandler } from '../../functions/actions/index.ts';
import type { handler as slackHandler } from '../../functions/slack/index.ts';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { DEFAULT_STORM_SETTINGS, STORM_PICK } from '../../bot/storms.ts';
import { startSlackApi, type PostedMessage, type SlackApiServer } from '../../console/slack-api.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startAwsJsonDouble, type AwsJsonDouble } from '../support/aws-json-double.ts';
import { bundledHandler } from '../support/bundles.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startLambdaDouble, type LambdaDouble } from '../support/lambda-double.ts';
import { lambdaTestEnv } from '../support/lambda-env.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import * as slackRequests from '../support/slack-requests.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const SIGNING_SECRET = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const CHANNEL = 'C-STORM-DETAILS';
// Five open their own alerts; the sixth opens the storm and is counted in it with the other four.
const WORKLOADS = Array.from({ length: 10 }, (_, w) => `svc-${String(w).padStart(2, '0')}`);
const rs = new Map<string, string>();
const saved = { ...process.env };
let dynamo: LocalDynamo;
let aws: AwsJsonDouble;
let slack: SlackApiServer;
let lambda: LambdaDouble;
let store: DynamoStore;
let handler: typeof slackHandler;
let root: PostedMessage;

function death(workload: string, restarts: number): Envelope {
  const p = pod({
    name: `${workload}-7d9f8b6c5-a0001`,
    uid: `uid-${workload}`,
    deployment: workload,
    rsUid: rs.get(workload)!,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts * 60) }, restarts)],
  });
  const occurrence = podOccurrences('prod-eu', p).find((o) => o.kind === 'container-termination')!;
  return EnvelopeSchema.parse(buildEnvelope('prod-eu', occurrence, trimPod(p), [], new Date()));
}

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
  slack = await startSlackApi();
  aws = await startAwsJsonDouble({
    'AmazonSSM.GetParameter': (input) => ({ Parameter: { Name: input['Name'], Type: 'SecureString', Value: input['Name'] === '/oombot/slack/bot-token' ? 'xoxb-test-token' : SIGNING_SECRET } }),
    'secretsmanager.GetSecretValue': () => ({ SecretString: cluster.controlPlane.adminToken }),
  });
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  for (const w of WORKLOADS) rs.set(w, (await createDeploymentChain(cluster.admin, 'shop', w, { containers: [{ name: 'api', image: 'api:1', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] })).rsUid);
  Object.assign(process.env, lambdaTestEnv({ dynamoEndpoint: dynamo.endpoint, awsUrl: aws.url, controlPlane: cluster.controlPlane }), {
    OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: '/oombot/slack/signing-secret',
    OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token',
    OOMBOT_SLACK_API_URL: slack.apiUrl,
    OOMBOT_ACTIONS_FUNCTION: 'oombot-prod-actions',
    OOMBOT_RAISE_POLICY: JSON.stringify({ allowed: { shop: ['U0ALICE'] }, contact: '#platform', maxFactor: 2 }),
  });
  const actions = await bundledHandler<typeof actionsHandler>('actions');
  lambda = await startLambdaDouble({ 'oombot-prod-actions': (event) => actions(event) });
  process.env['AWS_ENDPOINT_URL_LAMBDA'] = lambda.url;
  handler = await bundledHandler<typeof slackHandler>('slack');

  // The storm, through the real posting path; svc-06 dies twice in it.
  const deps: PostDeps = {
    store,
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 12, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    routing: { defaultChannel: CHANNEL },
    storms: DEFAULT_STORM_SETTINGS,
  };
  for (const w of WORKLOADS) await postOccurrence(deps, death(w, 1));
  await postOccurrence(deps, death('svc-06', 2));
  root = slack.messages.find((m) => m.channel === CHANNEL && JSON.stringify(m.blocks).includes(STORM_PICK))!;
}, 120_000);
afterAll(async () => {
  process.env = saved;
  await Promise.all([aws?.close(), dynamo?.close(), slack?.close(), lambda?.close()]);
});

const options = { secret: SIGNING_SECRET, respondBase: '' };
async function run(event: ReturnType<typeof slackRequests.signed>) {
  const res = (await handler(event as never, {} as never)) as { statusCode: number; body?: string };
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { text?: string }) : undefined };
}
const withBase = () => ({ ...options, respondBase: `${slack.url}/respond` });
const pickOf = (blocks: unknown[] | undefined) =>
  (blocks as { type: string; elements?: { type: string; action_id?: string; options?: { text: { text: string }; value: string }[] }[] }[]).flatMap((b) => b.elements ?? []).find((e) => e.type === 'static_select' && e.action_id === STORM_PICK);

describe('a storm’s details on demand, through the slack handler', () => {
  it('lists the storm in /oom recent as one entry with its groups beneath it, and the alerts before it as their own lines', async () => {
    const text = (await run(slackRequests.slashCommand('recent shop', withBase()))).body?.text ?? '';
    const lines = text.split('\n');
    const storm = lines.findIndex((l) => l.includes('*storm: 5 workloads, 6 occurrences*'));
    expect(storm).toBeGreaterThan(0);
    // Its groups beneath it, the most counted first, each with its count, cause and latest incident.
    expect(lines[storm + 1]).toMatch(/^ {4}◦ shop\/deploy\/svc-06 › api — 2× · limit · inc-\w+$/);
    expect(lines.slice(storm + 2, storm + 6).map((l) => l.replace(/ · inc-\w+$/, '')).sort()).toEqual(['svc-05', 'svc-07', 'svc-08', 'svc-09'].map((w) => `    ◦ shop/deploy/${w} › api — 1× · limit`));
    // The five that opened their own alerts before it are incidents of their own; the storm's are not.
    expect(lines.filter((l) => l.startsWith('• ') && !l.includes('storm:'))).toHaveLength(5);
    expect(text).not.toMatch(/^• .*svc-0[5-9]/m);
  });

  it('answers a workload chosen in the root’s select with its full explanation and its own buttons, to the chooser alone', async () => {
    const pick = pickOf(root.blocks)!;
    const pickOptions = pick.options ?? [];
    expect(pickOptions.map((o) => o.text.text)).toEqual(['shop/deploy/svc-06 › api', 'shop/deploy/svc-05 › api', 'shop/deploy/svc-07 › api', 'shop/deploy/svc-08 › api', 'shop/deploy/svc-09 › api']);
    const chosen = pickOptions[0]!;
    const answers = slack.responses.length;
    expect((await run(slackRequests.choose(STORM_PICK, { text: chosen.text.text, value: chosen.value }, { ...withBase(), message: { channel: CHANNEL, ts: root.ts, blocks: root.blocks ?? [] } }))).status).toBe(200);
    const [answer] = slack.responses.slice(answers);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const blocks = answer!.body['blocks'] as { type: string; text?: { text: string }; elements?: { action_id: string; value: string }[] }[];
    expect(blocks[0]!.text!.text).toBe('🔴 svc-06 › api was OOMKilled at its 512Mi memory limit');
    const latest = (await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 50 })).find((i) => i.workload === 'Deployment/svc-06')!;
    const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual(['oombot_raise', 'oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
    expect(new Set(buttons.map((b) => b.value))).toEqual(new Set([latest.incidentId]));
    expect(JSON.stringify(blocks)).toContain('*Evidence*');
  });

  it('answers a forged choice with nothing of the storm', async () => {
    const answers = slack.responses.length;
    await run(slackRequests.choose(STORM_PICK, { text: 'x', value: 'repeat/prod-eu/shop/Deployment/nope/api/limit' }, { ...withBase(), message: { channel: CHANNEL, ts: root.ts, blocks: root.blocks ?? [] } }));
    expect(slack.responses.slice(answers).map((r) => r.body['text'])).toEqual(['I have no incident of that workload in this storm any more (incidents are kept 90 days); `/oom recent` lists what I have.']);
  });

  it('authorizes and audits Raise limit clicked from that answer as from an alert, and leaves the storm root as it was', async () => {
    const latest = (await store.recentIncidents('prod-eu', { namespace: 'shop', limit: 50 })).find((i) => i.workload === 'Deployment/svc-07')!;
    const apps = () => cluster.admin.makeApiClient(AppsV1Api);
    const answer = { channel: CHANNEL, ts: '9999.000001', blocks: [] };
    const answers = slack.responses.length;
    // Outside the policy: refused to the clicker, on the record, nothing changed.
    await run(slackRequests.click('oombot_raise', latest.incidentId, { ...withBase(), user: 'U0MALLORY', message: answer }));
    await lambda.idle();
    expect(slack.responses.slice(answers).map((r) => r.body['text'])).toEqual(['⛔ You may not change workloads in shop. Ask #platform. Allowed: U0ALICE.']);
    const rootBefore = JSON.stringify(root.blocks);
    await run(slackRequests.click('oombot_raise', latest.incidentId, { ...withBase(), user: 'U0ALICE', message: answer }));
    await lambda.idle();
    const d = await apps().readNamespacedDeployment({ name: 'svc-07', namespace: 'shop' });
    expect(d.spec!.template.spec!.containers[0]!.resources).toEqual({ limits: { memory: '640Mi' }, requests: { memory: '256Mi' } });
    expect((await store.auditTrail(latest.incidentId)).map((a) => [a.userId, a.action])).toEqual([
      ['U0MALLORY', 'raise-memory-refused'],
      ['U0ALICE', 'raise-memory-limit'],
    ]);
    // Its audit line in the storm root's thread; the root is not redrawn as one workload's handled alert.
    expect(slack.messages.filter((m) => m.threadTs === root.ts).map((m) => m.text).at(-1)).toMatch(/^✅ <@U0ALICE> changed the memory limit of api in shop\/Deployment\/svc-07: 512Mi → 640Mi/);
    expect(JSON.stringify(slack.messages.find((m) => m.ts === root.ts)!.blocks)).toBe(rootBefore);
  });
});
