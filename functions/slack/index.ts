// The Slack app over HTTP (API Gateway → this Lambda), through Bolt's AwsLambdaReceiver, which checks Slack's request
// signature and its 5-minute timestamp window (a forged or stale request gets 401). It only translates: what it
// answers is bot/slack-app.ts; what takes longer than Slack's 3 s is handed to the `actions` function by an
// asynchronous invoke (InvocationType Event: Lambda queues it and answers 202 at once). It never reads a cluster —
// `/oom why` is diagnosed in `actions` — so it holds no cluster credentials (serverless.yml: no Secrets Manager).
// Its logs, Bolt's included, are JSON lines with the invocation's request id and the cold-start flag (functions/log.ts).
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { boltLogger } from '../../bot/bolt-logger.ts';
import { currentLogger, withLogger } from '../../bot/failures.ts';
import { registerOombot } from '../../bot/slack-app.ts';
import { header, verifySlackSignature } from '../../bot/slack-signature.ts';
import { coldStart, dynamoStore, lambdaDispatch, secureParameter } from '../aws.ts';
import { loadEnv, SlackEnvSchema } from '../env.ts';
import { invocationLogger } from '../log.ts';

type LambdaHandler = ReturnType<AwsLambdaReceiver['toHandler']>;

const ready = coldStart(async (): Promise<{ bolt: LambdaHandler; signingSecret: string }> => {
  const config = loadEnv(SlackEnvSchema, process.env);
  const signingSecret = await secureParameter(config.OOMBOT_SLACK_SIGNING_SECRET_PARAMETER, 'the Slack signing secret');
  const logger = boltLogger(currentLogger, LogLevel.WARN);
  const receiver = new AwsLambdaReceiver({ signingSecret, logger, logLevel: LogLevel.WARN });
  // The bot token is not needed here: answers are the HTTP response or go to response_url; `actions` posts in threads.
  const app = new App({ receiver, authorize: async () => ({}), processBeforeResponse: true, logger, logLevel: LogLevel.WARN });
  registerOombot(app, {
    store: dynamoStore(config.OOMBOT_TABLE),
    // The cluster names only (for --cluster and /oom recent); no reader: registerOombot hands `why`, the one command
    // that reads a cluster, to `dispatch` before anything could ask for one.
    cluster: () => undefined,
    clusters: config.OOMBOT_CLUSTERS.map((c) => c.name),
    dispatch: lambdaDispatch(config.OOMBOT_ACTIONS_FUNCTION),
  });
  return { bolt: receiver.toHandler(), signingSecret };
});

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: Parameters<LambdaHandler>[0], context: Parameters<LambdaHandler>[1]) {
  const log = invocationLogger(context);
  return withLogger(log, async () => {
    try {
      const { bolt, signingSecret } = await ready();
      // Refused before Bolt parses anything (bot/slack-signature.ts): a forged, stale or future-dated request gets 401.
      const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
      const check = verifySlackSignature(signingSecret, { signature: header(event.headers, 'X-Slack-Signature'), timestamp: header(event.headers, 'X-Slack-Request-Timestamp') }, body);
      if (!check.ok) {
        log.warn('request refused: not signed by Slack', { reason: check.reason });
        return { statusCode: 401, body: '' };
      }
      return await bolt(event, context, () => undefined);
    } catch (error) {
      // A cold start that failed (a setting, SSM): said with its code; Lambda answers API Gateway with an error.
      log.error('request failed', { error });
      throw error;
    }
  });
}
