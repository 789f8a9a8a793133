// One alert for a pod whose containers died together (bot/pod-deaths.ts), through the real parts: envelopes as the
// forwarder builds them, the API server, DynamoDB (dynalite) and the Slack double through @slack/web-api. Every
// container's occurrence is still claimed and recorded once; concurrent invocations post one root between them.
import type { V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { FileStore } from '../../store/file.ts';
import type { Store } from '../../store/port.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, downStatus, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let table = 0;
let batchRs = '';

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  batchRs = (await createDeploymentChain(cluster.admin, 'shop', 'batch')).rsUid;
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

const stores: Record<string, () => Promise<Store>> = {
  DynamoStore: async () => {
    const name = `pod-deaths-${++table}`;
    await dynamo.createTable(name);
    return new DynamoStore(dynamo.client, name);
  },
  FileStore: async () => FileStore.open(join(await mkdtemp(join(tmpdir(), 'oombot-pod-deaths-')), 'state.json')),
};

function depsWith(store: Store): PostDeps {
  return {
    store,
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
    cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
    routing: { defaultChannel: 'C-ALERTS' },
  };
}

const envelopes = (p: Pod): Envelope[] => podOccurrences('prod-eu', p).map((o) => EnvelopeSchema.parse(buildEnvelope('prod-eu', o, trimPod(p), [], new Date())));
const names = Array.from({ length: 12 }, (_, i) => `worker-${String.fromCharCode(97 + i)}`);
const oom = (name: string, second: number, restarts = 0) => (restarts ? restartedStatus(name, { reason: 'OOMKilled', exitCode: 137, finishedAt: at(second) }, restarts) : downStatus(name, { reason: 'OOMKilled', exitCode: 137, finishedAt: at(second) }));
/** One pod of the batch Deployment with twelve containers; `statuses` as the kubelet last wrote them. */
const batchPod = (uid: string, statuses: object[]) => pod({ name: `batch-7d9f8b6c5-${uid.slice(-5)}`, uid, deployment: 'batch', rsUid: batchRs, containers: names.map((name) => container({ name, limit: '256Mi' })), statuses });
const posted = (since: number) => slack.messages.slice(since);
const together = (m: { blocks?: unknown[] }) => (m.blocks as { block_id?: string; text?: { text: string } }[]).find((b) => b.block_id?.startsWith('oombot-together'))?.text?.text;

describe.each(Object.keys(stores))('a pod whose containers died together, on %s', (storeName) => {
  it('is one alert listing every container, each recorded once, however many invocations race', async () => {
    const store = await stores[storeName]!();
    const deps = depsWith(store);
    const before = slack.messages.length;
    // The twelve die within 3 s of each other; their twelve envelopes arrive at once, and the forwarder sends each twice.
    const all = envelopes(batchPod(`9a0c6d4a-0000-4000-8000-${storeName === 'FileStore' ? '00000000f001' : '00000000d001'}`, names.map((n, i) => oom(n, i % 4))));
    expect(all).toHaveLength(12);
    const outcomes: PostOutcome[] = await Promise.all([...all, ...all].map((e) => postOccurrence(deps, e)));
    const messages = posted(before);
    expect(messages).toHaveLength(1);
    const [alert] = messages;
    expect(outcomes.filter((o) => o.status === 'posted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'counted').map((o) => 'ts' in o && o.ts)).toEqual(Array(11).fill(alert!.ts));
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(12);
    // Each container's reason, limit and use, under the header.
    const list = together(alert!);
    expect(list).toMatch(/^\*12 containers of the pod died together, within 5 s:\*\n/);
    for (const name of names) expect(list).toContain(`• \`${name}\` — OOMKilled, exit 137 · limit 256Mi`);
    expect(alert!.text).toMatch(/ \(\+11 more containers\)$/);
    // Every occurrence is an incident of its own, all answered by the one alert.
    const incidents = await store.recentIncidents('prod-eu', { limit: 50 });
    expect(new Set(incidents.map((i) => i.occurrenceId))).toEqual(new Set(all.map((e) => e.occurrenceId)));
    expect(new Set(incidents.map((i) => i.message.ts))).toEqual(new Set([alert!.ts]));
  });

  it('threads a container dying alone later under that alert, as a repeat', async () => {
    const store = await stores[storeName]!();
    const deps = depsWith(store);
    const uid = `9a0c6d4a-0000-4000-8000-${storeName === 'FileStore' ? '00000000f002' : '00000000d002'}`;
    const before = slack.messages.length;
    await Promise.all(envelopes(batchPod(uid, names.map((n) => oom(n, 0)))).map((e) => postOccurrence(deps, e)));
    const [alert] = posted(before);
    // Two minutes later worker-c dies again on its own: the pod shows that run, the others still down from the first.
    const again = batchPod(uid, names.map((n) => (n === 'worker-c' ? oom(n, 120, 1) : oom(n, 0))));
    const [repeat] = envelopes(again).filter((e) => e.kind === 'container-termination' && e.container === 'worker-c' && e.occurredAt === at(120));
    expect(await postOccurrence(deps, repeat!)).toMatchObject({ status: 'threaded', ts: expect.any(String) });
    const [root, reply] = posted(before);
    expect(root!.ts).toBe(alert!.ts);
    expect(reply!.threadTs).toBe(alert!.ts);
    expect(together(reply!)).toBeUndefined();
    expect(root!.updates).toBe(1);
    expect(JSON.stringify(root!.blocks)).toMatch(/OOMKilled 2× in \d+ min · latest 10:\d\d UTC · see thread/);
    expect(together(root!)).toMatch(/^\*12 containers/);
  });

  it('posts a container that died later than the first one’s pod showed, and one that died 30 s later, as its own', async () => {
    const store = await stores[storeName]!();
    const deps = depsWith(store);
    const uid = `9a0c6d4a-0000-4000-8000-${storeName === 'FileStore' ? '00000000f003' : '00000000d003'}`;
    const before = slack.messages.length;
    slack.perChannelRateLimit = false;
    try {
      // worker-a's envelope saw only itself down; worker-b died 2 s later, worker-c 30 s later.
      const [a] = envelopes(batchPod(uid, [oom('worker-a', 0)]));
      const [, b] = envelopes(batchPod(uid, [oom('worker-a', 0), oom('worker-b', 2)]));
      const [, , c] = envelopes(batchPod(uid, [oom('worker-a', 0), oom('worker-b', 2), oom('worker-c', 30)]));
      expect(await postOccurrence(deps, a!)).toMatchObject({ status: 'posted' });
      expect(await postOccurrence(deps, b!)).toMatchObject({ status: 'posted' });
      expect(await postOccurrence(deps, c!)).toMatchObject({ status: 'posted' });
      expect(posted(before).map((m) => [m.threadTs, together(m)])).toEqual([[undefined, undefined], [undefined, undefined], [undefined, undefined]]);
    } finally {
      slack.perChannelRateLimit = true;
    }
  });

  it('posts the retry of a first that failed in Slack after a later death opened its group, leaving that death’s alert alone', async () => {
    const store = await stores[storeName]!();
    const deps = depsWith(store);
    const uid = `9a0c6d4a-0000-4000-8000-${storeName === 'FileStore' ? '00000000f005' : '00000000d005'}`;
    const key = `together/prod-eu/${uid}`;
    const before = slack.messages.length;
    slack.perChannelRateLimit = false;
    try {
      // worker-a and worker-b die together; worker-a's post fails in Slack (its claim is given back), and worker-b,
      // finding no alert of the pod's death in time, is posted as its own.
      const [a, b] = envelopes(batchPod(uid, [oom('worker-a', 0), oom('worker-b', 0)]));
      slack.force5xx(10);
      await expect(postOccurrence(deps, a!)).rejects.toThrow();
      slack.force5xx(0);
      expect(await postOccurrence({ ...deps, podDeathWaitMs: 500 }, b!)).toMatchObject({ status: 'posted' });
      // Two minutes later both die again, together; the first of that death is counted, its alert not yet posted...
      const again = envelopes(batchPod(uid, [oom('worker-a', 120, 1), oom('worker-b', 120, 1)]));
      await store.recordRepeat(key, Date.now(), 5_000, again[0]!.occurrenceId, Date.parse(at(120)));
      // ...when Lambda retries the first worker-a: posted in its place, it does not become that death's alert.
      expect(await postOccurrence(deps, a!)).toMatchObject({ status: 'posted' });
      expect(await store.repeatMessage(key)).toBeUndefined();
      // That death is still one alert, listing its own.
      const [counted, shown] = (await Promise.all(again.map((e) => postOccurrence(deps, e)))).map((o) => o.status).sort();
      expect([counted, ['posted', 'threaded'].includes(shown!)]).toEqual(['counted', true]);
      expect([...((await store.repeatMessage(key))?.listed ?? [])].sort()).toEqual(again.map((e) => e.occurrenceId).sort());
    } finally {
      slack.perChannelRateLimit = true;
    }
    expect(posted(before).length).toBe(3);
  });

  it('is one alert for an evicted pod: the eviction and the containers it stopped', async () => {
    const store = await stores[storeName]!();
    const deps = depsWith(store);
    const before = slack.messages.length;
    const evicted = pod({
      name: 'web-evicted',
      uid: `9a0c6d4a-0000-4000-8000-${storeName === 'FileStore' ? '00000000f004' : '00000000d004'}`,
      containers: ['web', 'proxy', 'log-shipper'].map((name) => container({ name, limit: '2Gi', request: '256Mi' })),
      statuses: ['web', 'proxy', 'log-shipper'].map((name) => downStatus(name, { reason: 'Error', exitCode: 137, finishedAt: at(1) })),
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. ',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at(0) }],
      },
    });
    const all = envelopes(evicted);
    expect(all.map((e) => e.kind)).toEqual(['container-termination', 'container-termination', 'container-termination', 'pod-eviction']);
    const outcomes = await Promise.all(all.map((e) => postOccurrence(deps, e)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['counted', 'counted', 'counted', 'posted']);
    const [alert, ...more] = posted(before);
    expect(more).toEqual([]);
    expect(together(alert!)).toMatch(/^\*3 containers stopped by the eviction:\*\n/);
    expect(together(alert!)).toContain('• `web` — Error, exit 137 · limit 2Gi · using 900Mi');
  });
});

describe('a pod whose containers died together, while Slack rate-limits', () => {
  it('is still one alert when the first waits out a Retry-After longer than a sibling’s usual wait, within the invocation’s time', async () => {
    const store = await stores['DynamoStore']!();
    const start = Date.now();
    // As in the Lambda: 429s come back at once (functions/compose.ts), and the invocation has a minute.
    const deps: PostDeps = { ...depsWith(store), slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }).chat, timeLeft: () => 60_000 - (Date.now() - start) };
    const before = slack.messages.length;
    const all = envelopes(batchPod('9a0c6d4a-0000-4000-8000-00000000d006', names.map((n) => oom(n, 0))));
    slack.force429(1, 12);
    const outcomes = await Promise.all(all.map((e) => postOccurrence(deps, e)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['posted', ...Array<string>(11).fill('counted')].sort());
    expect(Date.now() - start).toBeGreaterThanOrEqual(12_000);
    expect(posted(before)).toHaveLength(1);
  });
});
