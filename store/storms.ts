// A channel's storm state (docs/architecture.md, "Reliability rules"), as both stores keep it: one record per channel,
// changed only through these pure steps, which DynamoStore applies with a conditional write on the record's version and
// the FileStore under its lock (store/file.ts) — so "one storm root per channel per storm" holds across concurrent
// invocations, and a retried occurrence gets the place it had.
import * as z from 'zod';
import { MessageRefSchema } from './port.ts';

/** When a channel is in a storm, and when it is over (bot/storms.ts reads them from the environment). */
export interface StormSettings {
  /** More than this many new groups in a channel within `windowMs` make a storm. */
  threshold: number;
  windowMs: number;
  /** A storm ends once nothing was counted in it for this long. */
  quietMs: number;
}

const GroupInStormSchema = z.object({
  key: z.string(),
  /** The repeat group's firstAt: with the key, which group (store/port.ts RepeatGroup). */
  firstAt: z.number(),
  /**
   * The most occurrences seen counted in the group, when it joined and whenever the storm's record was written since:
   * a floor. The count shown is the repeat group's own (store/port.ts RepeatGroups), where each occurrence counts once.
   */
  count: z.number(),
  lastAt: z.number(),
  cause: z.string(),
  label: z.string(),
  node: z.string().optional(),
});
export type GroupInStorm = z.infer<typeof GroupInStormSchema>;

const OpeningSchema = z.object({ key: z.string(), firstAt: z.number(), at: z.number(), cause: z.string(), node: z.string().optional(), counter: z.string().optional() });

/** A group that opened its own alert before the storm: the storm's updates move its counter too, when its count grew. */
const BeforeGroupSchema = z.object({ key: z.string(), firstAt: z.number(), counter: z.string().optional(), shown: z.number() });
export type BeforeGroup = z.infer<typeof BeforeGroupSchema>;

export const StormSchema = z.object({
  startedAt: z.number(),
  lastAt: z.number(),
  /** The occurrence that opened it: it posts the root (again, if its first try failed). */
  openedBy: z.string(),
  /** Groups of the window that opened their own alerts before the threshold was passed. */
  before: z.number(),
  beforeCauses: z.array(z.object({ cause: z.string(), node: z.string().optional() })).default([]),
  beforeGroups: z.array(BeforeGroupSchema).default([]),
  root: MessageRefSchema.optional(),
  /** The root's latest update slot (ms), taken or reserved: at most one per interval (reserveUpdate). */
  updateAt: z.number().optional(),
  /** Set once, by the step that found it over: that invocation writes the final summary. */
  endedAt: z.number().optional(),
  groups: z.array(GroupInStormSchema),
});
export type Storm = z.infer<typeof StormSchema>;

export const ChannelStormsSchema = z.object({
  version: z.number(),
  /** New groups of the channel that opened their own alerts, within the window (and a while after, for retries). */
  openings: z.array(OpeningSchema),
  storm: StormSchema.optional(),
  /** The storm before, while a retry of one of its occurrences may still come: its root and its groups' keys. */
  previous: z.object({ startedAt: z.number(), root: MessageRefSchema.optional(), keys: z.array(z.string()) }).optional(),
});
export type ChannelStorms = z.infer<typeof ChannelStormsSchema>;

export const emptyChannelStorms = (): ChannelStorms => ({ version: 0, openings: [] });

/** An occurrence, as counted in its repeat group, and what the storm root says of its group. */
export interface StormOccurrence {
  occurrenceId: string;
  groupKey: string;
  /** Its repeat group's firstAt and its place there (store/port.ts RepeatGroup). */
  firstAt: number;
  count: number;
  now: number;
  cause: string;
  label: string;
  node?: string | undefined;
  /** What its group's counter line says before the count ("OOMKilled"), for a group with its own alert. */
  counter?: string | undefined;
}

export type StormPlace =
  /**
   * Its group is not in a storm. `stormy`: the channel is in one, `storm` (its group opened before it): a repeat only
   * counts, and the storm's updates move its counter (when it is one of the storm's `beforeGroups`).
   */
  | { in: false; stormy: boolean; storm?: Storm; finished?: Storm }
  /** Counted in the channel's storm; `first`: it opened the storm and posts the root. */
  | { in: true; first: boolean; storm: Storm; finished?: Storm };

/** Retries come back within minutes (a stale claim is taken again after two, store/lifetimes.ts). */
const KEEP_FOR_RETRIES_MS = 10 * 60_000;
/** The record stays one small item: the newest openings only. */
const MAX_OPENINGS = 200;

/** How stale the storm's last moment may be kept: far below any quiet period, and the root shows minutes. */
const LAST_AT_GRAIN_MS = 5_000;

const sameGroup = (o: { key: string; firstAt: number }, g: { key: string; firstAt: number }) => o.key === g.key && o.firstAt === g.firstAt;
const memberKey = (key: string, firstAt: number) => `${firstAt}#${key}`;

/** The step: where the occurrence is counted, and the record after it (unchanged when `changed` is false). */
export function placeInStorm(state: ChannelStorms, o: StormOccurrence, s: StormSettings): { next: ChannelStorms; place: StormPlace; changed: boolean } {
  const next: ChannelStorms = structuredClone(state);
  let changed = false;
  let finished: Storm | undefined;
  // A storm quiet for long enough is over: the first step to see it so claims its final summary.
  if (next.storm && next.storm.lastAt < o.now - s.quietMs) {
    finished = { ...next.storm, endedAt: o.now };
    next.previous = { startedAt: next.storm.startedAt, ...(next.storm.root ? { root: next.storm.root } : {}), keys: next.storm.groups.map((g) => memberKey(g.key, g.firstAt)) };
    delete next.storm;
    changed = true;
  }
  const withFinished = <P extends StormPlace>(p: P): P => (finished ? { ...p, finished } : p);
  const done = (place: StormPlace) => ({ next: changed ? { ...next, version: state.version + 1 } : state, place: withFinished(place), changed });

  const storm = next.storm;
  const member = storm?.groups.find((g) => sameGroup(g, { key: o.groupKey, firstAt: o.firstAt }));
  if (storm && member) {
    // Written only every LAST_AT_GRAIN_MS of the storm: its groups' counts are read from their repeat groups, which
    // count each occurrence once already (bot/storms.ts withCounts), so a storm's thousand repeats are not a thousand
    // writes of this one record. What is kept here is a floor, and when the storm last moved.
    if (o.now > storm.lastAt + LAST_AT_GRAIN_MS) {
      member.count = Math.max(member.count, o.count);
      member.lastAt = Math.max(member.lastAt, o.now);
      storm.lastAt = o.now;
      changed = true;
    }
    return done({ in: true, first: storm.openedBy === o.occurrenceId && !storm.root, storm });
  }
  // Counted in the storm before, which has ended since (a late retry): it stays counted there, and only there.
  if (next.previous?.keys.includes(memberKey(o.groupKey, o.firstAt))) {
    return done({ in: true, first: false, storm: { startedAt: next.previous.startedAt, lastAt: o.now, openedBy: '', before: 0, beforeCauses: [], beforeGroups: [], ...(next.previous.root ? { root: next.previous.root } : {}), groups: [] } });
  }
  const opened = next.openings.some((g) => sameGroup(g, { key: o.groupKey, firstAt: o.firstAt }));
  // A repeat of a group with its own alert, or a group older than this record: as ever, quieter while a storm lasts.
  if (o.count > 1 || opened) return done(storm ? { in: false, stormy: true, storm } : { in: false, stormy: false });

  // A new group.
  const group: GroupInStorm = { key: o.groupKey, firstAt: o.firstAt, count: o.count, lastAt: o.now, cause: o.cause, label: o.label, ...(o.node ? { node: o.node } : {}) };
  changed = true;
  next.openings = next.openings.filter((g) => g.at >= o.now - Math.max(s.windowMs, KEEP_FOR_RETRIES_MS)).slice(-MAX_OPENINGS);
  if (storm) {
    storm.groups.push(group);
    storm.lastAt = Math.max(storm.lastAt, o.now);
    return done({ in: true, first: false, storm });
  }
  const recent = next.openings.filter((g) => g.at >= o.now - s.windowMs);
  if (recent.length + 1 > s.threshold) {
    const started: Storm = {
      startedAt: o.now,
      lastAt: o.now,
      openedBy: o.occurrenceId,
      before: recent.length,
      beforeCauses: recent.map((g) => ({ cause: g.cause, ...(g.node ? { node: g.node } : {}) })),
      beforeGroups: recent.map((g) => ({ key: g.key, firstAt: g.firstAt, ...(g.counter ? { counter: g.counter } : {}), shown: 1 })),
      groups: [group],
    };
    next.storm = started;
    return done({ in: true, first: true, storm: started });
  }
  next.openings.push({ key: o.groupKey, firstAt: o.firstAt, at: o.now, cause: o.cause, ...(o.node ? { node: o.node } : {}), ...(o.counter ? { counter: o.counter } : {}) });
  return done({ in: false, stormy: false });
}

/** The root, once posted: the first set stays (as a repeat group's does). */
export function withStormRoot(state: ChannelStorms, startedAt: number, root: { channel: string; ts: string }, now: number): ChannelStorms | undefined {
  if (state.storm?.startedAt !== startedAt || state.storm.root) return undefined;
  return { ...state, version: state.version + 1, storm: { ...state.storm, root: { channel: root.channel, ts: root.ts }, updateAt: now } };
}

/**
 * The root's next update, at most one per `minIntervalMs`, the latest state winning: due now when the last slot is old
 * enough; otherwise the next slot is reserved for this caller, who waits for it and then sends whatever the storm is
 * by then; when it is reserved already (by someone who will send it), nothing — this change rides on that update.
 */
export function reserveUpdate(state: ChannelStorms, startedAt: number, now: number, minIntervalMs: number): { next: ChannelStorms; at: number } | undefined {
  const storm = state.storm;
  if (storm?.startedAt !== startedAt || !storm.root) return undefined;
  const last = storm.updateAt ?? -Infinity;
  if (last > now) return undefined;
  const at = Math.max(now, last + minIntervalMs);
  return { next: { ...state, version: state.version + 1, storm: { ...storm, updateAt: at } }, at };
}

/** The counts the before-groups' counters now show (only ever higher: a slower update never takes one back). */
export function withShown(state: ChannelStorms, startedAt: number, shown: { key: string; count: number }[]): ChannelStorms | undefined {
  const storm = state.storm;
  if (storm?.startedAt !== startedAt) return undefined;
  let changed = false;
  const beforeGroups = storm.beforeGroups.map((g) => {
    const count = shown.find((x) => x.key === g.key)?.count;
    if (count === undefined || count <= g.shown) return g;
    changed = true;
    return { ...g, shown: count };
  });
  return changed ? { ...state, version: state.version + 1, storm: { ...storm, beforeGroups } } : undefined;
}
