// The user's side of Slack for the console: a slash command or a button click is sent to the app as Slack sends it
// (slack-requests.ts), and whatever the app answers — the command's acknowledgement body, or messages it sends to the
// response_url — is shown as Slack shows it. Slack facts relied on (api.slack.com/interactivity/handling#message_responses):
// a response_url "can be used up to 5 times within 30 minutes" (slack-rules.ts); `replace_original` / `delete_original` act on the
// message the click came from; `response_type: in_channel` posts for everyone, and the default (`ephemeral`) shows the
// answer to the user only; a command's acknowledgement body is an answer like one sent to its response_url.
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { checkMessage, responseUrlRefusal, type FileLookup } from './slack-rules.ts';
import { ConsoleRequestError } from './request-error.ts';
import { blockActionsBody, sendToApp, slashCommandBody, type AppReply, type Identity } from './slack-requests.ts';
import { withSlackIds } from './web-api.ts';
import type { Channel, ConsoleMessage, Workspace } from './workspace.ts';

export interface InteractionsConfig {
  workspace: Workspace;
  who: Identity;
  bot: { userId: string; botId: string };
  /** The slash command the console sends, e.g. /oom. */
  command: string;
  appUrl: string;
  signingSecret: string;
  /** The console's base URL, for response_urls (known once it listens). */
  baseUrl: () => string;
  /** The uploaded files an answer's image blocks may show. */
  files?: FileLookup;
}

interface ResponseTarget {
  channel: string;
  threadTs?: string;
  /** The message a button was clicked on: what replace_original and delete_original act on. */
  origin?: { channel: string; ts: string };
  /** For a command: the command as typed, and its last answer (a command's "original"). */
  command?: string;
  lastAnswerTs?: string;
  createdAt: number;
  uses: number;
}

const CommandSchema = z.object({ text: z.string().max(4000), channel: z.string().optional() });
const ActionSchema = z.object({ channel: z.string(), ts: z.string(), actionId: z.string(), blockId: z.string().optional(), value: z.string().optional() });

export class Interactions {
  private readonly responses = new Map<string, ResponseTarget>();

  constructor(private readonly config: InteractionsConfig) {}

  /** POST /ui/command: sends the command; the acknowledgement's body, if any, is the first answer. */
  async command(body: unknown): Promise<{ ok: true }> {
    const input = CommandSchema.safeParse(body);
    if (!input.success) throw new ConsoleRequestError(400, 'invalid_arguments', input.error.issues[0]?.message);
    const { command, who } = this.config;
    const channel = this.commandChannel(input.data.channel);
    const text = input.data.text.trim();
    const typed = `${command}${text ? ` ${text}` : ''}`;
    const { responseUrl, target } = this.newResponseUrl({ channel: channel.id, command: typed });
    const reply = await this.send(slashCommandBody(who, { command, text, channel, responseUrl }));
    if (!reply.ok) {
      this.slackbotFailure(channel, typed, reply);
      throw new ConsoleRequestError(502, reply.error, reply.detail);
    }
    const answer = ackPayload(reply);
    if (!answer) return { ok: true };
    try {
      this.apply(target, answer);
    } catch (error) {
      if (!(error instanceof ConsoleRequestError)) throw error;
      this.slackbotFailure(channel, typed, { error: error.error, ...(error.detail ? { detail: error.detail } : {}) });
      throw new ConsoleRequestError(502, error.error, `the app's answer was refused: ${error.detail ?? error.error}`);
    }
    return { ok: true };
  }

  /** POST /ui/action: sends a click on a button, or a choice in a select, of a shown message as block_actions. */
  async action(body: unknown): Promise<{ ok: true }> {
    const input = ActionSchema.safeParse(body);
    if (!input.success) throw new ConsoleRequestError(400, 'invalid_arguments', input.error.issues[0]?.message);
    const { channel: channelId, ts, actionId, blockId } = input.data;
    const { workspace, who, bot } = this.config;
    const message = workspace.find(channelId, ts);
    if (!message) throw new ConsoleRequestError(404, 'message_not_found');
    // What the app receives comes from the message as stored, as Slack sends it, not from what the page says.
    const button = findButton(message.blocks, actionId, blockId);
    if (!button) throw new ConsoleRequestError(404, 'action_not_found', `no button ${actionId} on message ${ts}`);
    const channel = workspace.channel(channelId) ?? { id: channelId, name: channelId };
    const e = button.element;
    // A select sends the option chosen, which must be one of its own (as Slack's client offers no other).
    const chosen = e['type'] === 'static_select' ? (Array.isArray(e['options']) ? e['options'] : []).map(record).find((o) => o['value'] === input.data.value) : undefined;
    if (e['type'] === 'static_select' && !chosen) throw new ConsoleRequestError(400, 'invalid_arguments', `no option ${input.data.value ?? ''} in ${actionId}`);
    const { responseUrl } = this.newResponseUrl({ channel: channelId, ...(message.threadTs ? { threadTs: message.threadTs } : {}), origin: { channel: channelId, ts } });
    const action = chosen
      ? { type: 'static_select', action_id: actionId, block_id: button.blockId, selected_option: { text: chosen['text'], value: chosen['value'] } }
      : {
          action_id: actionId,
          block_id: button.blockId,
          ...(e['text'] !== undefined ? { text: e['text'] } : {}),
          ...(typeof e['value'] === 'string' ? { value: e['value'] } : {}),
          ...(typeof e['style'] === 'string' ? { style: e['style'] } : {}),
          ...(typeof e['url'] === 'string' ? { url: e['url'] } : {}),
        };
    const shown = { ts: message.ts, text: message.text, blocks: message.blocks, ...(message.threadTs ? { threadTs: message.threadTs } : {}), ephemeral: message.ephemeral };
    const reply = await this.send(blockActionsBody(who, { channel, message: shown, botUserId: bot.userId, botId: bot.botId, action, responseUrl, actionTs: workspace.nextTs() }));
    if (!reply.ok) throw new ConsoleRequestError(502, reply.error, reply.detail);
    return { ok: true };
  }

  /** POST /respond/<id>: an answer the app sends to a response_url. */
  respond(id: string, body: Record<string, unknown>): { ok: true } {
    const target = this.responses.get(id);
    // Counted from the click or the command that made it; the limits and the answers are slack-rules.ts's RESPONSE_URL.
    if (!target) throw new ConsoleRequestError(404, 'expired_url');
    const refusal = responseUrlRefusal({ firstAt: target.createdAt, uses: target.uses }, Date.now());
    if (refusal) throw new ConsoleRequestError(404, refusal);
    this.apply(target, body);
    target.uses += 1;
    return { ok: true };
  }

  private send(body: string): Promise<AppReply> {
    return sendToApp(this.config.appUrl, this.config.signingSecret, body);
  }

  private newResponseUrl(fields: Omit<ResponseTarget, 'createdAt' | 'uses'>): { responseUrl: string; target: ResponseTarget } {
    const id = randomBytes(16).toString('hex');
    const target = { ...fields, createdAt: Date.now(), uses: 0 };
    this.responses.set(id, target);
    return { responseUrl: `${this.config.baseUrl()}/respond/${id}`, target };
  }

  private originalOf(target: ResponseTarget): ConsoleMessage | undefined {
    const { workspace } = this.config;
    if (target.origin) return workspace.find(target.origin.channel, target.origin.ts);
    return target.lastAnswerTs ? workspace.find(target.channel, target.lastAnswerTs) : undefined;
  }

  private apply(target: ResponseTarget, payload: Record<string, unknown>): void {
    const { workspace } = this.config;
    const flag = (key: string) => payload[key] === true || payload[key] === 'true';
    if (flag('delete_original')) {
      const original = this.originalOf(target);
      if (original) workspace.remove(original);
      return;
    }
    const check = checkMessage(payload, { files: this.config.files, target: 'response_url' });
    if (!check.ok) throw new ConsoleRequestError(400, check.error, check.errors?.join('; '));
    const blocks = withSlackIds(check.blocks ?? []);
    const original = flag('replace_original') ? this.originalOf(target) : undefined;
    if (original) {
      workspace.update(original, { text: check.text ?? '', blocks });
      return;
    }
    const threadTs = typeof payload['thread_ts'] === 'string' ? payload['thread_ts'] : target.threadTs;
    const ephemeral = payload['response_type'] !== 'in_channel';
    const posted = workspace.post({
      channel: target.channel,
      ...(threadTs ? { threadTs } : {}),
      text: check.text ?? '',
      blocks,
      ephemeral,
      author: 'app',
      ...(target.command !== undefined ? { command: target.command } : {}),
    });
    if (ephemeral) target.lastAnswerTs = posted.ts;
  }

  /** The channel named, or the one with the latest message, or a #general made for the purpose. */
  private commandChannel(id: string | undefined): Channel {
    const { workspace } = this.config;
    if (id !== undefined) {
      const channel = workspace.channel(id);
      if (!channel) throw new ConsoleRequestError(404, 'channel_not_found', `no channel ${id} in the console`);
      return channel;
    }
    const latest = workspace.messages().at(-1)?.channel;
    return (latest && workspace.channel(latest)) || workspace.channels()[0] || workspace.ensureChannel('C0GENERAL', 'general');
  }

  /** Tells the user, as Slackbot does, that the app did not take the command. */
  private slackbotFailure(channel: Channel, typed: string, failure: { error: string; detail?: string }): void {
    const main = `${this.config.command} failed with the error "${failure.error}"`;
    this.config.workspace.post({
      channel: channel.id,
      text: main,
      blocks: [
        { type: 'section', block_id: 'failure', text: { type: 'plain_text', text: main } },
        ...(failure.detail ? [{ type: 'context', block_id: 'detail', elements: [{ type: 'plain_text', text: failure.detail }] }] : []),
      ],
      ephemeral: true,
      author: 'slackbot',
      command: typed,
    });
  }
}

/** A command's acknowledgement with a body is its first answer: JSON as a message, plain text as its text. */
function ackPayload(reply: Extract<AppReply, { ok: true }>): Record<string, unknown> | undefined {
  if (!reply.body.trim()) return undefined;
  if (reply.contentType.includes('application/json')) {
    try {
      return record(JSON.parse(reply.body));
    } catch {
      return { text: reply.body };
    }
  }
  return { text: reply.body };
}

/** The button a click names: in an actions block or as a section's accessory. */
function findButton(blocks: unknown[], actionId: string, blockId: string | undefined): { blockId: string; element: Record<string, unknown> } | undefined {
  for (const raw of blocks) {
    const block = record(raw);
    if (blockId !== undefined && block['block_id'] !== blockId) continue;
    const elements = block['type'] === 'actions' && Array.isArray(block['elements']) ? block['elements'] : block['type'] === 'section' && block['accessory'] ? [block['accessory']] : [];
    const element = elements.map(record).find((e) => (e['type'] === 'button' || e['type'] === 'static_select') && e['action_id'] === actionId);
    if (element) return { blockId: String(block['block_id'] ?? ''), element };
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
