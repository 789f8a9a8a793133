// Each Lambda bundle in its own process, under its own role's statements as serverless.yml grants them: the real AWS
// SDK signs with the role's key, and an IAM-enforcing front (test/support/iam-front.ts) refuses, as AWS does, every
// call the role does not allow before it reaches dynalite, the SSM / Secrets Manager / SQS double or the Lambda
// double. The flows are the product's: analyze posts and threads an occurrence; the slack function answers /oom and the
// buttons and dispatches; actions raises a limit end to end and answers /oom why — against a real API server.
// A missing permission fails here (nothing may be refused), and so does one too many (every grant must be used).
// Last, roles with a permission taken away show what the user is told when an AWS call fails: never an ARN, never
// "nothing was changed" after a change, and a reference the operator finds in the log.
import { createHash, randomUUID } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AppsV1Api, type V1Deployment, type V1Node, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { groupKeyOf, incidentId } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { DETAIL_TYPES, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startAwsJsonDouble, type AwsJsonDouble } from '../support/aws-json-double.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { startIamFront, type IamFront, type Principal } from '../support/iam-front.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';
import { startLambdaDouble, type LambdaDouble } from '../support/lambda-double.ts';
import { startLambdaProcess, type LambdaProcess } from '../support/lambda-process.ts';
import { readStack, type Stack, type StackFunction, type Statement } from '../support/serverless-stack.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { click, slashCommand } from '../support/slack-requests.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const SIGNING_SECRET = '8f7e6d5c4b3a29180f1e2d3c4b5a6978';
const BOT_TOKEN = 'xoxb-iam-test';
const CHANNEL = 'C-ALERTS';
const TEMPLATE_HASH = '7d9f8b6c5';
const LOG_GRANTS = /^logs:/; // used by the Lambda service to write the function's logs, not by its code
/** The cluster's reader token (analyze, /oom why) and its patch token (Raise limit: actions alone may read it). */
const READER_SECRET = 'oombot/clusters/prod-eu';
const PATCHER_SECRET = 'oombot/cluster-patchers/prod-eu';
const CLUSTER_SECRETS = [READER_SECRET, PATCHER_SECRET];

let stack: Stack;
let front: IamFront;
let dynamo: LocalDynamo;
let aws: AwsJsonDouble;
let slack: SlackApiServer;
let lambda: LambdaDouble;
let store: DynamoStore;
const principals: Record<string, Principal> = {};
const processes: LambdaProcess[] = [];
let analyze: LambdaProcess;
let slackFn: LambdaProcess;
let actions: LambdaProcess;

/** What the deployment's parameters would set; everything else is serverless.yml's own environment. */
let deployParams: Record<string, string>;
/** The first alert analyze posts (cart's), and its incident, which the later flows act on. */
let first: { channel: string; ts: string };
let incident: string;

function principalFor(fn: StackFunction, statements: Statement[] = fn.role.statements, key = fn.role.name): string {
  principals[key] = { sessionArn: `arn:aws:sts::${stack.account}:assumed-role/${fn.role.name}/${fn.name}`, statements };
  return key;
}

/** Starts a bundle in its own process as Lambda would: its role's key, serverless.yml's environment, the endpoints. */
async function startFunction(fn: StackFunction, accessKeyId = principalFor(fn)): Promise<LambdaProcess> {
  const env: Record<string, string> = {
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: `secret-of-${accessKeyId}`,
    AWS_SESSION_TOKEN: `session-of-${fn.name}`,
    ...Object.fromEntries(['DYNAMODB', 'SSM', 'SQS', 'SECRETS_MANAGER', 'LAMBDA'].map((s) => [`AWS_ENDPOINT_URL_${s}`, front.url])),
    ...fn.environment,
    ...Object.fromEntries(Object.entries(deployParams).filter(([k]) => k in fn.environment || k === 'OOMBOT_SLACK_API_URL')),
  };
  const p = await startLambdaProcess(fn.key as 'analyze' | 'slack' | 'actions', { functionName: fn.name, env });
  processes.push(p);
  return p;
}

const apps = () => cluster.admin.makeApiClient(AppsV1Api);

/** A Deployment with the owner chain a Deployment controller would have made, and `n` pods of it OOM-killed at 512Mi. */
async function deploymentWithKilledPods(name: string, n: number): Promise<Pod[]> {
  const d = await apps().createNamespacedDeployment({
    namespace: 'shop',
    body: {
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'api', image: `${name}:1`, resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } }] } },
      },
    } as V1Deployment,
  });
  const rs = await apps().createNamespacedReplicaSet({
    namespace: 'shop',
    body: {
      metadata: { name: `${name}-${TEMPLATE_HASH}`, labels: { app: name, 'pod-template-hash': TEMPLATE_HASH }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata!.uid!, controller: true }] },
      spec: {
        selector: { matchLabels: { app: name, 'pod-template-hash': TEMPLATE_HASH } },
        template: { metadata: { labels: { app: name, 'pod-template-hash': TEMPLATE_HASH } }, spec: { containers: [{ name: 'api', image: `${name}:1` }] } },
      },
    } as V1ReplicaSet,
  });
  const pods: Pod[] = [];
  for (const suffix of ['aaaaa', 'bbbbb', 'ccccc'].slice(0, n)) {
    const p = pod({
      name: `${name}-${TEMPLATE_HASH}-${suffix}`,
      deployment: name,
      containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
      statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)],
      metadata: { labels: { app: name, 'pod-template-hash': TEMPLATE_HASH }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata!.name!, uid: rs.metadata!.uid!, controller: true }] },
    });
    const { status, ...spec } = p;
    const created = await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    pods.push({ ...p, metadata: { ...p.metadata, uid: created.metadata!.uid! } });
  }
  return pods;
}

const envelopeOf = (p: Pod): Envelope => buildEnvelope('prod-eu', podOccurrences('prod-eu', p)[0]!, trimPod(p), [], new Date());

function eventFor(detail: unknown): EventBridgeEvent<string, unknown> {
  return { version: '0', id: randomUUID(), 'detail-type': DETAIL_TYPES['container-termination'], source: 'oombot.forwarder', account: stack.account, time: T0, region: stack.region, resources: [], detail };
}

const requestOptions = (user?: string) => ({ secret: SIGNING_SECRET, respondBase: `${slack.url}/respond`, ...(user ? { user } : {}) });

async function slackRequest(p: LambdaProcess, event: unknown) {
  const res = await p.invoke<{ statusCode: number; body?: string }>(event);
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { response_type?: string; text?: string }) : undefined };
}

/** Every text oombot put in Slack since `since` (messages, updates and response_url answers). */
function slackTexts(since: { messages: number; responses: number } = { messages: 0, responses: 0 }): string[] {
  return [...slack.messages.slice(since.messages).map((m) => JSON.stringify([m.text, m.blocks])), ...slack.responses.slice(since.responses).map((r) => JSON.stringify(r.body))];
}
const mark = () => ({ messages: slack.messages.length, responses: slack.responses.length });

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi({ token: BOT_TOKEN });
  // serverless.yml's default parameter names, which carry the stage (each stage is its own Slack app).
  const parameters: Record<string, string> = { '/oombot/test/slack/bot-token': BOT_TOKEN, '/oombot/test/slack/signing-secret': SIGNING_SECRET };
  aws = await startAwsJsonDouble({
    'AmazonSSM.GetParameter': (input) => {
      const value = parameters[String(input['Name'])];
      if (!value) throw Object.assign(new Error(`Parameter ${String(input['Name'])} not found.`), { name: 'ParameterNotFound' });
      return { Parameter: { Name: input['Name'], Type: 'SecureString', Value: value } };
    },
    'secretsmanager.GetSecretValue': (input) => {
      if (!CLUSTER_SECRETS.includes(String(input['SecretId']))) throw Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' });
      return { Name: input['SecretId'], SecretString: cluster.controlPlane.adminToken };
    },
    'AmazonSQS.SendMessage': (input) => ({ MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(input['MessageBody'])).digest('hex') }),
  });
  // The Lambda double runs the actions process when the slack function's asynchronous invoke is let through.
  const upstreams = { dynamodb: dynamo.endpoint, ssm: aws.url, secretsmanager: aws.url, sqs: aws.url, lambda: '' };
  front = await startIamFront({ account: '123456789012', principals, upstreams });
  stack = readStack({ stage: 'test', region: 'eu-west-1', account: '123456789012', sqsEndpoint: front.url, params: { defaultChannel: CHANNEL } });
  lambda = await startLambdaDouble({ [stack.functions['actions']!.name]: (event) => actions.invoke(event) });
  upstreams.lambda = lambda.url;
  await dynamo.createTable(stack.ref('OombotTable'));
  store = new DynamoStore(dynamo.client, stack.ref('OombotTable'));

  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  deployParams = {
    OOMBOT_DEFAULT_CHANNEL: CHANNEL,
    OOMBOT_CLUSTERS: JSON.stringify([{ name: 'prod-eu', server: cluster.controlPlane.url, caData: Buffer.from(cluster.controlPlane.caData).toString('base64'), auth: 'token', tokenSecretId: READER_SECRET, patchTokenSecretId: PATCHER_SECRET }]),
    OOMBOT_RAISE_POLICY: JSON.stringify({ allowed: { shop: ['U0ALICE'] }, contact: '#platform' }),
    OOMBOT_SLACK_API_URL: slack.apiUrl,
  };
  [analyze, slackFn, actions] = await Promise.all([startFunction(stack.functions['analyze']!), startFunction(stack.functions['slack']!), startFunction(stack.functions['actions']!)]);
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all([front?.close(), aws?.close(), dynamo?.close(), slack?.close(), lambda?.close()]);
});

describe('the IAM front', () => {
  it('refuses what a role does not grant, as each AWS service answers it', async () => {
    // These probes are not the functions' own calls: forgotten once this test ends, whatever its outcome.
    onTestFinished(() => void front.decisions.splice(0));
    const probesFrom = front.decisions.length;
    const role = (key: string) => stack.functions[key]!.role.name;
    const as = (key: string) => ({ region: stack.region, endpoint: front.url, credentials: { accessKeyId: role(key), secretAccessKey: 'x' } });
    const table = stack.ref('OombotTable');
    const session = (key: string) => `arn:aws:sts::123456789012:assumed-role/${role(key)}/${stack.functions[key]!.name}`;
    const refusal = (key: string, action: string, resource: string) => `User: ${session(key)} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

    await expect(new DynamoDBClient(as('slack')).send(new UpdateItemCommand({ TableName: table, Key: { PK: { S: 'x' }, SK: { S: 'x' } }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { S: 'b' } } }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: refusal('slack', 'dynamodb:UpdateItem', stack.getAtt('OombotTable', 'Arn')),
      $metadata: { httpStatusCode: 400 },
    });
    // The slack function reads its signing secret, not the bot token.
    await expect(new SSMClient(as('slack')).send(new GetParameterCommand({ Name: '/oombot/test/slack/bot-token', WithDecryption: true }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: refusal('slack', 'ssm:GetParameter', 'arn:aws:ssm:eu-west-1:123456789012:parameter/oombot/test/slack/bot-token'),
    });
    // Nor the clusters' tokens: it never reads a cluster (/oom why runs in actions).
    await expect(new SecretsManagerClient(as('slack')).send(new GetSecretValueCommand({ SecretId: READER_SECRET }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: refusal('slack', 'secretsmanager:GetSecretValue', READER_SECRET),
    });
    // analyze reads the reader token, never the patch token; actions reads both.
    const secretArn = (id: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-${createHash('sha256').update(id).digest('base64url').slice(0, 6)}`;
    await expect(new SecretsManagerClient(as('analyze')).send(new GetSecretValueCommand({ SecretId: PATCHER_SECRET }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: refusal('analyze', 'secretsmanager:GetSecretValue', PATCHER_SECRET),
    });
    expect((await new SecretsManagerClient(as('analyze')).send(new GetSecretValueCommand({ SecretId: READER_SECRET }))).SecretString).toBe(cluster.controlPlane.adminToken);
    for (const id of CLUSTER_SECRETS) expect((await new SecretsManagerClient(as('actions')).send(new GetSecretValueCommand({ SecretId: id }))).Name).toBe(id);
    expect(front.decisions.slice(probesFrom).filter((d) => d.action === 'secretsmanager:GetSecretValue').map((d) => [d.accessKeyId, d.resource, d.allowed])).toEqual([
      [role('slack'), secretArn(READER_SECRET), false],
      [role('analyze'), secretArn(PATCHER_SECRET), false],
      [role('analyze'), secretArn(READER_SECRET), true],
      [role('actions'), secretArn(READER_SECRET), true],
      [role('actions'), secretArn(PATCHER_SECRET), true],
    ]);
    await expect(new SQSClient(as('actions')).send(new SendMessageCommand({ QueueUrl: stack.ref('AnalyzeDeadLetterQueue'), MessageBody: '{}' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: refusal('actions', 'sqs:sendmessage', stack.getAtt('AnalyzeDeadLetterQueue', 'Arn')),
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new LambdaClient(as('analyze')).send(new InvokeCommand({ FunctionName: stack.functions['actions']!.name, InvocationType: 'Event', Payload: '{}' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: refusal('analyze', 'lambda:InvokeFunction', stack.functions['actions']!.arn),
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new DynamoDBClient({ ...as('slack'), credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } }).send(new GetItemCommand({ TableName: table, Key: { PK: { S: 'x' }, SK: { S: 'x' } } }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    // An allowed call goes through to the service.
    expect((await new DynamoDBClient(as('slack')).send(new GetItemCommand({ TableName: table, Key: { PK: { S: 'x' }, SK: { S: 'x' } } }))).Item).toBeUndefined();
  });
});

describe('each function under its own role, in its own process', () => {
  let cart: Pod[];

  beforeAll(async () => {
    cart = await deploymentWithKilledPods('cart', 3);
  });

  it('analyze posts an occurrence once, records its incident and group, and threads a repeat with the counter updated', async () => {
    const posted = await analyze.invoke<{ status: string; channel: string; ts: string }>(eventFor(envelopeOf(cart[0]!)));
    expect(posted).toMatchObject({ status: 'posted', channel: CHANNEL });
    first = { channel: posted.channel, ts: posted.ts };
    incident = incidentId(envelopeOf(cart[0]!).occurrenceId);
    expect(await analyze.invoke(eventFor(envelopeOf(cart[0]!)))).toMatchObject({ status: 'duplicate' });
    expect(await analyze.invoke(eventFor(envelopeOf(cart[1]!)))).toMatchObject({ status: 'threaded', ts: expect.any(String) });
    const root = slack.messages.find((m) => m.ts === first.ts)!;
    expect(root.updates).toBe(1);
    expect(JSON.stringify(root.blocks)).toContain('OOMKilled 2×');
    expect(await store.incident(incident)).toMatchObject({ workload: 'Deployment/cart', container: 'api', message: first });
    expect(front.refusals()).toEqual([]);
  });

  it('analyze sends an envelope it cannot read to its dead-letter queue', async () => {
    expect(await analyze.invoke(eventFor({ version: 1, kind: 'container-termination', cluster: 'prod-eu' }))).toMatchObject({ status: 'rejected' });
    expect(aws.calls.filter((c) => c.target === 'AmazonSQS.SendMessage').at(-1)?.input['QueueUrl']).toBe(stack.ref('AnalyzeDeadLetterQueue'));
    expect(front.refusals()).toEqual([]);
  });

  it('analyze gives the claim back when Slack refuses the post, so a retry can post it', async () => {
    // A pod annotated with an empty channel (channel_not_found), whose alert falls back to the default channel, which
    // oombot was removed from meanwhile (not_in_channel): a real failure.
    const lost = pod({ name: 'lost', containers: [container({ name: 'api', limit: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)], metadata: { uid: randomUUID(), annotations: { 'oombot.io/slack-channel': '' } } });
    const envelope = envelopeOf(lost);
    const alerts = slack.workspace.channel(CHANNEL)!;
    slack.declareChannel({ ...alerts, member: false });
    try {
      await expect(analyze.invoke(eventFor(envelope))).rejects.toThrow(/not_in_channel for C-ALERTS/);
    } finally {
      slack.declareChannel(alerts);
    }
    expect(await store.claimOccurrence(envelope.occurrenceId, Date.now())).toBe('claimed');
    expect(front.refusals()).toEqual([]);
  });

  it('the slack function answers /oom help, recent, mute and unmute, and the Mute and Why? buttons', async () => {
    const since = mark();
    const command = async (text: string) => (await slackRequest(slackFn, slashCommand(text, requestOptions()))).body?.text ?? '';
    expect(await command('help')).toContain('/oom why ');
    // /oom recent shows cart's repeat group as one entry by its latest incident (2014f78); the two died at the same
    // instant, so either may be the one shown.
    const cartGroup = new RegExp(`shop/deploy/cart › api — 2×\\* · .* · latest (${incident}|${incidentId(envelopeOf(cart[1]!).occurrenceId)})(\n|$)`);
    expect(await command('recent')).toMatch(cartGroup); // GSI1
    expect(await command('recent shop')).toMatch(cartGroup); // GSI2
    expect(await command('mute deploy/cart 1h -n shop')).toMatch(/^Muted Deployment\/cart in shop \(prod-eu\) for 1h/);
    expect(await store.muteUntil('prod-eu/shop/Deployment/cart', Date.now())).toBeGreaterThan(Date.now());
    expect(await command('unmute deploy/cart -n shop')).toBe('Unmuted Deployment/cart in shop (prod-eu).');

    const button = async (actionId: string) => {
      const before = slack.responses.length;
      expect((await slackRequest(slackFn, click(actionId, incident, requestOptions('U0BOB')))).status).toBe(200);
      return String(slack.responses.slice(before)[0]?.body['text']);
    };
    expect(await button('oombot_why')).toMatch(/^\*cart › api was OOMKilled at its 512Mi memory limit\* — limit \/ container-limit/);
    expect(await button('oombot_mute_1h')).toMatch(/^Muted Deployment\/cart in shop \(prod-eu\) for 1 h/);
    expect(await store.auditTrail(incident)).toContainEqual(expect.objectContaining({ userId: 'U0BOB', action: 'mute-1h' }));
    expect(await command('unmute deploy/cart -n shop')).toBe('Unmuted Deployment/cart in shop (prod-eu).');
    expect(slackTexts(since).filter((t) => /failed|arn:/.test(t))).toEqual([]);
    expect(front.refusals()).toEqual([]);
  });

  it('Raise limit end to end: slack dispatches, actions patches, audits, replies in the thread and redraws the alert as handled', async () => {
    const since = mark();
    const root = slack.messages.find((m) => m.ts === first.ts)!;
    const actionTs = (Date.now() / 1000).toFixed(6);
    const ack = await slackRequest(slackFn, click('oombot_raise', incident, { ...requestOptions('U0ALICE'), message: { ...first, blocks: root.blocks! }, actionTs }));
    expect(ack.status).toBe(200);
    await lambda.idle();
    // Nothing refused, and nothing went wrong: the one who clicked is told nothing beyond the thread.
    expect.soft(front.refusals()).toEqual([]);
    expect.soft(slack.responses.slice(since.responses).map((r) => r.body['text'])).toEqual([]);
    expect(lambda.invocations.at(-1)).toMatchObject({ functionName: stack.functions['actions']!.name, invocationType: 'Event', payload: { kind: 'raise', incidentId: incident } });

    const d = await apps().readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
    expect(d.spec!.template.spec!.containers[0]!.resources!.limits!['memory']).toBe('640Mi');
    // The raise ran as the patch token, which only the actions role fetched; analyze never asked for it.
    const secretReads = (fn: string) => front.decisions.filter((x) => x.accessKeyId === stack.functions[fn]!.role.name && x.action === 'secretsmanager:GetSecretValue').map((x) => x.resource.split(':secret:')[1]!.replace(/-[\w-]{6}$/, ''));
    expect(secretReads('actions')).toContain(PATCHER_SECRET);
    expect(secretReads('analyze')).not.toContain(PATCHER_SECRET);
    expect(await store.auditTrail(incident)).toContainEqual(expect.objectContaining({ userId: 'U0ALICE', action: 'raise-memory-limit', before: '512Mi', after: '640Mi' }));
    expect(slack.messages.filter((m) => m.threadTs === first.ts).at(-1)?.text).toMatch(/^✅ <@U0ALICE> changed the memory limit of api in shop\/Deployment\/cart: 512Mi → 640Mi/);
    expect(JSON.stringify(root.blocks)).toMatch(/✅ Handled: memory limit 512Mi → 640Mi by <@U0ALICE>/);
    // Stored for the group's later counter updates, and the click claimed for good, apart from occurrence claims.
    const verdict = (await store.incident(incident))!.verdict;
    expect((await store.repeatMessage(groupKeyOf('prod-eu', verdict)))?.blocks).toContain('✅ Handled');
    expect(await store.claimClick(`${incident}/${actionTs}/U0ALICE`, Date.now())).toBe('duplicate');
    const claim = await dynamo.client.send(new GetItemCommand({ TableName: stack.ref('OombotTable'), Key: { PK: { S: `CLICK#${incident}/${actionTs}/U0ALICE` }, SK: { S: 'CLICK' } } }));
    expect(claim.Item?.['expiresAt']?.N).toBeDefined();
  });

  it('a repeat after the raise keeps the handled alert as the counter moves on', async () => {
    expect(await analyze.invoke(eventFor(envelopeOf(cart[2]!)))).toMatchObject({ status: 'threaded' });
    const root = slack.messages.find((m) => m.ts === first.ts)!;
    expect(JSON.stringify(root.blocks)).toContain('OOMKilled 3×');
    expect(JSON.stringify(root.blocks)).toContain('✅ Handled');
    expect(JSON.stringify(root.blocks)).not.toContain('oombot_raise');
    expect(front.refusals()).toEqual([]);
  });

  it('/oom why is dispatched by the slack function and answered by actions from the API server', async () => {
    const before = slack.responses.length;
    const ack = await slackRequest(slackFn, slashCommand(`why ${cart[0]!.metadata.name} -n shop`, requestOptions()));
    expect(ack.body?.text).toBe(`🔎 Looking at pod ${cart[0]!.metadata.name} in shop…`);
    await lambda.idle();
    const answer = slack.responses.slice(before)[0]?.body as { blocks?: { text?: { text: string } }[] };
    expect(answer.blocks?.[0]?.text?.text).toMatch(/cart › api was OOMKilled at its 512Mi memory limit/);
    expect(front.refusals()).toEqual([]);
  });

  it('no role was refused anything, and no role holds a grant its function did not use', () => {
    expect.soft(front.refusals()).toEqual([]);
    for (const role of Object.values(stack.roles)) expect.soft({ role: role.logicalId, unused: front.unusedGrants(role.name, LOG_GRANTS) }).toEqual({ role: role.logicalId, unused: [] });
  });
});

describe('when an AWS call fails, what Slack is told', () => {
  const without = (fn: StackFunction, ...actions: string[]): Statement[] => fn.role.statements.map((s) => ({ ...s, Action: s.Action.filter((a) => !actions.includes(a)) })).filter((s) => s.Action.length > 0);

  it('a change made is reported as made even when storing its aftermath is refused, and no ARN reaches Slack', async () => {
    // The actions role as it was before UpdateItem was granted: the click's mark and the handled redraw cannot be stored.
    const fn = stack.functions['actions']!;
    const narrowed = await startFunction(fn, principalFor(fn, without(fn, 'dynamodb:UpdateItem'), 'actions-without-UpdateItem'));
    const [till] = await deploymentWithKilledPods('till', 1);
    const posted = await analyze.invoke<{ channel: string; ts: string }>(eventFor(envelopeOf(till!)));
    const id = incidentId(envelopeOf(till!).occurrenceId);
    const root = slack.messages.find((m) => m.ts === posted.ts)!;
    const since = mark();
    const requestId = randomUUID();
    const result = await narrowed.invoke({ kind: 'raise', incidentId: id, userId: 'U0ALICE', actionTs: (Date.now() / 1000).toFixed(6), responseUrl: `${slack.url}/respond/${randomUUID()}`, message: { ...posted, blocks: root.blocks } }, { awsRequestId: requestId });

    expect((await apps().readNamespacedDeployment({ name: 'till', namespace: 'shop' })).spec!.template.spec!.containers[0]!.resources!.limits!['memory']).toBe('640Mi');
    expect(result).toEqual({ status: 'done' });
    expect(slack.messages.filter((m) => m.threadTs === posted.ts).at(-1)?.text).toMatch(/^✅ <@U0ALICE> changed the memory limit of api in shop\/Deployment\/till: 512Mi → 640Mi/);
    expect(JSON.stringify(root.blocks)).toContain('✅ Handled');
    const told = slackTexts(since);
    expect(told.filter((t) => /arn:|not authorized|[Nn]othing was changed|could not finish/.test(t))).toEqual([]);
    // The refusals happened, and the log has them in full, with the invocation's request id.
    expect(front.refusals().filter((r) => r.startsWith('actions-without-UpdateItem dynamodb:UpdateItem'))).not.toEqual([]);
    expect(narrowed.logs).toContainEqual(expect.objectContaining({ reference: requestId, error: expect.stringContaining('is not authorized to perform: dynamodb:UpdateItem') }));
    await narrowed.stop();
  });

  it('a job that fails says so with a reference the log has, and no internal message', async () => {
    // Without GetItem the click cannot find its incident; without the cluster secrets /oom why cannot read the cluster.
    const fn = stack.functions['actions']!;
    const narrowed = await startFunction(fn, principalFor(fn, without(fn, 'dynamodb:GetItem', 'secretsmanager:GetSecretValue'), 'actions-without-reads'));
    const since = mark();
    const raiseId = randomUUID();
    expect(await narrowed.invoke({ kind: 'raise', incidentId: incident, userId: 'U0ALICE', actionTs: (Date.now() / 1000).toFixed(6), responseUrl: `${slack.url}/respond/${randomUUID()}` }, { awsRequestId: raiseId })).toEqual({ status: 'failed' });
    const whyId = randomUUID();
    await narrowed.invoke({ kind: 'why', text: `why cart-${TEMPLATE_HASH}-aaaaa -n shop`, userId: 'U0ALICE', responseUrl: `${slack.url}/respond/${randomUUID()}` }, { awsRequestId: whyId });
    const [raiseAnswer, whyAnswer] = slack.responses.slice(since.responses).map((r) => String(r.body['text']));
    expect(raiseAnswer).toContain(raiseId);
    expect(raiseAnswer).not.toMatch(/arn:|not authorized|[Nn]othing was changed/);
    expect(whyAnswer).toContain(whyId);
    expect(whyAnswer).not.toMatch(/arn:|not authorized/);
    expect(narrowed.logs).toContainEqual(expect.objectContaining({ reference: raiseId, error: expect.stringContaining('is not authorized to perform: dynamodb:GetItem') }));
    expect(narrowed.logs).toContainEqual(expect.objectContaining({ reference: whyId, error: expect.stringContaining('is not authorized to perform: secretsmanager:GetSecretValue') }));
    await narrowed.stop();
  });

  it('the slack function says a store failure happened, with a reference the log has, and no internal message', async () => {
    const fn = stack.functions['slack']!;
    const narrowed = await startFunction(fn, principalFor(fn, without(fn, 'dynamodb:DeleteItem', 'dynamodb:GetItem'), 'slack-without-writes'));
    const unmute = (await slackRequest(narrowed, slashCommand('unmute deploy/cart -n shop', requestOptions()))).body?.text ?? '';
    const before = slack.responses.length;
    await slackRequest(narrowed, click('oombot_why', incident, requestOptions('U0BOB')));
    const why = String(slack.responses.slice(before)[0]?.body['text']);
    for (const text of [unmute, why]) {
      expect(text).not.toMatch(/arn:|not authorized/);
      const reference = /reference:? `?([\w-]+)`?/.exec(text)?.[1];
      expect(narrowed.logs).toContainEqual(expect.objectContaining({ reference, error: expect.stringContaining('is not authorized to perform: dynamodb:') }));
    }
    await narrowed.stop();
  });
});
