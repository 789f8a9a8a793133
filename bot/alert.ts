// The alert: a Verdict as a Slack message, shaped like docs/alert-style.md — the cause in plain words first, whose
// problem it is, the numbers, one sized action, the evidence and what could not be seen, and the context line last.
// Pure: the same blocks in Slack, in the local console and in tests.
import type { Block, KnownBlock } from '@slack/types';
import { displayQuantity, parseQuantity } from '#shared/quantity.ts';
import { WorkloadRef } from '../kube/workloads.ts';
import { notSeen } from '#shared/unseen.ts';
import type { Verdict } from '#shared/verdict.ts';
import { safeDecodeSeries } from '#shared/memory-series.ts';
// Types only: the renderer behind the upload stays out of what only shows a sparkline (the slack function's bundle).
import type { ChartPicture } from './chart-upload.ts';
import type { Mute } from '../store/port.ts';
import type { ProposedChange } from './raise-limit.ts';
import { isBlock, renewBlockIds } from './block-ids.ts';
import { clip, escapeMrkdwn, plainText, SLACK_LIMITS, slackText, withoutCaller } from './slack-limits.ts';
import { sparkline } from './sparkline.ts';

export interface AlertContext {
  cluster: string;
  incidentId: string;
  /** When it happened (RFC 3339); shown in UTC. */
  occurredAt: string;
  /** Repeats of the same workload + container + cause, with this one: "4th time in 38 min". */
  repeat?: { count: number; sinceMinutes: number };
  /**
   * Show the alert's buttons (values carry the incident id, never the context); a runbook URL adds "Open runbook".
   * `raiseOff`: why the change is not offered as a button where it otherwise would be (mrkdwn, bot/raise-policy.ts
   * raiseOffLine), said on a line where the button would be; the size stays in the action's text.
   */
  buttons?: { runbookUrl?: string; raise?: ProposedChange; raiseOff?: string };
  /** The memory chart, uploaded (bot/chart-upload.ts); without it a trajectory is shown as a one-line sparkline. */
  picture?: ChartPicture;
  /** The memory before a death when the verdict carries none of its own (a live `/oom why` shows its last incident's). */
  trajectory?: Verdict['trajectory'];
}

/** The line that says why Raise limit is not offered (AlertContext.buttons.raiseOff), where its button would be. */
export const RAISE_OFF_BLOCK = 'oombot-raise-off';

/** The action ids of the alert's buttons; functions/slack handles each. */
export const ACTIONS = { raise: 'oombot_raise', mute1h: 'oombot_mute_1h', mute24h: 'oombot_mute_24h', unmute: 'oombot_unmute', why: 'oombot_why', runbook: 'oombot_runbook' } as const;

export interface AlertMessage {
  /** The notification text (also what screen readers and old clients show). */
  text: string;
  blocks: (KnownBlock | Block)[];
}

const ICONS: Record<Verdict['cause'], string> = {
  limit: '🔴',
  'node-pressure': '🟠',
  runtime: '🟡',
  'not-oom': '⚪',
  unknown: '⚪',
};

export function renderAlert(v: Verdict, ctx: AlertContext): AlertMessage {
  const headline = plainText(`${ICONS[v.cause]} ${v.headline}`, SLACK_LIMITS.headerText);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: headline, emoji: true } },
    section(`${escapeMrkdwn(v.summary)}${repeatText(ctx.repeat)}`),
    section(factsLine(v)),
    section(`${escapeMrkdwn(v.action)}${recommendationText(v)}`),
    ...(ctx.buttons?.raiseOff ? [{ type: 'context' as const, block_id: RAISE_OFF_BLOCK, elements: [{ type: 'mrkdwn' as const, text: clip(ctx.buttons.raiseOff, SLACK_LIMITS.contextText) }] }] : []),
    ...(ctx.buttons ? [buttons(v, ctx.incidentId, ctx.buttons)] : []),
    section(listText('*Evidence*', v.evidence)),
  ];
  const memory = memoryBlock(v, ctx);
  if (memory) blocks.push(memory);
  const unseen = notSeen(v);
  if (unseen.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`Not seen: ${unseen.map(withoutCaller).join(' · ')}`, SLACK_LIMITS.contextText) }] });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: contextLine(v, ctx) }] });
  return { text: slackText(`${v.headline} (${ctx.cluster})`, SLACK_LIMITS.fallbackText), blocks };
}

function buttons(v: Verdict, incidentId: string, { runbookUrl, raise }: NonNullable<AlertContext['buttons']>): KnownBlock {
  const button = (text: string, action_id: string) => ({ type: 'button' as const, text: { type: 'plain_text' as const, text }, action_id, value: incidentId });
  return {
    type: 'actions',
    block_id: ACTIONS_BLOCK,
    elements: [
      ...(raise ? [raiseButton(v, incidentId, raise)] : []),
      ...(runbookUrl ? [{ type: 'button' as const, text: { type: 'plain_text' as const, text: 'Open runbook' }, action_id: ACTIONS.runbook, url: runbookUrl, value: incidentId }] : []),
      ...muteButtons(incidentId),
      button('Why?', ACTIONS.why),
    ],
  };
}

/** The two Mute buttons, as the alert shows them until someone mutes it (withMuted swaps them for Unmute). */
function muteButtons(incidentId: string) {
  return [
    { type: 'button' as const, text: { type: 'plain_text' as const, text: 'Mute 1 h' }, action_id: ACTIONS.mute1h, value: incidentId },
    { type: 'button' as const, text: { type: 'plain_text' as const, text: 'Mute 24 h' }, action_id: ACTIONS.mute24h, value: incidentId },
  ];
}

/**
 * The one mutating button. Slack shows the confirm dialog before it sends anything; the server then re-checks who,
 * what and how much and dry-runs it (bot/raise-limit.ts), so the dialog is a courtesy, not the safety.
 */
function raiseButton(v: Verdict, incidentId: string, raise: ProposedChange) {
  const where = `${v.workload ? WorkloadRef.key(v.workload) : `pod ${v.pod.name}`} (${v.pod.namespace})`;
  const effect = !v.workload ? 'The pod is resized in place; a rollout or recreation undoes it.' : 'Its pods roll out with the new value.';
  const was = raise.field === 'limit' ? v.memory.limit : raise.field === 'pod-limit' ? v.memory.podLimit : v.memory.request;
  // A pod-level limit bounds every container of the pod (KEP-2837): say so, not "container x".
  const what = raise.field === 'pod-limit' ? `The pod-level memory limit of ${where}, which bounds ${v.container} and the pod's other containers:` : `Container ${v.container} of ${where}: memory ${raise.field}`;
  return {
    type: 'button' as const,
    style: 'primary' as const,
    text: { type: 'plain_text' as const, text: plainText(raise.label, SLACK_LIMITS.buttonText) },
    action_id: ACTIONS.raise,
    value: incidentId,
    confirm: {
      title: { type: 'plain_text' as const, text: raise.field === 'request' ? 'Set the memory request?' : raise.field === 'pod-limit' ? "Raise the pod's limit?" : 'Raise the memory limit?' }, // within confirmTitle
      text: { type: 'mrkdwn' as const, text: clip(escapeMrkdwn(`${what} ${was ?? 'none'} → ${raise.value}. ${effect} oombot checks your permission and the caps, and dry-runs it first.`), SLACK_LIMITS.confirmText) },
      confirm: { type: 'plain_text' as const, text: plainText(raise.label.replace(/^Raise (?:pod )?limit to|^Set request to/, 'Yes,'), SLACK_LIMITS.confirmButton) },
      deny: { type: 'plain_text' as const, text: 'Cancel' },
    },
  };
}

/** The header block of a warning before the kill (bot/occurrence-messages.ts): a kill that follows finds its thread by it. */
export const WARNING_BLOCK = 'oombot-warning';

/** The picture's place: the chart's image block, or the sparkline's context block when there is no picture. */
export const CHART_BLOCK = 'oombot-chart';

/**
 * The memory before the death: the uploaded chart in an image block (api.slack.com/reference/block-kit/blocks#image:
 * alt_text required, it and the plain_text title at most 2,000 characters; the file named by slack_file id), or,
 * without one, the samples as a sparkline on one context line — the alert never waits for or lacks a picture.
 */
export function memoryBlock(v: Verdict, ctx: Pick<AlertContext, 'picture' | 'trajectory'>): KnownBlock | undefined {
  if (ctx.picture) {
    return { type: 'image', block_id: CHART_BLOCK, slack_file: { id: ctx.picture.fileId }, alt_text: plainText(ctx.picture.altText, IMAGE_TEXT_MAX), title: { type: 'plain_text', text: plainText(ctx.picture.title, IMAGE_TEXT_MAX) } };
  }
  const line = memoryLine(ctx.trajectory ?? v.trajectory);
  return line === undefined ? undefined : { type: 'context', block_id: CHART_BLOCK, elements: [{ type: 'mrkdwn', text: line }] };
}

const IMAGE_TEXT_MAX = 2000;
const SPARKLINE_WIDTH = 30;

/** "Memory, 30 min before the kill: `▁▂▃▅▆▇█` peak 498Mi of 512Mi" (monospace, so the bars line up). */
export function memoryLine(trajectory: Verdict['trajectory']): string | undefined {
  const decoded = trajectory && safeDecodeSeries(trajectory.series);
  const series = decoded && decoded.success ? decoded.data : undefined;
  if (!series?.samples.length) return undefined;
  const line = sparkline(series.samples, { width: SPARKLINE_WIDTH, ...(series.limitBytes !== undefined ? { limitBytes: series.limitBytes } : {}) });
  if (!line) return undefined;
  const cut = line.lastIndexOf(' peak ');
  const end = series.killedAt ?? series.samples.at(-1)!.at;
  const minutes = Math.max(1, Math.round((end - series.samples[0]!.at) / 60_000));
  return slackText(`Memory, ${minutes} min before ${series.killedAt !== undefined ? 'the kill' : 'the last sample'}: \`${line.slice(0, cut)}\`${line.slice(cut)}`, SLACK_LIMITS.contextText);
}

/** The alert's buttons (a handled alert's repeat offers them again: bot/occurrence-messages.ts). */
export const ACTIONS_BLOCK = 'oombot-actions';
/** The handled line (withHandled): a repeat under a handled alert offers its button again (bot/occurrence-messages.ts). */
export const HANDLED_BLOCK = 'oombot-handled';
/** Under the handled line: it died again after the fix, and its reply in the thread offers the button (withRecurred). */
export const RECURRED_BLOCK = 'oombot-recurred';

/**
 * The handled alert once a death after its fix was offered the button again in the thread (bot/grouping.ts): a line
 * under the handled one says so, and marks that the offer was made. A new raise (withHandled) clears it. The blocks of
 * an update, so with new block ids (bot/block-ids.ts); blocks without a handled line come back as they were.
 */
export function withRecurred(blocks: (KnownBlock | Block)[]): (KnownBlock | Block)[] {
  if (!blocks.some((b) => isBlock(b, HANDLED_BLOCK))) return blocks;
  const line: KnownBlock = { type: 'context', block_id: RECURRED_BLOCK, elements: [{ type: 'mrkdwn', text: '⚠️ Died again after the fix was applied: the latest death is in the thread, with its buttons.' }] };
  return renewBlockIds(blocks.filter((b) => !isBlock(b, RECURRED_BLOCK)).flatMap((b) => (isBlock(b, HANDLED_BLOCK) ? [b, line] : [b])));
}

/** Without the died-again line: a raise clicked on a reply under the handled alert is a new fix to wait on. */
export function withoutRecurred(blocks: (KnownBlock | Block)[]): (KnownBlock | Block)[] {
  return blocks.some((b) => isBlock(b, RECURRED_BLOCK)) ? renewBlockIds(blocks.filter((b) => !isBlock(b, RECURRED_BLOCK))) : blocks;
}

/** The muted line (withMuted), just above the buttons. */
export const MUTED_BLOCK = 'oombot-muted';

/**
 * The alert once muted from its Mute button: a line above the buttons says who muted it until when, and Unmute takes
 * the two Mute buttons' place (Raise limit, the runbook and Why? stay). `text` is mrkdwn already escaped by the caller
 * (it holds the clicker's mention). Nothing redraws it when the mute runs out, so the line says until when; a later
 * redraw from the store shows the mute as it stands then (withMuteState). The blocks of an update, so with new block
 * ids (bot/block-ids.ts); an alert without buttons is returned as it was.
 */
export function withMuted(blocks: (KnownBlock | Block)[], text: string, incidentId: string): (KnownBlock | Block)[] {
  const unmute = { type: 'button' as const, text: { type: 'plain_text' as const, text: 'Unmute' }, action_id: ACTIONS.unmute, value: incidentId };
  return swapMuteButtons(blocks, (e) => (e.action_id === ACTIONS.mute1h || e.action_id === ACTIONS.unmute ? [unmute] : e.action_id === ACTIONS.mute24h ? [] : [e]), { type: 'context', block_id: MUTED_BLOCK, elements: [{ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.contextText) }] });
}

/** The muted alert back as it was: the muted line gone, the two Mute buttons where Unmute was. */
export function withUnmuted(blocks: (KnownBlock | Block)[], incidentId: string): (KnownBlock | Block)[] {
  return swapMuteButtons(blocks, (e) => (e.action_id === ACTIONS.unmute ? muteButtons(incidentId) : [e]));
}

/** The incident whose workload an alert's Mute (or Unmute) button acts on, if it has one. */
export function muteButtonIncident(blocks: (KnownBlock | Block)[]): string | undefined {
  const actions = blocks.find((b) => isBlock(b, ACTIONS_BLOCK)) as { elements?: { action_id?: string; value?: string }[] } | undefined;
  return actions?.elements?.find((e) => e.action_id === ACTIONS.mute1h || e.action_id === ACTIONS.mute24h || e.action_id === ACTIONS.unmute)?.value;
}

/**
 * The alert as its workload's mute stands now: muted, the line and Unmute; not (never muted, unmuted, or run out), the
 * two Mute buttons and no line — whatever the blocks held before. Every redraw of an alert from the store goes through
 * it (bot/mute-state.ts), so the mute has one source of truth, the Mutes store, and a mute made by `/oom mute` shows
 * at the next redraw too. Blocks without Mute buttons come back as they were.
 */
export function withMuteState(blocks: (KnownBlock | Block)[], mute: Mute | undefined): (KnownBlock | Block)[] {
  const incidentId = muteButtonIncident(blocks);
  if (!incidentId) return blocks;
  return mute ? withMuted(blocks, mutedLine(mute), incidentId) : withUnmuted(blocks, incidentId);
}

/**
 * "🔕 Muted for 1 h by <@U0BOB> until 14:05 UTC": the day too when it ends more than a day after it was made (7 d);
 * without when it was made (a mute kept before that was), no "for". Mrkdwn, escaped here.
 */
export function mutedLine(mute: Mute): string {
  const span = mute.at !== undefined ? mute.until - mute.at : undefined;
  const who = /^[UW][A-Z0-9]+$/.test(mute.by) ? `<@${mute.by}>` : escapeMrkdwn(mute.by);
  const iso = new Date(mute.until).toISOString();
  const until = span !== undefined && span <= DAY_MS ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  return `🔕 Muted${span !== undefined ? ` for ${durationLabel(span)}` : ''} by ${who} until ${until} UTC`;
}

const DAY_MS = 86_400_000;

/** "1 h", "24 h", "7 d", "30 min": how the Mute buttons and `/oom mute` name their durations. */
function durationLabel(ms: number): string {
  if (ms > DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

function swapMuteButtons(blocks: (KnownBlock | Block)[], swap: (e: { action_id?: string }) => unknown[], line?: KnownBlock): (KnownBlock | Block)[] {
  if (!blocks.some((b) => isBlock(b, ACTIONS_BLOCK))) return blocks;
  const out: (KnownBlock | Block)[] = [];
  for (const block of blocks) {
    if (isBlock(block, MUTED_BLOCK)) continue;
    if (isBlock(block, ACTIONS_BLOCK)) {
      if (line) out.push(line);
      out.push({ ...block, elements: ((block as { elements?: { action_id?: string }[] }).elements ?? []).flatMap(swap) } as KnownBlock);
      continue;
    }
    out.push(block);
  }
  return renewBlockIds(out);
}

/**
 * The root alert once its fix was applied: the raise button is gone (it would only be refused now) and a line says
 * who changed what, before → after. The other buttons stay. `text` is mrkdwn already escaped by the caller (it holds
 * the clicker's mention). The blocks of an update, so with new block ids (bot/block-ids.ts).
 */
export function withHandled(blocks: (KnownBlock | Block)[], text: string): (KnownBlock | Block)[] {
  const out: (KnownBlock | Block)[] = [];
  for (const block of blocks) {
    if (isBlock(block, HANDLED_BLOCK) || isBlock(block, RECURRED_BLOCK)) continue;
    if (isBlock(block, ACTIONS_BLOCK)) {
      const elements = ((block as { elements?: { action_id?: string }[] }).elements ?? []).filter((e) => e.action_id !== ACTIONS.raise);
      out.push({ type: 'context', block_id: HANDLED_BLOCK, elements: [{ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.contextText) }] } as KnownBlock);
      if (elements.length) out.push({ ...block, elements } as KnownBlock);
      continue;
    }
    out.push(block);
  }
  return renewBlockIds(out);
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } };
}

/** "Limit 512Mi · request 256Mi · Burstable · restarts 4 · exit 137 (OOMKilled)" */
function factsLine(v: Verdict): string {
  const m = v.memory;
  const t = v.termination;
  const parts = [
    `Limit ${m.limit ?? 'none'}${m.limitScope === 'pod' ? ' (pod-level)' : ''}`,
    `request ${m.request ?? 'none'}`,
    m.podLimit && m.limitScope !== 'pod' ? `pod limit ${m.podLimit}` : undefined,
    m.qosClass,
    m.usage ? `using ${m.usage} (${m.usageSource})` : undefined,
    t ? `restarts ${t.restartCount}` : undefined,
    t ? `exit ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}` : undefined,
    m.nodeAllocatable ? `node ${m.nodeAllocatable} allocatable` : undefined,
  ];
  return slackText(parts.filter(Boolean).join(' · '), SLACK_LIMITS.sectionText);
}

/**
 * What the recommendation adds to the action: the action already says "raise the limit to 640Mi (+25 %; fits the
 * node)", so a value it names is not said again; the line stays for what it does not name.
 */
function recommendationText(v: Verdict): string {
  const r = v.recommendation;
  if (!r) return '';
  const said = (value: string, bytes: number | undefined) => v.action.includes(value) || (bytes !== undefined && v.action.includes(displayQuantity(value, bytes)));
  const what = [
    r.memoryLimit && !said(r.memoryLimit, r.memoryLimitBytes) && `${v.kind === 'pod-limit' ? 'pod limit' : 'limit'} ${displayQuantity(r.memoryLimit, r.memoryLimitBytes ?? parseQuantity(r.memoryLimit))}`,
    r.memoryRequest && !said(r.memoryRequest, r.memoryRequestBytes) && `request ${displayQuantity(r.memoryRequest, r.memoryRequestBytes ?? parseQuantity(r.memoryRequest))}`,
    r.runtimeSetting && !v.action.includes(r.runtimeSetting.value) && `\`${r.runtimeSetting.name}=${r.runtimeSetting.value}\``,
  ].filter(Boolean);
  if (!what.length) return '';
  return `\n*Recommendation:* ${escapeMrkdwn(what.join(', '))}${r.capped && !/capped/.test(v.action) ? ' (capped by the node)' : ''}.`;
}

function repeatText(repeat: AlertContext['repeat']): string {
  if (!repeat || repeat.count < 2) return '';
  return ` ${ordinal(repeat.count)} time in ${repeat.sinceMinutes} min.`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** A bulleted list that fits one section: the items that fit, then how many did not. */
function listText(title: string, items: string[]): string {
  const lines = [title];
  let used = title.length;
  for (const [i, item] of items.entries()) {
    const line = `• ${slackText(item, 600)}`;
    const more = `\n…and ${items.length - i} more (see /oom why)`;
    if (used + line.length + 1 + more.length > SLACK_LIMITS.sectionText) {
      lines.push(more.trimStart());
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

/** cluster · namespace · workload · node · time (UTC) · incident id */
function contextLine(v: Verdict, ctx: AlertContext): string {
  const when = new Date(ctx.occurredAt);
  const time = Number.isNaN(when.getTime()) ? undefined : `${when.toISOString().slice(11, 16)} UTC`;
  return slackText([ctx.cluster, v.pod.namespace, WorkloadRef.short(WorkloadRef.of(v)), v.node, time, ctx.incidentId].filter(Boolean).join(' · '), SLACK_LIMITS.contextText);
}

const COUNTER_BLOCK = 'oombot-counter';

/**
 * The root alert with its counter line ("OOMKilled 5× in 40 min · latest 10:52 UTC · see thread") after the header,
 * replacing an earlier counter: repeats go in the thread and the root says how many (docs/alert-style.md: repeats do
 * not shout). `text` may hold cluster text (a termination reason): escaped and clipped here. The blocks of an update,
 * so with new block ids (bot/block-ids.ts).
 */
export function withCounter(blocks: (KnownBlock | Block)[], text: string): (KnownBlock | Block)[] {
  const rest = blocks.filter((b) => !isBlock(b, COUNTER_BLOCK));
  const counter: KnownBlock = { type: 'context', block_id: COUNTER_BLOCK, elements: [{ type: 'mrkdwn', text: slackText(text, SLACK_LIMITS.contextText) }] };
  return renewBlockIds([rest[0]!, counter, ...rest.slice(1)]);
}

/**
 * A thread reply for a repeat: the headline, the numbers, this death's memory as a sparkline (a picture is uploaded
 * once per alert, never per repeat) and the context line, not the whole explanation again.
 */
export function renderRepeat(v: Verdict, ctx: AlertContext): AlertMessage {
  const full = renderAlert(v, { ...ctx, picture: undefined });
  const header = (full.blocks[0] as { text: { text: string } }).text.text;
  const memory = full.blocks.find((b) => isBlock(b, CHART_BLOCK));
  return {
    text: full.text,
    blocks: [section(`*${escapeMrkdwn(header)}*`), full.blocks[2]!, ...(memory ? [memory] : []), full.blocks.at(-1)!],
  };
}
