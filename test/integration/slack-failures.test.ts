// What analyze does with Slack's failure answers (issue 16 item 3), through the real parts: the clients as
// functions/compose.ts configures them, the API server, dynalite and the Slack double.
// - A channel that is not there, or that oombot is not in, falls back to the default channel with a line that says
//   which channel failed and how to fix it; a default channel that fails too is a real failure, never a loop.
// - A rate limit (HTTP 429 with Retry-After, or HTTP 200 rate_limited) is waited out while the invocation has time,
//   and otherwise fails it for the bus to retry; an occurrence is posted once either way.
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { makeBackend, makePostDeps } from '../../functions/compose.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let table = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  await createNamespace(cluster.admin, 'shop');
  const core = cluster.admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'payments', annotations: { 'oombot.io/slack-channel': '#payments-oncall' } } } });
  await createNode(cluster.admin, node() as unknown as V1Node);
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

/** The analyze step's dependencies as the Lambda builds them (functions/compose.ts), on a fresh table. */
async function analyzeDeps(defaultChannel = 'C-ALERTS'): Promise<PostDeps> {
  const name = `slack-failures-${++table}`;
  await dynamo.createTable(name);
  const backend = makeBackend({ store: new DynamoStore(dynamo.client, name), slackToken: 'xoxb-test-token', slackApiUrl: slack.apiUrl, cluster: (c) => (c === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined), clusters: ['prod-eu'] });
  return makePostDeps(backend, { defaultChannel, repeatWindowMs: 60 * 60_000, evictionWindowMs: 10 * 60_000 });
}

const envelopeOf = (p: Pod): Envelope => EnvelopeSchema.parse(buildEnvelope('prod-eu', podOccurrences('prod-eu', p)[0]!, trimPod(p), [], new Date()));
let pods = 0;
/** A limit OOM of its own pod (its own occurrence and repeat group), in `namespace`, with the pod's annotations. */
const oomIn = (namespace: string, annotations?: Record<string, string>, restarts = 1, n = ++pods) =>
  envelopeOf(pod({ name: `ledger-${n}`, namespace, uid: `7c0c6d4a-0000-4000-8000-${String(n).padStart(12, '0')}`, containers: [container({ name: 'api', limit: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts * 60) }, restarts)], ...(annotations ? { metadata: { annotations } } : {}) }));
const note = (m: { blocks?: unknown[] }) => (m.blocks as { block_id?: string; elements?: { text: string }[] }[])[1]?.block_id?.startsWith('oombot-channel-note') ? (m.blocks as { elements: { text: string }[] }[])[1]!.elements[0]!.text : undefined;
const posts = (since: number) => slack.calls.slice(since).filter((c) => c.method === 'chat.postMessage');

/** Only declared channels exist for the duration of `body`: C-ALERTS, and the ones given. */
async function withChannels<T>(channels: { id: string; name: string; member?: boolean }[], body: () => Promise<T>): Promise<T> {
  for (const c of [{ id: 'C-ALERTS', name: 'oom-alerts' }, ...channels]) slack.declareChannel(c);
  slack.knownChannelsOnly = true;
  try {
    return await body();
  } finally {
    slack.knownChannelsOnly = false;
  }
}

describe('a channel Slack refuses', () => {
  it('falls back to the default channel, saying which channel was not found and how to fix it, and threads the repeat there', async () => {
    const deps = await analyzeDeps();
    const before = slack.messages.length;
    await withChannels([], async () => {
      expect(await postOccurrence(deps, oomIn('payments'))).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
      const [alert] = slack.messages.slice(before);
      expect(alert!.channel).toBe('C-ALERTS');
      expect(note(alert!)).toBe('⚠️ #payments-oncall was not found or oombot is not in it: invite @oombot there or fix the oombot.io/slack-channel annotation on namespace payments.');
      // The incident points at the alert where it is, so the buttons and /oom recent find it.
      expect((await deps.store.recentIncidents('prod-eu', { namespace: 'payments' }))[0]!.message).toEqual({ channel: 'C-ALERTS', ts: alert!.ts });
      // The pod's next death threads under that alert, where it is: the refused channel is not tried again.
      const calls = slack.calls.length;
      expect(await postOccurrence(deps, oomIn('payments', undefined, 2, pods))).toMatchObject({ status: 'threaded', channel: 'C-ALERTS', ts: expect.any(String) });
      // (Every call: Slack's one message per second per channel may have answered the first with a 429.)
      expect(new Set(posts(calls).map((c) => `${String(c.args['channel'])} ${String(c.args['thread_ts'])}`))).toEqual(new Set([`C-ALERTS ${alert!.ts}`]));
    });
  });

  it('falls back when oombot is not in the channel the pod names, escaping what the annotation says', async () => {
    const deps = await analyzeDeps();
    const before = slack.messages.length;
    await withChannels([{ id: 'CPRIVATE1', name: 'team-private', member: false }], async () => {
      expect(await postOccurrence(deps, oomIn('shop', { 'oombot.io/slack-channel': 'CPRIVATE1' }))).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
      expect(await postOccurrence(deps, oomIn('shop', { 'oombot.io/slack-channel': '<!here> ops' }))).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    });
    const [first, second] = slack.messages.slice(before);
    expect(note(first!)).toMatch(/^⚠️ CPRIVATE1 was not found or oombot is not in it: invite @oombot there or fix the oombot\.io\/slack-channel annotation on pod shop\/ledger-\d+\.$/);
    expect(note(second!)).toMatch(/^⚠️ &lt;!here&gt; ops was not found or oombot is not in it: /);
  });

  it('fails, naming the default channel and the fix, when the default channel is refused too — once, with no loop — and posts once on the retry', async () => {
    const deps = await analyzeDeps('#oom-nowhere');
    const before = slack.calls.length;
    const envelope = oomIn('payments');
    await withChannels([], async () => {
      const failure = await postOccurrence(deps, envelope).catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: 'ChannelUnreachableError', code: 'SLACK_CHANNEL_UNREACHABLE', channel: '#oom-nowhere', slackError: 'channel_not_found' });
      expect((failure as Error).message).toBe('Slack answered channel_not_found for #oom-nowhere: invite @oombot to #oom-nowhere, or set OOMBOT_DEFAULT_CHANNEL to a channel it is in');
      // The routed channel, then the default: two calls, no more.
      expect(posts(before).map((c) => c.args['channel'])).toEqual(['#payments-oncall', '#oom-nowhere']);
      // The claim was given back: once the channel exists, the bus's retry posts it, once.
      slack.declareChannel({ id: 'CNOWHERE1', name: 'oom-nowhere' });
      expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'posted', channel: 'CNOWHERE1' });
      expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'duplicate' });
    });
  });

  it('fails the same way when an alert routed to the default channel is refused there', async () => {
    const deps = await analyzeDeps('#oom-gone');
    const before = slack.calls.length;
    await withChannels([], async () => {
      await expect(postOccurrence(deps, oomIn('shop'))).rejects.toMatchObject({ code: 'SLACK_CHANNEL_UNREACHABLE', channel: '#oom-gone' });
    });
    expect(posts(before)).toHaveLength(1);
  });
});

describe('a rate limit', () => {
  /** Posts one occurrence with `timeLeft` as the invocation's, and says how long it took. */
  async function timed(deps: PostDeps, envelope: Envelope, timeLeftMs?: number) {
    const start = Date.now();
    const left = timeLeftMs === undefined ? undefined : () => timeLeftMs - (Date.now() - start);
    const outcome = await postOccurrence({ ...deps, ...(left ? { timeLeft: left } : {}) }, envelope).catch((e: unknown) => e);
    return { outcome, ms: Date.now() - start };
  }

  it.each([1, 5])('is waited out within the invocation’s time when Slack answers 429 with Retry-After %i, and posted once', async (seconds) => {
    const deps = await analyzeDeps();
    const before = slack.messages.length;
    const calls = slack.calls.length;
    slack.force429(1, seconds);
    const { outcome, ms } = await timed(deps, oomIn('shop'), 60_000);
    expect(outcome).toMatchObject({ status: 'posted' });
    expect(ms).toBeGreaterThanOrEqual(seconds * 1000);
    expect(ms).toBeLessThan(seconds * 1000 + 3_000);
    expect(posts(calls)).toHaveLength(2);
    expect(slack.messages.length - before).toBe(1);
  });

  it('fails the invocation at once when Retry-After is 30 s and the invocation has 20 s left; the bus’s retry posts it once', async () => {
    const deps = await analyzeDeps();
    const before = slack.messages.length;
    const envelope = oomIn('shop');
    const calls = slack.calls.length;
    slack.force429(1, 30);
    const { outcome, ms } = await timed(deps, envelope, 20_000);
    expect(outcome).toMatchObject({ name: 'SlackRateLimitedError', code: 'SLACK_RATE_LIMITED', method: 'chat.postMessage', waitMs: 30_000 });
    // What is usable is the time left less the margin for giving the claim back (bot/slack-rate-limits.ts).
    expect((outcome as Error).message).toMatch(/^Slack rate-limited chat\.postMessage and asked to wait 30 s, with 1[0-4] s usable in this invocation: it fails so that the bus retries it later$/);
    expect(ms).toBeLessThan(5_000);
    expect(posts(calls)).toHaveLength(1);
    expect(slack.messages.length).toBe(before);
    expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'posted' });
    expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'duplicate' });
    expect(slack.messages.length - before).toBe(1);
  });

  it('is waited out when Slack answers HTTP 200 rate_limited, which the client alone never retries', async () => {
    const deps = await analyzeDeps();
    const before = slack.messages.length;
    slack.forceRateLimited(2);
    const { outcome, ms } = await timed(deps, oomIn('shop'), 60_000);
    expect(outcome).toMatchObject({ status: 'posted' });
    // A second, then two: rate_limited carries no Retry-After.
    expect(ms).toBeGreaterThanOrEqual(3_000);
    expect(slack.messages.length - before).toBe(1);
  });

  it('fails at once on rate_limited when the invocation has no second to spare', async () => {
    const deps = await analyzeDeps();
    const envelope = oomIn('shop');
    const calls = slack.calls.length;
    slack.forceRateLimited(1);
    const { outcome } = await timed(deps, envelope, 5_500);
    expect(outcome).toMatchObject({ code: 'SLACK_RATE_LIMITED', waitMs: 1_000 });
    // Refused once and not asked again: no wait was tried.
    expect(posts(calls)).toHaveLength(1);
    expect(await postOccurrence(deps, envelope)).toMatchObject({ status: 'posted' });
  });
});
