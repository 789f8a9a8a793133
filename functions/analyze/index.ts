// The analyze Lambda: the target of the EventBridge rule on the oombot bus. It only translates (docs/code-style.md):
// parse the envelope, call postOccurrence, log the outcome. A malformed envelope is logged with its reason and sent to
// the dead-letter queue — retrying cannot fix it — while any other failure is thrown, so that Lambda's retries and,
// after them, the on-failure destination take over (the claim was given back: the retry posts it once).
import type { EventBridgeEvent } from 'aws-lambda';
import { postOccurrence, type PostOutcome } from '../../bot/post-occurrence.ts';
import { safeParseEnvelope } from '#shared/envelope.ts';
import { awsParts, coldStart, deadLetterQueue } from '../aws.ts';
import { makeBackend, makePostDeps, postSettings } from '../compose.ts';
import { AnalyzeEnvSchema, loadEnv } from '../env.ts';

export type AnalyzeResult = PostOutcome | { status: 'rejected'; reason: string };

/** Cold start: configuration, clients, and the Slack token from SSM (decrypted; never logged). */
const ready = coldStart(async () => {
  const config = loadEnv(AnalyzeEnvSchema, process.env);
  return { deps: makePostDeps(makeBackend(await awsParts(config)), postSettings(config)), reject: deadLetterQueue(config.OOMBOT_DEAD_LETTER_QUEUE_URL) };
});

// Two parameters, not a callback: Node.js 24 runtimes reject callback-style handlers.
export async function handler(event: EventBridgeEvent<string, unknown>, _context?: unknown): Promise<AnalyzeResult> {
  const { deps, reject } = await ready();
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
