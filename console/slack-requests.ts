// What Slack sends an app, built and signed exactly as Slack does, so the app's own verification (Bolt's) accepts the
// console like the real thing. Slack facts relied on:
// - Signing (api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Request-Timestamp` is Unix seconds
//   and `X-Slack-Signature` is "v0=" + hex HMAC-SHA256, keyed by the signing secret, of "v0:<timestamp>:<raw body>".
// - A slash command is an `application/x-www-form-urlencoded` POST of token, team_id, team_domain, channel_id,
//   channel_name, user_id, user_name, command, text, api_app_id, is_enterprise_install, response_url, trigger_id
//   (api.slack.com/interactivity/slash-commands#app_command_handling).
// - A button click is a form POST with one field, `payload`, holding a `block_actions` JSON object
//   (api.slack.com/reference/interaction-payloads/block-actions).
// - The app must answer within 3 seconds; otherwise the user sees `/oom failed with the error "operation_timeout"`,
//   and when the app cannot be reached or answers with an error status, "dispatch_failed".
import { createHmac, randomBytes } from 'node:crypto';
import { toOombotError } from '#shared/errors.ts';

export const SLACK_ACK_TIMEOUT_MS = 3000;

export interface Identity {
  teamId: string;
  teamDomain: string;
  appId: string;
  userId: string;
  userName: string;
  /** The legacy verification token Slack still sends in every request; Bolt ignores it. */
  verificationToken: string;
}

export interface SlashCommand {
  command: string;
  text: string;
  channel: { id: string; name: string };
  responseUrl: string;
}

export function slashCommandBody(who: Identity, c: SlashCommand): string {
  return new URLSearchParams({
    token: who.verificationToken,
    team_id: who.teamId,
    team_domain: who.teamDomain,
    channel_id: c.channel.id,
    channel_name: c.channel.name,
    user_id: who.userId,
    user_name: who.userName,
    command: c.command,
    text: c.text,
    api_app_id: who.appId,
    is_enterprise_install: 'false',
    response_url: c.responseUrl,
    trigger_id: triggerId(),
  }).toString();
}

export interface ButtonClick {
  channel: { id: string; name: string };
  /** The message as the user sees it; Slack leaves `message` out for an ephemeral one. */
  message: { ts: string; text: string; blocks: unknown[]; threadTs?: string; ephemeral: boolean };
  botUserId: string;
  botId: string;
  action: { action_id: string; block_id: string; value?: string; text?: unknown; style?: string; url?: string };
  responseUrl: string;
  actionTs: string;
}

export function blockActionsBody(who: Identity, click: ButtonClick): string {
  const m = click.message;
  const payload = {
    type: 'block_actions',
    user: { id: who.userId, username: who.userName, name: who.userName, team_id: who.teamId },
    api_app_id: who.appId,
    token: who.verificationToken,
    container: { type: 'message', message_ts: m.ts, channel_id: click.channel.id, is_ephemeral: m.ephemeral, ...(m.threadTs ? { thread_ts: m.threadTs } : {}) },
    trigger_id: triggerId(),
    team: { id: who.teamId, domain: who.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: click.channel.id, name: click.channel.name },
    ...(m.ephemeral
      ? {}
      : { message: { type: 'message', user: click.botUserId, bot_id: click.botId, app_id: who.appId, team: who.teamId, text: m.text, blocks: m.blocks, ts: m.ts, ...(m.threadTs ? { thread_ts: m.threadTs } : {}) } }),
    state: { values: {} },
    response_url: click.responseUrl,
    actions: [{ type: 'button', ...click.action, action_ts: click.actionTs }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export type AppReply = { ok: true; status: number; contentType: string; body: string } | { ok: false; error: 'dispatch_failed' | 'operation_timeout'; detail: string };

/** POSTs a signed form to the app as Slack would, waiting Slack's 3 seconds for the acknowledgement. */
export async function sendToApp(appUrl: string, signingSecret: string, body: string, timeoutMs = SLACK_ACK_TIMEOUT_MS): Promise<AppReply> {
  const timestamp = Math.floor(Date.now() / 1000);
  let res: Response;
  try {
    res = await fetch(appUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        'X-Slack-Request-Timestamp': String(timestamp),
        'X-Slack-Signature': slackSignature(signingSecret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { ok: false, error: timedOut ? 'operation_timeout' : 'dispatch_failed', detail: timedOut ? `no answer from ${appUrl} within ${timeoutMs / 1000} s` : `cannot reach ${appUrl}: ${causeOf(error)}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status !== 200) return { ok: false, error: 'dispatch_failed', detail: `${appUrl} answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  return { ok: true, status: res.status, contentType: res.headers.get('content-type') ?? '', body: text };
}

/** Like Slack's "13345224609.738474920.8088930838d88f008e0". */
function triggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(10).toString('hex')}`;
}

/** fetch says only "fetch failed"; what failed is its cause (ECONNREFUSED, …). */
function causeOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return toOombotError(cause ?? error).message;
}
