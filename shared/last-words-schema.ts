// What a caller read of a dead container's log, as the diagnosis input carries it (shared/diagnosis-input.ts); how it
// is read is shared/last-words.ts, kept apart from this schema so that the forwarder loads no zod
// (docs/architecture.md, "Budgets").
import * as z from 'zod';
import { LAST_WORDS_MAX_CHARS } from './last-words.ts';
import { UnseenReasonSchema } from './unseen.ts';

export const LastWordsSchema = z.object({
  container: z.string(),
  /**
   * Which run's log: `previous` — the run before the current one (`previous=true`), whose end is in
   * `lastState.terminated`; `current` — a run that is still down (`state.terminated`).
   */
  run: z.enum(['previous', 'current']),
  /** The tail as the API server returned it with `timestamps=true`: each line begins with its RFC 3339 time. */
  tail: z.string().max(LAST_WORDS_MAX_CHARS).optional(),
  /** Why it could not be read (shared/unseen.ts's reasons); absent when `tail` is there. */
  unread: z.object({ reason: UnseenReasonSchema, detail: z.string().optional() }).optional(),
});
export type LastWords = z.infer<typeof LastWordsSchema>;
