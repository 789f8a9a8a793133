// The one Slack double's door (console/slack-api.ts), called as the HTTP server calls it: tokens, scopes, channels,
// rate limits, forced failures and response URLs, each answered as Slack answers it.
import { describe, expect, it } from 'vitest';
import { SlackApi } from '../../../console/slack-api.ts';

const TOKEN = 'xoxb-unit';
const AUTH = `Bearer ${TOKEN}`;
const ok = (body: Record<string, unknown>) => ({ status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body });
const ratelimited = (retryAfter: number) => ({ status: 429, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(retryAfter) }, body: { ok: false, error: 'ratelimited' } });
const post = (api: SlackApi, channel: string, now: number, extra: Record<string, unknown> = {}) => api.call('chat.postMessage', { channel, text: 'x', ...extra }, AUTH, now);

describe('the Slack double', () => {
  it('refuses a call without the bot token, and one without the method scope', () => {
    const api = new SlackApi({ token: TOKEN });
    expect(api.call('auth.test', {}, '')).toEqual(ok({ ok: false, error: 'not_authed' }));
    expect(api.call('auth.test', {}, 'Bearer xoxb-other')).toEqual(ok({ ok: false, error: 'invalid_auth' }));
    api.scopes.delete('usergroups:read');
    expect(api.call('usergroups.users.list', { usergroup: 'S0' }, AUTH)).toEqual(ok({ ok: false, error: 'missing_scope', needed: 'usergroups:read', provided: 'chat:write,commands,files:write' }));
  });

  it('answers channel_not_found and not_in_channel for channels it was told about, and posts to the others', () => {
    const api = new SlackApi({ token: TOKEN, perChannelRateLimit: false });
    api.knownChannelsOnly = true;
    api.declareChannel({ id: 'C0ALERTS', name: 'oom-alerts' });
    api.declareChannel({ id: 'C0PRIVATE', name: 'secret', member: false });
    expect(post(api, '#typo', 0).body).toEqual({ ok: false, error: 'channel_not_found' });
    expect(post(api, 'C0NOWHERE', 0).body).toEqual({ ok: false, error: 'channel_not_found' });
    expect(post(api, '#secret', 0).body).toEqual({ ok: false, error: 'not_in_channel' });
    expect(post(api, 'C0PRIVATE', 0).body).toEqual({ ok: false, error: 'not_in_channel' });
    expect(api.call('chat.postEphemeral', { channel: 'C0PRIVATE', user: 'U0LOCAL', text: 'x' }, AUTH).body).toEqual({ ok: false, error: 'not_in_channel' });
    expect(post(api, '#oom-alerts', 0).body).toMatchObject({ ok: true, channel: 'C0ALERTS' });
    expect(api.messages).toEqual([{ channel: 'C0ALERTS', ts: expect.stringMatching(/^\d+\.\d{6}$/), text: 'x', updates: 0 }]);
  });

  it('answers blocks that are not JSON with invalid_blocks_format, and goes on serving', () => {
    const api = new SlackApi({ token: TOKEN });
    expect(post(api, '#a', 0, { blocks: '[{"type":' })).toEqual(ok({ ok: false, error: 'invalid_blocks_format' }));
    expect(post(api, '#a', 0).body).toMatchObject({ ok: true });
  });

  it('answers a truncated text with Slack warning, and refuses a long text in chat.update', () => {
    const api = new SlackApi({ token: TOKEN });
    const posted = post(api, '#a', 0, { text: 'y'.repeat(40_001) }).body;
    expect(posted).toMatchObject({ ok: true, warning: 'message_truncated', response_metadata: { warnings: ['message_truncated'] } });
    expect(api.messages[0]!.text).toHaveLength(40_000);
    expect(api.call('chat.update', { channel: posted['channel'], ts: posted['ts'], text: 'y'.repeat(4001) }, AUTH).body).toEqual({ ok: false, error: 'msg_too_long' });
    expect(api.call('chat.update', { channel: posted['channel'], ts: '1.000001', text: 'z' }, AUTH).body).toEqual({ ok: false, error: 'message_not_found' });
    expect(api.call('chat.update', { channel: posted['channel'], ts: posted['ts'], text: 'z' }, AUTH).body).toMatchObject({ ok: true, text: 'z' });
  });

  it('lets the app update only its own messages', () => {
    const api = new SlackApi({ token: TOKEN });
    api.workspace.ensureChannel('C0A', 'a');
    api.workspace.insert({ channel: 'C0A', ts: '1700000000.000100', text: 'said by someone', blocks: [], ephemeral: false, author: 'slackbot', updates: 0 });
    expect(api.call('chat.update', { channel: 'C0A', ts: '1700000000.000100', text: 'z' }, AUTH).body).toEqual({ ok: false, error: 'cant_update_message' });
  });

  it('lets one chat.postMessage a second through per channel, answering 429 with Retry-After', () => {
    const api = new SlackApi({ token: TOKEN });
    expect(post(api, '#a', 1000).body).toMatchObject({ ok: true });
    expect(post(api, '#a', 1999)).toEqual(ratelimited(1));
    expect(post(api, '#b', 1999).body).toMatchObject({ ok: true });
    expect(post(api, '#a', 2000).body).toMatchObject({ ok: true });
  });

  it('keeps method tiers only when asked, with the Retry-After of the window', () => {
    const api = new SlackApi({ token: TOKEN });
    api.userGroups = { S0: ['U0A'] };
    for (let i = 0; i < 30; i += 1) expect(api.call('usergroups.users.list', { usergroup: 'S0' }, AUTH, i).body).toEqual({ ok: true, users: ['U0A'] });
    api.rateTiers = {};
    for (let i = 0; i < 20; i += 1) expect(api.call('usergroups.users.list', { usergroup: 'S0' }, AUTH, 100_000 + i * 1000).status).toBe(200);
    expect(api.call('usergroups.users.list', { usergroup: 'S0' }, AUTH, 100_000 + 20_000)).toEqual(ratelimited(40));
    expect(api.call('usergroups.users.list', { usergroup: 'S0' }, AUTH, 160_000).status).toBe(200);
    api.rateTiers = { 'chat.update': 1 };
    const posted = post(api, '#a', 0).body;
    expect(api.call('chat.update', { channel: posted['channel'], ts: posted['ts'], text: 'a' }, AUTH, 0).status).toBe(200);
    expect(api.call('chat.update', { channel: posted['channel'], ts: posted['ts'], text: 'b' }, AUTH, 30_000)).toEqual(ratelimited(30));
  });

  it('answers forced failures in order: 5xx, 429 with any Retry-After, and rate_limited as HTTP 200', () => {
    const api = new SlackApi({ token: TOKEN });
    api.force5xx(1, 502);
    api.force429(1, 17);
    api.forceRateLimited(1);
    expect(api.call('auth.test', {}, AUTH).status).toBe(502);
    expect(api.call('auth.test', {}, AUTH)).toEqual(ratelimited(17));
    expect(api.call('auth.test', {}, AUTH)).toEqual(ok({ ok: false, error: 'rate_limited' }));
    expect(api.call('auth.test', {}, AUTH).body).toMatchObject({ ok: true });
    expect(api.calls.map((c) => c.method)).toEqual(['auth.test', 'auth.test', 'auth.test', 'auth.test']);
  });

  it('takes five answers at a response URL, refuses a sixth, a late one and 51 blocks', () => {
    const api = new SlackApi({ token: TOKEN });
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(api.respond('/respond/r1', { text: 'x', blocks }, 0)).toMatchObject({ status: 404, body: { ok: false, error: 'invalid_blocks', errors: ['must provide no more than 50 items [json-pointer:/blocks]'] } });
    for (let i = 0; i < 5; i += 1) expect(api.respond('/respond/r1', { text: `answer ${i}` }, i).status).toBe(200);
    expect(api.respond('/respond/r1', { text: 'sixth' }, 10)).toMatchObject({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(api.respond('/respond/r2', { text: 'first' }, 0).status).toBe(200);
    expect(api.respond('/respond/r2', { text: 'late' }, 30 * 60_000 + 1)).toMatchObject({ status: 404, body: { ok: false, error: 'expired_url' } });
    expect(api.responses.map((r) => r.body['text'])).toEqual(['answer 0', 'answer 1', 'answer 2', 'answer 3', 'answer 4', 'first']);
  });
});
