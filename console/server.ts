// The local console: Slack for someone without a Slack workspace. In local mode the production code talks to it as
// to Slack — the WebClient's slackApiUrl points at /api/, and the Bolt app (HTTP receiver) gets the console's
// requests, signed as Slack signs them — while a browser shows the messages live and sends slash commands and clicks.
// Endpoints:
//   POST /api/<method>   the Web API subset oombot calls: the one Slack double the tests use too (slack-api.ts)
//   POST /upload/v1/<t>  an upload URL that files.getUploadURLExternal handed out: the file's bytes (slack-files.ts)
//   GET  /files-pri/<id>/<name>, GET /files/<id>   an uploaded file (its url_private and permalink), for image blocks
//   POST /respond/<id>   response_url: what an app answers to a command or a click, shown to the user (interactions.ts)
//   GET  /               the page (page.ts); GET /events its live feed (live-events.ts)
//   POST /ui/command     {text, channel?}: a slash command, forwarded to appUrl; the app's ack body is the answer
//   POST /ui/action      {channel, ts, actionId, blockId?, value?}: a button click, forwarded as block_actions
//   GET  /ui/messages    the messages as JSON, for scripts and tests
// It listens on 127.0.0.1 only and accepts only Host 127.0.0.1/localhost (a DNS-rebinding page cannot reach it); the
// /ui/ endpoints take JSON only, which a cross-site form cannot send without a CORS preflight the console never allows.
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { OombotError, toOombotError } from '#shared/errors.ts';
import { jsonLines, type Logger } from '#shared/log.ts';
import { Interactions } from './interactions.ts';
import { LiveEvents } from './live-events.ts';
import { contentSecurityPolicy, messageHtml, pageHtml } from './page.ts';
import { ConsoleRequestError } from './request-error.ts';
import type { Identity } from './slack-requests.ts';
import { SlackApi } from './slack-api.ts';
import { FileStore } from './slack-files.ts';
import { loadState, StateWriter } from './state-file.ts';
import { fileLookup } from './web-api.ts';
import { Workspace, type ConsoleMessage } from './workspace.ts';

export const ConsoleOptionsSchema = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** The token the app's WebClient sends; any other is answered invalid_auth. */
  botToken: z.string({ error: 'botToken is missing: give the bot token the app uses (SLACK_BOT_TOKEN)' }).min(1, 'botToken is empty'),
  /** The secret the app's Bolt receiver verifies requests with. */
  signingSecret: z.string({ error: 'signingSecret is missing: give the signing secret the Bolt app verifies with' }).min(1, 'signingSecret is empty'),
  /** Where the Bolt app takes Slack's requests, e.g. http://127.0.0.1:3000/slack/events. */
  appUrl: z.url({ protocol: /^https?$/, error: 'appUrl must be the http(s) URL where the Bolt app takes Slack requests' }),
  userId: z.string().min(1).default('U0LOCAL'),
  userName: z.string().min(1).default('you'),
  /** A JSON file keeping the messages across restarts. */
  stateFile: z.string().min(1).optional(),
  /** usergroups.users.list answers: group id → user ids. */
  userGroups: z.record(z.string(), z.array(z.string())).default({}),
  /** Names for channel IDs the app posts to, e.g. { C0ALERTS: 'oom-alerts' }. */
  channels: z.record(z.string(), z.string()).default({}),
  /** The slash command the box at the bottom sends. */
  command: z.string().regex(/^\/[a-z0-9_-]+$/, 'command must look like /oom').default('/oom'),
});
export type ConsoleOptions = z.input<typeof ConsoleOptionsSchema>;

export interface LocalConsole {
  /** The page, e.g. http://127.0.0.1:41234 */
  url: string;
  /** For `new WebClient(token, { slackApiUrl })`: `${url}/api/` */
  slackApiUrl: string;
  /** Everything shown, ephemeral answers included, in posting order. */
  messages(): ConsoleMessage[];
  /** A line above the messages for every page open (local mode: "starting the local cluster…"); none to remove it. */
  setBanner(text: string | undefined): void;
  close(): Promise<void>;
}

export class ConsoleConfigError extends OombotError {
  override readonly name = 'ConsoleConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
  }
}

const BOT = { userId: 'U0BOT', botId: 'B0BOT', appId: 'A0OOMBOT', name: 'oombot' };
const TEAM = { id: 'T0LOCAL', name: 'oombot local', domain: 'oombot-local' };
const MAX_BODY_BYTES = 1 << 20;
/** An upload's bytes, at most: a memory chart is tens of KB. */
const MAX_UPLOAD_BYTES = 8 << 20;
/** Uploaded files the state file keeps, newest first: enough for the alerts a console shows. */
const KEPT_FILES = 200;

/** `log`: where its failures are logged (local mode passes the parts' log); by default warnings and errors on stderr. */
export async function startConsole(options: ConsoleOptions, log: Logger = jsonLines({ write: (line) => process.stderr.write(line), level: 'warn' })): Promise<LocalConsole> {
  const parsed = ConsoleOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConsoleConfigError(`local console: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`, { cause: parsed.error });
  }
  const config = parsed.data;
  const saved = config.stateFile ? await loadState(config.stateFile) : undefined;
  const workspace = new Workspace(saved, config.channels);
  // Paths relative to the console's own address, which is known only once it listens.
  const files = new FileStore(
    { upload: (ticket) => `${url}/upload/v1/${ticket}`, urlPrivate: (f) => `${url}/files-pri/${f.id}/${encodeURIComponent(f.name)}`, permalink: (f) => `${url}/files/${f.id}` },
    saved?.files ?? [],
  );
  const writer = config.stateFile ? new StateWriter(config.stateFile, () => ({ ...workspace.snapshot(), files: files.completed(KEPT_FILES) }), log) : undefined;
  const live = new LiveEvents();
  const who: Identity = { teamId: TEAM.id, teamDomain: TEAM.domain, appId: BOT.appId, userId: config.userId, userName: config.userName, verificationToken: 'local-console-verification-token' };
  let url = '';
  let hosts = new Set<string>();
  let banner: string | undefined;

  const renderOptions = () => ({
    users: { [config.userId]: config.userName, [BOT.userId]: BOT.name },
    channels: Object.fromEntries(workspace.channels().map((c) => [c.id, c.name])),
    fileSrc: (ref: { id?: string; url?: string }) => {
      const file = files.lookup(ref);
      return file && `/files-pri/${file.id}/${encodeURIComponent(file.name)}`;
    },
  });
  const view = () => ({ botName: BOT.name, render: renderOptions() });

  // Live events: `message`, `ephemeral` (a new message only the user sees), `update`, `delete`.
  workspace.onChange(({ kind, message, channel }) => {
    live.publish({ kind: kind === 'message' && message.ephemeral ? 'ephemeral' : kind, channel: channel.id, channelName: channel.name, ts: message.ts, threadTs: message.threadTs, ephemeral: message.ephemeral, html: kind === 'delete' ? '' : messageHtml(message, view()) });
    if (!message.ephemeral) writer?.schedule();
  });

  // Slack's per-channel posting rate is left off here: the demo posts a burst of alerts at start, and someone trying
  // oombot locally should see them at once; the tests exercise it on the same double.
  const api = new SlackApi({ token: config.botToken, workspace, files, userId: config.userId, bot: BOT, team: TEAM, perChannelRateLimit: false });
  api.userGroups = config.userGroups;
  api.scopes.add('channels:read');
  const interactions = new Interactions({ workspace, who, bot: BOT, command: config.command, appUrl: config.appUrl, signingSecret: config.signingSecret, baseUrl: () => url, files: fileLookup({ files }) });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof ConsoleRequestError) return sendJson(res, error.status, { ok: false, error: error.error, ...(error.detail ? { detail: error.detail } : {}) });
      // A bug in the console: logged with its code (its stack only at debug), answered as Slack answers one.
      log.error('console request failed', { method: req.method, path: req.url, error });
      sendJson(res, 500, { ok: false, error: 'internal_error', detail: toOombotError(error).message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hosts.has(req.headers.host ?? '')) throw new ConsoleRequestError(403, 'bad_host', 'the console answers only at 127.0.0.1 or localhost');
    const requestUrl = new URL(req.url ?? '/', url);
    const route = `${req.method} ${requestUrl.pathname}`;
    if (route === 'GET /') return sendPage(res);
    if (route === 'GET /events') return live.attach(req, res, requestUrl.searchParams.get('since'));
    if (route === 'GET /ui/messages') return sendJson(res, 200, { ok: true, messages: workspace.messages() });
    if (route === 'GET /favicon.ico') return void res.writeHead(204).end();
    const filePath = /^\/(?:files-pri\/(F[A-Z0-9]+)\/[^/]+|files\/(F[A-Z0-9]+))$/.exec(requestUrl.pathname);
    if (req.method === 'GET' && filePath) return sendFile(res, files.bytes((filePath[1] ?? filePath[2])!));
    if (req.method === 'POST' && requestUrl.pathname.startsWith('/upload/v1/')) {
      const answer = await api.upload(requestUrl.pathname.slice('/upload/v1/'.length), await readBytes(req, MAX_UPLOAD_BYTES), req.headers['content-type']);
      res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      return void res.end(answer.body);
    }
    if (requestUrl.pathname.startsWith('/api/') && (req.method === 'POST' || req.method === 'GET')) {
      const args = { ...Object.fromEntries(requestUrl.searchParams), ...parseBody(await readBody(req), req.headers['content-type']) };
      const authorization = req.headers.authorization ?? (typeof args['token'] === 'string' ? `Bearer ${args['token']}` : '');
      const answer = api.call(decodeURIComponent(requestUrl.pathname.slice('/api/'.length)), args, authorization);
      if (res.headersSent) return void res.end();
      res.writeHead(answer.status, { ...answer.headers, 'Cache-Control': 'no-store' });
      return void res.end(JSON.stringify(answer.body));
    }
    if (req.method === 'POST' && requestUrl.pathname.startsWith('/respond/')) {
      return sendJson(res, 200, interactions.respond(requestUrl.pathname.slice('/respond/'.length), parseBody(await readBody(req), req.headers['content-type'], true)));
    }
    if (req.method === 'POST' && (requestUrl.pathname === '/ui/command' || requestUrl.pathname === '/ui/action')) {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new ConsoleRequestError(415, 'json_only', 'send application/json');
      const origin = req.headers.origin;
      if (origin !== undefined && !hosts.has(origin.replace(/^http:\/\//, ''))) throw new ConsoleRequestError(403, 'bad_origin');
      const body = parseJson(await readBody(req));
      return sendJson(res, 200, requestUrl.pathname === '/ui/command' ? await interactions.command(body) : await interactions.action(body));
    }
    throw new ConsoleRequestError(404, 'not_found');
  }

  function sendPage(res: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    const html = pageHtml({ seq: live.seq, nonce, banner, command: config.command, botName: BOT.name, userId: config.userId, channels: workspace.channels(), messages: workspace.messages(), render: renderOptions() });
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': contentSecurityPolicy(nonce),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(html);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  api.url = url;
  hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  return {
    url,
    slackApiUrl: `${url}/api/`,
    messages: () => workspace.messages(),
    setBanner(text) {
      banner = text;
      live.publish({ kind: 'banner', text: text ?? '' });
    },
    async close() {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await writer?.flush();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return readBytes(req, MAX_BODY_BYTES).then((bytes) => bytes.toString('utf8'));
}

function readBytes(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new ConsoleRequestError(413, 'request_too_large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON, or form fields as @slack/web-api sends them; a response_url may also get a form with one `payload` field. */
function parseBody(text: string, contentType: string | undefined, payloadField = false): Record<string, unknown> {
  if (!text) return {};
  if ((contentType ?? '').includes('application/json')) return record(parseJson(text));
  const form: Record<string, unknown> = Object.fromEntries(new URLSearchParams(text));
  if (payloadField && typeof form['payload'] === 'string') return record(parseJson(form['payload']));
  return form;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConsoleRequestError(400, 'invalid_json');
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** An uploaded file, as an image for the page (same origin: its CSP allows `img-src 'self'`). */
function sendFile(res: ServerResponse, file: { mimetype: string; data: Buffer } | undefined): void {
  if (!file) throw new ConsoleRequestError(404, 'file_not_found');
  res.writeHead(200, { 'Content-Type': file.mimetype, 'Content-Length': String(file.data.length), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, max-age=86400' });
  res.end(file.data);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
