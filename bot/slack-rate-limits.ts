// Slack's rate limits, waited out within the invocation's time (docs/architecture.md, "Reliability rules"). Slack says
// "too many" two ways:
// - HTTP 429 with `Retry-After` in seconds (docs.slack.dev/apis/web-api/rate-limits). @slack/web-api's WebClient
//   (packages/web-api/src/WebClient.ts, makeRequest) would sleep that long itself, however long, then retry; built with
//   `rejectRateLimitedCalls` (functions/compose.ts) it throws WebAPIRateLimitedError with `retryAfter` instead, so the
//   wait is decided here;
// - HTTP 200 with `{ok:false, error:"rate_limited"}` (chat.postMessage's "Errors": "Application has posted too many
//   messages"), which the client throws as a platform error and never retries; `ratelimited` is taken the same way.
//   No Retry-After comes with it: the waits double from a second.
// A wait that fits in what is left of the invocation, less a margin for giving the claim back, is waited; one that
// does not fails the invocation (SlackRateLimitedError), so the bus retries it later. Nothing is posted twice: a
// refused call posted nothing, and the occurrence's claim (store/port.ts OccurrenceClaims) is given back only while
// Slack has no message of it.
import type { SlackChat } from './grouping.ts';

/**
 * Priority under the rate limit (docs/architecture.md, "Reliability rules"): a thread reply or a counter update refused
 * at the same moment as a new alert or a storm root waits this much longer than Slack asked, so that the alert, retried
 * at Retry-After, takes the channel's next slot. A reply broadcast to the channel (a kill after its warning) is an
 * alert. Counter updates are coalesced besides (bot/grouping.ts, bot/storms.ts): only the latest value is sent.
 */
export const LOW_PRIORITY_EXTRA_MS = 1_000;

/** Whether a call gives way to alerts under the rate limit: a thread reply not broadcast, or any update. */
export function givesWay(method: 'chat.postMessage' | 'chat.update', args: { thread_ts?: string | undefined; reply_broadcast?: boolean | undefined }): boolean {
  return method === 'chat.update' || (!!args.thread_ts && !args.reply_broadcast);
}

/** Kept for what follows a failed wait: giving the claim back and logging it before Lambda stops the invocation. */
export const RATE_LIMIT_MARGIN_MS = 5_000;
/** At most this many waits for one call, whatever the time left: a Slack that keeps refusing is a failure. */
const MAX_WAITS = 6;
const FIRST_WAIT_MS = 1_000;

export interface RateLimitBudget {
  /** The invocation's time left (ms): Lambda's context.getRemainingTimeInMillis. Without it (local mode), no deadline. */
  timeLeft?: (() => number) | undefined;
  marginMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Slack asked to wait longer than the invocation has: it fails, and the bus retries it. */
export class SlackRateLimitedError extends Error {
  override name = 'SlackRateLimitedError';
  readonly code = 'SLACK_RATE_LIMITED';
  constructor(
    readonly method: string,
    readonly waitMs: number,
    readonly leftMs: number,
    options?: { cause?: unknown },
  ) {
    const why = Number.isFinite(leftMs) ? `asked to wait ${Math.ceil(waitMs / 1000)} s, with ${Math.max(0, Math.floor(leftMs / 1000))} s usable in this invocation` : `refused it ${MAX_WAITS + 1} times in a row`;
    super(`Slack rate-limited ${method} and ${why}: it fails so that the bus retries it later`, options);
  }
}

/** How long Slack asked to wait (ms), or undefined when the error is no rate limit. `attempt` counts earlier waits. */
export function rateLimitWait(error: unknown, attempt: number): number | undefined {
  const e = error as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown } } | undefined;
  if (e?.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number') return e.retryAfter * 1000;
  if (e?.data?.error === 'rate_limited' || e?.data?.error === 'ratelimited') return FIRST_WAIT_MS * 2 ** attempt;
  return undefined;
}

/** The chat methods, each waiting out Slack's rate limits within the budget, or failing with SlackRateLimitedError. */
export function withinBudget(chat: SlackChat, budget: RateLimitBudget = {}): SlackChat {
  const sleep = budget.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const margin = budget.marginMs ?? RATE_LIMIT_MARGIN_MS;
  const patient =
    <A extends { thread_ts?: string | undefined; reply_broadcast?: boolean | undefined }, R>(method: 'chat.postMessage' | 'chat.update', call: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      const extra = givesWay(method, args) ? LOW_PRIORITY_EXTRA_MS : 0;
      for (let attempt = 0; ; attempt++) {
        try {
          return await call(args);
        } catch (error) {
          const asked = rateLimitWait(error, attempt);
          if (asked === undefined) throw error;
          const wait = asked + extra;
          const left = budget.timeLeft ? budget.timeLeft() - margin : Infinity;
          if (wait > left || attempt >= MAX_WAITS) throw new SlackRateLimitedError(method, wait, left, { cause: error });
          await sleep(wait);
        }
      }
    };
  return { postMessage: patient('chat.postMessage', (a) => chat.postMessage(a)), update: patient('chat.update', (a) => chat.update(a)) };
}
