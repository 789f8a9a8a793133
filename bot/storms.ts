// A storm across many workloads in one channel (docs/architecture.md, "Reliability rules"; docs/alert-style.md,
// "Repeats and storms"): once more than a threshold of new groups opened in a channel within a window, later new
// groups are counted in one storm message instead of opening their own, and their repeats with them. The store decides
// where each occurrence is counted (store/storms.ts, atomic per channel); this file says what Slack sees: the root,
// posted once by the occurrence that opened the storm, then updated in place at most every STORM_UPDATE_INTERVAL_MS
// with the latest state — the invocation that finds the next slot free reserves it, waits for it, and sends whatever
// the storm is by then — and a final summary, written by the first occurrence in the channel after the quiet period.
import type { KnownBlock } from '@slack/types';
import { createHash } from 'node:crypto';
import type { MessageRef, RepeatGroups, Storms } from '../store/port.ts';
import type { BeforeGroup, GroupInStorm, Storm, StormPlace, StormSettings } from '../store/storms.ts';
import { withCounter, type AlertMessage } from './alert.ts';
import { plainText, SLACK_LIMITS, slackText } from './slack-limits.ts';

/** More than 5 new groups in a channel within 2 min make a storm; it ends after 5 min with nothing new. */
export const DEFAULT_STORM_SETTINGS: StormSettings = { threshold: 5, windowMs: 2 * 60_000, quietMs: 5 * 60_000 };
/** The root is rewritten at most this often: chat.update is rate-limited too (Tier 3, about 50 a minute). */
export const STORM_UPDATE_INTERVAL_MS = 10_000;
/** The block with the storm's total, where an alert has its counter (bot/alert.ts withCounter). */
export const STORM_COUNTER_BLOCK = 'oombot-counter-storm';
/** How many groups the root lists by name; the rest are a count (and in `/oom recent`). */
const LISTED = 10;
/** The root's select, "Explain a workload…": choosing a group answers with its explanation (bot/alert-actions.ts). */
export const STORM_PICK = 'oombot_storm_pick';
/** A select holds at most 100 options (console/slack-rules.ts LIMITS.selectOptions). */
const PICKABLE = 100;
/** An option's value is at most 150 characters (console/slack-rules.ts LIMITS.optionValue). */
const OPTION_VALUE_MAX = 150;

/**
 * What the root's select carries for a group: its key, or a hash of it when the key (made of cluster names) is longer
 * than an option's value may be. Only compared with the same of the stored incidents' keys, never shown.
 */
export function groupChoice(key: string): string {
  return key.length <= OPTION_VALUE_MAX ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** What the root says of a group's cause, one short phrase (`/oom recent` says it of its groups too). */
export function causeOf(g: Pick<GroupInStorm, 'cause' | 'node'>): string {
  switch (g.cause) {
    case 'limit':
      return 'OOMKilled at its limit';
    case 'node-pressure':
      return g.node ? `node ${g.node} ran low on memory` : 'its node ran low on memory';
    case 'runtime':
      return "its runtime's heap limit";
    case 'not-oom':
      return 'exit 137, not memory';
    default:
      return 'memory unproven';
  }
}

/** "31 limit, 6 node pressure on ip-10-0-3-7, 1 runtime": the groups by cause, most first. */
function composition(causes: { cause: string; node?: string | undefined }[]): string {
  const by = new Map<string, { n: number; nodes: Set<string> }>();
  for (const c of causes) {
    const entry = by.get(c.cause) ?? { n: 0, nodes: new Set<string>() };
    entry.n += 1;
    if (c.node) entry.nodes.add(c.node);
    by.set(c.cause, entry);
  }
  const words: Record<string, string> = { limit: 'limit', 'node-pressure': 'node pressure', runtime: 'runtime', 'not-oom': 'not memory', unknown: 'unproven' };
  return [...by.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([cause, { n, nodes }]) => `${n} ${words[cause] ?? cause}${nodes.size ? ` on ${[...nodes].slice(0, 3).join(', ')}${nodes.size > 3 ? ` and ${nodes.size - 3} more nodes` : ''}` : ''}`)
    .join(', ');
}

const COLOUR: Record<string, string> = { limit: '🔴', 'node-pressure': '🟠', runtime: '🟡' };

/** The clusters a storm's groups are in, from their keys (bot/grouping.ts groupKeyOf: "<kind>/<cluster>/…"). */
function clustersOf(storm: Storm): string[] {
  return [...new Set(storm.groups.map((g) => g.key.split('/')[1] ?? ''))].filter(Boolean);
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** The storm's total: every occurrence counted in it, each once (a group's count is its occurrences' highest place). */
export function stormTotal(storm: Storm): number {
  return storm.groups.reduce((sum, g) => sum + g.count, 0);
}

/**
 * The root: what is happening in one line, the groups by cause, how many opened their own alerts before it, the top
 * groups with their counts and a cause each, and the total where an alert has its counter. Group labels come from the
 * cluster (names): escaped and clipped through bot/slack-limits.ts.
 */
export function renderStorm(storm: Storm, o: { now: number; ended?: boolean }): AlertMessage {
  const workloads = storm.before + storm.groups.length;
  const clusters = clustersOf(storm);
  const where = clusters.length === 1 ? clusters[0]! : `${clusters.length} clusters`;
  const minutes = Math.max(1, Math.round((storm.lastAt - storm.startedAt) / 60_000));
  const causes = [...storm.beforeCauses, ...storm.groups];
  const top = [...causes.reduce((m, c) => m.set(c.cause, (m.get(c.cause) ?? 0) + 1), new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  // "OOMKilled or evicted" only while it is true of every group: a JVM's own heap limit or a liveness kill in the
  // storm is neither, and the header is read at 3 a.m. before the breakdown below it.
  const what = causes.every((c) => c.cause === 'limit' || c.cause === 'node-pressure') ? 'OOMKilled or evicted' : 'died or were evicted';
  const headline = `${COLOUR[top] ?? '⚪'} ${workloads} workloads in ${where} ${what} in ${minutes} min${o.ended ? ' (over)' : ''}`;
  const listed = [...storm.groups].sort((a, b) => b.count - a.count || a.firstAt - b.firstAt).slice(0, LISTED);
  const lines = listed.map((g) => `• ${slackText(g.label, 200)} — ${g.count}× · ${slackText(causeOf(g), 200)}`);
  const more = storm.groups.length - listed.length;
  const before = storm.before ? `${storm.before} opened their own alerts before the storm began; ` : '';
  const summary = `${composition(causes)}. ${before}the ${storm.groups.length} since are counted here, not posted one by one. Pick one under *Explain a workload…* for its explanation and buttons; \`/oom recent\` lists the storm's groups.`;
  const total = stormTotal(storm);
  const counter = o.ended
    ? `${total}× in ${minutes} min · last at ${utc(storm.lastAt)} · over: quiet since`
    : `${total}× in ${minutes} min · latest ${utc(storm.lastAt)} · updated in place at most every ${STORM_UPDATE_INTERVAL_MS / 1000} s`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plainText(headline, SLACK_LIMITS.headerText), emoji: true } },
    { type: 'context', block_id: STORM_COUNTER_BLOCK, elements: [{ type: 'mrkdwn', text: slackText(counter, SLACK_LIMITS.contextText) }] },
    { type: 'section', text: { type: 'mrkdwn', text: slackText(summary, SLACK_LIMITS.sectionText) } },
    { type: 'section', text: { type: 'mrkdwn', text: clipLines([`*Top groups*`, ...lines, ...(more > 0 ? [`(+${more} more)`] : [])], SLACK_LIMITS.sectionText) } },
    pickBlock(storm),
    { type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`storm since ${utc(storm.startedAt)}${o.ended ? ` · over at ${utc(o.now)}` : ''} · ${where}`, SLACK_LIMITS.contextText) }] },
  ];
  return { text: slackText(headline, SLACK_LIMITS.fallbackText), blocks };
}

/**
 * "Explain a workload…": a select of the storm's groups, the most counted first, at most 100; choosing one answers the
 * chooser alone with that workload's explanation and its own buttons (bot/alert-actions.ts answerStormPick).
 */
function pickBlock(storm: Storm): KnownBlock {
  const groups = [...storm.groups].sort((a, b) => b.count - a.count || a.firstAt - b.firstAt).slice(0, PICKABLE);
  return {
    type: 'actions',
    block_id: 'oombot-storm-pick',
    elements: [
      {
        type: 'static_select',
        action_id: STORM_PICK,
        placeholder: { type: 'plain_text', text: 'Explain a workload…' },
        options: groups.map((g) => ({ text: { type: 'plain_text', text: plainText(g.label || g.key, SLACK_LIMITS.buttonText) }, value: groupChoice(g.key) })),
      },
    ],
  };
}

/** Whole lines within `max` (each already escaped and clipped), the last cut if it alone is too long. */
function clipLines(lines: string[], max: number): string {
  let out = '';
  for (const line of lines) {
    const next = out ? `${out}\n${line}` : line;
    if (next.length > max) break;
    out = next;
  }
  return out;
}

/**
 * The storm with each group's count as its repeat group has it now: every occurrence counted there once, through
 * retries (store/port.ts RepeatGroups). A group that has reopened since keeps what the storm saw of it.
 */
export async function withCounts(store: RepeatGroups, storm: Storm): Promise<Storm> {
  const groups = await Promise.all(
    storm.groups.map(async (g) => {
      const now = await store.currentRepeat(g.key);
      return now?.firstAt === g.firstAt && now.count > g.count ? { ...g, count: now.count } : g;
    }),
  );
  return { ...storm, groups };
}

export interface StormDeps {
  store: Storms & RepeatGroups;
  update(root: MessageRef, message: AlertMessage): Promise<void>;
  /** The invocation's time left (ms): a reserved slot is waited for only when it fits. */
  timeLeft?: (() => number) | undefined;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
}

/** Kept after a wait for the update itself and for giving a claim back (bot/slack-rate-limits.ts's margin). */
const UPDATE_RESERVE_MS = 10_000;

/**
 * After an occurrence was counted in the storm: the root's update, if this invocation takes the slot (now or reserved
 * for later, then waited for). An invocation without time to wait for its slot sends at once instead: the root is
 * never left behind for want of one.
 */
export async function updateStormRoot(deps: StormDeps, channel: string, storm: Storm): Promise<void> {
  // The slots are measured on the clock of the moment, not the invocation's start: it may have waited for the root.
  const clock = deps.clock ?? Date.now;
  const now = clock();
  const at = await deps.store.reserveStormUpdate(channel, storm.startedAt, now, STORM_UPDATE_INTERVAL_MS);
  if (at === undefined) return;
  const wait = at - now;
  const left = deps.timeLeft ? deps.timeLeft() - UPDATE_RESERVE_MS : Infinity;
  if (wait > 0 && wait <= left) await (deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(wait);
  const latest = await deps.store.channelStorm(channel);
  if (latest?.startedAt !== storm.startedAt || !latest.root) return;
  await deps.update(latest.root, renderStorm(await withCounts(deps.store, latest), { now: clock() }));
  await moveBeforeCounters(deps, channel, latest, clock());
}

/**
 * The counters of the groups that opened their own alerts before the storm, moved with the storm's update when their
 * count grew since they last showed one: their repeats get no reply while it lasts, and no waiting invocation of their
 * own. Each is the repeat group's count, every occurrence counted once.
 */
async function moveBeforeCounters(deps: StormDeps, channel: string, storm: Storm, now: number): Promise<void> {
  const shown: { key: string; count: number }[] = [];
  for (const b of storm.beforeGroups) {
    const group = await deps.store.currentRepeat(b.key);
    if (group?.firstAt !== b.firstAt || group.count <= b.shown || !group.message?.blocks) continue;
    const root = group.message;
    await deps.update(root, { text: root.text ?? '', blocks: withCounter(JSON.parse(root.blocks!) as KnownBlock[], beforeCounter(b, group.count, group.firstAt, now)) as KnownBlock[] });
    shown.push({ key: b.key, count: group.count });
  }
  if (shown.length) await deps.store.setStormShown(channel, storm.startedAt, shown, now);
}

/** A before-group's counter line, as bot/occurrence-messages.ts words a pod's ("OOMKilled 5× in 40 min · …"). */
function beforeCounter(b: BeforeGroup, count: number, firstAt: number, now: number): string {
  const minutes = Math.max(1, Math.round((now - firstAt) / 60_000));
  return b.counter?.startsWith('pods evicted') ? `${count} ${b.counter} in ${minutes} min · see thread` : `${b.counter ?? 'died'} ${count}× in ${minutes} min · latest ${utc(now)} · see thread`;
}

/** The storm that ended, in its final words: its root updated once more, by the one step that found it over. */
export async function finishStorm(deps: Pick<StormDeps, 'update' | 'store'>, finished: NonNullable<StormPlace['finished']>): Promise<void> {
  if (!finished.root) return;
  await deps.update(finished.root, renderStorm(await withCounts(deps.store, finished), { now: finished.endedAt ?? finished.lastAt, ended: true }));
}
