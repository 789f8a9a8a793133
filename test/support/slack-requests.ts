// Requests as Slack sends them to the slack function through API Gateway (HTTP API, payload 2.0): slash commands and
// button clicks (block_actions), signed with the app's signing secret exactly as Slack signs them.
import { createHmac, randomUUID } from 'node:crypto';

export interface SlackRequestOptions {
  secret: string;
  /** Where Slack would take the answer: `${slackDouble.url}/respond/<id>`. */
  respondBase: string;
  user?: string;
  timestamp?: number;
}

export function slashCommand(text: string, o: SlackRequestOptions) {
  return signed(new URLSearchParams({ token: 'deprecated', team_id: 'T0TEAM', channel_id: 'C-ALERTS', user_id: o.user ?? 'U0ALICE', user_name: 'alice', command: '/oom', text, response_url: `${o.respondBase}/${randomUUID()}`, trigger_id: '1.2.3' }).toString(), o);
}

/** A block_actions payload as Slack sends it from a message in `channel`, with the one action taken. */
function blockActions(o: SlackRequestOptions, triggerId: string, message: { channel: string; ts: string; text: string; blocks?: unknown[] }, action: Record<string, unknown>) {
  const payload = {
    type: 'block_actions',
    user: { id: o.user ?? 'U0BOB', username: 'bob', team_id: 'T0TEAM' },
    team: { id: 'T0TEAM', domain: 'acme' },
    api_app_id: 'A0OOMBOT',
    token: 'deprecated',
    trigger_id: triggerId,
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'alerts' },
    message: { ts: message.ts, type: 'message', text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) },
    response_url: `${o.respondBase}/${randomUUID()}`,
    actions: [action],
  };
  return signed(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), o);
}

export function click(actionId: string, value: string, o: SlackRequestOptions & { message?: { channel?: string; ts: string; blocks: unknown[] }; actionTs?: string }) {
  const message = { channel: o.message?.channel ?? 'C-ALERTS', ts: o.message?.ts ?? '1.1', text: 'alert', ...(o.message ? { blocks: o.message.blocks } : {}) };
  return blockActions(o, '1.2.4', message, { type: 'button', action_id: actionId, block_id: 'oombot-actions', value, text: { type: 'plain_text', text: 'x' }, action_ts: o.actionTs ?? (Date.now() / 1000).toFixed(6) });
}

/** A choice in a static_select (block_actions), as Slack sends it: the chosen option's text and value. */
export function choose(actionId: string, option: { text: string; value: string }, o: SlackRequestOptions & { message: { channel: string; ts: string; blocks: unknown[] }; blockId?: string }) {
  return blockActions(o, '1.2.5', { ...o.message, text: 'storm' }, { type: 'static_select', action_id: actionId, block_id: o.blockId ?? 'oombot-storm-pick', selected_option: { text: { type: 'plain_text', text: option.text }, value: option.value }, action_ts: (Date.now() / 1000).toFixed(6) });
}

/** Any body as an API Gateway event, signed with `secret` (a wrong one makes a forged request). */
export function signed(body: string, { secret, timestamp = Math.floor(Date.now() / 1000) }: { secret: string; timestamp?: number }) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/slack/events' }, requestId: randomUUID() },
  };
}
