// How long analyze waits on each of Slack's "too many" answers (bot/slack-rate-limits.ts), from the errors the real
// @slack/web-api client throws for them: a table of errors and the exact wait.
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { rateLimitWait } from '../../../bot/slack-rate-limits.ts';

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
