// The local console with the real Slack libraries on loopback: the production WebClient posts an alert, a thread
// reply and an update to it as to Slack; the page and its live stream show them; and slash commands and clicks from
// the page reach a real Bolt app whose own signature check accepts them, with its answers (ack body, respond())
// shown to the user as Slack shows them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, HTTPReceiver, LogLevel, type Logger, type SlackCommandMiddlewareArgs, type BlockAction } from '@slack/bolt';
import { ErrorCode, WebClient, LogLevel as WebLogLevel } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACTIONS, renderAlert, renderRepeat, withCounter } from '../../bot/alert.ts';
import { isBlock } from '../../bot/block-ids.ts';
import { startConsole, type LocalConsole } from '../../console/server.ts';
import type { ConsoleMessage } from '../../console/workspace.ts';
import { diagnose } from '#shared/diagnose.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';

const TOKEN = 'xoxb-local-console';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TS = /^\d{10}\.\d{6}$/;

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

const verdict = diagnose({
  pod: pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] }),
  node: node(),
  events: [],
});
const ctx = { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: T0, buttons: { runbookUrl: 'https://wiki.example/oom' } };
const alert = renderAlert(verdict, ctx);

/** A reader of the console's Server-Sent Events, from the first one. */
async function openEvents(url: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/events?since=0`, { signal: controller.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events: Record<string, unknown>[] = [];
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (data && !frame.includes('event: reset')) events.push(JSON.parse(data.slice('data: '.length)) as Record<string, unknown>);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    /** Waits for an event with these fields (and whose HTML contains `html`, if given). */
    next: (fields: Record<string, unknown>, html?: string) => vi.waitFor(() => {
      const found = events.find((e) => Object.entries(fields).every(([k, v]) => e[k] === v) && (html === undefined || String(e['html']).includes(html)));
      if (!found) throw new Error(`no event ${JSON.stringify(fields)} in ${JSON.stringify(events.map((e) => [e['kind'], e['ts']]))}`);
      return found;
    }, { timeout: 15_000, interval: 20 }),
    close: () => controller.abort(),
  };
}

const ui = (consoleUrl: string, route: 'command' | 'action', body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${consoleUrl}/ui/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

let app: App;
let appUrl: string;
let local: LocalConsole;
let client: WebClient;
let events: Awaited<ReturnType<typeof openEvents>>;
let stateDir: string;
const commands: SlackCommandMiddlewareArgs['command'][] = [];
const clicks: BlockAction[] = [];

beforeAll(async () => {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', logger: quiet });
  app = new App({ receiver, authorize: async () => ({}), logger: quiet });
  app.command('/oom', async ({ command, ack }) => {
    commands.push(command);
    await ack({ response_type: 'ephemeral', text: `You asked *why ${command.text}*; see <https://wiki.example/oom|the runbook>.` });
  });
  app.action(ACTIONS.why, async ({ body, ack, respond }) => {
    await ack();
    clicks.push(body as BlockAction);
    const action = (body as BlockAction).actions[0];
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Evidence for ${action && 'value' in action ? action.value : '?'}` });
  });
  app.action('oombot_storm_pick', async ({ body, ack, respond }) => {
    await ack();
    clicks.push(body as BlockAction);
    const action = (body as BlockAction).actions[0];
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Explaining ${action?.type === 'static_select' ? action.selected_option.value : '?'}` });
  });
  app.action(ACTIONS.mute1h, async ({ body, ack, respond }) => {
    await ack();
    clicks.push(body as BlockAction);
    await respond({ replace_original: true, text: 'Muted for 1 h.' });
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  stateDir = await mkdtemp(path.join(tmpdir(), 'oombot-console-'));
  local = await startConsole({ botToken: TOKEN, signingSecret: SIGNING_SECRET, appUrl, stateFile: path.join(stateDir, 'console.json'), userGroups: { S0SRE: ['U0LOCAL', 'U0BOB'] } });
  client = new WebClient(TOKEN, { slackApiUrl: local.slackApiUrl, logLevel: WebLogLevel.ERROR, retryConfig: { retries: 0 } });
  events = await openEvents(local.url);
});

afterAll(async () => {
  events?.close();
  await local?.close();
  await app?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const root: { channel: string; ts: string } = { channel: '', ts: '' };
/** The id the root's actions block has as shown: its counter update revised it (bot/block-ids.ts). */
const shownActionsId = () => String((local.messages().find((m) => m.ts === root.ts)?.blocks ?? []).map((b) => b as { block_id?: string }).find((b) => isBlock(b, 'oombot-actions'))?.block_id);
let replyTs = '';

describe('the Web API, through the real WebClient', () => {
  it('posts an alert by channel name and answers with the channel ID and a ts, as Slack does', async () => {
    const res = await client.chat.postMessage({ channel: '#oom-alerts', text: alert.text, blocks: alert.blocks, unfurl_links: false });
    expect(res).toMatchObject({ ok: true, channel: expect.stringMatching(/^C[A-Z0-9]+$/), ts: expect.stringMatching(TS), message: { text: alert.text, bot_id: 'B0BOT' } });
    Object.assign(root, { channel: res.channel!, ts: res.ts! });
    const posted = local.messages().find((m) => m.ts === res.ts)!;
    expect(posted).toMatchObject({ channel: res.channel, text: alert.text, ephemeral: false, updates: 0 });
    // Slack gives blocks without a block_id one; everything else is kept as sent.
    expect(posted.blocks).toEqual(alert.blocks.map((b) => ({ ...b, block_id: expect.any(String) })));
    expect(posted.blocks[4]).toMatchObject({ block_id: 'oombot-actions' });
  });

  it('posts a repeat in the alert’s thread, with a later ts', async () => {
    const repeat = renderRepeat(verdict, ctx);
    const res = await client.chat.postMessage({ channel: root.channel, thread_ts: root.ts, text: repeat.text, blocks: repeat.blocks });
    replyTs = res.ts!;
    expect(replyTs > root.ts).toBe(true);
    // A reply to a reply lands in the root's thread.
    const nested = await client.chat.postMessage({ channel: root.channel, thread_ts: replyTs, text: 'and again' });
    expect(local.messages().filter((m) => m.threadTs === root.ts).map((m) => m.ts)).toEqual([replyTs, nested.ts]);
  });

  it('updates the alert’s counter by channel ID, and refuses the channel’s name as Slack does', async () => {
    const blocks = withCounter(alert.blocks, 'OOMKilled 3× in 5 min · latest 10:19 UTC · see thread');
    await expect(client.chat.update({ channel: root.channel, ts: root.ts, text: alert.text, blocks })).resolves.toMatchObject({ ok: true, channel: root.channel, ts: root.ts });
    // An update carries new block ids (Slack asks for them), of the same role.
    expect(local.messages().find((m) => m.ts === root.ts)).toMatchObject({ updates: 1, blocks: expect.arrayContaining([expect.objectContaining({ block_id: expect.stringMatching(/^oombot-counter\.[0-9a-z]+$/) })]) });
    await expect(client.chat.update({ channel: '#oom-alerts', ts: root.ts, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } });
    await expect(client.chat.update({ channel: root.channel, ts: '1.000001', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('streams the new messages and the update to the page, live', async () => {
    const posted = await events.next({ kind: 'message', ts: root.ts });
    expect(posted).toMatchObject({ channel: root.channel, channelName: 'oom-alerts', ephemeral: false });
    expect(posted['html']).toContain('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
    await expect(events.next({ kind: 'message', ts: replyTs })).resolves.toMatchObject({ threadTs: root.ts });
    const updated = await events.next({ kind: 'update', ts: root.ts });
    expect(updated['html']).toContain('OOMKilled 3× in 5 min');
    expect(updated['html']).toContain('(edited)');
  });

  it('serves the page with the alert, its thread and its buttons, under a strict CSP', async () => {
    const res = await fetch(local.url);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]+'; style-src 'nonce-/);
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain(`<article class="msg" data-testid="message" data-channel="${root.channel}" data-ts="${root.ts}">`);
    expect(html).toMatch(new RegExp(`<details class="thread" data-testid="thread" data-thread-ts="${root.ts.replace('.', '\\.')}" open><summary>2 replies</summary><div class="replies"><article class="msg" data-testid="message" data-channel="${root.channel}" data-ts="${replyTs.replace('.', '\\.')}" data-thread-ts=`));
    expect(shownActionsId()).toMatch(/^oombot-actions\.[0-9a-z]+$/);
    expect(html).toContain(`data-action-id="oombot_why" data-block-id="${shownActionsId()}" data-value="inc-7f3a">Why?</button>`);
    expect(html).toContain('<button type="button" class="channel" data-testid="channel"');
    expect(html).toContain('aria-label="/oom command"');
    expect(html).not.toMatch(/<script(?! nonce=")/);
    expect(html).not.toMatch(/<link|src="http/);
  });

  it('keeps hostile text from the cluster inert on the page', async () => {
    await client.chat.postMessage({ channel: root.channel, text: '<script>alert(1)</script> "><img src=x onerror=alert(1)> <javascript:alert(1)|x>', blocks: [{ type: 'header', text: { type: 'plain_text', text: '</h3><script>alert(2)</script>' } }] });
    const html = await (await fetch(local.url)).text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/h3&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('refuses what Slack refuses', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: local.slackApiUrl, logLevel: WebLogLevel.ERROR, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(stranger.chat.postMessage({ channel: root.channel, text: 'x' })).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const anonymous = await (await fetch(`${local.slackApiUrl}auth.test`, { method: 'POST' })).json();
    expect(anonymous).toEqual({ ok: false, error: 'not_authed' });
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    await expect(client.chat.postMessage({ channel: root.channel, text: 'x', blocks: tooMany })).rejects.toMatchObject({ data: { error: 'invalid_blocks', errors: ['must provide no more than 50 items [json-pointer:/blocks]'] } });
    await expect(client.chat.postMessage({ channel: root.channel, text: '' })).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(client.chat.postMessage({ channel: '', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.apiCall('chat.scheduleMessage', { channel: root.channel, text: 'x', post_at: 1 })).rejects.toMatchObject({ data: { error: 'unknown_method' } });
  });

  it('accepts a JSON body as well as a form, and answers the other methods oombot may call', async () => {
    const res = await fetch(`${local.slackApiUrl}chat.postMessage`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ channel: root.channel, text: 'as JSON', blocks: [{ type: 'divider' }] }) });
    await expect(res.json()).resolves.toMatchObject({ ok: true, ts: expect.stringMatching(TS) });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0LOCAL', url: `${local.url}/` });
    await expect(client.usergroups.users.list({ usergroup: 'S0SRE' })).resolves.toMatchObject({ ok: true, users: ['U0LOCAL', 'U0BOB'] });
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
    await expect(client.conversations.info({ channel: root.channel })).resolves.toMatchObject({ ok: true, channel: { id: root.channel, name: 'oom-alerts', is_member: true } });
    const ephemeral = await client.chat.postEphemeral({ channel: root.channel, user: 'U0LOCAL', text: 'just for you' });
    expect(ephemeral).toMatchObject({ ok: true, message_ts: expect.stringMatching(TS) });
    await expect(events.next({ kind: 'ephemeral', ts: ephemeral.message_ts })).resolves.toMatchObject({ ephemeral: true, html: expect.stringContaining('Only visible to you') });
    await expect(client.chat.postEphemeral({ channel: root.channel, user: 'U0STRANGER', text: 'x' })).rejects.toMatchObject({ data: { error: 'user_not_in_channel' } });
  });
});

describe('slash commands and clicks, to a real Bolt app', () => {
  it('sends /oom as Slack does and shows the ack’s text as an ephemeral answer', async () => {
    const res = await ui(local.url, 'command', { text: 'checkout-7d9f -n shop', channel: root.channel });
    await expect(res.json()).resolves.toEqual({ ok: true });
    expect(commands.at(-1)).toMatchObject({
      command: '/oom',
      text: 'checkout-7d9f -n shop',
      user_id: 'U0LOCAL',
      user_name: 'you',
      channel_id: root.channel,
      channel_name: 'oom-alerts',
      team_id: 'T0LOCAL',
      api_app_id: 'A0OOMBOT',
      response_url: expect.stringMatching(new RegExp(`^${local.url}/respond/[0-9a-f]{32}$`)),
      trigger_id: expect.any(String),
    });
    const answer = local.messages().at(-1)!;
    expect(answer).toMatchObject({ channel: root.channel, ephemeral: true, command: '/oom checkout-7d9f -n shop', text: 'You asked *why checkout-7d9f -n shop*; see <https://wiki.example/oom|the runbook>.' });
    const live = await events.next({ kind: 'ephemeral', ts: answer.ts });
    expect(live['html']).toContain('Only visible to you');
    expect(live['html']).toContain('You asked <b>why checkout-7d9f -n shop</b>; see <a class="bk-link" href="https://wiki.example/oom"');
  });

  it('sends a click as block_actions with the message as shown, and shows what respond() sends', async () => {
    const blockId = shownActionsId();
    const res = await ui(local.url, 'action', { channel: root.channel, ts: root.ts, actionId: ACTIONS.why, blockId, value: 'inc-7f3a' });
    await expect(res.json()).resolves.toEqual({ ok: true });
    const click = clicks.at(-1)!;
    const shown = local.messages().find((m) => m.ts === root.ts)!;
    expect(click).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0LOCAL', username: 'you', name: 'you', team_id: 'T0LOCAL' },
      channel: { id: root.channel },
      container: { type: 'message', message_ts: root.ts, channel_id: root.channel },
      message: { ts: root.ts, text: shown.text, blocks: shown.blocks },
      actions: [{ type: 'button', action_id: ACTIONS.why, block_id: blockId, value: 'inc-7f3a', action_ts: expect.stringMatching(TS) }],
      team: { id: 'T0LOCAL' },
      api_app_id: 'A0OOMBOT',
      response_url: expect.stringMatching(new RegExp(`^${local.url}/respond/`)),
    });
    await vi.waitFor(() => expect(local.messages().at(-1)).toMatchObject({ channel: root.channel, ephemeral: true, text: 'Evidence for inc-7f3a' }), { timeout: 15_000 });
    expect(local.messages().at(-1)?.threadTs).toBeUndefined();
  });

  it('replaces the clicked message when the answer says replace_original', async () => {
    const before: ConsoleMessage = local.messages().find((m) => m.ts === root.ts)!;
    await ui(local.url, 'action', { channel: root.channel, ts: root.ts, actionId: ACTIONS.mute1h });
    await vi.waitFor(() => expect(local.messages().find((m) => m.ts === root.ts)).toMatchObject({ text: 'Muted for 1 h.', blocks: [], updates: before.updates + 1 }), { timeout: 15_000 });
    await events.next({ kind: 'update', ts: root.ts }, 'Muted for 1 h.');
  });

  it('shows a select and sends a choice as block_actions with the option chosen, and only one of its own', async () => {
    const pick = { type: 'actions', block_id: 'oombot-storm-pick', elements: [{ type: 'static_select', action_id: 'oombot_storm_pick', placeholder: { type: 'plain_text', text: 'Explain a workload…' }, options: [{ text: { type: 'plain_text', text: 'shop/deploy/<b>cart</b> › api' }, value: 'repeat/prod-eu/shop/Deployment/cart/api/limit' }] }] };
    const posted = await client.chat.postMessage({ channel: root.channel, text: 'a storm', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'storm' } }, pick] });
    const page = await (await fetch(local.url)).text();
    expect(page).toContain('<select class="bk-select" data-testid="action-select" data-action-id="oombot_storm_pick" data-block-id="oombot-storm-pick"><option value="" selected disabled>Explain a workload…</option><option value="repeat/prod-eu/shop/Deployment/cart/api/limit">shop/deploy/&lt;b&gt;cart&lt;/b&gt; › api</option></select>');
    const before = clicks.length;
    const forged = await ui(local.url, 'action', { channel: root.channel, ts: posted.ts, actionId: 'oombot_storm_pick', blockId: 'oombot-storm-pick', value: 'repeat/prod-eu/kube-system/x' });
    expect(forged.status).toBe(400);
    expect(clicks).toHaveLength(before);
    const res = await ui(local.url, 'action', { channel: root.channel, ts: posted.ts, actionId: 'oombot_storm_pick', blockId: 'oombot-storm-pick', value: 'repeat/prod-eu/shop/Deployment/cart/api/limit' });
    await expect(res.json()).resolves.toEqual({ ok: true });
    expect(clicks.at(-1)).toMatchObject({ actions: [{ type: 'static_select', action_id: 'oombot_storm_pick', block_id: 'oombot-storm-pick', selected_option: { text: { type: 'plain_text', text: 'shop/deploy/<b>cart</b> › api' }, value: 'repeat/prod-eu/shop/Deployment/cart/api/limit' } }] });
    await vi.waitFor(() => expect(local.messages().at(-1)).toMatchObject({ channel: root.channel, ephemeral: true, text: 'Explaining repeat/prod-eu/shop/Deployment/cart/api/limit' }), { timeout: 15_000 });
  });

  it('answers a click on a button the message does not have with action_not_found, sending nothing', async () => {
    const before = clicks.length;
    const res = await ui(local.url, 'action', { channel: root.channel, ts: replyTs, actionId: 'oombot_forged' });
    expect(res.status).toBe(404);
    await expect(res.json()).resolves.toMatchObject({ ok: false, error: 'action_not_found' });
    expect(clicks).toHaveLength(before);
  });

  it('is refused by Bolt when signed with another secret, and says so as Slack does', async () => {
    const impostor = await startConsole({ botToken: TOKEN, signingSecret: 'not-the-secret', appUrl });
    try {
      const res = await ui(impostor.url, 'command', { text: 'help' });
      expect(res.status).toBe(502);
      await expect(res.json()).resolves.toMatchObject({ ok: false, error: 'dispatch_failed', detail: expect.stringContaining('answered HTTP 401') });
      expect(impostor.messages()).toEqual([expect.objectContaining({ author: 'slackbot', ephemeral: true, text: '/oom failed with the error "dispatch_failed"', command: '/oom help' })]);
    } finally {
      await impostor.close();
    }
  });
});

describe('the console itself', () => {
  it('lets a response_url be used five times, as Slack does', async () => {
    const before = commands.length;
    await ui(local.url, 'command', { text: 'help', channel: root.channel });
    const responseUrl = commands[before]!.response_url;
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await fetch(responseUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: `answer ${i}` }) })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    const unknown = await fetch(`${local.url}/respond/0000`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}' });
    await expect(unknown.json()).resolves.toEqual({ ok: false, error: 'expired_url' });
  });

  it('replaces, then deletes, a command’s answer through its response_url', async () => {
    const before = commands.length;
    await ui(local.url, 'command', { text: 'recent', channel: root.channel });
    const responseUrl = commands[before]!.response_url;
    const answer = local.messages().at(-1)!;
    const post = (body: object) => fetch(responseUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ replace_original: true, text: 'updated answer' })).status).toBe(200);
    expect(local.messages().find((m) => m.ts === answer.ts)).toMatchObject({ ephemeral: true, text: 'updated answer', updates: 1 });
    expect((await post({ delete_original: true })).status).toBe(200);
    expect(local.messages().find((m) => m.ts === answer.ts)).toBeUndefined();
    await events.next({ kind: 'delete', ts: answer.ts });
    const refused = await post({ blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) });
    expect(refused.status).toBe(400);
    await expect(refused.json()).resolves.toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('takes /ui requests only as JSON, from its own origin and host', async () => {
    const form = await fetch(`${local.url}/ui/command`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"text":"help"}' });
    expect(form.status).toBe(415);
    expect((await ui(local.url, 'command', { text: 'help' }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await ui(local.url, 'command', { text: 'help' }, { Origin: local.url })).status).toBe(200);
    // A page on another name that resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(local.url, { headers: { Host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(rebound).toBe(403);
  });

  it('refuses bad options and a corrupt state file with a message that says what to fix', async () => {
    await expect(startConsole({ botToken: TOKEN, signingSecret: SIGNING_SECRET, appUrl: 'slack/events' })).rejects.toMatchObject({ name: 'ConsoleConfigError', message: expect.stringContaining('appUrl') });
    await expect(startConsole({ botToken: '', signingSecret: SIGNING_SECRET, appUrl })).rejects.toMatchObject({ name: 'ConsoleConfigError', message: 'local console: botToken: botToken is empty' });
    const file = path.join(stateDir, 'corrupt.json');
    await writeFile(file, '{"version":1,"messages":');
    await expect(startConsole({ botToken: TOKEN, signingSecret: SIGNING_SECRET, appUrl, stateFile: file })).rejects.toMatchObject({ name: 'ConsoleStateError', message: `the console state file ${file} is not JSON; delete it to start with an empty console` });
  });

  it('keeps the messages everyone sees across a restart, and its timestamps keep increasing', async () => {
    const file = path.join(stateDir, 'restart.json');
    const first = await startConsole({ botToken: TOKEN, signingSecret: SIGNING_SECRET, appUrl, stateFile: file });
    const firstClient = new WebClient(TOKEN, { slackApiUrl: first.slackApiUrl, logLevel: WebLogLevel.ERROR, retryConfig: { retries: 0 } });
    const posted = await firstClient.chat.postMessage({ channel: '#oom-alerts', text: alert.text, blocks: alert.blocks });
    await firstClient.chat.postEphemeral({ channel: posted.channel!, user: 'U0LOCAL', text: 'gone after a restart' });
    await first.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 1, messages: [{ ts: posted.ts }] });

    const second = await startConsole({ botToken: TOKEN, signingSecret: SIGNING_SECRET, appUrl, stateFile: file });
    try {
      expect(second.messages()).toEqual([expect.objectContaining({ channel: posted.channel, ts: posted.ts, text: alert.text })]);
      const secondClient = new WebClient(TOKEN, { slackApiUrl: second.slackApiUrl, logLevel: WebLogLevel.ERROR, retryConfig: { retries: 0 } });
      const next = await secondClient.chat.postMessage({ channel: '#oom-alerts', text: 'later' });
      expect(next.channel).toBe(posted.channel);
      expect(next.ts! > posted.ts!).toBe(true);
      expect(await (await fetch(second.url)).text()).toContain(`data-ts="${posted.ts}"`);
    } finally {
      await second.close();
    }
  });
});
