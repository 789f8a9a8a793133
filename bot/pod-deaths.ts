// One alert for a pod whose containers died together (shared/died-together.ts): twelve containers killed in one node
// OOM, or by one eviction, are one story, posted once with a line per container — not twelve posts to one channel
// within a second. Each container's occurrence still arrives on its own, is claimed on its own and recorded on its
// own (docs/architecture.md, "Reliability rules"); what ties them is a repeat group per pod (store/port.ts's
// RepeatGroups) whose window is measured on when they died, not when analyze saw them:
// - the first of the pod's death counted in it is the alert: it lists the siblings its pod shows, then remembers
//   which occurrences the alert lists (the group's message, with their ids);
// - a sibling counted after it waits for that message and, when the alert lists it, is recorded against that alert
//   and posts nothing; one the alert does not list (it died after the first's pod was seen) is posted as ever.
// Concurrent invocations agree because counting is atomic in both stores: only one is the first.
import type { KnownBlock } from '@slack/types';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { DIED_TOGETHER_MS, diedTogether, type PodOccurrence } from '#shared/died-together.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { GroupMessage, RepeatGroups } from '../store/port.ts';
import type { AlertMessage } from './alert.ts';
import type { GroupMessages } from './grouping.ts';
import { clip, SLACK_LIMITS, slackText } from './slack-limits.ts';

/** How long a sibling waits for the first of its pod's death to be posted by a concurrent invocation, at least. */
export const POD_DEATH_WAIT_MS = 10_000;
/** What a sibling keeps of its invocation's time for posting on its own, when the first never posts. */
const OWN_POST_RESERVE_MS = 20_000;
const POLL_MS = 250;

/**
 * How long a sibling waits for the first's alert: longer while its invocation has the time, since the first may be
 * waiting out a Slack rate limit (bot/slack-rate-limits.ts) — exactly when twelve posts of their own would hurt most —
 * but never so long that it could not post on its own after all.
 */
export function siblingWaitMs(timeLeft?: () => number): number {
  return timeLeft ? Math.max(POD_DEATH_WAIT_MS, timeLeft() - OWN_POST_RESERVE_MS) : POD_DEATH_WAIT_MS;
}

/** The block that lists the containers that died together: its role (bot/block-ids.ts), kept through updates. */
export const TOGETHER_BLOCK = 'oombot-together';

export function podDeathKey(cluster: string, podUid: string): string {
  return `together/${cluster}/${podUid}`;
}

/** Where an occurrence stands in its pod's death. */
export type PodDeath =
  /**
   * The first counted: it is the alert, listing `siblings` (possibly none). `remember` is false for the retry of a
   * first whose group a later death has replaced since: what it posts must not become that group's message.
   */
  | { as: 'first'; key: string; siblings: PodOccurrence[]; remember: boolean }
  /** The first's alert lists it: recorded against `message`, nothing posted. */
  | { as: 'listed'; key: string; message: GroupMessage }
  /** Not listed (it died later than the first's pod showed, or the first never posted): posted as its own. */
  | { as: 'alone' };

export interface PodDeathInput {
  cluster: string;
  pod: Pod;
  occurrenceId: string;
  occurredAt: string;
  /** The wall clock (ms): how long the group is kept. */
  now: number;
  waitMs?: number;
}

/** Counts the occurrence into its pod's death and says what to do with it. */
export async function joinPodDeath(store: RepeatGroups, o: PodDeathInput): Promise<PodDeath> {
  const uid = o.pod.metadata.uid;
  if (!uid) return { as: 'alone' };
  const key = podDeathKey(o.cluster, uid);
  const died = Date.parse(o.occurredAt);
  const group = await store.recordRepeat(key, o.now, DIED_TOGETHER_MS, o.occurrenceId, Number.isNaN(died) ? o.now : died);
  if (group.count === 1) return { as: 'first', key, siblings: diedTogether(o.cluster, o.pod, o), remember: !group.closed };
  let message = group.message;
  // A closed group's message is what it was when counted, without the list: a retry that a later death of the pod
  // overtook is posted as its own. Only the open group's message can still appear.
  const waitMs = o.waitMs ?? POD_DEATH_WAIT_MS;
  for (let waited = 0; !message && !group.closed && waited < waitMs; waited += POLL_MS) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    message = await store.repeatMessage(key);
  }
  return message && lists(message, o.occurrenceId) ? { as: 'listed', key, message } : { as: 'alone' };
}

/**
 * What the first remembers once Slack has its message: where it is, the occurrence ids it lists and, when it is a
 * channel message of its own, its blocks, so that a listed sibling's later repeats thread under it.
 */
export function podDeathMessage(posted: { channel: string; ts: string; blocks?: string }, listed: string[]): GroupMessage {
  return { channel: posted.channel, ts: posted.ts, listed, ...(posted.blocks ? { blocks: posted.blocks } : {}) };
}

function lists(message: GroupMessage, occurrenceId: string): boolean {
  return !!message.listed?.includes(occurrenceId);
}

/** A container of the pod's death, as its line in the alert: its verdict when it could be diagnosed. */
export interface DeathRow {
  container: string;
  verdict?: Verdict;
}

/**
 * The verdict of each sibling that is a container's death, from the first's diagnosis input (the same pod, node and
 * events; without the memory samples, which are the first's container's own). An eviction adds no line: the alert is
 * about it already.
 */
export function siblingRows(input: DiagnosisInput, siblings: PodOccurrence[]): DeathRow[] {
  const shared: DiagnosisInput = { ...input };
  delete shared.memory;
  return siblings.flatMap((s) => {
    if (s.kind !== 'container-termination') return [];
    try {
      return [{ container: s.container, verdict: diagnose(shared, { container: s.container }) }];
    } catch {
      // A sibling the diagnosis cannot read is still named: its own invocation records it against this alert.
      return [{ container: s.container }];
    }
  });
}

/**
 * The alert and its reply with the list of the containers that died together, under the header: each container's
 * reason, limit and use. The notification text says how many more. Unchanged for fewer than two containers.
 */
export function withDiedTogether(messages: GroupMessages, evicted: boolean, rows: DeathRow[]): GroupMessages {
  if (rows.length < 2) return messages;
  const title = evicted ? `*${rows.length} containers stopped by the eviction:*` : `*${rows.length} containers of the pod died together, within ${DIED_TOGETHER_MS / 1000} s:*`;
  const block: KnownBlock = { type: 'section', block_id: TOGETHER_BLOCK, text: { type: 'mrkdwn', text: bulleted(title, rows.map(rowText)) } };
  const more = ` (+${rows.length - 1} more container${rows.length === 2 ? '' : 's'})`;
  const add = (m: AlertMessage): AlertMessage => ({ text: `${clip(m.text, SLACK_LIMITS.fallbackText - more.length)}${more}`, blocks: [m.blocks[0]!, block, ...m.blocks.slice(1)] });
  return { ...messages, first: (picture) => add(messages.first(picture)), reply: () => add(messages.reply()) };
}

/** "`api` — OOMKilled, exit 137 · limit 512Mi · using 498Mi (kubelet)": cluster text, escaped. */
function rowText({ container, verdict: v }: DeathRow): string {
  if (!v) return `\`${slackText(container, 253)}\` — not diagnosed`;
  const t = v.termination;
  const parts = [
    t ? `${t.reason ?? 'terminated'}, exit ${t.exitCode}` : v.kind,
    `limit ${v.memory.limit ?? 'none'}`,
    v.memory.usage ? `using ${v.memory.usage}${v.memory.usageSource ? ` (${v.memory.usageSource})` : ''}` : 'use not recorded',
  ];
  return `\`${slackText(container, 253)}\` — ${slackText(parts.join(' · '), 400)}`;
}

/** The rows that fit one section, then how many did not. */
function bulleted(title: string, rows: string[]): string {
  let text = title;
  for (const [i, row] of rows.entries()) {
    const more = `\n…and ${rows.length - i} more`;
    if (text.length + row.length + 3 + more.length > SLACK_LIMITS.sectionText) return `${text}${more}`;
    text += `\n• ${row}`;
  }
  return text;
}
