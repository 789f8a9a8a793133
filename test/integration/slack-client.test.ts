// The real @slack/web-api client against the loopback Slack double: alerts go out as rendered, Block Kit's limits are
// enforced, and rate limiting delays messages without dropping or doubling them.
import { WebClient, ErrorCode } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAlert } from '../../bot/alert.ts';
import { diagnose } from '#shared/diagnose.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';

let slack: SlackApiServer;
let client: WebClient;
beforeAll(async () => {
  slack = await startSlackApi();
  // Short retry delays for 5xx; 429s wait for Retry-After, as in production.
  client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 } });
});
afterAll(async () => {
  await slack?.close();
});

const verdict = diagnose({
  pod: pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] }),
  node: node(),
  events: [],
});
const alert = renderAlert(verdict, { cluster: 'prod-eu', incidentId: 'inc-1', occurredAt: T0 });

describe('Slack Web API through the double', () => {
  it('posts an alert as rendered', async () => {
    const res = await client.chat.postMessage({ channel: 'C-ALERTS', text: alert.text, blocks: alert.blocks });
    expect(res.ok).toBe(true);
    const posted = slack.messages.find((m) => m.ts === res.ts)!;
    expect(posted).toMatchObject({ channel: 'C-ALERTS', text: alert.text });
    expect(posted.blocks).toEqual(JSON.parse(JSON.stringify(alert.blocks)));
  });

  it('refuses blocks over Slack’s limits as Slack does', async () => {
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    await expect(client.chat.postMessage({ channel: 'C-OTHER', text: 'x', blocks: tooMany })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_blocks' } });
  });

  it('waits out a 429 and posts once, in order, when the channel is rate limited', async () => {
    const before = slack.messages.length;
    const results = [];
    for (const n of [1, 2, 3]) results.push(await client.chat.postMessage({ channel: 'C-BUSY', text: `message ${n}` }));
    const posted = slack.messages.slice(before).filter((m) => m.channel === 'C-BUSY');
    expect(posted.map((m) => m.text)).toEqual(['message 1', 'message 2', 'message 3']);
    const attempts = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args['channel'] === 'C-BUSY');
    expect(attempts.length).toBeGreaterThan(3); // some were answered 429 and retried after Retry-After
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('retries a 5xx and posts once', async () => {
    slack.force5xx(2);
    const res = await client.chat.postMessage({ channel: 'C-FLAKY', text: 'after an outage' });
    expect(res.ok).toBe(true);
    expect(slack.messages.filter((m) => m.channel === 'C-FLAKY')).toHaveLength(1);
    expect(slack.calls.filter((c) => c.args['channel'] === 'C-FLAKY')).toHaveLength(3);
  });

  it('rejects a wrong token with invalid_auth', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });
});
