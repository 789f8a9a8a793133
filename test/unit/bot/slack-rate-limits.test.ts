// How long analyze waits on each of Slack's "too many" answers (bot/slack-rate-limits.ts), from the errors the real
// @slack/web-api client throws for them: a table of errors and the exact wait.
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { rateLimitWait, withinBudget } from '../../../bot/slack-rate-limits.ts';

describe('rateLimitWait', () => {
  it.each<[string, unknown, number, number | undefined]>([
    ['a 429 with Retry-After 30 (rejectRateLimitedCalls)', new WebAPIRateLimitedError(30), 0, 30_000],
    ['a 429 with Retry-After 1, after earlier waits', new WebAPIRateLimitedError(1), 3, 1_000],
    ['rate_limited on an HTTP 200, first', new WebAPIPlatformError({ ok: false, error: 'rate_limited' }), 0, 1_000],
    ['rate_limited on an HTTP 200, the third time', new WebAPIPlatformError({ ok: false, error: 'rate_limited' }), 2, 4_000],
    ['ratelimited on an HTTP 200', new WebAPIPlatformError({ ok: false, error: 'ratelimited' }), 1, 2_000],
    ['a channel not found: no rate limit', new WebAPIPlatformError({ ok: false, error: 'channel_not_found' }), 0, undefined],
    ['an HTTP 503: no rate limit', new WebAPIHTTPError(503, 'Service Unavailable', {}, ''), 0, undefined],
    ['something that is not an error', 'ratelimited', 0, undefined],
  ])('%s', (_, error, attempt, expected) => {
    expect(rateLimitWait(error, attempt)).toBe(expected);
  });
});

describe('withinBudget under the rate limit', () => {
  /** A chat that answers each call's first try with a 429 asking for 1 s, then accepts it; and the waits it was given. */
  const refusedOnce = () => {
    const tried = new Set<unknown>();
    const waits: number[] = [];
    const answer = (args: unknown) => {
      if (tried.has(args)) return Promise.resolve({ ok: true, ts: '1.000001' });
      tried.add(args);
      return Promise.reject(new WebAPIRateLimitedError(1));
    };
    const chat = withinBudget({ postMessage: answer, update: answer }, { sleep: async (ms) => void waits.push(ms) });
    return { chat, waits };
  };

  it.each<[string, (chat: ReturnType<typeof refusedOnce>['chat']) => Promise<unknown>, number]>([
    ['a new alert (or a storm root) retries at Retry-After', (chat) => chat.postMessage({ channel: 'C1', text: 'alert' }), 1_000],
    ['a kill broadcast from its warning’s thread is an alert', (chat) => chat.postMessage({ channel: 'C1', text: 'kill', thread_ts: '1.0', reply_broadcast: true }), 1_000],
    ['a thread reply gives way: a second later', (chat) => chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: '1.0' }), 2_000],
    ['a counter update gives way: a second later', (chat) => chat.update({ channel: 'C1', ts: '1.0', text: 'counter' }), 2_000],
  ])('%s', async (_, send, wait) => {
    const { chat, waits } = refusedOnce();
    await send(chat);
    expect(waits).toEqual([wait]);
  });
});
