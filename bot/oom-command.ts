// Answers to `/oom` (bot/command.ts's grammar), as ephemeral Slack messages. `why` diagnoses live within Slack's 3 s
// (what it can read of the cluster in 2.5 s); `recent`, `mute` and `unmute` read and change the store.
import { collectDiagnosisInput, KubeAccessError, PodNotFoundError } from '../kube/collect.ts';
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
import { clip, escapeMrkdwn, SLACK_LIMITS, slackText, withoutCaller } from './slack-limits.ts';

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
      const incidents = await deps.store.recentIncidents(cluster, { ...(command.namespace ? { namespace: command.namespace } : {}), limit: RECENT_READ });
      if (!incidents.length) return ephemeral(escapeMrkdwn(`No incidents recorded in ${command.namespace ? `namespace ${command.namespace} of ` : ''}${cluster}.`));
      const lines = recentEntries(incidents).slice(0, RECENT_ENTRIES).map((e) => ('storm' in e ? stormLines(e.storm) : incidentLine(e.incident)));
      return ephemeral(clipWhole(`Last incidents in ${escapeMrkdwn(`${command.namespace ? `${command.namespace} · ` : ''}${cluster}`)}:`, lines, SLACK_LIMITS.sectionText));
    }
    case 'mute': {
      const until = now + command.durationMs;
      const key = muteKey(cluster, command.namespace, command.workload);
      const was = await deps.store.muteUntil(key, now);
      await deps.store.mute(key, until, userId);
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
      let input;
      try {
        input = await withDeadline(collectDiagnosisInput(api, command.namespace, command.pod), deps.whyBudgetMs ?? 2_500);
      } catch (error) {
        if (error instanceof PodNotFoundError) return ephemeral(escapeMrkdwn(`Pod ${command.pod} not found in namespace ${command.namespace} of cluster ${cluster}.`));
        if (error instanceof KubeAccessError) return ephemeral(`I may not read that pod: ${escapeMrkdwn(withoutCaller(error.message))}`);
        if (error instanceof DeadlineError) return ephemeral(escapeMrkdwn(`Cluster ${cluster} did not answer within Slack's 3 seconds; try again in a moment.`));
        throw error;
      }
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
      if (!picture) return { response_type, text: plain.text, blocks: plain.blocks };
      const alert = renderAlert(verdict, { ...ctx, trajectory, picture });
      return { response_type, text: alert.text, blocks: alert.blocks, withoutPicture: { response_type, text: plain.text, blocks: plain.blocks } };
    }
  }
}

/** `/oom recent` lists this many entries — an incident, or a storm with its groups — read from this many incidents. */
const RECENT_ENTRIES = 10;
const RECENT_READ = 200;
/** A storm's entry names this many of its groups, the most counted first. */
const STORM_GROUPS_LISTED = 10;

type RecentEntry = { incident: Incident } | { storm: Incident[] };

/**
 * The incidents, newest first, with those of a storm as one entry (docs/alert-style.md, "Repeats and storms"): the
 * occurrences a storm counted are incidents at its root message, of more than one workload — where a pod's containers
 * that died together share one alert of one workload, which stays lines of its own.
 */
export function recentEntries(incidents: Incident[]): RecentEntry[] {
  const at = new Map<string, Incident[]>();
  for (const i of incidents) {
    const key = `${i.message.channel} ${i.message.ts}`;
    at.set(key, [...(at.get(key) ?? []), i]);
  }
  const entries: RecentEntry[] = [];
  const seen = new Set<string>();
  for (const i of incidents) {
    const key = `${i.message.channel} ${i.message.ts}`;
    const together = at.get(key)!;
    if (new Set(together.map((t) => `${t.namespace}/${t.workload}`)).size < 2) entries.push({ incident: i });
    else if (!seen.has(key)) {
      seen.add(key);
      entries.push({ storm: together });
    }
  }
  return entries;
}

function incidentLine(i: Incident): string {
  return `• ${i.occurredAt.slice(0, 16).replace('T', ' ')} UTC · *${escapeMrkdwn(i.headline)}* · ${escapeMrkdwn(i.incidentId)}`;
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

/** The heading and whole entries within `max`; an entry that alone does not fit is cut. */
function clipWhole(heading: string, entries: string[], max: number): string {
  let out = heading;
  for (const entry of entries) {
    const next = `${out}\n${entry}`;
    if (next.length > max) return out === heading ? clip(next, max) : out;
    out = next;
  }
  return out;
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
