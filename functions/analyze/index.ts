// The analyze Lambda: the target of the EventBridge rule on the oombot bus. It only translates (docs/code-style.md):
// parse the envelope, call postOccurrence, log the outcome. A malformed envelope is logged with its reason and sent to
// the dead-letter queue — retrying cannot fix it — while any other failure is thrown, so that Lambda's retries and,
// after them, the on-failure destination take over (the claim was given back: the retry posts it once).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { WebClient } from '@slack/web-api';
import type { EventBridgeEvent } from 'aws-lambda';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { clusterRegistry } from '../../kube/cluster-registry.ts';
import { safeParseEnvelope } from '../../shared/envelope.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { loadAnalyzeConfig } from './config.ts';

export type AnalyzeResult = PostOutcome | { status: 'rejected'; reason: string };

let ready: Promise<{ deps: PostDeps; reject: (reason: string, event: unknown) => Promise<void> }> | undefined;

/** Cold start: configuration, clients, and the Slack token from SSM (decrypted; never logged). */
async function coldStart(env: NodeJS.ProcessEnv) {
  const config = loadAnalyzeConfig(env);
  const ssm = new SSMClient({});
  const token = (await ssm.send(new GetParameterCommand({ Name: config.OOMBOT_SLACK_TOKEN_PARAMETER, WithDecryption: true }))).Parameter?.Value;
  if (!token) throw new Error(`SSM parameter ${config.OOMBOT_SLACK_TOKEN_PARAMETER} has no value: put the Slack bot token there`);
  const secrets = new SecretsManagerClient({});
  const credentials = defaultProvider();
  const sqs = new SQSClient({});
  const deps: PostDeps = {
    store: new DynamoStore(new DynamoDBClient({}), config.OOMBOT_TABLE),
    // WebClient waits out 429s by Retry-After (Slack's ~1 message/s/channel) instead of dropping the message.
    slack: new WebClient(token, { retryConfig: { retries: 5 }, ...(config.OOMBOT_SLACK_API_URL ? { slackApiUrl: config.OOMBOT_SLACK_API_URL } : {}) }).chat,
    cluster: clusterRegistry(config.OOMBOT_CLUSTERS, {
      credentials: () => credentials(),
      secret: async (id) => (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '',
    }),
    routing: { defaultChannel: config.OOMBOT_DEFAULT_CHANNEL, namespaceChannels: config.OOMBOT_NAMESPACE_CHANNELS, runbooks: config.OOMBOT_RUNBOOKS as Record<string, string> },
    repeatWindowMs: config.OOMBOT_REPEAT_WINDOW,
    evictionWindowMs: config.OOMBOT_EVICTION_WINDOW,
  };
  const reject = async (reason: string, event: unknown) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: config.OOMBOT_DEAD_LETTER_QUEUE_URL, MessageBody: JSON.stringify({ reason, event }) }));
  };
  return { deps, reject };
}

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: EventBridgeEvent<string, unknown>, _context?: unknown): Promise<AnalyzeResult> {
  ready ??= coldStart(process.env).catch((error: unknown) => {
    ready = undefined; // a failed cold start is retried on the next invocation, not cached
    throw error;
  });
  const { deps, reject } = await ready;
  const parsed = safeParseEnvelope(event.detail);
  if (!parsed.success) {
    log('error', 'malformed envelope rejected', { eventId: event.id, detailType: event['detail-type'], reason: parsed.error });
    await reject(parsed.error, event);
    return { status: 'rejected', reason: parsed.error };
  }
  const outcome = await postOccurrence(deps, parsed.data);
  log('info', 'occurrence handled', { eventId: event.id, occurrenceId: parsed.data.occurrenceId, status: outcome.status, ...('channel' in outcome ? { channel: outcome.channel } : {}), ...('verdict' in outcome && outcome.verdict ? { cause: outcome.verdict.cause, kind: outcome.verdict.kind } : {}) });
  return 'verdict' in outcome ? { ...outcome, verdict: undefined } : outcome;
}

function log(level: 'info' | 'error', msg: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}
