// The Slack app over HTTP (API Gateway → this Lambda), through Bolt's AwsLambdaReceiver, which checks Slack's request
// signature and its 5-minute timestamp window (a forged or stale request gets 401). It only translates: `/oom` text
// in, bot/oom-command.ts's answer out, acknowledged within Slack's 3 s.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { z } from 'zod';
import { ACTIONS } from '../../bot/alert.ts';
import { answerAlertAction } from '../../bot/alert-actions.ts';
import { answerOom } from '../../bot/oom-command.ts';
import { clusterRegistry, ClusterRegistrySchema } from '../../kube/cluster-registry.ts';
import { DynamoStore } from '../../store/dynamo.ts';

const EnvSchema = z.object({
  OOMBOT_TABLE: z.string({ error: 'is missing: the DynamoDB table name (serverless.yml sets it)' }).min(1),
  OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: z.string({ error: 'is missing: the SSM SecureString parameter holding the Slack signing secret' }).min(1),
  OOMBOT_CLUSTERS: z
    .string()
    .default('[]')
    .transform((text) => ClusterRegistrySchema.parse(JSON.parse(text))),
});

type LambdaHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
let ready: Promise<LambdaHandler> | undefined;

async function coldStart(env: NodeJS.ProcessEnv): Promise<LambdaHandler> {
  const config = EnvSchema.parse(env);
  const ssm = new SSMClient({});
  const signingSecret = (await ssm.send(new GetParameterCommand({ Name: config.OOMBOT_SLACK_SIGNING_SECRET_PARAMETER, WithDecryption: true }))).Parameter?.Value;
  if (!signingSecret) throw new Error(`SSM parameter ${config.OOMBOT_SLACK_SIGNING_SECRET_PARAMETER} has no value: put the Slack signing secret there`);
  const receiver = new AwsLambdaReceiver({ signingSecret, logLevel: LogLevel.WARN });
  // The bot token is not needed to answer a slash command (the answer is the HTTP response), so none is read here.
  const app = new App({ receiver, authorize: async () => ({}), processBeforeResponse: true, logLevel: LogLevel.WARN });
  const secrets = new SecretsManagerClient({});
  const credentials = defaultProvider();
  const deps = {
    store: new DynamoStore(new DynamoDBClient({}), config.OOMBOT_TABLE),
    cluster: clusterRegistry(config.OOMBOT_CLUSTERS, {
      credentials: () => credentials(),
      secret: async (id: string) => (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '',
    }),
    clusters: config.OOMBOT_CLUSTERS.map((c) => c.name),
  };
  app.command('/oom', async ({ command, ack }) => {
    await ack(await answerOom(deps, command.text, command.user_id));
  });
  // The alert's buttons carry an incident id; what they act on comes from the store (bot/alert-actions.ts).
  for (const actionId of [ACTIONS.mute1h, ACTIONS.mute24h, ACTIONS.why, ACTIONS.runbook]) {
    app.action(actionId, async ({ action, body, ack, respond }) => {
      await ack();
      const value = 'value' in action ? action.value : undefined;
      const answer = value ? await answerAlertAction(deps, actionId, value, body.user.id) : undefined;
      if (answer) await respond(answer);
    });
  }
  return receiver.toHandler();
}

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: Parameters<LambdaHandler>[0], context: Parameters<LambdaHandler>[1]) {
  ready ??= coldStart(process.env).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return (await ready)(event, context, () => undefined);
}
