// Cluster text never speaks in Slack. Names and messages from a cluster may hold Slack's control sequences — an
// ownerReference's name is any string, so is an Event's involvedObject name, a termination message is the
// container's own output — and `<!channel>` in any text Slack parses as mrkdwn (a message's top-level `text` too)
// would page a whole channel. This drives every Slack call the app makes with hostile names, through the real
// @slack/web-api client into the Slack double, and checks every text Slack would parse.
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionJob } from '../../bot/actions.ts';
import { answerAlertAction } from '../../bot/alert-actions.ts';
import { ACTIONS } from '../../bot/alert.ts';
import { answerOom } from '../../bot/oom-command.ts';
import { incidentId, postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { EnvelopeSchema, type Envelope } from '../../shared/envelope.ts';
import type { Pod } from '../../shared/k8s-objects.ts';
import { podOccurrences } from '../../shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, event, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.ts';

const CHANNEL = '<!channel>';
const HOSTILE_NODE = `<!here> ip-10-0-0-1 ${'&x'.repeat(1600)}`;
const HOSTILE_MESSAGE = `java.lang.Exception <!everyone> <https://evil.example|click me> & more 😀${'<@U0VICTIM>'.repeat(300)}`;

let dynamo: LocalDynamo;
let slack: SlackDouble;
let deps: PostDeps;
let store: DynamoStore;

beforeAll(async () => {
  [dynamo, slack] = await Promise.all([startDynalite(), startSlackDouble()]);
  slack.perChannelRateLimit = false;
  await dynamo.createTable('oombot');
  store = new DynamoStore(dynamo.client, 'oombot');
  deps = {
    store,
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }).chat,
    // Not registered: only what the envelope carries is used, so the owner is taken from the pod's own reference.
    cluster: () => undefined,
    routing: { defaultChannel: 'C-ALERTS' },
  };
});
afterAll(async () => {
  await Promise.all([slack?.close(), dynamo?.close()]);
});

function hostilePod(restarts: number): Pod {
  return pod({
    name: 'checkout-0',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, message: HOSTILE_MESSAGE, finishedAt: at(restarts * 60) }, restarts)],
    metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: `${CHANNEL} checkout & co`, uid: 'x', controller: true }] },
  });
}

const envelopesOf = (p: Pod): Envelope[] => podOccurrences('prod-eu', p).map((o) => EnvelopeSchema.parse(buildEnvelope('prod-eu', o, p, [], new Date())));

/** Every string in a Slack payload that Slack parses as mrkdwn: top-level text, mrkdwn text objects; not plain_text. */
function mrkdwnTexts(payload: unknown, out: string[] = [], plain = false): string[] {
  if (typeof payload === 'string') {
    if (!plain) out.push(payload);
    return out;
  }
  if (Array.isArray(payload)) {
    for (const p of payload) mrkdwnTexts(p, out);
    return out;
  }
  if (payload && typeof payload === 'object') {
    const o = payload as Record<string, unknown>;
    const isPlain = o['type'] === 'plain_text';
    for (const [k, v] of Object.entries(o)) {
      if (k === 'text' || k === 'elements' || k === 'fields' || k === 'blocks' || (k === 'confirm' && typeof v === 'object')) mrkdwnTexts(k === 'blocks' && typeof v === 'string' ? JSON.parse(v) : v, out, isPlain && k === 'text');
      else if (k === 'title' || k === 'deny') continue; // plain_text by Block Kit's rules
    }
  }
  return out;
}

/** What may appear between < and > in our own texts: the clicking user's mention. Nothing else. */
function controlSequences(text: string): string[] {
  return [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]!).filter((inner) => !/^@U0[A-Z]+$/.test(inner) || inner === '@U0VICTIM');
}

function expectInert(texts: string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expect({ text: t.slice(0, 200), controlSequences: controlSequences(t) }).toEqual({ text: t.slice(0, 200), controlSequences: [] });
    // An & is an entity Slack decodes, never the start of one that clipping cut.
    expect(t.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/&/);
    // A lone surrogate (half an emoji) makes the Web API client throw before it sends anything.
    expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  }
}

describe('hostile cluster text on every Slack call', () => {
  it('alerts, thread replies and counter updates escape the owner name and the termination message', async () => {
    const before = slack.calls.length;
    const first = await postOccurrence(deps, envelopesOf(hostilePod(1))[0]!);
    expect(first).toMatchObject({ status: 'posted', verdict: { workload: { kind: 'StatefulSet', name: `${CHANNEL} checkout & co` } } });
    expect(await postOccurrence(deps, envelopesOf(hostilePod(2))[0]!)).toMatchObject({ status: 'threaded' });
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    expectInert(calls.flatMap((c) => mrkdwnTexts({ text: c.args['text'], blocks: c.args['blocks'] })));
  });

  it('node OOM messages escape a hostile, over-long node name and kernel line, and still fit Slack', async () => {
    const before = slack.calls.length;
    const e = event({ reason: 'SystemOOM', message: `System OOM encountered, victim process: ${HOSTILE_MESSAGE}, pid: 4242`, on: { kind: 'Node', name: HOSTILE_NODE } });
    const envelope = (n: number): Envelope => ({ version: 1, kind: 'node-oom', occurrenceId: `node-hostile-${n}`, cluster: 'prod-eu', occurredAt: at(n), observedAt: at(n), node: HOSTILE_NODE, events: [], event: { ...e, metadata: { ...e.metadata, uid: `ev-hostile-${n}` } } });
    expect(await postOccurrence(deps, envelope(1))).toMatchObject({ status: 'posted' });
    expect(await postOccurrence(deps, envelope(2))).toMatchObject({ status: 'threaded' });
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    expectInert(calls.flatMap((c) => mrkdwnTexts({ text: c.args['text'], blocks: c.args['blocks'] })));
  });

  it('the buttons, /oom recent and a refused Raise limit in the thread escape what the store holds', async () => {
    const posted = await postOccurrence(deps, envelopesOf(hostilePod(5))[0]!);
    expect(posted.status).toBe('threaded');
    const id = incidentId(posted.occurrenceId);
    // The incident of the first alert, as the store keeps it.
    const first = (await store.recentIncidents('prod-eu'))[0]!;
    const answers = [
      await answerAlertAction({ store }, ACTIONS.mute1h, first.incidentId, 'U0ALICE'),
      await answerAlertAction({ store }, ACTIONS.why, first.incidentId, 'U0ALICE'),
      await answerAlertAction({ store }, ACTIONS.why, `${CHANNEL}-forged`, 'U0ALICE'),
      await answerOom({ store, cluster: () => undefined, clusters: ['prod-eu'] }, 'recent', 'U0ALICE'),
    ];
    const responses: unknown[] = [];
    const before = slack.calls.length;
    for (const incident of [first.incidentId, id]) {
      await runActionJob(
        {
          store,
          cluster: () => undefined,
          clusters: ['prod-eu'],
          policy: { allowed: { shop: ['U0ALICE'] }, contact: '#platform' },
          slack: deps.slack,
          respond: async (_url, message) => void responses.push(message),
        },
        { kind: 'raise', incidentId: incident, userId: 'U0ALICE', actionTs: (Date.now() / 1000).toFixed(6), responseUrl: `${slack.url}/respond/x` },
      );
    }
    const threadCalls = slack.calls.slice(before);
    expect(threadCalls.map((c) => c.method)).toContain('chat.postMessage');
    expectInert([...answers.flatMap((a) => mrkdwnTexts(a)), ...responses.flatMap((r) => mrkdwnTexts(r)), ...threadCalls.flatMap((c) => mrkdwnTexts({ text: c.args['text'], blocks: c.args['blocks'] }))]);
  });
});
