// Plays a bench scenario (bench/support/storm-scenarios.ts) through the analyze step as the Lambda runs it, against the
// Slack double with Slack's rate limits on, and measures what the channel saw. The parts are the product's own:
// local mode's bus (local/bus.ts: a few invocations at a time, a failed one retried twice, as Lambda's asynchronous
// invoke does — after 2 s, where Lambda waits a minute or more, so a failed invocation posts sooner here than in AWS),
// postOccurrence with the invocation's time left (functions/analyze/index.ts), so that a Retry-After is waited only
// while it fits (bot/slack-rate-limits.ts), and the one Slack double (console/slack-api.ts).
import { withLogger } from '../../bot/failures.ts';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import type { SlackApiServer } from '../../console/slack-api.ts';
import { toEntry } from '../../forwarder/envelopes.ts';
import { localBus } from '../../local/bus.ts';
import { EnvelopeSchema } from '#shared/envelope.ts';
import { jsonLines } from '#shared/log.ts';
import type { Scenario } from './storm-scenarios.ts';

/** The analyze Lambda's timeout (serverless.yml, functions.analyze.timeout): what each invocation may wait within. */
export const LAMBDA_TIMEOUT_MS = 60_000;
/** Each occurrence is delivered twice (at least once: a resend after a forwarder's restart, or the bus's own). */
const DUPLICATE_AFTER_MS = 2_000;
/** Slack's pace (console/slack-api.ts): about one chat.postMessage per second per channel, chat.update 50 a minute. */
const POST_INTERVAL_MS = 1_000;
const UPDATE_INTERVAL_MS = 60_000 / 50;
const CHANGES = new Set(['chat.postMessage', 'chat.update']);

export interface PlayOptions {
  scenario: Scenario;
  deps: PostDeps;
  /** A double of its own (a workspace of its own), with its rate limits set as the scenario wants them. */
  slack: SlackApiServer;
  channel: string;
  /** Invocations at a time. */
  concurrency: number;
  /** How long after the last delivery to wait for the channel to be current before the rate limits are lifted. */
  capMs: number;
}

export interface Figures {
  occurrences: number;
  deliveries: number;
  /** Occurrences recorded (posted, threaded or counted), each once; and how many were recorded more than once. */
  recorded: number;
  recordedTwice: number;
  duplicates: number;
  alerts: number;
  replies: number;
  /** chat.update calls Slack accepted: counter moves. */
  updates: number;
  /** 429 answers met, per method. */
  refused: Record<string, number>;
  /** Invocations that failed (and were retried by the bus), and occurrences the bus gave up on. */
  failedInvocations: number;
  deadLetters: number;
  /**
   * The time until the channel is current: from the newest occurrence's first delivery (the bus accepting it, as
   * PutEvents does; its duplicate is no news) until Slack's answer to the last chat.postMessage or chat.update it
   * accepted in the channel — from then on the channel shows all it will show. 0 when nothing changed after that
   * delivery. Undefined when it took longer than `capMs` after the last delivery (the rate limits were then lifted).
   * A counter that never got its last count is not counted here but in `countersBehind`.
   */
  currentAfterMs?: number;
  /** When the cap was reached: what Slack accepted only after the rate limits were lifted. */
  owed?: { posts: number; updates: number };
  /** When the cap was reached: the invocations that ran after it, without the limits, and how long they took. */
  afterCap?: { invocations: number; ms: number };
  /** Roots whose counter shows fewer occurrences than are recorded under them (their last count never made it). */
  countersBehind: number;
  roots: number;
  /** Log lines at warn or above, by message: what the analyze step gave up on after posting. */
  warnings: Record<string, number>;
  wallMs: number;
}

export async function playAtRateLimits(o: PlayOptions): Promise<Figures> {
  const { scenario, slack } = o;
  const answers = meter(slack);
  const warnings: Record<string, number> = {};
  const log = jsonLines({
    level: 'warn',
    write: (line) => {
      const { msg } = JSON.parse(line) as { msg: string };
      warnings[msg] = (warnings[msg] ?? 0) + 1;
    },
  });
  const outcomes: PostOutcome[] = [];
  let failedInvocations = 0;
  const bus = localBus({
    log,
    concurrency: o.concurrency,
    analyze: async (detail) => {
      const envelope = EnvelopeSchema.parse(detail);
      const started = Date.now();
      try {
        outcomes.push(await withLogger(log, () => postOccurrence({ ...o.deps, timeLeft: () => started + LAMBDA_TIMEOUT_MS - Date.now() }, envelope)));
      } catch (error) {
        failedInvocations += 1;
        throw error;
      }
    },
  });

  const start = Date.now();
  const deliveries = scenario.occurrences.flatMap(({ at, envelope }) => [at, at + DUPLICATE_AFTER_MS].map((when, copy) => ({ when, copy, entry: toEntry(envelope, 'oombot.forwarder') })));
  // When the newest occurrence first reached the bus: its duplicate, later, is no news.
  let lastDelivery = 0;
  await Promise.all(
    deliveries.map(
      ({ when, copy, entry }) =>
        new Promise<void>((resolve, reject) =>
          setTimeout(() => {
            if (copy === 0) lastDelivery = Math.max(lastDelivery, Date.now());
            bus.put([entry]).then(() => resolve(), reject);
          }, when - Date.now()),
        ),
    ),
  );

  const idle = bus.idle().then(() => 'idle' as const);
  let timer: NodeJS.Timeout | undefined;
  const capped = await Promise.race([idle, new Promise<'capped'>((r) => (timer = setTimeout(() => r('capped'), lastDelivery + o.capMs - Date.now())))]);
  clearTimeout(timer);
  const capAt = Date.now();
  const handledAtCap = outcomes.length + failedInvocations;
  if (capped === 'capped') {
    // Not current within the cap: the rest is let through at once, so that what it would still have posted is
    // counted (and every occurrence recorded), never waited out at Slack's pace.
    slack.perChannelRateLimit = false;
    slack.rateTiers = false;
    await idle;
  }
  const end = Date.now();
  const wallMs = end - start;

  const accepted = answers.filter((a) => a.ok && CHANGES.has(a.method) && a.channel === slackChannelId(slack, o.channel));
  const inTime = capped === 'idle' ? accepted : accepted.filter((a) => a.at <= capAt);
  const late = accepted.filter((a) => a.at > capAt);
  const recordedIds = outcomes.filter((x) => x.status === 'posted' || x.status === 'threaded' || x.status === 'counted').map((x) => x.occurrenceId);
  const messages = slack.messages.filter((m) => m.channel === slackChannelId(slack, o.channel));
  const behind = countersBehind(messages, outcomes);
  return {
    occurrences: scenario.occurrences.length,
    deliveries: deliveries.length,
    recorded: new Set(recordedIds).size,
    recordedTwice: recordedIds.length - new Set(recordedIds).size,
    duplicates: outcomes.filter((x) => x.status === 'duplicate').length,
    alerts: messages.filter((m) => !m.threadTs).length,
    replies: messages.filter((m) => m.threadTs).length,
    updates: accepted.filter((a) => a.method === 'chat.update').length,
    refused: answers.filter((a) => a.status === 429).reduce<Record<string, number>>((by, a) => ({ ...by, [a.method]: (by[a.method] ?? 0) + 1 }), {}),
    failedInvocations,
    deadLetters: bus.deadLetters.length,
    ...(capped === 'idle'
      ? { currentAfterMs: Math.max(lastDelivery, ...inTime.map((a) => a.at)) - lastDelivery }
      : {
          owed: { posts: late.filter((a) => a.method === 'chat.postMessage').length, updates: late.filter((a) => a.method === 'chat.update').length },
          afterCap: { invocations: outcomes.length + failedInvocations - handledAtCap, ms: end - capAt },
        }),
    countersBehind: behind.behind,
    roots: behind.roots,
    warnings,
    wallMs,
  };
}

/** At Slack's pace, the least time after the last delivery the channel would have needed: the cap, then what was owed. */
export function leastTimeOwed(f: Figures, capMs: number): number {
  return capMs + Math.max((f.owed?.posts ?? 0) * POST_INTERVAL_MS, (f.owed?.updates ?? 0) * UPDATE_INTERVAL_MS);
}

interface Answer {
  method: string;
  channel: string | undefined;
  status: number;
  ok: boolean;
  at: number;
}

/** Every answer the double gives, with when it gave it: the double keeps the calls, not what it answered. */
function meter(slack: SlackApiServer): Answer[] {
  const answers: Answer[] = [];
  const call = slack.call.bind(slack);
  slack.call = (method, args, authorization, now) => {
    const answer = call(method, args, authorization, now);
    const channel = typeof args['channel'] === 'string' ? slackChannelId(slack, args['channel']) : undefined;
    answers.push({ method, channel, status: answer.status, ok: answer.body['ok'] === true, at: Date.now() });
    return answer;
  };
  return answers;
}

function slackChannelId(slack: SlackApiServer, channel: string): string {
  return slack.workspace.resolveChannel(channel)?.id ?? channel;
}

/**
 * A root's counter ("OOMKilled 14× in 1 min", "40 pods evicted from node …", bot/occurrence-messages.ts) against the
 * occurrences recorded under it: its own, its thread's replies, and those only counted on it.
 */
function countersBehind(messages: SlackApiServer['messages'], outcomes: PostOutcome[]): { roots: number; behind: number } {
  const rootOf = new Map(messages.map((m) => [m.ts, m.threadTs ?? m.ts]));
  const held = new Map<string, number>();
  for (const x of outcomes) {
    if (x.status !== 'posted' && x.status !== 'threaded' && x.status !== 'counted') continue;
    const root = rootOf.get(x.ts) ?? x.ts;
    held.set(root, (held.get(root) ?? 0) + 1);
  }
  const roots = messages.filter((m) => !m.threadTs);
  const behind = roots.filter((m) => shownCount(m.blocks) < (held.get(m.ts) ?? 0)).length;
  return { roots: roots.length, behind };
}

function shownCount(blocks: unknown[] | undefined): number {
  const counter = JSON.stringify((blocks ?? []).find((b) => String((b as { block_id?: unknown }).block_id ?? '').startsWith('oombot-counter')) ?? '');
  const count = /(\d+)(?:×| pods evicted)/.exec(counter);
  return count ? Number(count[1]) : 1;
}
