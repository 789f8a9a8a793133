// What an occurrence's group shows in Slack (bot/grouping.ts's GroupMessages): a pod's alert as bot/alert.ts renders a
// verdict, with its buttons; a node's OOM; and the counter line the root carries. Pure: the same text in Slack, in the
// local console and in tests.
import type { KnownBlock } from '@slack/types';
import type { Envelope } from '#shared/envelope.ts';
import { aboveRequests, nodeTopEvidence } from '#shared/node-top.ts';
import type { Verdict } from '#shared/verdict.ts';
import { parseQuantity } from '#shared/quantity.ts';
import { ACTIONS, ACTIONS_BLOCK, renderAlert, renderRepeat, WARNING_BLOCK, type AlertMessage } from './alert.ts';
import { isBlock } from './block-ids.ts';
import type { ChartPublisher } from './chart-upload.ts';
import type { GroupMessages } from './grouping.ts';
import { proposedChange } from './raise-limit.ts';
import { raiseOffLine } from './raise-policy.ts';
import { plainText, SLACK_LIMITS, slackText } from './slack-limits.ts';

export interface OccurrenceContext {
  cluster: string;
  incidentId: string;
  /** When it happened (RFC 3339). */
  occurredAt: string;
  /** The time counters count to (ms): "3× in 12 min". */
  now: number;
}

/**
 * A pod's alert, its reply in the thread, and the counter: of evictions from one node, or of one container's deaths.
 * With `charts`, a verdict that carries the memory before the death gets its chart uploaded for the alert.
 */
export function podMessages(verdict: Verdict, o: OccurrenceContext & { runbookUrl?: string | undefined; charts?: ChartPublisher | undefined; workloadLimit?: string | undefined; raiseOff?: boolean | undefined }): GroupMessages {
  const proposed = proposedChange(verdict);
  // Where the cluster cannot patch (`raiseOff`), no button that could only be refused: a line says why instead.
  const raise = o.raiseOff ? undefined : proposed;
  const off = o.raiseOff && proposed ? { raiseOff: raiseOffLine(o.cluster, proposed.field) } : {};
  const ctx = { cluster: o.cluster, incidentId: o.incidentId, occurredAt: o.occurredAt, buttons: { ...(o.runbookUrl ? { runbookUrl: o.runbookUrl } : {}), ...(raise ? { raise } : {}), ...off } };
  const charts = verdict.trajectory ? o.charts : undefined;
  return {
    ...(charts ? { picture: () => charts(verdict) } : {}),
    first: (picture) => renderAlert(verdict, { ...ctx, ...(picture ? { picture } : {}) }),
    reply: () => renderRepeat(verdict, ctx),
    handledReply: () => handledRepeat(verdict, ctx, o.workloadLimit),
    counter: (count, firstAt) =>
      verdict.kind === 'eviction' && verdict.node
        ? `${count} pods evicted from node ${verdict.node} in ${minutesSince(o.now, firstAt)} min · latest ${verdict.pod.name} · see thread`
        : `${verdict.termination?.reason ?? verdict.kind} ${count}× in ${minutesSince(o.now, firstAt)} min · latest ${utcTime(o.occurredAt)} · see thread`,
  };
}

/**
 * A death under an alert whose fix was applied: the repeat, a line on where the fix stands, and the alert's buttons
 * again, with this death's incident id, so Raise limit is sized from the limit this pod died at — unless the workload
 * already holds a higher limit (`workloadLimit`, read from the live workload when the occurrence was routed): then the
 * pod died before the raised limit reached it, and the button would only be refused ("already raised"). One node's
 * evictions share a group across workloads, so an eviction is not said to be "again": it gets its own buttons.
 */
function handledRepeat(verdict: Verdict, ctx: Parameters<typeof renderAlert>[1], workloadLimit: string | undefined): AlertMessage {
  const repeat = renderRepeat(verdict, ctx);
  const raise = ctx.buttons?.raise;
  const died = raise?.field === 'pod-limit' ? verdict.memory.podLimit : verdict.memory.limit;
  const pending = raise?.field === 'limit' && !!died && workloadLimit !== undefined && (parseQuantity(workloadLimit) ?? 0) > (parseQuantity(died) ?? Infinity);
  const line =
    verdict.kind === 'eviction'
      ? "The first alert of this node's evictions was handled; this eviction's own buttons are below."
      : pending
        ? `Died again with its old ${died} limit: the workload holds ${workloadLimit} already, which this pod did not run with yet (its rollout may still be under way).`
        : raise && died
          ? `Died again after the fix was applied, at its ${raise.field === 'pod-limit' ? 'pod-level ' : ''}${died} limit: raise it again below, or suspect a leak if memory climbs after each restart.`
          : 'Died again after the fix was applied.';
  const actions = renderAlert(verdict, ctx).blocks.find((b) => isBlock(b, ACTIONS_BLOCK)) as (KnownBlock & { elements: { action_id?: string }[] }) | undefined;
  const buttons = actions && pending ? { ...actions, elements: actions.elements.filter((e) => e.action_id !== ACTIONS.raise) } : actions;
  const text: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: slackText(line, SLACK_LIMITS.sectionText) } };
  return { text: repeat.text, blocks: [...repeat.blocks.slice(0, -1), text, ...(buttons ? [buttons as KnownBlock] : []), repeat.blocks.at(-1)!] };
}

/**
 * A warning before the kill (shared/memory-warning-verdict.ts): laid out like the alert (docs/alert-style.md) with its
 * chart or sparkline and the same Raise limit, Mute and Why? buttons, under a ⚠️ header. It shares the repeat group of
 * the kill that may follow, so that kill threads under it.
 */
export function warningMessages(verdict: Verdict, o: OccurrenceContext & { runbookUrl?: string | undefined; charts?: ChartPublisher | undefined; raiseOff?: boolean | undefined }): GroupMessages {
  const pod = podMessages(verdict, o);
  const headed = (m: AlertMessage): AlertMessage => ({
    text: slackText(`⚠️ ${verdict.headline} (${o.cluster})`, SLACK_LIMITS.fallbackText),
    blocks: m.blocks.map((b, i) => (i === 0 && b.type === 'header' ? { type: 'header', block_id: WARNING_BLOCK, text: { type: 'plain_text', text: plainText(`⚠️ ${verdict.headline}`, SLACK_LIMITS.headerText), emoji: true } } : b)),
  });
  return {
    ...(pod.picture ? { picture: pod.picture } : {}),
    first: (picture) => headed(pod.first(picture)),
    reply: () => headed(pod.reply()),
    counter: (count, firstAt) => `warned, then ${count - 1} more in ${minutesSince(o.now, firstAt)} min · see thread`,
  };
}

/** A node's OOM: the kernel's line, as the node reported it; the pods killed with it get their own alerts. */
export function nodeOomMessages(envelope: Extract<Envelope, { kind: 'node-oom' }>, node: string, o: OccurrenceContext): GroupMessages {
  const when = utcTime(o.occurredAt);
  const pushers = nodePushers(envelope, node);
  // The node's name and the kernel line are cluster text: escaped, then clipped (escaping lengthens them).
  const message = (text: string): AlertMessage => ({
    text: slackText(text, SLACK_LIMITS.fallbackText),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: plainText(text, SLACK_LIMITS.headerText), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `The kernel's OOM killer acted for the whole node: "${slackText(envelope.event.message ?? '', 2000)}". Pods killed with it get their own alerts.` } },
      ...(pushers ? [pushers] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`${o.cluster} · node ${node} · ${when} · ${o.incidentId}`, SLACK_LIMITS.contextText) }] },
    ],
  });
  return {
    first: () => message(`🟠 Node ${node} ran out of memory (${o.cluster})`),
    reply: () => message(`Node ${node} ran out of memory again at ${when}`),
    counter: (count, firstAt) => `node-wide OOM ${count}× in ${minutesSince(o.now, firstAt)} min · latest ${when} · see thread`,
  };
}

/**
 * Who pushed the node over: its users most above their requests at the forwarder's last sample (shared/node-top.ts,
 * at most MAX_NAMED), as the evidence of a pod's node-pressure alert says it. The names and numbers travelled in the
 * envelope, so they are cluster text: escaped, then clipped to the section. Nothing without samples, or when every
 * top user was within its request.
 */
function nodePushers(envelope: Extract<Envelope, { kind: 'node-oom' }>, node: string): KnownBlock | undefined {
  const above = aboveRequests(envelope.memory?.nodeTop ?? []);
  if (!above.length) return undefined;
  const title = '*Evidence*\n• ';
  return { type: 'section', text: { type: 'mrkdwn', text: `${title}${slackText(nodeTopEvidence(above, node, envelope.memory?.nodeSampledAt), SLACK_LIMITS.sectionText - title.length)}` } };
}

function minutesSince(now: number, firstAt: number): number {
  return Math.max(1, Math.round((now - firstAt) / 60_000));
}

function utcTime(at: string): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}
