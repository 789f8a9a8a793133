// The console's stand-in for a Slack workspace: its channels and the messages in them, with Slack's rules for message
// timestamps and threads. In memory; server.ts persists a snapshot and turns each change into a live event. Slack facts
// relied on (api.slack.com/messaging/retrieving#individual_messages and #threading): a message's `ts` is unique per
// channel and increases, written "seconds.microseconds" with six digits ("1764238443.000100"); a reply's thread_ts is
// its root's ts, and a reply posted with a reply's ts as thread_ts lands in the root's thread; chat.postMessage takes a
// channel ID or a name ("#oom-alerts") while chat.update needs the ID (a name is channel_not_found).
// Channels: the console's workspace has every channel the app names (made on first use), as someone trying oombot
// locally expects; the tests' workspace can instead know only the channels declared, each with whether the app is a
// member, so that Slack's `channel_not_found` and `not_in_channel` (web-api.ts) can be met.
import * as z from 'zod';
import { StoredFileSchema } from './slack-files.ts';

export const ConsoleMessageSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  threadTs: z.string().optional(),
  text: z.string(),
  blocks: z.array(z.unknown()),
  /** Shown to the console's user only ("Only visible to you"); never persisted, as Slack forgets them on reload. */
  ephemeral: z.boolean(),
  /** The app posted it, or the console speaks as Slackbot (a failed slash command). */
  author: z.enum(['app', 'slackbot']),
  /** How many times chat.update or replace_original changed it. */
  updates: z.number().int().nonnegative(),
  /** For an answer to a slash command: the command as typed. */
  command: z.string().optional(),
});
export type ConsoleMessage = z.infer<typeof ConsoleMessageSchema>;

export const ChannelSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** false when the app is not in the channel (a private channel it was not invited to); absent means it is. */
  member: z.boolean().optional(),
});
export type Channel = z.infer<typeof ChannelSchema>;

export const WorkspaceSnapshotSchema = z.object({
  version: z.literal(1),
  /** The last ts handed out, so that timestamps keep increasing across restarts. */
  lastTs: z.string().regex(/^\d+\.\d{6}$/),
  channels: z.array(ChannelSchema),
  messages: z.array(ConsoleMessageSchema),
  /** Files uploaded through files.getUploadURLExternal (console/slack-files.ts), which image blocks show. */
  files: z.array(StoredFileSchema).optional(),
});
export type WorkspaceSnapshot = z.infer<typeof WorkspaceSnapshotSchema>;

export type WorkspaceChange = { kind: 'message' | 'update' | 'delete'; message: ConsoleMessage; channel: Channel };

export class Workspace {
  private readonly channelsById = new Map<string, Channel>();
  private readonly list: ConsoleMessage[] = [];
  private lastMicros = 0;
  private listeners: ((change: WorkspaceChange) => void)[] = [];

  /** false: only declared channels exist (declareChannel); a name or ID never seen is channel_not_found. */
  anyChannel = true;

  /** `newChannelId`: the ID a channel made for a new name gets (n counts the channels so far, from 1). */
  constructor(
    snapshot?: WorkspaceSnapshot,
    channelNames: Record<string, string> = {},
    private readonly newChannelId: (name: string, n: number) => string = (_name, n) => localId(n),
  ) {
    for (const c of snapshot?.channels ?? []) this.channelsById.set(c.id, c);
    for (const [id, name] of Object.entries(channelNames)) this.channelsById.set(id, { id, name: name.replace(/^#/, '') });
    this.list.push(...(snapshot?.messages ?? []));
    if (snapshot) this.lastMicros = tsToMicros(snapshot.lastTs);
  }

  onChange(listener: (change: WorkspaceChange) => void): void {
    this.listeners.push(listener);
  }

  /** A new ts: now, or just after the last one when the clock has not moved (or went back). */
  nextTs(now = Date.now()): string {
    this.lastMicros = Math.max(now * 1000, this.lastMicros + 1);
    return microsToTs(this.lastMicros);
  }

  channels(): Channel[] {
    return [...this.channelsById.values()];
  }

  channel(id: string): Channel | undefined {
    return this.channelsById.get(id);
  }

  /**
   * The channel a chat.postMessage names: an ID (upper case, as Slack's are) or a name ("#alerts" or "alerts"). With
   * anyChannel, one never seen is made, as the local workspace has every channel you name; otherwise it is undefined.
   */
  resolveChannel(nameOrId: string): Channel | undefined {
    const known = isChannelId(nameOrId) ? this.channelsById.get(nameOrId) : this.byName(nameOrId.replace(/^#/, ''));
    if (known || !this.anyChannel) return known;
    if (isChannelId(nameOrId)) return this.ensureChannel(nameOrId, nameOrId);
    const name = nameOrId.replace(/^#/, '');
    let n = this.channelsById.size + 1;
    while (this.channelsById.has(this.newChannelId(name, n))) n += 1;
    return this.ensureChannel(this.newChannelId(name, n), name);
  }

  /** Declares a channel (or changes it): its name and whether the app is a member. */
  declareChannel(channel: Channel): Channel {
    const declared = { id: channel.id, name: channel.name.replace(/^#/, ''), ...(channel.member === false ? { member: false } : {}) };
    this.channelsById.set(declared.id, declared);
    return declared;
  }

  private byName(name: string): Channel | undefined {
    return [...this.channelsById.values()].find((c) => c.name === name);
  }

  ensureChannel(id: string, name: string): Channel {
    const existing = this.channelsById.get(id);
    if (existing) return existing;
    const channel = { id, name };
    this.channelsById.set(id, channel);
    return channel;
  }

  messages(): ConsoleMessage[] {
    return structuredClone(this.list);
  }

  find(channel: string, ts: string): ConsoleMessage | undefined {
    return this.list.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Posts a message; a thread_ts naming a reply is moved to that reply's root, as Slack does. */
  post(message: Omit<ConsoleMessage, 'ts' | 'updates'>): ConsoleMessage {
    const root = message.threadTs === undefined ? undefined : this.find(message.channel, message.threadTs);
    const threadTs = root?.threadTs ?? message.threadTs;
    const posted: ConsoleMessage = { ...message, ...(threadTs !== undefined ? { threadTs } : {}), ts: this.nextTs(), updates: 0 };
    this.list.push(posted);
    this.emit('message', posted);
    return posted;
  }

  /** A message that was in the channel before (a test's earlier alert), kept with its own ts. */
  insert(message: ConsoleMessage): ConsoleMessage {
    this.list.push(message);
    if (/^\d+\.\d{6}$/.test(message.ts)) this.lastMicros = Math.max(this.lastMicros, tsToMicros(message.ts));
    return message;
  }

  update(target: ConsoleMessage, change: { text?: string; blocks?: unknown[] }): ConsoleMessage {
    if (change.text !== undefined) target.text = change.text;
    if (change.blocks !== undefined) target.blocks = change.blocks;
    target.updates += 1;
    this.emit('update', target);
    return target;
  }

  remove(target: ConsoleMessage): void {
    const i = this.list.indexOf(target);
    if (i === -1) return;
    this.list.splice(i, 1);
    this.emit('delete', target);
  }

  /** What survives a restart: channels and messages everyone sees (ephemeral ones are gone, as in Slack). */
  snapshot(): WorkspaceSnapshot {
    return { version: 1, lastTs: microsToTs(this.lastMicros), channels: this.channels(), messages: structuredClone(this.list.filter((m) => !m.ephemeral)) };
  }

  private emit(kind: WorkspaceChange['kind'], message: ConsoleMessage): void {
    const channel = this.channelsById.get(message.channel) ?? { id: message.channel, name: message.channel };
    for (const listener of this.listeners) listener({ kind, message: structuredClone(message), channel });
  }
}

/** Slack's IDs are upper case ("C024BE91L"); names are lower case and may start with "#". */
export function isChannelId(value: string): boolean {
  return /^[A-Z0-9][A-Z0-9_-]*$/.test(value);
}

function localId(n: number): string {
  return `C0LOCAL${String(n).padStart(3, '0')}`;
}

function microsToTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

function tsToMicros(ts: string): number {
  const [seconds = '0', micros = '0'] = ts.split('.');
  return Number(seconds) * 1_000_000 + Number(micros);
}
