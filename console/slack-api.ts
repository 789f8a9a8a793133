// The one Slack Web API double: the local console serves it (server.ts) and the tests run the real @slack/web-api
// client against it on loopback (startSlackApi). Around the methods (web-api.ts) and the message rules
// (slack-rules.ts) it keeps what Slack keeps at its door:
// - the token: a bot token on every method, `not_authed` without one and `invalid_auth` for another; an app-level
//   token only on apps.connections.open (Socket Mode, docs.slack.dev/apis/events-api/using-socket-mode);
// - each method's scope: `missing_scope` with `needed` and `provided` (docs.slack.dev/reference/methods/<method>,
//   "Scopes");
// - rate limits (docs.slack.dev/apis/web-api/rate-limits): HTTP 429 with a `Retry-After` header in seconds and the
//   body `{"ok":false,"error":"ratelimited"}` (the error python-slack-sdk's own samples wait on,
//   integration_tests/samples/basic_usage/rate_limits.py). chat.postMessage allows "1 message per second to a
//   channel" (on by default, as the tests always had it); the other tiers are opt-in, so a test that calls fast
//   keeps its meaning unless it asks for them (RATE_TIERS). Slack also documents `rate_limited` among
//   chat.postMessage's errors ("Application has posted too many messages"): an HTTP 200 with ok:false, which
//   clients do not retry; a test can ask for it (forceRateLimited);
// - failures on demand: 429 with any Retry-After, 5xx, a failing or slow upload service.
// Files go through Slack's external upload flow (slack-files.ts); response URLs keep slack-rules.ts's RESPONSE_URL.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { responseUrlRefusal, checkMessage, SCOPE_OF, type ResponseUrlUse } from './slack-rules.ts';
import { FileStore, uploadedBytes } from './slack-files.ts';
import { callWebApi, fileLookup, type WebApiContext } from './web-api.ts';
import { Workspace, type Channel, type ConsoleMessage, type WorkspaceChange } from './workspace.ts';

/**
 * Requests per minute per method, from each method's page ("Rate limits") and the tiers of docs.slack.dev/apis/
 * web-api/rate-limits (Tier 1: 1+, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+ per minute); java-slack-sdk
 * slack-api-client/src/main/java/com/slack/api/methods/MethodsRateLimits.java assigns the same tiers. chat.postMessage
 * is special: about one per second per channel (enforced apart), and "several hundred messages per minute" across
 * the workspace, which Slack gives no number for and is not enforced.
 */
export const RATE_TIERS: Record<string, number> = {
  'chat.update': 50, // Tier 3
  'chat.postEphemeral': 100, // Tier 4
  'usergroups.users.list': 20, // Tier 2
  'files.getUploadURLExternal': 100, // Tier 4
  'files.completeUploadExternal': 100, // Tier 4
  'conversations.info': 50, // Tier 3
  'apps.connections.open': 1, // Tier 1
  'auth.test': 600, // special: "hundreds of requests per minute"
};

/** chat.postMessage "will generally allow an app to post 1 message per second to a specific channel". */
const PER_CHANNEL_MS = 1000;

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

/** A message in a channel as the tests read it: no text or blocks when it has none. */
export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  updates: number;
}

/** What the double answers: an HTTP status, headers and a JSON body. */
export interface SlackAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface SlackApiOptions {
  /** The bot token the app sends. */
  token: string;
  workspace?: Workspace;
  files?: FileStore;
  /** The workspace's user who sees ephemeral messages (the console's user). */
  userId?: string;
  bot?: WebApiContext['bot'];
  team?: WebApiContext['team'];
  /** Enforce about one chat.postMessage per second per channel. */
  perChannelRateLimit?: boolean;
}

const DEFAULT_BOT = { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0OOMBOT', name: 'oombot' };
const DEFAULT_TEAM = { id: 'T0TEAM', name: 'oombot tests', domain: 'oombot-tests' };

export class SlackApi {
  readonly workspace: Workspace;
  /** The files uploaded through the external upload flow. */
  readonly files: FileStore;
  readonly calls: SlackCall[] = [];
  /** What was posted to response URLs (`${url}/respond/<id>`), as interactive answers are. */
  readonly responses: { path: string; body: Record<string, unknown> }[] = [];
  /** Slack user groups (S…) and their members, for usergroups.users.list. */
  userGroups: Record<string, string[]> = {};
  /** The bot token's scopes; a method whose scope is missing answers `missing_scope`. All of oombot's by default. */
  scopes = new Set(['chat:write', 'commands', 'usergroups:read', 'files:write']);
  /** Enforce about one chat.postMessage per second per channel (on by default). */
  perChannelRateLimit: boolean;
  /** Enforce each method's tier (RATE_TIERS, or these per-minute numbers instead): off by default. */
  rateTiers: false | Record<string, number> = false;
  /** Socket Mode: the app-level token and the WebSocket URL apps.connections.open hands out. */
  socketMode?: { appToken: string; url: string };
  /** Hold each POST to an upload URL this long before answering (a slow upload service). */
  uploadDelayMs = 0;
  /** The base URL, known once it listens (auth.test's `url`, response URLs). */
  url = '';

  private readonly token: string;
  private readonly userId: string;
  private readonly bot: WebApiContext['bot'];
  private readonly team: WebApiContext['team'];
  private readonly lastPost = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();
  private readonly responseUses = new Map<string, ResponseUrlUse>();
  private readonly generatedIds = new Set<string>();
  private forced429 = { n: 0, retryAfter: 1 };
  private forced5xx = { n: 0, status: 503 };
  private forcedRateLimited = 0;
  private failedUploads = { n: 0, status: 500 };

  constructor(options: SlackApiOptions) {
    this.token = options.token;
    this.workspace = options.workspace ?? new Workspace(undefined, {}, channelIdOf);
    this.files = options.files ?? new FileStore({ upload: (ticket) => `${this.url}/upload/v1/${ticket}`, urlPrivate: (f) => `${this.url}/files-pri/${f.id}/${encodeURIComponent(f.name)}`, permalink: (f) => `${this.url}/files/${f.id}` });
    this.userId = options.userId ?? 'U0LOCAL';
    this.bot = options.bot ?? DEFAULT_BOT;
    this.team = options.team ?? DEFAULT_TEAM;
    this.perChannelRateLimit = options.perChannelRateLimit ?? true;
    this.messages.push(...this.workspace.messages().filter((m) => !m.ephemeral).map((m) => this.posted(m)));
    this.workspace.onChange((change) => this.follow(change));
  }

  /**
   * The messages in the channels (not ephemeral ones), in posting order, each one object that chat.update changes in
   * place; their blocks as the app sent them, without the block_id and action_id Slack makes up for blocks and
   * buttons that had none (which the Web API's answers and the console's page do show).
   */
  readonly messages: PostedMessage[] = [];

  /** A message already in a channel (an alert posted before the test), so chat.update can find it. */
  seed(message: Omit<PostedMessage, 'updates'>): void {
    this.workspace.ensureChannel(message.channel, message.channel);
    const seeded = this.workspace.insert({ channel: message.channel, ts: message.ts, ...(message.threadTs !== undefined ? { threadTs: message.threadTs } : {}), text: message.text ?? '', blocks: message.blocks ?? [], ephemeral: false, author: 'app', updates: 0 });
    this.messages.push(this.posted(seeded));
  }

  /** Keeps `messages` as the channels show them. */
  private follow(change: WorkspaceChange): void {
    const m = change.message;
    if (m.ephemeral) return;
    const i = this.messages.findIndex((p) => p.channel === m.channel && p.ts === m.ts);
    if (change.kind === 'message') this.messages.push(this.posted(m));
    else if (change.kind === 'delete' && i !== -1) this.messages.splice(i, 1);
    else if (change.kind === 'update' && i !== -1) {
      const target = this.messages[i]!;
      const now = this.posted(m);
      delete target.text;
      delete target.blocks;
      Object.assign(target, now);
    }
  }

  private posted(m: ConsoleMessage): PostedMessage {
    return { channel: m.channel, ts: m.ts, ...(m.threadTs !== undefined ? { threadTs: m.threadTs } : {}), ...(m.text ? { text: m.text } : {}), ...(m.blocks.length ? { blocks: this.asSent(m.blocks) } : {}), updates: m.updates };
  }

  /**
   * Declares a channel and whether the app is in it. With `knownChannelsOnly`, a channel never declared (nor seeded)
   * is `channel_not_found`; otherwise every channel named exists and has the app.
   */
  declareChannel(channel: Channel): void {
    this.workspace.declareChannel(channel);
  }

  get knownChannelsOnly(): boolean {
    return !this.workspace.anyChannel;
  }

  set knownChannelsOnly(value: boolean) {
    this.workspace.anyChannel = !value;
  }

  /** Answer the next n calls with 429 and this Retry-After (seconds). */
  force429(n: number, retryAfterSeconds = 1): void {
    this.forced429 = { n, retryAfter: retryAfterSeconds };
  }

  /** Answer the next n calls with this 5xx status. */
  force5xx(n: number, status = 503): void {
    this.forced5xx = { n, status };
  }

  /** Answer the next n calls with HTTP 200 and `rate_limited`, as chat.postMessage's page lists it. */
  forceRateLimited(n: number): void {
    this.forcedRateLimited = n;
  }

  /** Answer the next n POSTs to an upload URL with this status, as a failing upload service would. */
  failUploads(n: number, status = 500): void {
    this.failedUploads = { n, status };
  }

  /** A Web API call: `authorization` is the request's header (or `Bearer <token>` from a token argument). */
  call(method: string, args: Record<string, unknown>, authorization: string, now = Date.now()): SlackAnswer {
    this.calls.push({ method, args, at: now });
    if (this.forced5xx.n > 0) {
      this.forced5xx.n -= 1;
      return answer(this.forced5xx.status, { ok: false, error: 'service_unavailable' });
    }
    if (this.forced429.n > 0) {
      this.forced429.n -= 1;
      return ratelimited(this.forced429.retryAfter);
    }
    if (this.forcedRateLimited > 0) {
      this.forcedRateLimited -= 1;
      return answer(200, { ok: false, error: 'rate_limited' });
    }
    if (method === 'apps.connections.open') {
      if (!this.socketMode || authorization !== `Bearer ${this.socketMode.appToken}`) return answer(200, { ok: false, error: authorization ? 'invalid_auth' : 'not_authed' });
    } else if (authorization !== `Bearer ${this.token}`) return answer(200, { ok: false, error: authorization ? 'invalid_auth' : 'not_authed' });
    const scope = SCOPE_OF[method];
    if (scope && !this.scopes.has(scope)) return answer(200, { ok: false, error: 'missing_scope', needed: scope, provided: [...this.scopes].join(',') });
    const tierWait = this.tierWait(method, now);
    if (tierWait !== undefined) return ratelimited(tierWait);
    const channelKey = method === 'chat.postMessage' ? this.channelKey(args['channel']) : undefined;
    if (channelKey !== undefined && this.perChannelRateLimit && now - (this.lastPost.get(channelKey) ?? -Infinity) < PER_CHANNEL_MS) return ratelimited(1);
    if (method === 'apps.connections.open') return answer(200, { ok: true, url: this.socketMode!.url });
    const body = callWebApi(method, args, this.context());
    if (channelKey !== undefined && body.ok) this.lastPost.set(channelKey, now);
    return answer(200, body);
  }

  /** A POST of a file's bytes to an upload URL that files.getUploadURLExternal handed out. */
  async upload(ticket: string, body: Buffer, contentType: string | undefined): Promise<{ status: number; body: string }> {
    if (this.uploadDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.uploadDelayMs));
    const bytes = await uploadedBytes(body, contentType);
    // A failing upload service keeps nothing: the file's bytes never arrived.
    const failing = this.failedUploads.n > 0;
    if (failing) this.failedUploads.n -= 1;
    const result = failing ? { status: this.failedUploads.status, body: 'upload failed' } : this.files.receive(ticket, bytes);
    this.calls.push({ method: 'upload', args: { ticket, bytes: bytes.length, status: result.status }, at: Date.now() });
    return result;
  }

  /**
   * A POST to a response URL. Here any `/respond/<id>` is one (tests make them up), counted from its first use; it
   * keeps Slack's five uses in 30 minutes and the message rules, and refused blocks answer 404 with the errors.
   */
  respond(path: string, body: Record<string, unknown>, now = Date.now()): SlackAnswer {
    const use = this.responseUses.get(path);
    const refusal = responseUrlRefusal(use, now);
    if (refusal) return answer(404, { ok: false, error: refusal });
    if (body['delete_original'] !== true && body['delete_original'] !== 'true') {
      const check = checkMessage(body, { files: fileLookup(this), target: 'response_url' });
      if (!check.ok) return answer(404, { ...check });
    }
    this.responseUses.set(path, { firstAt: use?.firstAt ?? now, uses: (use?.uses ?? 0) + 1 });
    this.responses.push({ path, body });
    return answer(200, { ok: true });
  }

  private context(): WebApiContext {
    return { workspace: this.workspace, files: this.files, userId: this.userId, userGroups: this.userGroups, bot: this.bot, team: this.team, url: this.url, generatedIds: this.generatedIds };
  }

  private asSent(blocks: unknown[]): unknown[] {
    const strip = (value: unknown, key: 'block_id' | 'action_id'): unknown => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const { [key]: id, ...rest } = value as Record<string, unknown>;
      return typeof id === 'string' && this.generatedIds.has(id) ? rest : value;
    };
    return blocks.map((raw) => {
      const block = strip(raw, 'block_id') as Record<string, unknown>;
      if (typeof block !== 'object' || block === null) return block;
      return {
        ...block,
        ...(Array.isArray(block['elements']) && block['type'] === 'actions' ? { elements: block['elements'].map((e) => strip(e, 'action_id')) } : {}),
        ...(block['accessory'] !== undefined ? { accessory: strip(block['accessory'], 'action_id') } : {}),
      };
    });
  }

  /** The channel a chat.postMessage is counted against: its ID when known, else what it named. */
  private channelKey(raw: unknown): string {
    const named = typeof raw === 'string' ? raw : '';
    return this.workspace.resolveChannel(named)?.id ?? named;
  }

  /** Seconds to wait when the method's tier is used up within the last minute; undefined when the call may go. */
  private tierWait(method: string, now: number): number | undefined {
    const perMinute = this.rateTiers ? (this.rateTiers[method] ?? RATE_TIERS[method]) : undefined;
    if (perMinute === undefined) return undefined;
    const recent = (this.recent.get(method) ?? []).filter((at) => now - at < 60_000);
    if (recent.length >= perMinute) {
      this.recent.set(method, recent);
      return Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
    }
    recent.push(now);
    this.recent.set(method, recent);
    return undefined;
  }
}

export interface SlackApiServer extends SlackApi {
  /** The base URL for WebClient's slackApiUrl: `${url}/api/`. */
  apiUrl: string;
  close(): Promise<void>;
}

/** The double on its own loopback port, as the tests run it: /api/<method>, /upload/v1/<ticket>, /respond/<id>. */
export async function startSlackApi(options: Partial<SlackApiOptions> = {}): Promise<SlackApiServer> {
  const api = new SlackApi({ token: 'xoxb-test-token', ...options });
  const server = http.createServer((req, res) => {
    serve(api, req, res).catch((error: unknown) => send(res, answer(500, { ok: false, error: 'internal_error', detail: String(error) })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api.url = `http://127.0.0.1:${port}`;
  return Object.assign(api, {
    apiUrl: `${api.url}/api/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

async function serve(api: SlackApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const path = new URL(req.url ?? '/', api.url).pathname;
  if (req.method === 'POST' && path.startsWith('/upload/v1/')) {
    const result = await api.upload(path.slice('/upload/v1/'.length), body, req.headers['content-type']);
    res.writeHead(result.status, { 'Content-Type': 'text/plain' });
    return void res.end(result.body);
  }
  const args = requestArgs(body.toString('utf8'), req.headers['content-type']);
  if (!args) return send(res, answer(200, { ok: false, error: 'invalid_json' }));
  if (path.startsWith('/respond/')) return send(res, api.respond(path, args));
  if (path.startsWith('/api/')) {
    const authorization = req.headers.authorization ?? (typeof args['token'] === 'string' ? `Bearer ${args['token']}` : '');
    return send(res, api.call(decodeURIComponent(path.slice('/api/'.length)), args, authorization));
  }
  send(res, answer(404, { ok: false, error: 'not_found' }));
}

/**
 * A request's arguments: JSON, or form fields as @slack/web-api sends them (a response_url may get a form with one
 * `payload` field). Undefined for a JSON body that does not parse (Slack: `invalid_json`).
 */
export function requestArgs(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  if (!text) return {};
  if ((contentType ?? '').includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  const form: Record<string, unknown> = Object.fromEntries(new URLSearchParams(text));
  if (typeof form['payload'] === 'string') return requestArgs(form['payload'], 'application/json') ?? form;
  return form;
}

/** A stable channel ID for a channel name, as Slack has one per channel ("C" and upper-case hex). */
export function channelIdOf(name: string): string {
  return `C${Buffer.from(name).toString('hex').toUpperCase().slice(0, 10)}`;
}

function answer(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): SlackAnswer {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body };
}

function ratelimited(retryAfterSeconds: number): SlackAnswer {
  return answer(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(retryAfterSeconds) });
}

function send(res: ServerResponse, a: SlackAnswer): void {
  if (res.headersSent) return void res.end();
  res.writeHead(a.status, a.headers);
  res.end(JSON.stringify(a.body));
}

export type { ConsoleMessage };
