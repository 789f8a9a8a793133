// Every payload oombot sends to Slack, rendered from generated hostile cluster text, checked against Slack's rules
// (issue 16 item 4). What a cluster writes is any string its API accepts: names are DNS-limited, but an owner's name in
// a reference, an Event's involvedObject name, messages, reasons and annotations are not — very long, multi-byte,
// emoji and ZWJ sequences, control characters and ANSI escapes, entities, Slack's own `<!channel>` and
// `<https://x|y>`, backticks. Each payload must pass the one set of Slack's rules (console/slack-rules.ts
// checkMessage, for the method that sends it), hold no lone surrogate in any string (the Web API client's
// encodeURIComponent would throw and the request would never be sent), and let no `<` or `&` of the cluster's speak
// in text Slack parses (mrkdwn and top-level text): only oombot's own mention of the clicker is raw.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerAlertAction, answerStormPick } from '../../bot/alert-actions.ts';
import { groupKeyOf } from '../../bot/grouping.ts';
import { groupChoice, renderStorm, STORM_PICK } from '../../bot/storms.ts';
import { ACTIONS, renderAlert, withCounter, withHandled, withMuteState, withRecurred, type AlertMessage } from '../../bot/alert.ts';
import { USAGE } from '../../bot/command.ts';
import { nodeOomMessages, podMessages, warningMessages } from '../../bot/occurrence-messages.ts';
import { withDiedTogether } from '../../bot/pod-deaths.ts';
import { answerOom } from '../../bot/oom-command.ts';
import { proposedChange } from '../../bot/raise-limit.ts';
import { changeTexts, clickedChange, refusalText, refuse, type Patched } from '../../bot/raise-outcome.ts';
import { route, RUNBOOK_ANNOTATION } from '../../bot/routing.ts';
import { SLACK_LIMITS, slackText } from '../../bot/slack-limits.ts';
import { blocksToHtml } from '../../console/blockkit-html.ts';
import { checkMessage, type MessageTarget } from '../../console/slack-rules.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { FileStore } from '../../store/file.ts';
import type { Storm } from '../../store/storms.ts';
import { diagnose } from '#shared/diagnose.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { nodeEventOccurrence } from '#shared/occurrences.ts';
import { GiB } from '#shared/quantity.ts';
import { UnseenReasonSchema, UnseenSourceSchema } from '#shared/unseen.ts';
import type { Verdict } from '#shared/verdict.ts';
import { at, container, downStatus, event, node, pod, podEvent, restartedStatus, T0 } from '../support/k8s-factories.ts';

/** Pieces of what clusters write: each a whole character or sequence, so generated text is well-formed, as the API's JSON is. */
const PIECES = [
  'a', 'Z', '0', '-', '.', ' ', '\n', '\t', 'é', 'e\u0301', '日本', 'ß', 'Ω',
  '😀', '👨‍👩‍👧‍👦', '🏳️‍🌈', '👍🏽', '\u200d', '\u202e', '\u00a0',
  '\u0000', '\u0007', '\u007f', '\u001b[31m', '\u001b[0m', '\u001b]8;;https://evil.example\u0007',
  '&', '&amp;', '&lt;', '&gt;', '&#60;', '&am', '<', '>', '<!channel>', '<!here>', '<!everyone>', '<@U0VICTIM>', '<#C0SECRET>', '<!subteam^S0ONCALL>',
  '<https://evil.example|click me>', '<mailto:x@evil.example>', '<img src=x onerror=alert(1)>',
  '`', '```', '*', '_', '~', '|', '>quote', ':skull:', '\\', '"', "'", '%', '%E0%A4%A',
];
const piece = fc.constantFrom(...PIECES);

/** Any text: usually short, sometimes thousands of units, always made of whole pieces. */
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: piece, maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ unit: piece, minLength: 1, maxLength: 12 }), fc.integer({ min: 160, max: 6_000 })).map(([s, target]) => s.repeat(Math.ceil(target / s.length))),
  },
);
const nonEmpty = hostile.filter((t) => t.length > 0);
/** A DNS label (a namespace, a container): the API server refuses anything else. */
const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
/** A DNS subdomain (a pod's or a node's name), up to 253 characters. */
const subdomain = fc.array(label, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.').slice(0, 253).replace(/[-.]+$/, '') || 'x');

const CAUSES = ['limit', 'eviction', 'nodeOom', 'runtime', 'notMemory', 'unknown', 'unverified'] as const;

const scenario = fc.record({
  cause: fc.constantFrom(...CAUSES),
  namespace: label,
  pod: subdomain,
  container: label,
  node: subdomain,
  /** An owner's name: a reference names any string (docs/domain.md §13). */
  workload: fc.option(fc.record({ kind: fc.constantFrom('Deployment', 'StatefulSet', 'Rollout', 'Job'), name: hostile }), { nil: undefined }),
  text: hostile,
  reason: hostile,
  /** What the caller could not see, in the API server's words. */
  unseen: fc.array(fc.record({ source: fc.constantFrom(...UnseenSourceSchema.options), reason: fc.constantFrom(...UnseenReasonSchema.options), detail: hostile }), { maxLength: 3 }),
  cluster: nonEmpty,
  runbook: fc.option(hostile.map((h) => `https://wiki.example/${h}`), { nil: undefined }),
  count: fc.integer({ min: 2, max: 100_000 }),
  picture: fc.boolean(),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

/** The pod, node and events of a scenario's cause, with its hostile text where a cluster would write it. */
function inputOf(s: Scenario): DiagnosisInput {
  const spec = (o: { limit?: string; request?: string; command?: string[] } = { limit: '512Mi', request: '256Mi' }) => [container({ name: s.container, ...o })];
  const base = { name: s.pod, namespace: s.namespace, node: s.node };
  const extra = { ...(s.workload ? { workload: s.workload } : { workload: null }), unavailable: s.unseen };
  const n = node({ name: s.node });
  switch (s.cause) {
    case 'limit':
      return { pod: pod({ ...base, containers: spec(), statuses: [restartedStatus(s.container, { reason: 'OOMKilled', exitCode: 137, message: s.text }, 3)] }), node: n, events: [], ...extra };
    case 'eviction':
      return {
        pod: pod({
          ...base,
          containers: spec({ limit: '4Gi', request: '512Mi' }),
          statuses: [downStatus(s.container, { reason: 'Error', exitCode: 137 })],
          status: { phase: 'Failed', reason: 'Evicted', message: `The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container ${s.container} was using 1.8Gi, request is 512Mi, has larger consumption of memory. ${s.text}` },
        }),
        node: node({ name: s.node, memoryPressure: true }),
        events: [],
        ...extra,
      };
    case 'nodeOom':
      return {
        pod: pod({ ...base, containers: spec({ request: '256Mi', command: ['python3'] }), statuses: [restartedStatus(s.container, { reason: 'OOMKilled', exitCode: 137, message: s.reason }, 1)] }),
        node: n,
        events: [event({ reason: 'SystemOOM', message: `System OOM encountered, victim process: python3, pid: 1 ${s.text}`, on: { kind: 'Node', name: s.node }, at: at(1) })],
        ...extra,
      };
    case 'runtime':
      return {
        pod: pod({ ...base, containers: spec({ limit: '4Gi' }), statuses: [restartedStatus(s.container, { reason: 'Error', exitCode: 134, message: `FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory ${s.text}` }, 2)] }),
        events: [],
        ...extra,
      };
    case 'notMemory': {
      const p = pod({ ...base, containers: spec({ limit: '1Gi' }), statuses: [restartedStatus(s.container, { reason: 'Error', exitCode: 137, message: s.reason }, 6)] });
      return { pod: p, node: n, events: [podEvent(p, { reason: 'Killing', message: `Container ${s.container} failed liveness probe, will be restarted ${s.text}`, container: s.container, at: at(-2) })], ...extra };
    }
    case 'unknown':
      return { pod: pod({ ...base, containers: spec({ limit: '10Mi' }), statuses: [restartedStatus(s.container, { reason: s.reason, exitCode: 137, message: s.text }, 1)] }), node: n, events: [], ...extra };
    case 'unverified':
      // No node, no events, an owner that could not be checked: the alert's "Not seen" line carries the most.
      return { pod: pod({ ...base, containers: spec(), statuses: [restartedStatus(s.container, { reason: 'OOMKilled', exitCode: 137, message: s.text }, 3)] }), ...extra };
  }
}

const CLICKER = 'U0ALICE';
const FILE_ID = 'F0CHART0001';
/** The console's double knows one uploaded chart, as Slack would after files.completeUploadExternal. */
const files = (ref: { id?: string; url?: string }) => (ref.id === FILE_ID ? { mimetype: 'image/png' } : undefined);

interface Payload {
  what: string;
  target: MessageTarget;
  text?: string;
  blocks?: unknown[];
  html?: boolean;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in a payload, keys included. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  return out;
}

/** The texts Slack parses for links, mentions and entities: the top-level text and every mrkdwn text object. */
function parsedTexts(p: Payload): string[] {
  const out = p.text === undefined ? [] : [p.text];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    if (o['type'] === 'mrkdwn' && typeof o['text'] === 'string') out.push(o['text']);
    Object.values(o).forEach(walk);
  };
  walk(p.blocks);
  return out;
}

/** What may stand between < and > in a text Slack parses: oombot's own mention of the user who clicked. */
const OWN_MENTION = `@${CLICKER}`;

function breaches(p: Payload): string[] {
  const out: string[] = [];
  const check = checkMessage({ text: p.text, blocks: p.blocks }, { files, target: p.target });
  if (!check.ok) out.push(`${p.target} answers ${check.error}: ${(check.errors ?? []).join('; ')}`);
  for (const s of strings({ text: p.text, blocks: p.blocks })) {
    if (loneSurrogate.test(s)) out.push(`a lone surrogate in ${JSON.stringify(s.slice(0, 80))}…`);
    try {
      encodeURIComponent(s);
    } catch {
      out.push(`encodeURIComponent throws on ${JSON.stringify(s.slice(0, 80))}…`);
    }
  }
  for (const t of parsedTexts(p)) {
    const sequences = [...t.matchAll(/<([^>]*)>?/g)].map((m) => m[1]).filter((inner) => inner !== OWN_MENTION);
    if (sequences.length) out.push(`raw control sequences ${JSON.stringify(sequences.slice(0, 3))} in ${JSON.stringify(t.slice(0, 120))}`);
    if (/>/.test(t.replace(new RegExp(`<${OWN_MENTION}>`, 'g'), ''))) out.push(`a raw > in ${JSON.stringify(t.slice(0, 120))}`);
    if (/&(?!(amp|lt|gt);)/.test(t)) out.push(`an & that is no entity (or an entity cut in two) in ${JSON.stringify(t.slice(0, 120))}`);
  }
  return out;
}

/**
 * The local console's rendering of the blocks: the hostile markup stays text there too. Only for the payloads marked
 * `html` (the alert, the updated and the handled one): the other payloads repeat their blocks, and rendering them all
 * would double the test's time.
 */
function htmlBreaches(p: Payload): string[] {
  if (!p.blocks || !p.html) return [];
  const html = blocksToHtml(p.blocks, { fileSrc: () => '/files/F0CHART0001.png' });
  return ['<img src=x', '<!channel>', '<@U0VICTIM>', '<https://evil.example'].filter((raw) => html.includes(raw)).map((raw) => `the console's HTML holds ${JSON.stringify(raw)}`);
}

const post = (what: string, m: AlertMessage, target: MessageTarget = 'chat.postMessage'): Payload => ({ what, target, text: m.text, blocks: m.blocks });

/** What the app sends for one scenario's occurrence: alert, reply, counter, warning, handled redraw, Raise's lines, /oom why. */
function occurrencePayloads(s: Scenario, verdict: Verdict): Payload[] {
  const occurredAt = T0;
  const now = Date.parse(T0) + 40 * 60_000;
  const routed = route({ verdict, annotations: [s.runbook ? { [RUNBOOK_ANNOTATION]: s.runbook } : {}], routing: { defaultChannel: 'C-ALERTS' }, mutedUntil: undefined });
  const runbookUrl = routed.to === 'channel' ? routed.runbookUrl : undefined;
  const o = { cluster: s.cluster, incidentId: 'inc-7f3a09c2e4b1d6a8', occurredAt, now, runbookUrl };
  // The picture as chart-upload.ts titles it: the workload's name (any string) and the container's.
  const picture = s.picture ? { fileId: FILE_ID, title: `${verdict.workload?.name ?? verdict.pod.name} › ${s.container} · memory before the kill`, altText: `Memory chart of container ${s.container}` } : undefined;
  const pod = podMessages(verdict, o);
  const warning = warningMessages(verdict, o);
  const alert = pod.first(picture);
  const counted = withCounter(alert.blocks, pod.counter(s.count, Date.parse(occurredAt)));
  const raise = proposedChange(verdict);
  const patched: Patched = { status: 'patched', target: `${verdict.pod.namespace}/${s.workload?.kind ?? 'Pod'}/${s.workload?.name ?? verdict.pod.name}`, container: s.container, field: raise?.field ?? 'limit', before: s.reason, after: '640Mi', how: s.workload ? 'workload' : 'resize', next: s.text, ...(s.count % 2 ? { auditError: s.reason } : {}) };
  const change = changeTexts(patched, CLICKER, '10:20', 'ref-1');
  const what = clickedChange(raise?.label ?? 'Change its memory');
  // The pod's containers that died with it, listed in its one alert (bot/pod-deaths.ts): one not diagnosed.
  const together = withDiedTogether(pod, verdict.kind === 'eviction', [{ container: s.container, verdict }, { container: `${s.container}-b`, verdict }, { container: 'sidecar' }]);
  const togetherFirst = together.first(picture);
  return [
    { ...post('the alert of containers that died together', togetherFirst), html: true },
    post('a repeat of containers that died together', together.reply()),
    { what: 'the counter of containers that died together', target: 'chat.update', text: togetherFirst.text, blocks: withCounter(togetherFirst.blocks, together.counter(s.count, Date.parse(occurredAt))) },
    { ...post('the alert', alert), html: true },
    post('a repeat in the thread', pod.reply()),
    post('a repeat under a handled alert, with its buttons again', pod.handledReply!()),
    post('a repeat under a handled alert whose raise has not reached the pod', podMessages(verdict, { ...o, workloadLimit: '64Gi' }).handledReply!()),
    // A token cluster without a patch token (its name is operator text, any string here): a line instead of the button.
    { ...post('the alert where Raise limit is off', podMessages(verdict, { ...o, raiseOff: true }).first(picture)), html: true },
    { what: 'the counter update', target: 'chat.update', text: alert.text, blocks: counted, html: true },
    { what: 'a second counter update', target: 'chat.update', text: alert.text, blocks: withCounter(counted, pod.counter(s.count + 1, Date.parse(occurredAt))) },
    post('a warning', warning.first(picture)),
    post('a reply under a warning', warning.reply()),
    { what: 'a warning’s counter', target: 'chat.update', text: warning.first().text, blocks: withCounter(warning.first().blocks, warning.counter(s.count, Date.parse(occurredAt))) },
    { what: 'the handled redraw', target: 'chat.update', text: slackText(`${verdict.headline} (handled)`, SLACK_LIMITS.fallbackText), blocks: withHandled(counted, change.handled), html: true },
    { what: 'the handled alert marked died again, its counter moved', target: 'chat.update', text: alert.text, blocks: withCounter(withRecurred(withHandled(counted, change.handled)), pod.counter(s.count + 12, Date.parse(occurredAt))) },
    // Redrawn from the store with its workload's mute as it stands (bot/mute-state.ts): muted by the clicker for 7 d,
    // then the mute gone again, handled or not.
    { what: 'the counter update of a muted alert', target: 'chat.update', text: alert.text, blocks: withMuteState(counted, { until: now + 7 * 86_400_000, by: CLICKER, at: now }), html: true },
    { what: 'the handled redraw of a muted alert, once unmuted', target: 'chat.update', text: alert.text, blocks: withMuteState(withMuteState(withHandled(counted, change.handled), { until: now + 3_600_000, by: CLICKER }), undefined) },
    { what: 'the change in the thread', target: 'chat.postMessage', text: change.thread },
    { what: 'a refusal in the thread', target: 'chat.postMessage', text: refusalText(refuse(s.text), CLICKER, what) },
    { what: 'a refusal to the clicker', target: 'response_url', text: refusalText(refuse(`${s.reason}: ${s.text}`, 'user'), CLICKER, what) },
    post('/oom why', renderAlert(verdict, { cluster: s.cluster, incidentId: 'live', occurredAt, ...(picture ? { picture } : {}) }), 'response_url'),
  ];
}

/** Every rule a payload breaks, named with the payload and the scenario; none for a payload Slack takes as it is. */
function sendBreaches(payloads: Payload[], context: string): string[] {
  return payloads.flatMap((p) => [...breaches(p), ...htmlBreaches(p)].map((b) => `${context} › ${p.what}: ${b}`));
}

describe('every Slack payload, from hostile cluster text', () => {
  it('alerts of every cause, containers that died together, replies (under a handled alert too), counters, warnings, the handled redraw, Raise’s lines and /oom why keep Slack’s rules', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const verdict = diagnose(inputOf(s));
        expect(sendBreaches(occurrencePayloads(s, verdict), `${s.cause}: ${verdict.kind}`)).toEqual([]);
      }),
      { numRuns: 600 },
    );
  });

  it('node OOMs, their replies and counters keep Slack’s rules, whatever the node and its top users are called', () => {
    const user = fc.record({ namespace: nonEmpty, pod: nonEmpty, container: nonEmpty, workingSetBytes: fc.integer({ min: 1, max: 64 * GiB }), requestBytes: fc.option(fc.integer({ min: 0, max: 8 * GiB }), { nil: undefined }) });
    fc.assert(
      fc.property(hostile, nonEmpty, nonEmpty, fc.array(user, { maxLength: 5 }), fc.integer({ min: 2, max: 100_000 }), (message, nodeName, cluster, top, count) => {
        // The kubelet's own words about its node (shared/node-signals.ts), with whatever the cluster appended.
        const e = { ...event({ reason: 'SystemOOM', message: `System OOM encountered, victim process: java, pid: 7 ${message}`, on: { kind: 'Node', name: nodeName }, at: T0 }), source: { component: 'kubelet', host: nodeName }, count: 1 };
        const occurrence = nodeEventOccurrence(cluster, e);
        expect(occurrence).toBeDefined();
        if (!occurrence) return;
        const memory = { nodeTop: top.map((u) => ({ ...u, ...(u.requestBytes === undefined ? {} : { requestBytes: u.requestBytes }) })), nodeSampledAt: T0 };
        const envelope = EnvelopeSchema.parse(buildEnvelope(cluster, occurrence, undefined, [], new Date(T0), memory)) as Extract<Envelope, { kind: 'node-oom' }>;
        const messages = nodeOomMessages(envelope, envelope.node ?? nodeName, { cluster, incidentId: 'inc-9c1d', occurredAt: T0, now: Date.parse(T0) + 5 * 60_000 });
        const first = messages.first();
        const payloads: Payload[] = [{ ...post('a node OOM', first), html: true }, post('a node OOM again', messages.reply()), { what: 'its counter', target: 'chat.update', text: first.text, blocks: withCounter(first.blocks, messages.counter(count, Date.parse(T0))) }];
        expect(sendBreaches(payloads, 'node OOM')).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('a storm root keeps Slack’s rules, its select too, whatever its groups are called and however many there are', () => {
    const group = fc.record({ label: hostile, key: hostile, count: fc.integer({ min: 1, max: 100_000 }), cause: fc.constantFrom('limit', 'node-pressure', 'runtime', 'not-oom', 'unknown'), node: fc.option(hostile, { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 130 }), fc.integer({ min: 0, max: 60 }), nonEmpty, fc.boolean(), (groups, before, cluster, ended) => {
        const startedAt = Date.parse(T0);
        const storm: Storm = {
          startedAt,
          lastAt: startedAt + 90_000,
          openedBy: 'occ-1',
          before,
          beforeCauses: Array.from({ length: before }, () => ({ cause: 'limit' })),
          beforeGroups: [],
          groups: groups.map((g, i) => ({ key: `repeat/${cluster}/shop/${g.key}/${i}`, firstAt: startedAt + i, count: g.count, lastAt: startedAt + i, cause: g.cause, label: g.label, ...(g.node !== undefined ? { node: g.node } : {}) })),
        };
        const root = renderStorm(storm, { now: startedAt + 120_000, ...(ended ? { ended } : {}) });
        const select = root.blocks.flatMap((b) => ('elements' in b ? (b.elements as { type: string; action_id?: string; options?: { value: string }[] }[]) : [])).find((e) => e.type === 'static_select');
        // The select is there, every group reachable in it up to Slack's 100, each value a group's.
        expect(select?.action_id).toBe(STORM_PICK);
        expect(select?.options).toHaveLength(Math.min(groups.length, 100));
        expect(new Set(select?.options?.map((o) => o.value)).size).toBe(Math.min(groups.length, 100));
        expect(sendBreaches([{ ...post('the storm root', root), html: true }, { what: 'the storm root updated', target: 'chat.update', text: root.text, blocks: root.blocks }], 'storm')).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('/oom help, usage errors and unknown clusters keep Slack’s rules, whatever was typed', async () => {
    // Hostile words, and well-formed commands around them: each answer the grammar can give is reached.
    const typed = fc.oneof(
      hostile,
      hostile.map((h) => `why ${h}`),
      label.map((l) => `why ${l}`),
      fc.tuple(label, label).map(([ns, p]) => `why ${ns}/${p} --share`),
      hostile.map((h) => `mute ${h} 1h`),
      label.map((l) => `mute deploy/${l} 24h -n shop`),
      label.map((l) => `unmute sts/${l}`),
      hostile.map((h) => `recent ${h} --cluster ${h}`),
      label.map((l) => `recent ${l}`),
      hostile.map((h) => `why api-0 --cluster ${h}`),
      fc.constantFrom('', 'help', 'recent', 'mute', 'why', '-n', '--cluster', 'why a b'),
    );
    // Help, usage and a cluster it does not know touch no store and no cluster: none is given. With one cluster
    // known, the command names another (the last --cluster wins), so that it is not looked at either.
    const deps = (clusters: string[]) => ({ store: undefined as never, cluster: () => undefined, clusters });
    await fc.assert(
      fc.asyncProperty(typed, hostile.filter((k) => k.length > 0 && k !== 'zz0'), async (text, known) => {
        const replies = [await answerOom(deps([]), text, CLICKER), await answerOom(deps([known, `${known}-2`]), `${text} --cluster zz0`, CLICKER)];
        expect(sendBreaches(replies.map((reply) => ({ what: `/oom ${text.slice(0, 40)}`, target: 'response_url', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) })), '/oom')).toEqual([]);
      }),
      { numRuns: 800 },
    );
    expect(breaches({ what: 'usage', target: 'response_url', text: USAGE })).toEqual([]);
  });
});

describe('answers read from the store, from hostile incidents', () => {
  let dir: string;
  let store: FileStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oombot-payloads-'));
    store = await FileStore.open(path.join(dir, 'store.json'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('Why?, Mute with its redraw, Unmute with its redraw and /oom recent keep Slack’s rules', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const verdict = diagnose(inputOf(s));
        const incidentId = `inc-${(++n).toString(16).padStart(16, '0')}`;
        const cluster = 'prod-eu';
        await store.recordIncident({ incidentId, occurrenceId: `occ-${incidentId}`, cluster, namespace: verdict.pod.namespace, workload: s.workload ? `${s.workload.kind}/${s.workload.name}` : `Pod/${verdict.pod.name}`, container: verdict.container, cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: { channel: 'C-ALERTS', ts: '1764238443.000100' }, verdict });
        const raise = proposedChange(verdict);
        const clicked = { blocks: renderAlert(verdict, { cluster, incidentId, occurredAt: T0, buttons: { runbookUrl: 'https://runbooks.example/oom', ...(raise ? { raise } : {}) }, picture: { fileId: FILE_ID, title: s.text || 't', altText: s.reason || 'a' } }).blocks };
        const why = await answerAlertAction({ store }, ACTIONS.why, incidentId, CLICKER, clicked);
        const mute = await answerAlertAction({ store, now: () => Date.parse(T0) }, ACTIONS.mute1h, incidentId, CLICKER, { ...clicked, text: renderAlert(verdict, { cluster, incidentId, occurredAt: T0 }).text });
        // The muted alert, then Unmute clicked on it: both redraws replace the alert through the click's response_url.
        const unmute = await answerAlertAction({ store, now: () => Date.parse(T0) }, ACTIONS.unmute, incidentId, CLICKER, { blocks: mute!.redraw!.blocks, text: mute!.redraw!.text });
        expect(JSON.stringify(mute!.redraw!.blocks)).toContain(ACTIONS.unmute);
        expect(JSON.stringify(unmute!.redraw!.blocks)).toContain(ACTIONS.mute24h);
        const recent = await answerOom({ store, cluster: () => undefined, clusters: [cluster] }, `recent ${verdict.pod.namespace}`, CLICKER);
        const answers = [
          { what: 'Why?', target: 'response_url' as const, text: why!.text, ...(why!.blocks ? { blocks: why!.blocks } : {}) },
          ...(why!.withoutPicture ? [{ what: 'Why? without its picture', target: 'response_url' as const, text: why!.withoutPicture.text }] : []),
          { what: 'Mute', target: 'response_url' as const, text: mute!.text },
          { what: 'the muted redraw', target: 'response_url' as const, text: mute!.redraw!.text, blocks: mute!.redraw!.blocks, html: true },
          { what: 'Unmute', target: 'response_url' as const, text: unmute!.text },
          { what: 'the unmuted redraw', target: 'response_url' as const, text: unmute!.redraw!.text, blocks: unmute!.redraw!.blocks, html: true },
          { what: '/oom recent', target: 'response_url' as const, text: recent.text },
        ];
        expect(sendBreaches(answers, s.cause)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('a workload chosen in a storm and /oom recent listing the storm keep Slack’s rules', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(scenario, { minLength: 2, maxLength: 4 }), async (scenarios) => {
        const cluster = `storm-${++n}`;
        const root = { channel: 'C-ALERTS', ts: `1764238443.${String(n).padStart(6, '0')}` };
        const verdicts = scenarios.map((s, i) => ({ s, i, verdict: diagnose(inputOf({ ...s, namespace: `ns${i}` })) }));
        for (const { s, i, verdict } of verdicts) {
          const incidentId = `inc-s${n.toString(16).padStart(8, '0')}${i}`;
          await store.recordIncident({ incidentId, occurrenceId: `occ-${incidentId}`, cluster, namespace: verdict.pod.namespace, workload: s.workload ? `${s.workload.kind}/${s.workload.name}` : `Pod/${verdict.pod.name}`, container: verdict.container, cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: T0, message: root, verdict });
        }
        const picked = await Promise.all(verdicts.map(({ verdict }) => answerStormPick({ store, clusters: [cluster] }, groupChoice(groupKeyOf(cluster, verdict)), root)));
        // Each choice found its own workload's explanation, with its buttons.
        for (const answer of picked) expect(JSON.stringify(answer.blocks ?? [])).toContain('oombot_mute_1h');
        const recent = await answerOom({ store, cluster: () => undefined, clusters: [cluster] }, 'recent', CLICKER);
        expect(recent.text).toContain('*storm: ');
        const answers = [...picked.map((a, i) => ({ what: `a storm's workload ${i}`, target: 'response_url' as const, text: a.text, ...(a.blocks ? { blocks: a.blocks } : {}) })), { what: '/oom recent with a storm', target: 'response_url' as const, text: recent.text }];
        expect(sendBreaches(answers, 'storm')).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

// Guards for the generators themselves: a property over text that never reached a limit or never held the hostile
// pieces would pass whatever the renderers did.
describe('the generated text', () => {
  it('reaches past every limit and holds each hostile piece', () => {
    const samples = fc.sample(hostile, { numRuns: 3000, seed: 16 });
    expect(Math.max(...samples.map((t) => t.length))).toBeGreaterThan(SLACK_LIMITS.messageText);
    for (const raw of ['<!channel>', '😀', '👨‍👩‍👧‍👦', '&amp;', '\u001b[31m', '`']) expect(samples.some((t) => t.includes(raw))).toBe(true);
  });
});
