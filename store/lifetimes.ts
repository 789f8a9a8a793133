// How long the store keeps each kind of record, written once for both adapters: DynamoDB deletes an item by its TTL
// attribute (store/table.ts; in epoch seconds, store/dynamo.ts), the FileStore drops it on its next write (store/file.ts).
// Each function gives the moment (epoch ms) a record stops counting; audit records have none: they are kept.

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * A claim not marked posted after this long belongs to a run that died (a Lambda timeout kills it before it can give
 * the claim back): it may be taken again. Longer than the analyze function's 60 s timeout.
 */
export const STALE_CLAIM_MS = 2 * MINUTE_MS;

export const EXPIRES = {
  /** An occurrence's claim and where it was posted: a resend within two weeks (a replay, a relist) is a duplicate. */
  occurrence: (claimedAt: number) => claimedAt + 14 * DAY_MS,
  /** A click's claim: a click older than two minutes is refused anyway (bot/actions.ts), a day is plenty. */
  click: (claimedAt: number) => claimedAt + DAY_MS,
  /**
   * A repeat group, and each occurrence's place in it: a day past the window after its last occurrence, so a retry
   * that comes back late still finds the place it was counted in.
   */
  group: (lastAt: number, windowMs: number) => lastAt + windowMs + DAY_MS,
  /** A channel's storm record: a day after it last changed (a storm ends after minutes of quiet). */
  storm: (changedAt: number) => changedAt + DAY_MS,
  /** An incident, for `/oom recent` and the alert's buttons: 90 days after it happened. */
  incident: (occurredAt: number) => occurredAt + 90 * DAY_MS,
  /** A mute ends when it says. */
  mute: (until: number) => until,
} as const;
