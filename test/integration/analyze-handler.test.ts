// The analyze Lambda handler, invoked with real EventBridge event shapes, with the real AWS SDK pointed at loopback:
// DynamoDB (dynalite), SSM, SQS and Secrets Manager (a JSON-protocol double), Slack (the double) and a real API server
// registered as a cluster.
import { createHash, randomUUID } from 'node:crypto';
import type { V1Node } from '@kubernetes/client-node';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { handler as analyzeHandler } from '../../functions/analyze/index.ts';
import { bundledHandler } from '../support/bundles.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { DETAIL_TYPES } from '#shared/envelope.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { startAwsJsonDouble, type AwsJsonDouble } from '../support/aws-json-double.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { lambdaTestEnv } from '../support/lambda-env.ts';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createNode, useControlPlane } from './harness.ts';

type AnalyzeHandler = typeof analyzeHandler;

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let aws: AwsJsonDouble;
let handler: AnalyzeHandler;
const SLACK_TOKEN = 'xoxb-test-token';
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  slack = await startSlackApi({ token: SLACK_TOKEN });
  aws = await startAwsJsonDouble({
    'AmazonSSM.GetParameter': (input) => ({ Parameter: { Name: input['Name'], Type: 'SecureString', Value: SLACK_TOKEN } }),
    // The SDK checks the body's MD5 as SQS reports it.
    'AmazonSQS.SendMessage': (input) => ({ MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(input['MessageBody'])).digest('hex') }),
    'secretsmanager.GetSecretValue': () => ({ SecretString: cluster.controlPlane.adminToken }),
  });
  await createNode(cluster.admin, node() as unknown as V1Node);
  const env = lambdaTestEnv({ dynamoEndpoint: dynamo.endpoint, awsUrl: aws.url, controlPlane: cluster.controlPlane });
  // A second registration of the same API server as a token cluster without a patch token: Raise limit is off there.
  const clusters = JSON.parse(env['OOMBOT_CLUSTERS']!) as Record<string, string>[];
  env['OOMBOT_CLUSTERS'] = JSON.stringify([...clusters, { ...clusters[0]!, name: 'edge-1', tokenSecretId: 'oombot/clusters/edge-1', patchTokenSecretId: undefined }]);
  Object.assign(process.env, env, {
    OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token',
    OOMBOT_DEFAULT_CHANNEL: 'C-ALERTS',
    OOMBOT_DEAD_LETTER_QUEUE_URL: `${aws.url}/000000000000/oombot-analyze-dlq`,
  });
  process.env['OOMBOT_SLACK_API_URL'] = slack.apiUrl;
  handler = await bundledHandler<AnalyzeHandler>('analyze');
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([slack?.close(), aws?.close(), dynamo?.close()]);
});

function eventFor(detail: unknown, detailType = 'Container Memory Termination'): EventBridgeEvent<string, unknown> {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source: 'oombot.forwarder', account: '123456789012', time: at(0), region: 'eu-west-1', resources: [], detail };
}

const checkout = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] });
const envelope = buildEnvelope('prod-eu', podOccurrences('prod-eu', checkout)[0]!, trimPod(checkout), [], new Date());

describe('analyze handler', () => {
  it('posts an occurrence once, enriched through the registered cluster, however often EventBridge delivers it', async () => {
    const before = slack.messages.length;
    const first = await handler(eventFor(envelope, DETAIL_TYPES['container-termination']));
    expect(first).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    expect(await handler(eventFor(envelope))).toMatchObject({ status: 'duplicate' });
    expect(slack.messages.length - before).toBe(1);
    // The node came from the API server (token from Secrets Manager), not from the envelope.
    expect(JSON.stringify(slack.messages.at(-1)!.blocks)).toContain('node 14Gi allocatable');
    // The token was read from SSM, decrypted.
    expect(aws.calls.find((c) => c.target === 'AmazonSSM.GetParameter')?.input).toEqual({ Name: '/oombot/slack/bot-token', WithDecryption: true });
  });

  it('fails an invocation whose time left cannot wait out Slack’s Retry-After, and posts the occurrence once on the retry', async () => {
    const other = pod({ name: 'checkout-7d9f8b6c5-bdgt1', deployment: 'checkout', uid: '3c6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c31', containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    const detail = buildEnvelope('prod-eu', podOccurrences('prod-eu', other)[0]!, trimPod(other), [], new Date());
    const before = slack.messages.length;
    // Slack asks for 30 s; the invocation has 20 s left (Lambda's context): the bundle's client does not sleep it.
    slack.force429(1, 30);
    const start = Date.now();
    await expect(handler(eventFor(detail), { awsRequestId: 'req-budget-1', getRemainingTimeInMillis: () => 20_000 - (Date.now() - start) })).rejects.toMatchObject({ code: 'SLACK_RATE_LIMITED' });
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(slack.messages.length).toBe(before);
    // The claim was given back: Lambda's retry posts it, once.
    expect(await handler(eventFor(detail), { awsRequestId: 'req-budget-2', getRemainingTimeInMillis: () => 60_000 })).toMatchObject({ status: 'posted' });
    expect(await handler(eventFor(detail), { awsRequestId: 'req-budget-3', getRemainingTimeInMillis: () => 60_000 })).toMatchObject({ status: 'duplicate' });
    expect(slack.messages.length - before).toBe(1);
  });

  it('offers Raise limit where the cluster has a patch token, and on a token cluster without one says why instead of a button that could only be refused', async () => {
    const died = (name: string, uid: string) => pod({ name, deployment: 'cart', uid, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const post = async (clusterName: string, p: ReturnType<typeof pod>) => {
      const result = await handler(eventFor(buildEnvelope(clusterName, podOccurrences(clusterName, p)[0]!, trimPod(p), [], new Date())));
      expect(result).toMatchObject({ status: 'posted' });
      return slack.messages.find((m) => m.ts === (result as { ts: string }).ts)!;
    };
    type Block = { type: string; block_id?: string; text?: { text: string }; elements?: { action_id?: string; text?: string | { text: string } }[] };
    const buttons = (m: { blocks?: unknown[] }) => ((m.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).map((e) => [e.action_id, typeof e.text === 'object' ? e.text.text : e.text]);
    const contexts = (m: { blocks?: unknown[] }) => ((m.blocks ?? []) as Block[]).filter((b) => b.type === 'context').flatMap((b) => b.elements ?? []).map((e) => e.text);
    const text = (m: { blocks?: unknown[] }) => ((m.blocks ?? []) as Block[]).map((b) => b.text?.text ?? '').join('\n');

    const withToken = await post('prod-eu', died('cart-7d9f8b6c5-aaaa1', '5b0e6f52-0c2e-4a8e-9d0b-6a1f2e3d4c51'));
    expect(buttons(withToken)).toEqual([['oombot_raise', 'Raise limit to 640Mi'], ['oombot_mute_1h', 'Mute 1 h'], ['oombot_mute_24h', 'Mute 24 h'], ['oombot_why', 'Why?']]);
    expect(contexts(withToken).join('\n')).not.toContain('Raise limit is off');

    const without = await post('edge-1', died('cart-7d9f8b6c5-bbbb2', '5b0e6f52-0c2e-4a8e-9d0b-6a1f2e3d4c52'));
    expect(buttons(without)).toEqual([['oombot_mute_1h', 'Mute 1 h'], ['oombot_mute_24h', 'Mute 24 h'], ['oombot_why', 'Why?']]);
    expect(contexts(without)).toContain('Raise limit is off for cluster edge-1: it has no patch token (README, "Deploy the backend", step 4).');
    // The size is still said, for a person to apply by hand.
    expect(text(without)).toContain('640Mi');
    // Analyze never asks for a patch token: knowing whether a cluster has one reads no secret (IAM refuses it anyway).
    expect(aws.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').map((c) => c.input['SecretId'])).not.toContainEqual(expect.stringMatching(/^oombot\/cluster-patchers\//));
  });

  it('rejects a malformed envelope with its reason into the dead-letter queue, and posts nothing', async () => {
    const before = slack.messages.length;
    const result = await handler(eventFor({ version: 1, kind: 'container-termination', cluster: 'prod-eu' }));
    expect(result).toMatchObject({ status: 'rejected' });
    expect(result.status === 'rejected' && result.reason).toMatch(/occurrenceId/);
    const dlq = aws.calls.filter((c) => c.target === 'AmazonSQS.SendMessage').at(-1)!;
    expect(dlq.input['QueueUrl']).toBe(`${aws.url}/000000000000/oombot-analyze-dlq`);
    expect(JSON.parse(String(dlq.input['MessageBody']))).toMatchObject({ reason: expect.stringMatching(/occurrenceId/), event: { source: 'oombot.forwarder' } });
    expect(slack.messages.length).toBe(before);
  });
});
