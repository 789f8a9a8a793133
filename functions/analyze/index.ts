// The analyze Lambda: the target of the EventBridge rule on the oombot bus. It only translates (docs/code-style.md):
// parse the envelope, call postOccurrence, log the outcome. A malformed envelope is logged with its reason and sent to
// the dead-letter queue — retrying cannot fix it — while any other failure is logged with its code and thrown, so that
// Lambda's retries and, after them, the on-failure destination take over (the claim was given back: the retry posts it
// once). Every line of an invocation carries its request id and the cold-start flag (functions/log.ts).
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { postOccurrence, type PostOutcome } from '../../bot/post-occurrence.ts';
import { withLogger } from '../../bot/failures.ts';
import { safeParseEnvelope } from '#shared/envelope.ts';
import { awsParts, coldStart, deadLetterQueue } from '../aws.ts';
import { makeBackend, makePostDeps, postSettings } from '../compose.ts';
import { AnalyzeEnvSchema, loadEnv } from '../env.ts';
import { invocationLogger } from '../log.ts';

export type AnalyzeResult = PostOutcome | { status: 'rejected'; reason: string };

/** Cold start: configuration, clients, and the Slack token from SSM (decrypted; never logged). */
const ready = coldStart(async () => {
  const config = loadEnv(AnalyzeEnvSchema, process.env);
  const backend = makeBackend(await awsParts(config));
  // The registry the actions function patches with: a token cluster without a patch token gets no Raise limit button,
  // only a line saying why (bot/occurrence-messages.ts). Asking whether it has one reads no secret.
  const patcher = backend.patcher;
  const raiseOff = patcher ? (cluster: string) => patcher(cluster) === 'no-patch-token' : undefined;
  return { deps: { ...makePostDeps(backend, postSettings(config)), raiseOff }, reject: deadLetterQueue(config.OOMBOT_DEAD_LETTER_QUEUE_URL) };
});

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: EventBridgeEvent<string, unknown>, context?: Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis'>>): Promise<AnalyzeResult> {
  const log = invocationLogger(context).child({ eventId: event.id });
  return withLogger(log, async () => {
    try {
      const { deps, reject } = await ready();
      const parsed = safeParseEnvelope(event.detail);
      if (!parsed.success) {
        log.error('malformed envelope rejected', { detailType: event['detail-type'], reason: parsed.error });
        await reject(parsed.error, event);
        return { status: 'rejected', reason: parsed.error };
      }
      // The invocation's time left bounds how long a Slack rate limit is waited out (bot/slack-rate-limits.ts).
      const timeLeft = context?.getRemainingTimeInMillis?.bind(context);
      const outcome = await postOccurrence(timeLeft ? { ...deps, timeLeft } : deps, parsed.data);
      log.info('occurrence handled', { occurrenceId: parsed.data.occurrenceId, status: outcome.status, ...('channel' in outcome ? { channel: outcome.channel } : {}), ...('verdict' in outcome && outcome.verdict ? { cause: outcome.verdict.cause, kind: outcome.verdict.kind } : {}) });
      return 'verdict' in outcome ? { ...outcome, verdict: undefined } : outcome;
    } catch (error) {
      // Thrown on, as it was: Lambda retries it and reports it to the on-failure destination.
      log.error('occurrence failed; Lambda retries it', { error });
      throw error;
    }
  });
}
