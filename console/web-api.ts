// The subset of Slack's Web API that oombot calls, answered from the console's workspace, so the production
// WebClient (slackApiUrl pointed here) runs unchanged. Answers have Slack's shapes and its error codes
// (api.slack.com/methods/<method>#errors); Slack answers HTTP 200 with `ok: false` for a refused call. Arguments arrive
// as @slack/web-api sends them: form fields, with blocks as a JSON string. The transport around it — the token, scopes,
// rate limits, forced failures — is slack-api.ts's; the message rules are slack-rules.ts's.
// Channels (docs.slack.dev/reference/methods/chat.postMessage, "Errors"): `channel_not_found` when the channel is not
// there or the app cannot see it, `not_in_channel` when the app is not a member. chat.update (docs.slack.dev/
// reference/methods/chat.update, "Errors"): the channel's ID and the message's ts are required; `message_not_found`
// when no message has that ts; `cant_update_message` when the message is not the app's own. Its `edit_window_closed`
// applies to a workspace's edit window for people's messages, not to an app's, and is never answered here.
import { checkMessage, type MessageCheck } from './slack-rules.ts';
import type { FileStore } from './slack-files.ts';
import { isChannelId, type Channel, type ConsoleMessage, type Workspace } from './workspace.ts';

export interface WebApiContext {
  workspace: Workspace;
  /** The files uploaded through Slack's external upload flow. */
  files: FileStore;
  /** The console's user: the only one who sees ephemeral messages here. */
  userId: string;
  userGroups: Record<string, string[]>;
  bot: { userId: string; botId: string; appId: string; name: string };
  team: { id: string; name: string; domain: string };
  /** The console's base URL (auth.test's `url`). */
  url: string;
  /** Collects the block and action ids Slack made up (withSlackIds), so a test can tell them from the app's own. */
  generatedIds?: Set<string>;
}

export type WebApiAnswer = Record<string, unknown> & { ok: boolean };

type Args = Record<string, unknown>;

const METHODS: Record<string, (args: Args, ctx: WebApiContext) => WebApiAnswer> = {
  'auth.test': (_args, ctx) => ({
    ok: true,
    url: `${ctx.url}/`,
    team: ctx.team.name,
    user: ctx.bot.name,
    team_id: ctx.team.id,
    user_id: ctx.bot.userId,
    bot_id: ctx.bot.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, ctx) => {
    const channel = postableChannel(args['channel'], ctx);
    if (typeof channel === 'string') return fail(channel);
    const check = checkMessage(args, { files: fileLookup(ctx), target: 'chat.postMessage' });
    if (!check.ok) return check;
    const threadTs = str(args['thread_ts']);
    const posted = ctx.workspace.post({ channel: channel.id, ...(threadTs ? { threadTs } : {}), text: check.text ?? '', blocks: withSlackIds(check.blocks ?? [], ctx.generatedIds), ephemeral: false, author: 'app' });
    return { ok: true, channel: channel.id, ts: posted.ts, message: messageObject(posted, ctx), ...warned(check) };
  },

  'chat.update': (args, ctx) => {
    const channel = str(args['channel']);
    if (!channel || !isChannelId(channel) || !ctx.workspace.channel(channel)) return fail('channel_not_found');
    const ts = str(args['ts']);
    if (!ts) return fail('invalid_arguments');
    const target = ctx.workspace.find(channel, ts);
    if (!target || target.ephemeral) return fail('message_not_found');
    if (target.author !== 'app') return fail('cant_update_message');
    const check = checkMessage(args, { files: fileLookup(ctx), target: 'chat.update' });
    if (!check.ok) return check;
    // "If you don't include [blocks], the message's previous blocks will be retained" (chat.update).
    const updated = ctx.workspace.update(target, { ...(check.text !== undefined ? { text: check.text } : {}), ...(check.blocks !== undefined ? { blocks: withSlackIds(check.blocks, ctx.generatedIds) } : {}) });
    return { ok: true, channel, ts: updated.ts, text: updated.text, message: messageObject(updated, ctx) };
  },

  'chat.postEphemeral': (args, ctx) => {
    const channel = postableChannel(args['channel'], ctx);
    if (typeof channel === 'string') return fail(channel);
    const user = str(args['user']);
    if (!user || !knownUsers(ctx).has(user)) return fail('user_not_in_channel');
    const check = checkMessage(args, { files: fileLookup(ctx), target: 'chat.postEphemeral' });
    if (!check.ok) return check;
    const threadTs = str(args['thread_ts']);
    if (user !== ctx.userId) return { ok: true, message_ts: ctx.workspace.nextTs() }; // someone else's screen
    const posted = ctx.workspace.post({ channel: channel.id, ...(threadTs ? { threadTs } : {}), text: check.text ?? '', blocks: withSlackIds(check.blocks ?? [], ctx.generatedIds), ephemeral: true, author: 'app' });
    return { ok: true, message_ts: posted.ts };
  },

  'usergroups.users.list': (args, ctx) => {
    const group = str(args['usergroup']);
    if (!group) return fail('invalid_arguments');
    const users = ctx.userGroups[group];
    return users ? { ok: true, users: [...users] } : fail('no_such_subteam');
  },

  // Slack's external upload flow (console/slack-files.ts): a URL to POST the bytes to, then the completion. A file
  // completed without channel_id stays private — visible to the app, which may show it in its own image blocks.
  'files.getUploadURLExternal': (args, ctx) => ctx.files.getUploadURL(args),

  'files.completeUploadExternal': (args, ctx) => {
    const channelArg = str(args['channel_id']);
    if (channelArg) {
      const refusal = postableChannel(channelArg, ctx);
      if (typeof refusal === 'string') return fail(refusal);
    }
    const answer = ctx.files.complete(args, (channel) => isChannelId(channel));
    if (!answer.ok || !channelArg) return answer;
    // Shared to a channel: Slack posts the file there, with initial_comment as its text.
    const threadTs = str(args['thread_ts']);
    const shared = (answer['files'] as { id: string; title: string; alt_txt?: string }[]).map((f) => ({ type: 'image', slack_file: { id: f.id }, alt_text: f.alt_txt ?? f.title, title: { type: 'plain_text', text: f.title } }));
    ctx.workspace.post({ channel: ctx.workspace.resolveChannel(channelArg)!.id, ...(threadTs ? { threadTs } : {}), text: str(args['initial_comment']) ?? '', blocks: withSlackIds(shared, ctx.generatedIds), ephemeral: false, author: 'app' });
    return answer;
  },

  'conversations.info': (args, ctx) => {
    const id = str(args['channel']);
    // conversations.info takes IDs only.
    if (!id || !isChannelId(id)) return fail('channel_not_found');
    const channel = ctx.workspace.resolveChannel(id);
    if (!channel) return fail('channel_not_found');
    // A private channel the app is not in is invisible to it: channel_not_found, as for chat.postMessage.
    return { ok: true, channel: { id: channel.id, name: channel.name, is_channel: true, is_private: false, is_archived: false, is_member: channel.member !== false, is_general: false, created: 0 } };
  },
};

export function callWebApi(method: string, args: Args, ctx: WebApiContext): WebApiAnswer {
  const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  return handler ? handler(args, ctx) : fail('unknown_method');
}

/**
 * Slack generates a block_id for a block without one, and an action_id for a button without one ("If not specified,
 * one will be generated"), and sends them back in block_actions payloads.
 */
export function withSlackIds(blocks: unknown[], generated?: Set<string>): unknown[] {
  const newId = () => {
    const id = randomId();
    generated?.add(id);
    return id;
  };
  const withActionId = (element: unknown): unknown => {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) return element;
    const e = element as Record<string, unknown>;
    return e['type'] === 'button' && typeof e['action_id'] !== 'string' ? { ...e, action_id: newId() } : e;
  };
  return blocks.map((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
    const block = { ...(raw as Record<string, unknown>) };
    if (typeof block['block_id'] !== 'string') block['block_id'] = newId();
    if (Array.isArray(block['elements']) && block['type'] === 'actions') block['elements'] = block['elements'].map(withActionId);
    if (block['accessory'] !== undefined) block['accessory'] = withActionId(block['accessory']);
    return block;
  });
}

/** The `message` object Slack returns with a posted or updated message. */
export function messageObject(m: ConsoleMessage, ctx: Pick<WebApiContext, 'bot' | 'team'>): Record<string, unknown> {
  return {
    type: 'message',
    subtype: 'bot_message',
    user: ctx.bot.userId,
    bot_id: ctx.bot.botId,
    app_id: ctx.bot.appId,
    team: ctx.team.id,
    text: m.text,
    blocks: m.blocks,
    ts: m.ts,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
  };
}

/** The files image blocks may show: the completed ones (every file here was uploaded by the app). */
export function fileLookup(ctx: Pick<WebApiContext, 'files'>) {
  return (ref: { id?: string; url?: string }) => ctx.files.lookup(ref);
}

/** The channel a message may be posted to, or Slack's refusal: channel_not_found, not_in_channel. */
function postableChannel(raw: unknown, ctx: WebApiContext): Channel | 'channel_not_found' | 'not_in_channel' {
  const named = str(raw);
  const channel = named === undefined ? undefined : ctx.workspace.resolveChannel(named);
  if (!channel) return 'channel_not_found';
  if (channel.member === false) return 'not_in_channel';
  return channel;
}

/** Slack's answer to a text it truncated: still ok, with the warning in `warning` and in response_metadata. */
function warned(check: Extract<MessageCheck, { ok: true }>): Record<string, unknown> {
  if (!check.warnings) return {};
  return { warning: check.warnings.join(','), response_metadata: { warnings: check.warnings, messages: ['[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters.'] } };
}

function knownUsers(ctx: WebApiContext): Set<string> {
  return new Set([ctx.userId, ...Object.values(ctx.userGroups).flat()]);
}

function fail(error: string): WebApiAnswer {
  return { ok: false, error };
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}

// Slack's generated ids are a few random characters ("Vr3kb").
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomId(): string {
  return Array.from({ length: 5 }, () => ID_CHARS[Math.floor(Math.random() * ID_CHARS.length)]).join('');
}
