// The Lambdas' logs: one JSON object per line on stdout (Lambda sends it to CloudWatch Logs), each line of an
// invocation carrying its request id — the `awsRequestId` of the Lambda context, which is also the reference a user is
// given for a failure (docs/architecture.md, "Reliability rules") — and whether that invocation was the execution
// environment's cold start. The level is OOMBOT_LOG_LEVEL (debug, info, warn, error; default info).
import { jsonLines, levelFrom, type Logger } from '#shared/log.ts';

let invocations = 0;

/** The logger of one invocation; the first one in this execution environment is its cold start. */
export function invocationLogger(context: { awsRequestId?: string } | undefined, o: { write?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Logger {
  const coldStart = invocations === 0;
  invocations += 1;
  const env = o.env ?? process.env;
  return jsonLines({
    write: o.write ?? ((line) => process.stdout.write(line)),
    level: levelFrom(env['OOMBOT_LOG_LEVEL'], 'info'),
    fields: { requestId: context?.awsRequestId, coldStart },
  });
}
