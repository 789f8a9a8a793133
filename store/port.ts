// The backend's memory, as a port (docs/code-style.md): DynamoDB in AWS (store/dynamo.ts), an embedded store in local
// mode (store/file.ts). Split by concern — occurrence claims, click claims, repeat groups, incidents, the audit trail,
// mutes — so each consumer names only what it uses; how long each record lives is in store/lifetimes.ts.

import * as z from 'zod';
import { CauseSchema, KindSchema, VerdictSchema } from '#shared/verdict.ts';
import type { Storm, StormOccurrence, StormPlace, StormSettings } from './storms.ts';

export const MessageRefSchema = z.object({ channel: z.string(), ts: z.string() });
export type MessageRef = z.infer<typeof MessageRefSchema>;

/** The first message of a repeat group, with what is needed to update its counter later. */
export interface GroupMessage extends MessageRef {
  /** The root message's blocks as posted (JSON), to re-post with an updated counter. */
  blocks?: string;
  text?: string;
  /** The occurrence ids the message lists: a pod's containers that died together (bot/pod-deaths.ts). */
  listed?: string[];
}

export type Claim = 'claimed' | 'duplicate';

export interface RepeatGroup {
  /** This occurrence's place in the group: 1 for the first. */
  count: number;
  /** When the group's first occurrence was recorded (ms): with the group's key, what tells one group from the next. */
  firstAt: number;
  /** The first alert's message, once it has been posted. */
  message?: GroupMessage;
  /**
   * Set when a retried occurrence was counted in a group that has closed since (a later occurrence opened the next
   * one): `count` and `firstAt` are its place in that group and `message` that group's root as it was when counted,
   * if it had one. The open group is not this occurrence's: its root, thread and counter are left alone.
   */
  closed?: true;
}

/** What was posted about an occurrence: what `/oom recent` lists and what the alert's buttons act on (by id). */
export const IncidentSchema = z.object({
  incidentId: z.string(),
  occurrenceId: z.string(),
  cluster: z.string(),
  namespace: z.string(),
  /** A WorkloadRef's key (kube/workloads.ts): "Deployment/checkout", or "Pod/<name>" for a bare pod. */
  workload: z.string(),
  container: z.string().nullable(),
  cause: CauseSchema,
  kind: KindSchema,
  headline: z.string(),
  occurredAt: z.string(),
  message: MessageRefSchema,
  /** What was diagnosed, so a button acts on it without trusting its own payload. */
  verdict: VerdictSchema,
  /**
   * The runbook its alert linked (bot/routing.ts: annotation, else by cause), so that an answer drawn later from the
   * store — a workload chosen in a storm root — offers the same Open runbook button. Absent when there was none.
   */
  runbookUrl: z.string().optional(),
});
export type Incident = z.infer<typeof IncidentSchema>;

/**
 * An incident as the stores keep it: the verdict as JSON text in one attribute (DynamoDB item, state file). Decoded
 * once, here, by each adapter — callers hold an Incident whose verdict is checked, never a string to parse and cast.
 */
export const IncidentRecordSchema = IncidentSchema.extend({
  // Loose where the record is only carried (a whole state file must load even if one record does not decode);
  // decodeIncident checks them with the verdict's own vocabulary on every read.
  cause: z.string(),
  kind: z.string(),
  verdict: z.string(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

const StoredIncidentSchema = IncidentSchema.extend({
  verdict: z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text);
      return value;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  }).pipe(VerdictSchema),
});

export class StoredRecordError extends Error {
  override name = 'StoredRecordError';
  readonly code = 'STORED_RECORD_INVALID';
}

/** A stored incident, checked; throws StoredRecordError naming what is wrong with it. */
export function decodeIncident(item: unknown): Incident {
  const parsed = StoredIncidentSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  const id = typeof item === 'object' && item && 'incidentId' in item ? String((item as { incidentId: unknown }).incidentId) : '(no id)';
  throw new StoredRecordError(`the stored incident ${id} does not read as one: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
}

/** The stored form of an incident: exactly its fields, the verdict as JSON text. */
export function encodeIncident(incident: Incident): IncidentRecord {
  const { incidentId, occurrenceId, cluster, namespace, workload, container, cause, kind, headline, occurredAt, message, verdict, runbookUrl } = incident;
  return { incidentId, occurrenceId, cluster, namespace, workload, container, cause, kind, headline, occurredAt, message: { channel: message.channel, ts: message.ts }, verdict: JSON.stringify(verdict), ...(runbookUrl ? { runbookUrl } : {}) };
}

/** Who changed what, from what, to what: every change a button makes is answered in the thread and kept here. */
export interface AuditRecord {
  incidentId: string;
  cluster: string;
  userId: string;
  action: string;
  target: string;
  before: string;
  after: string;
  at: string;
}

// The port, by concern: each consumer takes the parts it uses; the adapters implement them all (`Store`).

/**
 * An occurrence is posted once. EventBridge delivers at least once and the forwarder resends, so a conditional write on
 * its id is what keeps Slack exactly-once (docs/architecture.md, "Reliability rules").
 */
export interface OccurrenceClaims {
  /** 'duplicate' when it was claimed before, unless that claim was never marked posted and is stale (its run died). */
  claimOccurrence(occurrenceId: string, now: number): Promise<Claim>;
  /** Gives a claim back when posting failed, so the retry EventBridge makes can post it. */
  releaseOccurrence(occurrenceId: string): Promise<void>;
  markOccurrencePosted(occurrenceId: string, message: MessageRef): Promise<void>;
}

/**
 * A button click is applied once: Lambda may deliver an asynchronous event twice. Apart from occurrence claims, so no
 * click id can ever take an occurrence's place, and never stale: a run that died is answered by clicking again.
 */
export interface ClickClaims {
  claimClick(clickId: string, now: number): Promise<Claim>;
}

/** Repeats of one story (same workload, container and cause; one node's evictions) share the first alert's thread. */
export interface RepeatGroups {
  /**
   * Counts an occurrence into its repeat group within a window: the first opens a group, later ones within `windowMs`
   * of the last join it. Atomic under concurrency: counts are never shared. With an occurrence id, an occurrence
   * counted before (a retry after a failed post) gets its earlier place again, in the group it was counted in, even
   * when a newer group has opened since (then marked `closed`); it is never counted twice.
   * With `at`, the window is measured on that time instead of `now` (a pod's containers died together by when they
   * died, not by when analyze saw them: bot/pod-deaths.ts); `now` still dates how long the group is kept.
   */
  recordRepeat(groupKey: string, now: number, windowMs: number, occurrenceId?: string, at?: number): Promise<RepeatGroup>;
  /** The open group as it is now: its count so far, its first message once set; undefined when none was opened. */
  currentRepeat(groupKey: string): Promise<RepeatGroup | undefined>;
  /** The group's first message, once set (for a repeat that arrived while the first was being posted). */
  repeatMessage(groupKey: string): Promise<GroupMessage | undefined>;
  /** Remembers where the group's first alert was posted, for thread replies and counter updates. */
  setRepeatMessage(groupKey: string, message: GroupMessage): Promise<void>;
  /** Replaces the group's root blocks once it was redrawn (a handled alert), so counter updates keep what it shows. */
  replaceRepeatBlocks(groupKey: string, blocks: string): Promise<void>;
  /**
   * The counter's next update, at most one per `minIntervalMs`, the latest count winning: the time to send it (now, or
   * the next slot, reserved for this caller to wait for), or undefined when the next slot is already reserved — the
   * one who holds it sends the count as it is then (coalesced), or when the group was never opened. A caller that can
   * wait only `maxWaitMs` is never given a later slot, which it would leave unsent while others ride on it: it gets
   * now (nextCounterSlot).
   */
  reserveCounterUpdate(groupKey: string, now: number, minIntervalMs: number, maxWaitMs?: number): Promise<number | undefined>;
}

/**
 * When the counter's next update may go, after the last one (sent or reserved) at `last`: `minIntervalMs` after it,
 * or now when that is past — or when it is further off than the caller can wait, since an update reserved and never
 * sent would leave the counts that ride on it unshown; the interval gives way to the count, once.
 */
export function nextCounterSlot(last: number | undefined, now: number, minIntervalMs: number, maxWaitMs = Infinity): number {
  const at = last === undefined ? now : Math.max(now, last + minIntervalMs);
  return at - now > maxWaitMs ? now : at;
}

/**
 * A channel's storm (docs/architecture.md, "Reliability rules"): when more than a threshold of new groups open in a
 * channel within a window, later new groups are counted in one storm message instead of opening their own. One record
 * per channel, changed atomically by store/storms.ts's steps: exactly one root per storm, and a retried occurrence
 * keeps the place it had.
 */
export interface Storms {
  /** Where an occurrence, as counted in its repeat group, is counted in its channel: in the storm or not. */
  placeInStorm(channel: string, occurrence: StormOccurrence, settings: StormSettings): Promise<StormPlace>;
  /** Remembers the storm's root once posted (the first set stays); it counts as the root's first update. */
  setStormRoot(channel: string, startedAt: number, root: MessageRef, now: number): Promise<void>;
  /** Remembers the counts the counters of the groups opened before the storm now show (only ever higher). */
  setStormShown(channel: string, startedAt: number, shown: { key: string; count: number }[], now: number): Promise<void>;
  /** The channel's storm as it is now, if it has not ended. */
  channelStorm(channel: string): Promise<Storm | undefined>;
  /**
   * The root's next update, at most one per `minIntervalMs`: the time to send it (now, or a reserved slot to wait for),
   * or undefined when an update is already reserved by another invocation, which will send the latest state.
   */
  reserveStormUpdate(channel: string, startedAt: number, now: number, minIntervalMs: number): Promise<number | undefined>;
}

export interface RecentOptions {
  namespace?: string;
  limit?: number;
  before?: Pick<Incident, 'occurredAt' | 'incidentId'>;
}

/** What was posted, for `/oom recent` and for the buttons to act on. */
export interface Incidents {
  recordIncident(incident: Incident): Promise<void>;
  incident(incidentId: string): Promise<Incident | undefined>;
  /**
   * The latest incidents of a cluster, newest first, optionally of one namespace; with `before`, those older than that
   * incident (the next page after it, by when it happened and then its id).
   */
  recentIncidents(cluster: string, options?: RecentOptions): Promise<Incident[]>;
}

export interface AuditTrail {
  recordAudit(record: AuditRecord): Promise<void>;
  auditTrail(incidentId: string): Promise<AuditRecord[]>;
}

/** A workload's mute: until when (ms), who made it (a Slack user id), and when (ms; absent on mutes made before it was kept). */
export const MuteSchema = z.object({ until: z.number(), by: z.string(), at: z.number().optional() });
export type Mute = z.infer<typeof MuteSchema>;

/** Muted workloads, by kube/workloads.ts's mute key. */
export interface Mutes {
  muteUntil(key: string, now: number): Promise<number | undefined>;
  /**
   * The mute in force at `now`, with who made it: what an alert redrawn from the store shows (bot/mute-state.ts), so a
   * mute made by the button or by `/oom mute` reads the same on every redraw, and an expired one reads as none.
   */
  activeMute(key: string, now: number): Promise<Mute | undefined>;
  /** `at`: when it was made, for the alert's "Muted for 1 h" (bot/alert.ts mutedLine). */
  mute(key: string, until: number, by: string, at?: number): Promise<void>;
  unmute(key: string): Promise<void>;
}

/** The whole port, as the adapters implement it (store/dynamo.ts, store/file.ts). */
export type Store = OccurrenceClaims & ClickClaims & RepeatGroups & Storms & Incidents & AuditTrail & Mutes;
