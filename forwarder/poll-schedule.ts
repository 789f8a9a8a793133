// When the sampler asks metrics.k8s.io next (forwarder/sampler.ts), as a pure function of how the last poll went.

/** What one poll learnt: samples (`ok`), no such API (`absent`, 404), not allowed (`forbidden`, 403), or a failure. */
export type PollResult = 'ok' | 'absent' | 'forbidden' | 'failed';

export interface ScheduleOptions {
  intervalMs: number;
  /** How long a missing or forbidden API is left alone before it is asked again. */
  retryMs: number;
}

/**
 * When the next poll starts. Polls that reach the API keep a fixed rate from the last one's start, so samples fall a
 * steady interval apart (shared/memory-series.ts encodes a steady interval in one character); one that ran past one or
 * more ticks is followed at the next tick, never at once, so a slow API server gets no burst of catch-up polls. A
 * failure (a 5xx, a time-out: metrics-server restarting) is retried at the next tick too. A missing or forbidden API is
 * asked again only after the retry period: installing metrics-server, or granting the rule, needs no restart, and a
 * cluster without it is not asked every 30 s.
 */
export function nextPollAt(result: PollResult, startedAtMs: number, finishedAtMs: number, o: ScheduleOptions): number {
  if (result === 'absent' || result === 'forbidden') return finishedAtMs + o.retryMs;
  const ticks = Math.max(1, Math.ceil((finishedAtMs - startedAtMs) / o.intervalMs));
  return startedAtMs + ticks * o.intervalMs;
}
