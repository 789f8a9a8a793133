// A loopback Slack Web API for tests, for the real @slack/web-api client (slackApiUrl pointed here). It checks the bot
// token and each method's scope (`missing_scope`, as api.slack.com/methods/<method> lists them), enforces Block Kit's
// limits (bot/slack-limits.ts) and chat.postMessage's rate of about one message per second per channel (429 with
// Retry-After), can be told to answer 429, `rate_limited` or 5xx, knows declared channels (`channel_not_found`,
// `not_in_channel`), and records every call.
// Files go through Slack's external upload flow with its rules, kept by console/slack-files.ts (the local console
// keeps the same): files.getUploadURLExternal, a POST of exactly `length` bytes to the upload URL, then
// files.completeUploadExternal; an image block's slack_file must name a completed image file, and its alt_text and
// title keep Slack's limits (console/slack-rules.ts's imageBlockErrors). A message naming any other file is
// `invalid_blocks` ("invalid slack file"), in chat.postMessage, chat.update and at a response_url.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SLACK_LIMITS } from '../../bot/slack-limits.ts';
import { imageBlockErrors, type FileLookup } from '../../console/slack-rules.ts';
import { FileStore, uploadedBytes } from '../../console/slack-files.ts';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  updates: number;
}

export interface SlackDouble {
  url: string;
  /** The base URL for WebClient's slackApiUrl. */
  apiUrl: string;
  calls: SlackCall[];
  messages: PostedMessage[];
  /** What was posted to response URLs (`${url}/respond/<id>`), as interactive answers are. */
  responses: { path: string; body: Record<string, unknown> }[];
  /** Answer the next n calls with 429 and this Retry-After (seconds). */
  force429(n: number, retryAfterSeconds?: number): void;
  /** Answer the next n calls with this 5xx status. */
  force5xx(n: number, status?: number): void;
  /**
   * Answer the next n calls with HTTP 200 and `rate_limited`, as chat.postMessage's page lists it among its errors
   * ("Application has posted too many messages"): no Retry-After, and the Web API client does not retry it.
   */
  forceRateLimited(n: number): void;
  /**
   * Declares a channel (an id, its name without `#`) and whether the app is in it: chat.postMessage to one the app is
   * not in answers `not_in_channel` (docs.slack.dev/reference/methods/chat.postMessage, "Errors").
   */
  declareChannel(channel: { id: string; name: string; member?: boolean }): void;
  /** Only declared channels exist: any other, by id or name, is `channel_not_found`. Off by default. */
  knownChannelsOnly: boolean;
  /** Socket Mode: the app-level token and the WebSocket URL apps.connections.open hands out. */
  socketMode?: { appToken: string; url: string };
  /** Slack user groups (S…) and their members, for usergroups.users.list. */
  userGroups: Record<string, string[]>;
  /** A message already in a channel (an alert posted before the test), so chat.update can find it. */
  seed(message: Omit<PostedMessage, 'updates'>): void;
  /** Enforce about one chat.postMessage per second per channel (on by default). */
  perChannelRateLimit: boolean;
  /** The bot token's scopes; a method whose scope is missing answers `missing_scope`. All of oombot's by default. */
  scopes: Set<string>;
  /** The files uploaded through the external upload flow. */
  files: FileStore;
  /** Answer the next n POSTs to an upload URL with this status, as a failing upload service would. */
  failUploads(n: number, status?: number): void;
  /** Hold each POST to an upload URL this long before answering (a slow upload service). */
  uploadDelayMs: number;
  close(): Promise<void>;
}

/** The scope each method needs (api.slack.com/methods/<method>, "Scopes"). */
const SCOPE_OF: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};

export async function startSlackDouble(token = 'xoxb-test-token'): Promise<SlackDouble> {
  const calls: SlackCall[] = [];
  const messages: PostedMessage[] = [];
  const responses: SlackDouble['responses'] = [];
  const lastPost = new Map<string, number>();
  let forced429 = { n: 0, retryAfter: 1 };
  let forced5xx = { n: 0, status: 503 };
  let forcedRateLimited = 0;
  const channels = new Map<string, { id: string; name: string; member?: boolean }>();
  let failedUploads = { n: 0, status: 500 };
  let tsCounter = 0;
  let base = '';
  const files = new FileStore({ upload: (ticket) => `${base}/upload/v1/${ticket}`, urlPrivate: (f) => `${base}/files-pri/T0TEAM-${f.id}/${encodeURIComponent(f.name)}`, permalink: (f) => `${base}/files/U0BOT/${f.id}/${encodeURIComponent(f.name)}` });
  const lookup: FileLookup = (ref) => files.lookup(ref);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer(Buffer.concat(chunks)).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      });
    });
    const answer = async (body: Buffer) => {
      if (req.method === 'POST' && (req.url ?? '').startsWith('/upload/v1/')) {
        const ticket = req.url!.slice('/upload/v1/'.length);
        if (doubles.uploadDelayMs > 0) await new Promise((r) => setTimeout(r, doubles.uploadDelayMs));
        const bytes = await uploadedBytes(body, req.headers['content-type']);
        // A failing upload service keeps nothing: the file's bytes never arrived.
        const failing = failedUploads.n > 0;
        if (failing) failedUploads.n -= 1;
        const result = failing ? { status: failedUploads.status, body: 'upload failed' } : files.receive(ticket, bytes);
        calls.push({ method: 'upload', args: { ticket, bytes: bytes.length, status: result.status }, at: Date.now() });
        res.writeHead(result.status, { 'Content-Type': 'text/plain' });
        return res.end(result.body);
      }
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      const args = parseBody(body.toString('utf8'), req.headers['content-type'] ?? '');
      if ((req.url ?? '').startsWith('/respond/')) {
        // A response_url refuses blocks as chat.postMessage does; Slack answers 404 with the error as JSON
        // (as reported in slackapi/java-slack-sdk#1349 for an image block naming a file it could not use).
        const invalid = blockErrors(args['blocks'], lookup);
        if (invalid.length) {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          return res.end(JSON.stringify({ ok: false, error: 'invalid_blocks', errors: invalid }));
        }
        responses.push({ path: req.url!, body: args });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{"ok":true}');
      }
      calls.push({ method, args, at: Date.now() });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (forced5xx.n > 0) {
        forced5xx.n -= 1;
        return json(forced5xx.status, { ok: false, error: 'service_unavailable' });
      }
      if (forced429.n > 0) {
        forced429.n -= 1;
        return json(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(forced429.retryAfter) });
      }
      if (forcedRateLimited > 0) {
        forcedRateLimited -= 1;
        return json(200, { ok: false, error: 'rate_limited' });
      }
      const auth = req.headers['authorization'] ?? (typeof args['token'] === 'string' ? `Bearer ${args['token']}` : '');
      // Socket Mode: the app-level token (xapp-, scope connections:write) opens a WebSocket URL; nothing else.
      if (method === 'apps.connections.open') {
        if (!doubles.socketMode || auth !== `Bearer ${doubles.socketMode.appToken}`) return json(200, { ok: false, error: auth ? 'invalid_auth' : 'not_authed' });
        return json(200, { ok: true, url: doubles.socketMode.url });
      }
      if (auth !== `Bearer ${token}`) return json(200, { ok: false, error: auth ? 'invalid_auth' : 'not_authed' });
      const scope = SCOPE_OF[method];
      if (scope && !doubles.scopes.has(scope)) return json(200, { ok: false, error: 'missing_scope', needed: scope, provided: [...doubles.scopes].join(',') });

      switch (method) {
        case 'auth.test':
          return json(200, { ok: true, user_id: 'U0BOT', team_id: 'T0TEAM', bot_id: 'B0BOT' });
        case 'chat.postMessage': {
          // Slack takes a channel's name (#alerts) here and answers with its id; chat.update takes only the id.
          const named = String(args['channel'] ?? '');
          const declared = [...channels.values()].find((c) => c.id === named || c.name === named.replace(/^#/, ''));
          if (declared?.member === false) return json(200, { ok: false, error: 'not_in_channel' });
          if (!declared && doubles.knownChannelsOnly) return json(200, { ok: false, error: 'channel_not_found' });
          const channel = declared ? declared.id : named.startsWith('#') ? channelIdOf(named) : named;
          if (!channel) return json(200, { ok: false, error: 'channel_not_found' });
          const invalid = blockErrors(args['blocks'], lookup);
          if (invalid.length) return json(200, { ok: false, error: 'invalid_blocks', errors: invalid });
          const now = Date.now();
          // Slack: "chat.postMessage ... generally allows an app to post 1 message per second to a channel".
          if (doubles.perChannelRateLimit && now - (lastPost.get(channel) ?? 0) < 1_000) {
            return json(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' });
          }
          lastPost.set(channel, now);
          tsCounter += 1;
          const ts = `${Math.floor(now / 1000)}.${String(tsCounter).padStart(6, '0')}`;
          messages.push({ channel, ts, ...(args['thread_ts'] ? { threadTs: String(args['thread_ts']) } : {}), ...(args['text'] ? { text: String(args['text']) } : {}), ...(args['blocks'] ? { blocks: blocksOf(args['blocks']) } : {}), updates: 0 });
          return json(200, { ok: true, channel, ts, message: { text: args['text'] } });
        }
        case 'usergroups.users.list': {
          const users = doubles.userGroups[String(args['usergroup'] ?? '')];
          return json(200, users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' });
        }
        case 'chat.update': {
          const m = messages.find((x) => x.channel === args['channel'] && x.ts === args['ts']);
          if (!m) return json(200, { ok: false, error: 'message_not_found' });
          const invalid = blockErrors(args['blocks'], lookup);
          if (invalid.length) return json(200, { ok: false, error: 'invalid_blocks', errors: invalid });
          if (args['blocks']) m.blocks = blocksOf(args['blocks']);
          if (args['text']) m.text = String(args['text']);
          m.updates += 1;
          return json(200, { ok: true, channel: m.channel, ts: m.ts });
        }
        case 'files.getUploadURLExternal':
          return json(200, files.getUploadURL(args));
        case 'files.completeUploadExternal':
          return json(200, files.complete(args));
        default:
          return json(200, { ok: false, error: 'unknown_method' });
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  const doubles: SlackDouble = {
    url: `http://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    messages,
    responses,
    force429: (n, retryAfter = 1) => (forced429 = { n, retryAfter }),
    force5xx: (n, status = 503) => (forced5xx = { n, status }),
    forceRateLimited: (n) => (forcedRateLimited = n),
    declareChannel: (c) => void channels.set(c.id, { id: c.id, name: c.name.replace(/^#/, ''), ...(c.member === false ? { member: false } : {}) }),
    knownChannelsOnly: false,
    perChannelRateLimit: true,
    userGroups: {},
    seed: (m) => messages.push({ ...m, updates: 0 }),
    scopes: new Set(['chat:write', 'commands', 'usergroups:read', 'files:write']),
    files,
    failUploads: (n, status = 500) => (failedUploads = { n, status }),
    uploadDelayMs: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return doubles;
}

/** A stable channel id for a channel name, as Slack has one per channel. */
function channelIdOf(name: string): string {
  return `C${Buffer.from(name.slice(1)).toString('hex').toUpperCase().slice(0, 10)}`;
}

function parseBody(text: string, contentType: string): Record<string, unknown> {
  if (!text) return {};
  if (contentType.includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(text));
}

function blocksOf(raw: unknown): unknown[] {
  return typeof raw === 'string' ? (JSON.parse(raw) as unknown[]) : (raw as unknown[]);
}

/** Block Kit's limits, as Slack checks them; each breach named like Slack's `errors` array does. */
function blockErrors(raw: unknown, files: FileLookup): string[] {
  if (raw === undefined) return [];
  type Text = { text?: string };
  const blocks = blocksOf(raw) as { type?: string; text?: Text; elements?: { value?: string; type?: string; text?: Text; confirm?: { title?: Text; text?: Text; confirm?: Text; deny?: Text } }[] }[];
  const errors: string[] = [];
  if (blocks.length > SLACK_LIMITS.blocks) errors.push(`must provide no more than ${SLACK_LIMITS.blocks} items [json-pointer:/blocks]`);
  blocks.forEach((b, i) => {
    if (b.type === 'image') errors.push(...imageBlockErrors(b, `/${i}`, files));
    const length = b.text?.text?.length ?? 0;
    if (b.type === 'header' && length > SLACK_LIMITS.headerText) errors.push(`must be less than ${SLACK_LIMITS.headerText + 1} characters [json-pointer:/blocks/${i}/text/text]`);
    if (b.type === 'section' && length > SLACK_LIMITS.sectionText) errors.push(`must be less than ${SLACK_LIMITS.sectionText + 1} characters [json-pointer:/blocks/${i}/text/text]`);
    if (b.type === 'context' && (b.elements?.length ?? 0) > SLACK_LIMITS.contextElements) errors.push(`must provide no more than ${SLACK_LIMITS.contextElements} items [json-pointer:/blocks/${i}/elements]`);
    for (const [j, e] of (b.elements ?? []).entries()) {
      if (e.type === 'button' && (e.value?.length ?? 0) > SLACK_LIMITS.buttonValue) errors.push(`must be less than ${SLACK_LIMITS.buttonValue + 1} characters [json-pointer:/blocks/${i}/elements/${j}/value]`);
      if (e.type === 'button' && (e.text?.text?.length ?? 0) > SLACK_LIMITS.buttonText) errors.push(`must be less than ${SLACK_LIMITS.buttonText + 1} characters [json-pointer:/blocks/${i}/elements/${j}/text/text]`);
      const c = e.confirm;
      const over = (t: Text | undefined, max: number, at: string) => (t?.text?.length ?? 0) > max && errors.push(`must be less than ${max + 1} characters [json-pointer:/blocks/${i}/elements/${j}/confirm/${at}/text]`);
      if (c) {
        over(c.title, SLACK_LIMITS.confirmTitle, 'title');
        over(c.text, SLACK_LIMITS.confirmText, 'text');
        over(c.confirm, SLACK_LIMITS.confirmButton, 'confirm');
        over(c.deny, SLACK_LIMITS.confirmButton, 'deny');
      }
    }
  });
  return errors;
}
