// The actions Lambda: invoked asynchronously by `slack` (InvocationType Event) for what cannot finish inside Slack's
// 3 s — the limit patch and live diagnoses (bot/actions.ts). It only translates: validate the job, run it. A job that
// does not parse is logged and dropped (only `slack` may invoke this function, so it is a bug, not an attack); Lambda
// does not retry a job (serverless.yml: maximumRetryAttempts 0), because a patch must not run twice behind the user's
// back: bot/actions.ts answers every failure in Slack instead. What Slack is told of a failure is a reference (the
// invocation's request id), never the error: an AWS refusal names the role's ARN. The error is in the log under it,
// with its stable code; every line of the invocation carries the request id and the cold-start flag (functions/log.ts).
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { ActionJobSchema, responseUrlPoster, runActionJob, slackResponseOrigins } from '../../bot/actions.ts';
import { withLogger } from '../../bot/failures.ts';
import type { Logger } from '#shared/log.ts';
import { awsParts, coldStart } from '../aws.ts';
import { makeActionDeps, makeBackend } from '../compose.ts';
import { ActionsEnvSchema, loadEnv } from '../env.ts';
import { invocationLogger } from '../log.ts';

const ready = coldStart(async () => {
  const config = loadEnv(ActionsEnvSchema, process.env);
  return makeActionDeps(makeBackend(await awsParts(config)), { policy: config.OOMBOT_RAISE_POLICY, responseOrigins: slackResponseOrigins(config.OOMBOT_SLACK_API_URL) });
});

export async function handler(event: unknown, context?: Pick<Context, 'awsRequestId'>): Promise<{ status: 'done' | 'rejected' | 'failed' }> {
  const reference = context?.awsRequestId ?? randomUUID();
  const log = invocationLogger(context);
  return withLogger(log, async () => {
    const job = ActionJobSchema.safeParse(event);
    if (!job.success) {
      log.error('malformed action job dropped', { reference, reason: z.prettifyError(job.error) });
      return { status: 'rejected' };
    }
    const about = { reference, kind: job.data.kind, userId: job.data.userId };
    try {
      await runActionJob(await ready(), job.data, reference);
    } catch (error) {
      // No retry (a patch must not run twice): the user hears of the failure instead — that it failed and its
      // reference, not the error. After a change, bot/actions.ts reports it and swallows what fails later, so what
      // reaches here failed before the patch or while it was on its way: whether anything changed is not claimed.
      log.error('action failed', { ...about, error });
      await tellUser(log, job.data.responseUrl, failureText(job.data.kind, reference));
      return { status: 'failed' };
    }
    log.info('action done', { ...about, ...(job.data.kind === 'raise' ? { incidentId: job.data.incidentId } : {}) });
    return { status: 'done' };
  });
}

function failureText(kind: 'why' | 'raise', reference: string): string {
  const ask = `if it keeps failing, give your oombot operator this reference: \`${reference}\`.`;
  return kind === 'why'
    ? `I could not answer that: something failed on my side. Try again in a minute; ${ask}`
    : `Something failed on my side before I could confirm how your click ended. Look at the alert's thread and the workload's memory before clicking again; ${ask}`;
}

/** The last word when the function itself failed (even before its configuration loaded). */
async function tellUser(log: Logger, responseUrl: string | undefined, text: string): Promise<void> {
  if (!responseUrl) return;
  await responseUrlPoster(slackResponseOrigins(process.env['OOMBOT_SLACK_API_URL']))(responseUrl, { response_type: 'ephemeral', replace_original: false, text }).catch((error: unknown) => log.error('could not tell the user', { error }));
}
