// The one Slack double over HTTP (console/slack-api.ts), as the real @slack/web-api client meets it: what Slack's
// answers do to the client — a Retry-After waited, `rate_limited` not retried, a refused channel or payload thrown —
// and that nothing a client can send takes the double down.
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';

let slack: SlackApiServer;
let client: WebClient;

beforeAll(async () => {
  slack = await startSlackApi({ token: 'xoxb-http' });
  slack.perChannelRateLimit = false;
  client = new WebClient('xoxb-http', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 } });
});

afterAll(() => slack.close());

describe('the Slack double over HTTP', () => {
  it('answers blocks that are not JSON, and a body that is not JSON, and keeps serving', async () => {
    await expect(client.chat.postMessage({ channel: '#a', text: 'x', blocks: '[{"type":' as never })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_blocks_format' } });
    const raw = await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer xoxb-http' }, body: '{"channel":' });
    expect([raw.status, await raw.json()]).toEqual([200, { ok: false, error: 'invalid_json' }]);
    await expect(client.chat.postMessage({ channel: '#a', text: 'still here' })).resolves.toMatchObject({ ok: true });
  });

  it('makes the client wait out a Retry-After of 2 s, and not retry rate_limited', async () => {
    slack.force429(1, 2);
    const start = Date.now();
    await expect(client.chat.postMessage({ channel: '#b', text: 'after the wait' })).resolves.toMatchObject({ ok: true });
    expect(Date.now() - start).toBeGreaterThanOrEqual(2000);
    const calls = slack.calls.length;
    slack.forceRateLimited(1);
    await expect(client.chat.postMessage({ channel: '#b', text: 'refused' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'rate_limited' } });
    expect(slack.calls.length - calls).toBe(1);
  });

  it('refuses a channel it does not know and one the app is not in', async () => {
    slack.declareChannel({ id: 'C0ALERTS', name: 'oom-alerts' });
    slack.declareChannel({ id: 'C0PRIVATE', name: 'secret', member: false });
    slack.knownChannelsOnly = true;
    try {
      await expect(client.chat.postMessage({ channel: '#oom-alerts', text: 'x' })).resolves.toMatchObject({ ok: true, channel: 'C0ALERTS' });
      await expect(client.chat.postMessage({ channel: '#nowhere', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
      await expect(client.chat.postMessage({ channel: 'C0PRIVATE', text: 'x' })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    } finally {
      slack.knownChannelsOnly = false;
    }
  });

  it('takes five answers at a response URL and refuses the sixth with 404 used_url', async () => {
    const answer = (text: string) => fetch(`${slack.url}/respond/http-1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) });
    for (let i = 1; i <= 5; i += 1) expect((await answer(`answer ${i}`)).status).toBe(200);
    const sixth = await answer('sixth');
    expect([sixth.status, await sixth.json()]).toEqual([404, { ok: false, error: 'used_url' }]);
  });
});
