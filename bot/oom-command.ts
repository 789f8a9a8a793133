// Answers to `/oom` (bot/command.ts's grammar), as ephemeral Slack messages. `why` diagnoses live within Slack's 3 s
// (what it can read of the cluster in 2.5 s); `recent`, `mute` and `unmute` read and change the store.
import { KubeAccessError } from '../kube/collect.ts';
import type { KubeReader } from '../kube/rest.ts';
import { muteKey, WorkloadRef } from '../kube/workloads.ts';
import { diagnose } from '#shared/diagnose.ts';
import { DiagnosisError } from '#shared/errors.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import type { Verdict } from '#shared/verdict.ts';
import type { AuditRecord, AuditTrail, Incident, Incidents, Mutes } from '../store/port.ts';
import { renderAlert } from './alert.ts';
import type { ChartPublisher } from './chart-upload.ts';
import { logFailure } from './failures.ts';
import { incidentId } from './incident-id.ts';
import { parseOomCommand, USAGE } from './command.ts';
import { DEFAULT_EVICTION_WINDOW_MS, DEFAULT_REPEAT_WINDOW_MS, groupKeyOf } from './grouping.ts';
import { causeOf } from './storms.ts';
import { clip, escapeMrkdwn, SLACK_LIMITS, slackText, withoutCaller } from './slack-limits.ts';
import { foundInBlock, whyPod } from './why-pod.ts';

export interface CommandDeps {
  /** `recent` lists incidents; `mute` and `unmute` change mutes and keep an audit record. */
  store: Incidents & Mutes & AuditTrail;
  cluster(name: string): KubeReader | undefined;
  /** The clusters oombot knows, by name. */
  clusters: string[];
  now?: () => number;
  /** Slack acknowledges within 3 s; what `why` may spend reading the cluster. */
  whyBudgetMs?: number;
  /** Uploads the memory chart `why` shows (bot/chart-upload.ts); without it, a sparkline. */
  charts?: ChartPublisher;
  /** The windows the alerts group in, for `recent` to group as they did (bot/grouping.ts's defaults without it). */
  windows?: GroupWindows;
}

export interface CommandReply {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: unknown[];
  /** The same reply without its picture, sent when the response_url refuses the picture (alert-actions.ts's sendAnswer). */
  withoutPicture?: CommandReply;
}

/** A reply that is only text, already escaped: clipped whole, so what a user typed back cannot make it too long. */
const ephemeral = (text: string): CommandReply => ({ response_type: 'ephemeral', text: clip(text, SLACK_LIMITS.messageText) });

export async function answerOom(deps: CommandDeps, text: string, userId: string): Promise<CommandReply> {
  const parsed = parseOomCommand(text);
  if (!parsed.ok) return ephemeral(`${slackText(parsed.error, SLACK_LIMITS.sectionText)}\n\n${USAGE}`);
  const command = parsed.command;
  if (command.kind === 'help') return ephemeral(USAGE);

  const cluster = command.cluster ?? (deps.clusters.length === 1 ? deps.clusters[0] : undefined);
  if (!cluster || !deps.clusters.includes(cluster)) {
    const known = deps.clusters.length ? escapeMrkdwn(deps.clusters.join(', ')) : 'none yet (see OOMBOT_CLUSTERS)';
    return ephemeral(command.cluster ? `I do not know the cluster "${escapeMrkdwn(command.cluster)}". Clusters I know: ${known}.` : `Which cluster? Add \`--cluster &lt;name&gt;\`; clusters I know: ${known}.`);
  }
  const now = (deps.now ?? Date.now)();

  switch (command.kind) {
    case 'recent': {
      const read = await readRecent(deps.store, cluster, command.namespace, deps.windows);
      if (!read.entries.length) return ephemeral(escapeMrkdwn(`No incidents recorded in ${command.namespace ? `namespace ${command.namespace} of ` : ''}${cluster}.`));
      const lines = read.entries.map((e) => ('storm' in e ? stormLines(e.storm) : e.group.length > 1 ? groupLine(e.group) : incidentLine(e.group[0]!)));
      return ephemeral(clipWhole(`Last incidents in ${escapeMrkdwn(`${command.namespace ? `${command.namespace} · ` : ''}${cluster}`)}:`, lines, SLACK_LIMITS.sectionText, read));
    }
    case 'mute': {
      const until = now + command.durationMs;
      const key = muteKey(cluster, command.namespace, command.workload);
      const was = await deps.store.muteUntil(key, now);
      await deps.store.mute(key, until, userId, now);
      // Silencing alerts changes what on-call sees: on the record like the alert's Mute buttons (bot/alert-actions.ts).
      const audited = await recordOrSay(deps.store, commandAudit(cluster, command.namespace, command.workload, userId, now, `mute-${command.duration}`, was ? `muted until ${new Date(was).toISOString()}` : 'alerting', `muted until ${new Date(until).toISOString()}`));
      return ephemeral(`${escapeMrkdwn(`Muted ${command.workload} in ${command.namespace} (${cluster}) for ${command.duration}, until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC.`)}${audited}`);
    }
    case 'unmute': {
      const key = muteKey(cluster, command.namespace, command.workload);
      const was = await deps.store.muteUntil(key, now);
      await deps.store.unmute(key);
      const audited = await recordOrSay(deps.store, commandAudit(cluster, command.namespace, command.workload, userId, now, 'unmute', was ? `muted until ${new Date(was).toISOString()}` : 'alerting', 'alerting'));
      return ephemeral(`${escapeMrkdwn(`Unmuted ${command.workload} in ${command.namespace} (${cluster}).`)}${audited}`);
    }
    case 'why': {
      const api = deps.cluster(cluster)!;
      let found;
      try {
        // The lookup across namespaces, when no namespace was given, is inside the same budget.
        found = await withDeadline(whyPod(api, cluster, command.pod, command.namespace), deps.whyBudgetMs ?? 2_500);
      } catch (error) {
        if (error instanceof KubeAccessError) return ephemeral(`I may not read that pod: ${escapeMrkdwn(withoutCaller(error.message))}`);
        if (error instanceof DeadlineError) return ephemeral(escapeMrkdwn(`Cluster ${cluster} did not answer within Slack's 3 seconds; try again in a moment.`));
        throw error;
      }
      if ('answer' in found) return ephemeral(found.answer);
      const { input } = found;
      const note = found.foundIn ? [foundInBlock(command.pod, found.foundIn)] : [];
      let verdict;
      try {
        verdict = diagnose(input);
      } catch (error) {
        if (error instanceof DiagnosisError) return ephemeral(escapeMrkdwn(error.message));
        throw error;
      }
      const ctx = { cluster, incidentId: 'live', occurredAt: verdict.termination?.finishedAt ?? new Date(now).toISOString() };
      const response_type = command.share ? 'in_channel' : 'ephemeral';
      // The API keeps no memory past: the chart is the one of the container's last alert, from its stored trajectory.
      const trajectory = verdict.trajectory ?? (verdict.container ? await lastTrajectory(deps.store, cluster, input.pod, verdict.container) : undefined);
      const picture = trajectory && deps.charts ? await deps.charts(verdict, trajectory) : undefined;
      const plain = renderAlert(verdict, { ...ctx, ...(trajectory ? { trajectory } : {}) });
      if (!picture) return { response_type, text: plain.text, blocks: [...note, ...plain.blocks] };
      const alert = renderAlert(verdict, { ...ctx, trajectory, picture });
      return { response_type, text: alert.text, blocks: [...note, ...alert.blocks], withoutPicture: { response_type, text: plain.text, blocks: [...note, ...plain.blocks] } };
    }
  }
}

/**
 * `/oom recent` lists this many entries — an incident, a group of them, or a storm with its groups — read a page at a
 * time, until one more entry than it lists is complete, or it has read RECENT_READ_MAX incidents or spent
 * RECENT_BUDGET_MS: a storm of hundreds is one entry, and what happened before it is read on the next page rather than
 * pushed out of the answer (and when it was not reached, the answer says older incidents were not read).
 */
const RECENT_ENTRIES = 10;
/** Well under the 1 MB a DynamoDB Query returns at most (an incident with its verdict is a few KB). */
const RECENT_PAGE = 100;
const RECENT_READ_MAX = 2_000;
/** `recent` is answered in the acknowledgement, within Slack's 3 s: no further page is read after this long. */
const RECENT_BUDGET_MS = 1_500;
/** A storm's entry names this many of its groups, the most counted first. */
const STORM_GROUPS_LISTED = 10;

type RecentEntry = { group: Incident[] } | { storm: Incident[] };

/** The windows the alerts group in (bot/post-occurrence.ts): the same, so that an entry is what one alert showed. */
export interface GroupWindows {
  repeatMs: number;
  evictionMs: number;
}

interface RecentRead {
  entries: RecentEntry[];
  /** Entries found beyond those listed, in what was read. */
  more: number;
  /** Incidents read, and whether older ones were left unread. */
  read: number;
  unread: boolean;
}

async function readRecent(store: Incidents, cluster: string, namespace: string | undefined, windows: GroupWindows | undefined): Promise<RecentRead> {
  const incidents: Incident[] = [];
  let unread = true;
  const started = Date.now();
  while (incidents.length < RECENT_READ_MAX && Date.now() - started < RECENT_BUDGET_MS) {
    const limit = Math.min(RECENT_PAGE, RECENT_READ_MAX - incidents.length);
    const page = await store.recentIncidents(cluster, { ...(namespace ? { namespace } : {}), limit, ...(incidents.length ? { before: incidents.at(-1)! } : {}) });
    incidents.push(...page);
    if (page.length < limit) {
      unread = false;
      break;
    }
    // The oldest entry may go on in the next page; one more than listed makes every listed one complete.
    if (recentEntries(incidents, windows).length > RECENT_ENTRIES) break;
  }
  const entries = recentEntries(incidents, windows);
  return { entries: entries.slice(0, RECENT_ENTRIES), more: Math.max(0, entries.length - RECENT_ENTRIES), read: incidents.length, unread };
}

/**
 * The incidents, newest first, as the alerts grouped them (docs/alert-style.md, "Repeats and storms"):
 * - a storm: the occurrences a storm counted are incidents at its root message, of more than one group and workload;
 * - a group: the incidents of one repeat group — the same key as the alert's (bot/grouping.ts groupKeyOf: one node's
 *   evictions, or one workload's container dying of one cause), each within the group's window of the next — and the
 *   containers of one pod listed in one alert (bot/pod-deaths.ts: recorded at that alert's message);
 * - a group of one is an incident's own line.
 */
export function recentEntries(incidents: Incident[], windows: GroupWindows = { repeatMs: DEFAULT_REPEAT_WINDOW_MS, evictionMs: DEFAULT_EVICTION_WINDOW_MS }): RecentEntry[] {
  const at = new Map<string, Incident[]>();
  const messageOf = (i: Incident) => `${i.message.channel} ${i.message.ts}`;
  for (const i of incidents) {
    const list = at.get(messageOf(i));
    if (list) list.push(i);
    else at.set(messageOf(i), [i]);
  }
  // Once per message: a storm's root holds hundreds of incidents.
  const storm = new Map<string, boolean>();
  const isStorm = (message: string) => {
    const together = at.get(message)!;
    const known = storm.get(message) ?? (new Set(together.map((t) => `${t.namespace}/${t.workload}`)).size > 1 && new Set(together.map((t) => groupKeyOf(t.cluster, t.verdict))).size > 1);
    storm.set(message, known);
    return known;
  };
  const entries: RecentEntry[] = [];
  const storms = new Set<string>();
  const openGroups = new Map<string, { group: Incident[]; oldest: number }>();
  const podAlerts = new Map<string, { group: Incident[]; oldest: number }>();
  for (const i of incidents) {
    const message = messageOf(i);
    if (isStorm(message)) {
      if (!storms.has(message)) entries.push({ storm: at.get(message)! });
      storms.add(message);
      continue;
    }
    const key = groupKeyOf(i.cluster, i.verdict);
    const window = key.startsWith('evict/') ? windows.evictionMs : windows.repeatMs;
    const when = Date.parse(i.occurredAt);
    const pod = `${message} ${i.namespace}/${i.verdict.pod.name}`;
    const open = podAlerts.get(pod) ?? openGroups.get(key);
    const entry = open && (podAlerts.has(pod) || open.oldest - when <= window) ? open : { group: [], oldest: when };
    if (!entry.group.length) entries.push({ group: entry.group });
    entry.group.push(i);
    entry.oldest = Math.min(entry.oldest, when);
    openGroups.set(key, entry);
    podAlerts.set(pod, entry);
  }
  return entries;
}

function incidentLine(i: Incident): string {
  return `• ${i.occurredAt.slice(0, 16).replace('T', ' ')} UTC · *${escapeMrkdwn(i.headline)}* · ${escapeMrkdwn(i.incidentId)}`;
}

/**
 * A group, as its alert's counter says it: "7 pods evicted from node ip-10-0-3-7", "shop/deploy/checkout › api — 5×",
 * or the containers of one pod that died together; then its cause as a storm root says it, and its latest incident.
 */
function groupLine(group: Incident[]): string {
  const newest = group[0]!;
  const oldest = group.at(-1)!;
  const v = newest.verdict;
  const ref = WorkloadRef.fromKey(newest.workload, newest.namespace);
  const workload = `${newest.namespace}/${ref ? WorkloadRef.short(ref) : newest.workload}`;
  const pods = new Set(group.map((i) => `${i.namespace}/${i.verdict.pod.name}`));
  const containers = [...new Set(group.map((i) => i.container ?? i.verdict.pod.name))];
  const what =
    v.kind === 'eviction' && v.node && group.every((i) => i.verdict.kind === 'eviction' && i.verdict.node === v.node)
      ? `${pods.size} pods evicted from node ${v.node}`
      : pods.size === 1 && containers.length === group.length
        ? `${group.length} containers of pod ${workload} › ${v.pod.name} died together (${containers.slice(0, 3).join(', ')}${containers.length > 3 ? ', …' : ''})`
        : `${workload} › ${containers.slice(0, 3).join(', ')}${containers.length > 3 ? ', …' : ''} — ${group.length}×`;
  const span = oldest.occurredAt.slice(11, 16) === newest.occurredAt.slice(11, 16) ? newest.occurredAt.slice(0, 16).replace('T', ' ') : `${oldest.occurredAt.slice(0, 16).replace('T', ' ')}–${newest.occurredAt.slice(11, 16)}`;
  return `• ${span} UTC · *${escapeMrkdwn(what)}* · ${escapeMrkdwn(causeOf({ cause: v.cause, node: v.node ?? undefined }))} · latest ${escapeMrkdwn(newest.incidentId)}`;
}

/** A storm: one line, then its groups beneath it (workload › container, occurrences, cause, the latest incident). */
function stormLines(storm: Incident[]): string {
  const groups = new Map<string, Incident[]>();
  for (const i of storm) {
    // As the storm root labels its groups ("shop/deploy/checkout › api").
    const ref = WorkloadRef.fromKey(i.workload, i.namespace);
    const key = `${i.namespace}/${ref ? WorkloadRef.short(ref) : i.workload} › ${i.container ?? i.verdict.pod.name}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const newest = storm[0]!;
  const oldest = storm.at(-1)!;
  const workloads = new Set(storm.map((i) => `${i.namespace}/${i.workload}`)).size;
  const head = `• ${oldest.occurredAt.slice(11, 16)}–${newest.occurredAt.slice(11, 16)} UTC · *storm: ${workloads} workloads, ${storm.length} occurrences* · one message; pick a workload in it for its explanation and buttons`;
  const lines = sorted.slice(0, STORM_GROUPS_LISTED).map(([label, is]) => `    ◦ ${escapeMrkdwn(label)} — ${is.length}× · ${escapeMrkdwn(is[0]!.cause)} · ${escapeMrkdwn(is[0]!.incidentId)}`);
  const more = sorted.length - STORM_GROUPS_LISTED;
  return [head, ...lines, ...(more > 0 ? [`    ◦ (+${more} more groups)`] : [])].join('\n');
}

/**
 * The heading and whole entries within `max`, then what was left out, said as it is: entries beyond those listed (or
 * cut for length) in what was read, and whether older incidents were not read at all. An entry that alone does not
 * fit is cut.
 */
function clipWhole(heading: string, entries: string[], max: number, read: Pick<RecentRead, 'more' | 'read' | 'unread'>): string {
  const footer = (left: number) => {
    const parts = [left > 0 ? `…and ${left} more ${left === 1 ? 'entry' : 'entries'} in the last ${read.read} incidents` : '', read.unread ? `${left > 0 ? '; ' : ''}older incidents not read` : ''].join('');
    return parts ? `\n_${parts}._` : '';
  };
  let out = heading;
  let shown = 0;
  for (const entry of entries) {
    const next = `${out}\n${entry}`;
    if (next.length + footer(read.more + entries.length - shown - 1).length > max) {
      if (out === heading) return clip(next, max);
      break;
    }
    out = next;
    shown += 1;
  }
  return `${out}${footer(read.more + entries.length - shown)}`;
}

/**
 * The audit record of a mute or unmute typed as a command: there is no incident, so the trail is kept per workload
 * (`workload/<cluster>/<namespace>/<Kind>/<name>`), where `auditTrail` finds every command about it.
 */
export function commandAudit(cluster: string, namespace: string, workload: string, userId: string, now: number, action: string, before: string, after: string): AuditRecord {
  return { incidentId: `workload/${cluster}/${namespace}/${workload}`, cluster, userId, action, target: `${namespace}/${workload}`, before, after, at: new Date(now).toISOString() };
}

/**
 * Writes the audit record of a change already made; a failure is logged with a reference and said after the answer,
 * never reported as the change failing (the mute holds either way).
 */
async function recordOrSay(store: AuditTrail, record: AuditRecord): Promise<string> {
  try {
    await store.recordAudit(record);
    return '';
  } catch (error) {
    const reference = logFailure('the audit record of a mute could not be written', error);
    return ` ⚠️ Its audit record could not be written (reference \`${reference}\`): this message is the record.`;
  }
}

/**
 * The memory before the container's last death: its incidents are found by the ids of the terminations the live pod
 * shows (the occurrence ids the forwarder gave them, shared/occurrence-id.ts), newest first — a read of one incident
 * each, as the buttons make, never a scan of the namespace's history. Undefined when none has one, or the store
 * cannot say (the answer goes out without it).
 */
async function lastTrajectory(store: Incidents, cluster: string, pod: Pod, container: string): Promise<Verdict['trajectory']> {
  const ids = podOccurrences(cluster, pod)
    .filter((o) => o.kind === 'container-termination' && o.container === container)
    .reverse()
    .map((o) => incidentId(o.occurrenceId));
  try {
    for (const id of ids) {
      const trajectory = (await store.incident(id))?.verdict.trajectory;
      if (trajectory) return trajectory;
    }
  } catch (error) {
    logFailure('the incident behind a live why could not be read; it is answered without its memory chart', error, {}, undefined, 'warn');
  }
  return undefined;
}

class DeadlineError extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeadlineError()), ms)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
