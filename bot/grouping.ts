// Quiet under storms (docs/architecture.md, "Reliability rules"): repeats of one story share the first alert's thread.
// An occurrence is counted into its repeat group (store/port.ts's RepeatGroups), and its place decides what Slack sees:
// the group's first alert, a reply in its thread, or only a move of the root's counter.
import type { ChatPostMessageArguments, ChatUpdateArguments } from '@slack/web-api';
import { WorkloadRef } from '../kube/workloads.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { GroupMessage, MessageRef, RepeatGroup, RepeatGroups, Storms } from '../store/port.ts';
import type { StormPlace, StormSettings } from '../store/storms.ts';
import type { Block, KnownBlock } from '@slack/types';
import { HANDLED_BLOCK, RECURRED_BLOCK, WARNING_BLOCK, withCounter, withRecurred, type AlertMessage } from './alert.ts';
import { holdsBlock, renewBlockIds } from './block-ids.ts';
import { CHART_FAILED, slackErrorCode, type ChartPicture } from './chart-upload.ts';
import { bestEffort, logFailure } from './failures.ts';
import { withCurrentMute, type MuteStateStore } from './mute-state.ts';
import { clip, SLACK_LIMITS } from './slack-limits.ts';
import { finishStorm, renderStorm, updateStormRoot } from './storms.ts';

/**
 * The two chat methods used, as @slack/web-api's WebClient has them; analyze's waits out Slack's rate limits within
 * the invocation's time (bot/slack-rate-limits.ts).
 */
export interface SlackChat {
  postMessage(args: ChatPostMessageArguments): Promise<{ ok?: boolean; ts?: string; channel?: string }>;
  update(args: ChatUpdateArguments): Promise<{ ok?: boolean }>;
}

/**
 * A group's first alert, then at most this many replies in its thread; beyond that an occurrence only raises the
 * root's counter, and the counter is rewritten at most every COUNTER_INTERVAL_MS, the last time with the last count
 * (latestCounter). Slack allows about one message per second per channel, so a storm of 1,000 as replies would take 17
 * minutes to post.
 */
export const MAX_THREAD_REPLIES = 10;
export const COUNTER_INTERVAL_MS = 10_000;
/** How long a repeat waits for its group's first alert to be posted by a concurrent invocation. */
const FIRST_POST_WAIT_MS = 5_000;

/** How long a group stays open after its last occurrence, unless configured (OOMBOT_REPEAT_WINDOW, OOMBOT_EVICTION_WINDOW). */
export const DEFAULT_REPEAT_WINDOW_MS = 60 * 60_000;
export const DEFAULT_EVICTION_WINDOW_MS = 10 * 60_000;

/** Many evictions from one node are one story (the node ran out); repeats of one container's death are another. */
export function groupKeyOf(cluster: string, verdict: Verdict): string {
  return verdict.kind === 'eviction' && verdict.node ? `evict/${cluster}/${verdict.node}` : `repeat/${cluster}/${verdict.pod.namespace}/${WorkloadRef.key(WorkloadRef.of(verdict))}/${verdict.container}/${verdict.cause}`;
}

/** A node that keeps running out of memory is one story too. */
export function nodeOomGroupKey(cluster: string, node: string): string {
  return `nodeoom/${cluster}/${node}`;
}

/** What Slack sees of an occurrence, from its place in its group. */
export type Placement =
  /** Its own message. `root`: it becomes the group's first message, for later repeats to thread under. */
  | { as: 'alert'; root: boolean }
  /**
   * A reply in the root's thread (`reply`), or nothing but the root's counter (`counted`). The counter is rewritten
   * after every reply (`update`), at most every COUNTER_INTERVAL_MS with the latest count once only it moves
   * (`latest`), and never for a group that has closed.
   */
  | { as: 'reply' | 'counted'; root: GroupMessage; counter: 'update' | 'latest' | 'none' };

export function placementOf(group: RepeatGroup): Placement {
  // The first of its group, or a repeat whose first never appeared: it stands alone rather than be lost. A retry
  // counted in a group that has closed since never becomes the root of the open one.
  if (group.count === 1 || !group.message) return { as: 'alert', root: !group.closed };
  const threaded = group.count <= MAX_THREAD_REPLIES + 1;
  // Without the root's blocks there is nothing to redraw the counter on.
  const counter = group.closed || !group.message.blocks ? 'none' : threaded ? 'update' : 'latest';
  return { as: threaded ? 'reply' : 'counted', root: group.message, counter };
}

/** What an occurrence's group shows: its first alert, a reply in the thread, and the counter line of the root. */
export interface GroupMessages {
  /** The alert's picture, uploaded (bot/chart-upload.ts): asked for only when the occurrence gets a message of its own. */
  picture?(): Promise<ChartPicture | undefined>;
  /** The alert, with its picture when there is one. */
  first(picture?: ChartPicture): AlertMessage;
  reply(): AlertMessage;
  /**
   * The reply under a root that was handled (its fix applied, bot/alert.ts withHandled): the root no longer offers
   * the button, so a death after the fix offers it here, sized from this death. Without it, `reply`.
   */
  handledReply?(): AlertMessage;
  counter(count: number, firstAt: number): string;
}

export interface GroupPost {
  groupKey: string;
  /** Counts the occurrence once into its group, even when a retry comes back after a failed post. */
  occurrenceId: string;
  windowMs: number;
  now: number;
  channel: string;
  /** Called as soon as Slack has the message (or, for a counted one, as soon as its place is taken). */
  markPosted(message: MessageRef): Promise<void>;
  /**
   * Where a new alert goes instead when Slack answers that `channel` is not there or oombot is not in it (the default
   * channel), and the line it then carries (bot/routing.ts unreachableChannelNote). Without it, or when it fails too,
   * the answer is a ChannelUnreachableError: a real failure, retried by the bus.
   */
  fallback?: { channel: string; note: string };
  /**
   * What a storm root says of this occurrence's group, and the channel's storm settings (bot/storms.ts): a pod's death
   * or eviction may be counted in its channel's storm. Without it (warnings, node OOMs) the group goes its own way.
   */
  storm?: { settings: StormSettings; cause: string; label: string; node?: string | undefined; counter?: string | undefined; timeLeft?: (() => number) | undefined };
}

/** Slack's answers for a channel that is not there, or that oombot cannot post in (chat.postMessage, "Errors"). */
const UNREACHABLE = new Set(['channel_not_found', 'not_in_channel']);

/** The line under an alert's header that says it came here because its own channel failed. */
export const CHANNEL_NOTE_BLOCK = 'oombot-channel-note';

/** Slack refused a channel that is oombot's last resort: the message names the channel and the fix. */
export class ChannelUnreachableError extends Error {
  override name = 'ChannelUnreachableError';
  readonly code = 'SLACK_CHANNEL_UNREACHABLE';
  constructor(
    readonly channel: string,
    readonly slackError: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack answered ${slackError} for ${channel}: invite @oombot to ${channel}, or set OOMBOT_DEFAULT_CHANNEL to a channel it is in`, options);
  }
}

/** Where the occurrence went; for a message of its own in the channel, its blocks as posted (JSON). */
export type GroupOutcome = { status: 'posted'; channel: string; ts: string; blocks: string; inStorm?: true } | { status: 'threaded' | 'counted'; channel: string; ts: string };

/**
 * Posts an occurrence into its repeat group: the first as its own message; later ones within the window as replies in
 * its thread (at most MAX_THREAD_REPLIES), then only as the root's counter, rewritten at most every COUNTER_INTERVAL_MS
 * and always once more after the last repeat, with its count.
 */
export async function postInGroup(
  deps: { store: RepeatGroups & Storms & MuteStateStore; slack: SlackChat },
  g: GroupPost,
  messages: GroupMessages,
): Promise<GroupOutcome> {
  const group = await deps.store.recordRepeat(g.groupKey, g.now, g.windowMs, g.occurrenceId);
  // Where the channel's storm counts it, if it has one (bot/storms.ts): the store decides, atomically per channel.
  const stormPlace = async (): Promise<StormPlace | undefined> => {
    if (!g.storm || group.closed) return undefined;
    const { settings, cause, label, node, counter } = g.storm;
    return deps.store.placeInStorm(g.channel, { occurrenceId: g.occurrenceId, groupKey: g.groupKey, firstAt: group.firstAt, count: group.count, now: g.now, cause, label, node, counter }, settings);
  };
  let storm = await stormPlace();
  // A repeat that arrived while a concurrent invocation is still posting the first waits for it, briefly — many pods of
  // one workload often die together. (A closed group's root is what it was; the open group's is not its own.) Its first
  // may be joining the channel's storm meanwhile: then so does it.
  for (let waited = 0; group.count > 1 && !group.message && !group.closed && !storm?.in && waited < FIRST_POST_WAIT_MS; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    const message = await deps.store.repeatMessage(g.groupKey);
    if (message) group.message = message;
    else storm = await stormPlace();
  }
  const finished = storm?.finished;
  // A group's root redrawn by the storm (its counter) shows its mute as it stands (bot/mute-state.ts); the storm's own
  // root has no Mute button and is sent as it is.
  const updateRoot = async (root: MessageRef, m: AlertMessage) => {
    await deps.slack.update({ channel: root.channel, ts: root.ts, text: m.text, blocks: renewBlockIds(await withCurrentMute(deps.store, m.blocks, Date.now())) });
  };
  try {
    if (storm?.in) return await postInStorm(deps, g, storm, updateRoot);
    // A repeat of a group that opened its own alert before the channel's storm: counted, no reply in its thread while
    // the storm lasts. Its counter moves with the storm's updates (one waiting invocation for the channel, not one per
    // group); a group the storm does not know (a warning's) moves its own, as outside a storm (latestCounter).
    const during = storm?.stormy ? storm.storm : undefined;
    if (during?.beforeGroups.some((b) => b.key === g.groupKey && b.firstAt === group.firstAt)) {
      const outcome = await postOwn(deps, g, messages, group, 'quiet');
      await afterPosting(() => updateStormRoot({ store: deps.store, update: updateRoot, timeLeft: g.storm?.timeLeft }, g.channel, during), 'updating the storm root');
      return outcome;
    }
    // The kill its warning foretold is news even in a storm: posted whole, as ever (below).
    const foretold = group.count === 2 && holdsBlock(group.message?.blocks, WARNING_BLOCK);
    return await postOwn(deps, g, messages, group, during && !foretold ? 'latest' : 'as-ever');
  } finally {
    // The storm before, over: its final summary, once, after this occurrence's own message.
    if (finished) await afterPosting(() => finishStorm({ update: updateRoot, store: deps.store }, finished), "writing the storm's final summary");
  }
}

/**
 * An occurrence counted in its channel's storm: the one that opened it posts the root; every other waits for the root
 * (it may be waiting out a rate limit) as long as its invocation has time, then moves it at most every
 * STORM_UPDATE_INTERVAL_MS. A root still missing by then fails the invocation, for the bus to retry: the storm has
 * counted it once already, and counts it once again (its place in its group).
 */
async function postInStorm(deps: { store: RepeatGroups & Storms; slack: SlackChat }, g: GroupPost, place: Extract<StormPlace, { in: true }>, updateRoot: (root: MessageRef, m: AlertMessage) => Promise<void>): Promise<GroupOutcome> {
  if (place.first) {
    const rootMessage = renderStorm(place.storm, { now: g.now });
    const { channel, ts, alert } = await postAlertOrFallBack(deps.slack, g, { first: () => rootMessage, reply: () => rootMessage, counter: () => '' }, undefined);
    await g.markPosted({ channel, ts });
    await afterPosting(() => deps.store.setStormRoot(g.channel, place.storm.startedAt, { channel, ts }, g.now), "remembering the storm's root");
    // The storm's root is no group's alert: nothing may thread under it or redraw it with a group's counter.
    return { status: 'posted', channel, ts, blocks: JSON.stringify(alert.blocks), inStorm: true };
  }
  let root = place.storm.root;
  const waitMs = Math.min(ROOT_WAIT_MAX_MS, Math.max(FIRST_POST_WAIT_MS, (g.storm?.timeLeft?.() ?? Infinity) - ROOT_WAIT_RESERVE_MS));
  for (let waited = 0; !root && waited < waitMs; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    root = (await deps.store.channelStorm(g.channel))?.root;
  }
  if (!root) throw new Error(`the storm root in ${g.channel} was not posted within ${Math.round(waitMs / 1000)} s; the retry counts this occurrence there once`);
  await g.markPosted(root);
  await afterPosting(() => updateStormRoot({ store: deps.store, update: updateRoot, timeLeft: g.storm?.timeLeft }, g.channel, place.storm), 'updating the storm root');
  return { status: 'counted', channel: root.channel, ts: root.ts };
}

/** How long an occurrence in a storm waits for its root at most, and what it keeps of its invocation's time. */
const ROOT_WAIT_MAX_MS = 30_000;
const ROOT_WAIT_RESERVE_MS = 20_000;

/**
 * An occurrence in its own group: `as-ever` outside a storm; during one, a repeat is only counted, and its counter is
 * left to the storm's updates (`quiet`) or moved as a counted repeat's is outside one (`latest`: latestCounter).
 */
async function postOwn(deps: { store: RepeatGroups & MuteStateStore; slack: SlackChat }, g: GroupPost, messages: GroupMessages, group: RepeatGroup, mode: 'as-ever' | 'latest' | 'quiet'): Promise<GroupOutcome> {
  const found = placementOf(group);
  const counter = (c: Exclude<Placement, { as: 'alert' }>['counter']) => (c === 'none' || mode === 'quiet' ? 'none' : 'latest');
  const place: Placement = mode === 'as-ever' || found.as === 'alert' ? found : { ...found, as: 'counted', counter: counter(found.counter) };
  if (place.as === 'alert') {
    // Once per alert: a reply or a counter update never uploads a picture.
    const picture = await pictureOf(messages);
    // Slack answers with the channel's id: a channel configured by name (#oom-alerts) must be updated by that id.
    const { channel, ts, alert } = await postAlertOrFallBack(deps.slack, g, messages, picture);
    await g.markPosted({ channel, ts });
    // The group's first message is whichever alert is set first: a standalone alert posted because the first failed
    // becomes the root, so later repeats thread again.
    const blocks = JSON.stringify(alert.blocks);
    if (place.root) await afterPosting(() => deps.store.setRepeatMessage(g.groupKey, { channel, ts, blocks, text: alert.text }), 'remembering the first alert');
    return { status: 'posted', channel, ts, blocks };
  }

  let root = place.root;
  // The kill that follows its warning (the group's root, bot/occurrence-messages.ts warningMessages) is the news the
  // warning foretold: the whole alert, in the warning's thread and broadcast to the channel, so that the channel sees
  // the kill too and the thread holds the story; later repeats are replies as ever.
  const warned = holdsBlock(root.blocks, WARNING_BLOCK);
  const afterWarning = place.as === 'reply' && group.count === 2 && warned;
  // That kill is an alert of its own, so it gets its picture too (uploaded once, as for any alert).
  const picture = afterWarning ? await pictureOf(messages) : undefined;
  // Under a handled root — also after a restart: its handled blocks are in the store — a death after the fix gets
  // the button back in its reply (docs/alert-style.md, "Repeats and storms").
  const handled = holdsBlock(root.blocks, HANDLED_BLOCK) && !!messages.handledReply;
  // Past the thread's replies, the first death after the fix is still news, once: it is replied with the button, and
  // the root is marked (RECURRED_BLOCK) so that later ones only move the counter — until a new raise clears the mark.
  const offerOnce = handled && place.as === 'counted' && mode !== 'quiet' && !holdsBlock(root.blocks, RECURRED_BLOCK);
  const reply = afterWarning ? messages.first(picture) : handled ? messages.handledReply!() : messages.reply();
  const replied = place.as === 'reply' || offerOnce;
  const ts = replied ? (await postReply(deps.slack, root.channel, reply, root.ts, afterWarning, picture && (() => messages.first()))).ts : root.ts;
  await g.markPosted({ channel: root.channel, ts });
  if (offerOnce && root.blocks) {
    const marked = JSON.stringify(withRecurred(JSON.parse(root.blocks) as (KnownBlock | Block)[]));
    root = { ...root, blocks: marked };
    await afterPosting(() => deps.store.replaceRepeatBlocks(g.groupKey, marked), 'marking the handled alert as died again');
  }
  const blocks = root.blocks;
  if (blocks && place.counter === 'latest') {
    await afterPosting(() => latestCounter(deps, g, messages, root, warned, g.storm?.timeLeft), 'updating the counter');
  } else if (blocks && place.counter === 'update') {
    // The group's count as it is now, not this reply's place: a reply that waited out Slack's limits would otherwise
    // set the counter back under a later repeat's update.
    const latest = await deps.store.currentRepeat(g.groupKey);
    const count = latest && latest.firstAt === group.firstAt ? Math.max(latest.count, group.count) : group.count;
    // Under a warning the count is of what came after it: the warning itself was no kill.
    const counter = messages.counter(warned ? count - 1 : count, group.firstAt);
    await afterPosting(async () => deps.slack.update({ channel: root.channel, ts: root.ts, text: root.text ?? reply.text, blocks: await redrawn(deps.store, withCounter(JSON.parse(blocks), counter)) }), 'updating the counter');
  }
  return { status: replied ? 'threaded' : 'counted', channel: root.channel, ts };
}

/**
 * The counter with the group's latest count, at most every COUNTER_INTERVAL_MS: this invocation sends it now, or
 * reserves the next slot and waits for it, then sends the count as it is by then; when the slot is reserved already,
 * whoever holds it sends this count too (coalesced: only the latest value is sent). So the last update always shows
 * the last count (docs/architecture.md, "Reliability rules"), with one invocation per group waiting at most. One whose
 * time left cannot take the wait is never given the slot (store/port.ts nextCounterSlot): it sends at once.
 */
/** What an invocation keeps of its time for sending the counter after waiting for its slot. */
const COUNTER_SEND_RESERVE_MS = 10_000;

async function latestCounter(deps: { store: RepeatGroups & MuteStateStore; slack: SlackChat }, g: GroupPost, messages: GroupMessages, root: GroupMessage, warned: boolean, timeLeft: (() => number) | undefined): Promise<void> {
  // On the clock of the moment, not the invocation's start (it may have waited for its group's first alert).
  const now = Date.now();
  const at = await deps.store.reserveCounterUpdate(g.groupKey, now, COUNTER_INTERVAL_MS, timeLeft ? Math.max(0, timeLeft() - COUNTER_SEND_RESERVE_MS) : undefined);
  if (at === undefined) return;
  const wait = at - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const latest = await deps.store.currentRepeat(g.groupKey);
  // The group went quiet and a new one opened meanwhile: that one's counter is its own.
  if (!root.blocks || !latest || latest.message?.ts !== root.ts) return;
  const counter = messages.counter(warned ? latest.count - 1 : latest.count, latest.firstAt);
  // The root as the store has it now: redrawn since this occurrence was counted (handled, marked), it stays so.
  await deps.slack.update({ channel: root.channel, ts: root.ts, text: root.text ?? '', blocks: await redrawn(deps.store, withCounter(JSON.parse(latest.message.blocks ?? root.blocks), counter)) });
}

/** A root redrawn from the store's blocks, with its workload's mute as it is at the moment it is sent. */
const redrawn = (store: MuteStateStore, blocks: (KnownBlock | Block)[]) => withCurrentMute(store, blocks, Date.now());

/**
 * The alert's picture, or none. Drawing or uploading it can fail in ways the publisher does not foresee, and the alert
 * is never lost for want of a picture: it goes out with the sparkline (bot/alert.ts), the failure logged once.
 */
async function pictureOf(messages: GroupMessages): Promise<ChartPicture | undefined> {
  try {
    return await messages.picture?.();
  } catch (error) {
    logFailure(CHART_FAILED, error, {}, undefined, 'warn');
    return undefined;
  }
}

/** A step after the message went out: logged when it fails, never thrown (a throw would post the alert again). */
export const afterPosting = (step: () => Promise<unknown>, what: string) => bestEffort(step, `${what} failed after posting; the alert stands`, undefined, 'warn');

/**
 * The alert in its channel; when Slack answers that the channel is not there or oombot is not in it, in the fallback
 * channel with a line that says which channel failed and how to fix it — once: a fallback that fails too is thrown.
 */
async function postAlertOrFallBack(slack: SlackChat, g: GroupPost, messages: GroupMessages, picture: ChartPicture | undefined): Promise<{ channel: string; ts: string; alert: AlertMessage }> {
  try {
    return await postAlert(slack, g.channel, messages, picture);
  } catch (error) {
    const code = slackErrorCode(error);
    if (!code || !UNREACHABLE.has(code)) throw error;
    const fallback = g.fallback;
    if (!fallback || fallback.channel === g.channel) throw new ChannelUnreachableError(g.channel, code, { cause: error });
    logFailure('Slack refused the channel the alert was routed to; it goes to the default channel, saying so', error, { channel: g.channel, fallback: fallback.channel }, undefined, 'warn');
    const noted: GroupMessages = { ...messages, first: (p) => withNote(messages.first(p), fallback.note) };
    try {
      return await postAlert(slack, fallback.channel, noted, picture);
    } catch (again) {
      const code = slackErrorCode(again);
      if (code && UNREACHABLE.has(code)) throw new ChannelUnreachableError(fallback.channel, code, { cause: again });
      throw again;
    }
  }
}

function withNote(alert: AlertMessage, note: string): AlertMessage {
  const block = { type: 'context', block_id: CHANNEL_NOTE_BLOCK, elements: [{ type: 'mrkdwn', text: clip(`⚠️ ${note}`, SLACK_LIMITS.contextText) }] } as const;
  return { text: alert.text, blocks: [alert.blocks[0]!, block, ...alert.blocks.slice(1)] };
}

/**
 * The alert with its picture; when Slack refuses its blocks because of the picture (a file still being processed, or
 * gone: `invalid_blocks`), the same alert without it, at once — the alert is never lost for want of a picture.
 */
async function postAlert(slack: SlackChat, channel: string, messages: GroupMessages, picture: ChartPicture | undefined): Promise<{ channel: string; ts: string; alert: AlertMessage }> {
  const alert = messages.first(picture);
  try {
    return { ...(await postMessage(slack, channel, alert)), alert };
  } catch (error) {
    if (!picture || slackErrorCode(error) !== 'invalid_blocks') throw error;
    logFailure('Slack refused the alert with its memory chart; it was posted with a sparkline instead', error, { fileId: picture.fileId }, undefined, 'warn');
    const plain = messages.first();
    return { ...(await postMessage(slack, channel, plain)), alert: plain };
  }
}

/** A reply; when Slack refuses it because of its picture (`invalid_blocks`), the same without it, as postAlert does. */
async function postReply(slack: SlackChat, channel: string, reply: AlertMessage, threadTs: string, broadcast: boolean, withoutPicture?: () => AlertMessage): Promise<{ channel: string; ts: string }> {
  try {
    return await postMessage(slack, channel, reply, threadTs, broadcast);
  } catch (error) {
    if (!withoutPicture || slackErrorCode(error) !== 'invalid_blocks') throw error;
    logFailure('Slack refused the alert with its memory chart; it was posted with a sparkline instead', error, {}, undefined, 'warn');
    return postMessage(slack, channel, withoutPicture(), threadTs, broadcast);
  }
}

async function postMessage(slack: SlackChat, channel: string, message: AlertMessage, threadTs?: string, broadcast = false): Promise<{ channel: string; ts: string }> {
  const base = { channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false } as const;
  const res = await slack.postMessage(threadTs ? (broadcast ? { ...base, thread_ts: threadTs, reply_broadcast: true } : { ...base, thread_ts: threadTs }) : base);
  if (!res.ts) throw new Error(`Slack accepted a message to ${channel} without a ts`);
  return { channel: res.channel ?? channel, ts: res.ts };
}
