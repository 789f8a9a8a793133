// What the alert's buttons do. Their value is an incident id; the incident — cluster, namespace, workload, verdict —
// is read from the store, so a forged or stale value can mute or show only what the store holds under that id.
import { notSeen } from '#shared/unseen.ts';
import { muteKey, WorkloadRef } from '../kube/workloads.ts';
import type { AuditTrail, Incidents, Mutes } from '../store/port.ts';
import type { Block, KnownBlock } from '@slack/types';
import { ACTIONS, CHART_BLOCK, memoryLine, mutedLine, renderAlert, withMuted, withUnmuted } from './alert.ts';
import { isBlock } from './block-ids.ts';
import { logFailure } from './failures.ts';
import { groupKeyOf } from './grouping.ts';
import { proposedChange } from './plan-patch.ts';
import { groupChoice } from './storms.ts';
import { clip, escapeMrkdwn, plainText, SLACK_LIMITS, withoutCaller } from './slack-limits.ts';

export interface ActionAnswer {
  response_type: 'ephemeral';
  replace_original: false;
  text: string;
  blocks?: unknown[];
  /** The same answer without its picture, sent when the response_url refuses the picture (sendAnswer). */
  withoutPicture?: ActionAnswer;
  /**
   * The clicked alert redrawn for everyone (a Mute or Unmute): sent to the click's response_url with replace_original
   * before the answer, which needs no bot token in the `slack` function (api.slack.com/interactivity/handling).
   */
  redraw?: { replace_original: true; text: string; blocks: unknown[] };
}

/** The message a button was clicked on, as Slack sends it back in the block_actions payload. */
export interface ClickedMessage {
  blocks?: unknown[];
  /** Its notification text, kept when it is redrawn. */
  text?: string;
}

const MUTES: Record<string, { ms: number; label: string }> = { [ACTIONS.mute1h]: { ms: 3_600_000, label: '1 h' }, [ACTIONS.mute24h]: { ms: 86_400_000, label: '24 h' } };

export async function answerAlertAction(deps: { store: Incidents & Mutes & AuditTrail; now?: () => number }, actionId: string, incidentId: string, userId: string, clicked?: ClickedMessage): Promise<ActionAnswer | undefined> {
  const answer = (text: string): ActionAnswer => ({ response_type: 'ephemeral', replace_original: false, text: clip(text, SLACK_LIMITS.messageText) });
  if (actionId === ACTIONS.runbook) return undefined; // a link: Slack opens it; nothing to answer
  const incident = await deps.store.incident(incidentId);
  if (!incident) return answer(`I have no incident ${escapeMrkdwn(incidentId)} any more (incidents are kept 90 days).`);
  const mute = MUTES[actionId];
  const key = muteKey(incident.cluster, incident.namespace, incident.workload);
  const target = `${incident.namespace}/${incident.workload}`;
  // The short form people type back ("deploy/checkout"); a key that is not one is shown as it is.
  const ref = WorkloadRef.fromKey(incident.workload, incident.namespace);
  const short = ref ? WorkloadRef.short(ref) : incident.workload;
  if (mute) {
    const now = (deps.now ?? Date.now)();
    const until = now + mute.ms;
    await deps.store.mute(key, until, userId, now);
    // Silencing alerts changes what on-call sees: anyone in the channel may do it, and it is on the record.
    await deps.store.recordAudit({ incidentId, cluster: incident.cluster, userId, action: `mute-${mute.label.replace(' ', '')}`, target, before: 'alerting', after: `muted until ${new Date(until).toISOString()}`, at: new Date(now).toISOString() });
    const unmute = `/oom unmute ${short} -n ${incident.namespace}`;
    return {
      ...answer(escapeMrkdwn(`Muted ${incident.workload} in ${incident.namespace} (${incident.cluster}) for ${mute.label}, until ${new Date(until).toISOString().slice(11, 16)} UTC. \`${unmute}\` undoes it.`)),
      // The line every later redraw from the store draws too (bot/mute-state.ts), from the same mute.
      ...redrawn(clicked, (blocks) => withMuted(blocks, mutedLine({ until, by: userId, at: now }), incidentId)),
    };
  }
  if (actionId === ACTIONS.unmute) {
    // Authorized and audited as Mute is: anyone in the channel may undo a mute, on the record.
    const now = (deps.now ?? Date.now)();
    const was = await deps.store.muteUntil(key, now);
    await deps.store.unmute(key);
    await deps.store.recordAudit({ incidentId, cluster: incident.cluster, userId, action: 'unmute', target, before: was ? `muted until ${new Date(was).toISOString()}` : 'alerting', after: 'alerting', at: new Date(now).toISOString() });
    return { ...answer(escapeMrkdwn(`Unmuted ${incident.workload} in ${incident.namespace} (${incident.cluster}): its next death alerts again.`)), ...redrawn(clicked, (blocks) => withUnmuted(blocks, incidentId)) };
  }
  if (actionId === ACTIONS.why) {
    const v = incident.verdict;
    const unseen = notSeen(v);
    // The chart of the incident's trajectory is the one its alert shows: the same file, named again. (The `slack`
    // function holds no bot token to upload with; a picture is uploaded once per alert.) Without one, the sparkline.
    const chart = v.trajectory ? chartBlockOf(clicked) : undefined;
    const memory = v.trajectory && !chart ? memoryLine(v.trajectory) : undefined;
    const lines = [
      `*${escapeMrkdwn(v.headline)}* — ${v.cause} / ${v.kind}, confidence ${v.confidence}`,
      ...(memory ? [memory] : []),
      '*Evidence*',
      ...v.evidence.map((e) => `• ${escapeMrkdwn(e)}`),
      ...(unseen.length ? ['*Not seen*', ...unseen.map((m) => `• ${escapeMrkdwn(withoutCaller(m))}`)] : []),
      ...(v.recommendation ? [`*Recommendation:* ${escapeMrkdwn(v.recommendation.rationale)}`] : []),
    ];
    const text = clip(lines.join('\n'), SLACK_LIMITS.sectionText);
    if (!chart) return answer(text);
    const plain = answer(clip([lines[0]!, memoryLine(v.trajectory), ...lines.slice(1)].filter(Boolean).join('\n'), SLACK_LIMITS.sectionText));
    return { ...answer(text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, chart], withoutPicture: plain };
  }
  return undefined;
}

/** The clicked alert redrawn, when the click came with its blocks (an ephemeral answer may come without). */
function redrawn(clicked: ClickedMessage | undefined, redraw: (blocks: (KnownBlock | Block)[]) => (KnownBlock | Block)[]): Pick<ActionAnswer, 'redraw'> {
  if (!clicked?.blocks?.length) return {};
  const blocks = redraw(clicked.blocks as (KnownBlock | Block)[]);
  return blocks === clicked.blocks ? {} : { redraw: { replace_original: true, text: clip(clicked.text ?? 'oombot alert', SLACK_LIMITS.fallbackText), blocks } };
}

/** How far back `/oom recent`'s index is read for a storm's group: the storm's own incidents are the newest. */
const STORM_LOOKBACK = 500;

/**
 * A workload chosen in a storm root's "Explain a workload…" (bot/storms.ts STORM_PICK): its latest incident at that
 * root, rendered as its own alert would be — with its own Raise limit, Mute and Why? buttons, which carry the incident
 * id and so go through the same answers, checks and audit as an alert's (answerAlertAction; bot/actions.ts for Raise
 * limit). The choice's value only selects among the incidents the store holds at that root: a forged one finds none.
 */
export async function answerStormPick(deps: { store: Incidents; clusters: string[] }, choice: string, root: { channel: string; ts: string }): Promise<ActionAnswer> {
  const answer = (text: string): ActionAnswer => ({ response_type: 'ephemeral', replace_original: false, text: clip(text, SLACK_LIMITS.messageText) });
  // A group key names its cluster second ("repeat/<cluster>/<namespace>/…", bot/grouping.ts groupKeyOf) and a
  // container's group its namespace third; a hashed key (too long for an option's value) is looked for everywhere.
  const parts = choice.startsWith('sha256:') ? [] : choice.split('/');
  const clusters = parts[1] !== undefined ? deps.clusters.filter((c) => c === parts[1]) : deps.clusters;
  const namespace = parts[0] === 'repeat' ? parts[2] : undefined;
  for (const cluster of clusters) {
    const incidents = await deps.store.recentIncidents(cluster, { ...(namespace ? { namespace } : {}), limit: STORM_LOOKBACK });
    const incident = incidents.find((i) => i.message.channel === root.channel && i.message.ts === root.ts && groupChoice(groupKeyOf(i.cluster, i.verdict)) === choice);
    if (!incident) continue;
    const raise = proposedChange(incident.verdict);
    // The runbook its alert would have linked, as recorded when it was counted (store/port.ts Incident.runbookUrl).
    const buttons = { ...(raise ? { raise } : {}), ...(incident.runbookUrl ? { runbookUrl: incident.runbookUrl } : {}) };
    const alert = renderAlert(incident.verdict, { cluster: incident.cluster, incidentId: incident.incidentId, occurredAt: incident.occurredAt, buttons });
    return { ...answer(alert.text), blocks: alert.blocks };
  }
  return answer('I have no incident of that workload in this storm any more (incidents are kept 90 days); `/oom recent` lists what I have.');
}

/**
 * The clicked alert's chart, rebuilt from its image block's file id, alt text and title only (nothing else of the
 * payload is passed on); undefined when the alert showed none.
 */
function chartBlockOf(clicked: ClickedMessage | undefined): Record<string, unknown> | undefined {
  // Found by its role: an alert whose counter moved carries the chart under a revised id (bot/block-ids.ts).
  const block = clicked?.blocks?.find((b): b is Record<string, unknown> => isBlock(b, CHART_BLOCK));
  const id = (block?.['slack_file'] as { id?: unknown } | undefined)?.id;
  if (block?.['type'] !== 'image' || typeof id !== 'string' || !/^F[A-Z0-9]{8,}$/.test(id)) return undefined;
  const alt = typeof block['alt_text'] === 'string' && block['alt_text'] ? block['alt_text'] : 'Memory chart';
  const title = (block['title'] as { text?: unknown } | undefined)?.text;
  return { type: 'image', block_id: CHART_BLOCK, slack_file: { id }, alt_text: plainText(alt, 2000), ...(typeof title === 'string' && title ? { title: { type: 'plain_text', text: plainText(title, 2000) } } : {}) };
}

/** Sends an answer; when it was refused with its picture, the same answer without it (the sparkline in its text). */
export async function sendAnswer<T extends { withoutPicture?: T | undefined }>(respond: (message: Omit<T, 'withoutPicture'>) => Promise<unknown>, answer: T): Promise<void> {
  const { withoutPicture, ...message } = answer;
  try {
    await respond(message);
  } catch (error) {
    if (!withoutPicture) throw error;
    logFailure('the answer with its memory chart was refused; it was sent with a sparkline instead', error, {}, undefined, 'warn');
    await respond(withoutPicture);
  }
}
