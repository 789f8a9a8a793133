// The Slack app over HTTP (API Gateway → this Lambda), through Bolt's AwsLambdaReceiver, which checks Slack's request
// signature and its 5-minute timestamp window (a forged or stale request gets 401). It only translates: what it
// answers is bot/slack-app.ts; what takes longer than Slack's 3 s is handed to the `actions` function by an
// asynchronous invoke (InvocationType Event: Lambda queues it and answers 202 at once). It never reads a cluster —
// `/oom why` is diagnosed in `actions` — so it holds no cluster credentials (serverless.yml: no Secrets Manager).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import * as z from 'zod';
import { registerOombot } from '../../bot/slack-app.ts';
import { header, verifySlackSignature } from '../../bot/slack-signature.ts';
import { ClusterRegistrySchema } from '../../kube/cluster-registry.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { json, loadEnv } from '../env.ts';

const EnvSchema = z.object({
  OOMBOT_TABLE: z.string({ error: 'is missing: the DynamoDB table name (serverless.yml sets it)' }).min(1),
  OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: z.string({ error: 'is missing: the SSM SecureString parameter holding the Slack signing secret' }).min(1),
  OOMBOT_ACTIONS_FUNCTION: z.string({ error: 'is missing: the name of the actions function (serverless.yml sets it)' }).min(1),
  OOMBOT_CLUSTERS: json(ClusterRegistrySchema, '[{"name":"prod-eu","server":"https://...","caData":"...","auth":"eks","region":"eu-west-1"}]').default([]),
});

type LambdaHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
let ready: Promise<{ bolt: LambdaHandler; signingSecret: string }> | undefined;

async function coldStart(env: NodeJS.ProcessEnv): Promise<{ bolt: LambdaHandler; signingSecret: string }> {
  const config = loadEnv(EnvSchema, env);
  const ssm = new SSMClient({});
  const signingSecret = (await ssm.send(new GetParameterCommand({ Name: config.OOMBOT_SLACK_SIGNING_SECRET_PARAMETER, WithDecryption: true }))).Parameter?.Value;
  if (!signingSecret) throw new Error(`SSM parameter ${config.OOMBOT_SLACK_SIGNING_SECRET_PARAMETER} has no value: put the Slack signing secret there`);
  const receiver = new AwsLambdaReceiver({ signingSecret, logLevel: LogLevel.WARN });
  // The bot token is not needed here: answers are the HTTP response or go to response_url; `actions` posts in threads.
  const app = new App({ receiver, authorize: async () => ({}), processBeforeResponse: true, logLevel: LogLevel.WARN });
  const lambda = new LambdaClient({});
  registerOombot(app, {
    store: new DynamoStore(new DynamoDBClient({}), config.OOMBOT_TABLE),
    // The cluster names only (for --cluster and /oom recent); no reader: registerOombot hands `why`, the one command
    // that reads a cluster, to `dispatch` before anything could ask for one.
    cluster: () => undefined,
    clusters: config.OOMBOT_CLUSTERS.map((c) => c.name),
    dispatch: async (job) => {
      const res = await lambda.send(new InvokeCommand({ FunctionName: config.OOMBOT_ACTIONS_FUNCTION, InvocationType: 'Event', Payload: JSON.stringify(job) }));
      if (res.StatusCode !== 202) throw new Error(`the actions function was not queued (status ${res.StatusCode})`);
    },
  });
  return { bolt: receiver.toHandler(), signingSecret };
}

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: Parameters<LambdaHandler>[0], context: Parameters<LambdaHandler>[1]) {
  ready ??= coldStart(process.env).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  const { bolt, signingSecret } = await ready;
  // Refused before Bolt parses anything (bot/slack-signature.ts): a forged, stale or future-dated request gets 401.
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  const check = verifySlackSignature(signingSecret, { signature: header(event.headers, 'X-Slack-Signature'), timestamp: header(event.headers, 'X-Slack-Request-Timestamp') }, body);
  if (!check.ok) {
    process.stdout.write(`${JSON.stringify({ level: 'warn', msg: 'request refused: not signed by Slack', reason: check.reason })}\n`);
    return { statusCode: 401, body: '' };
  }
  return bolt(event, context, () => undefined);
}
