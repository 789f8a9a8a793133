// A storm across many workloads in one channel (docs/architecture.md, "Reliability rules"; issue 13 items 1, 3 and 4):
// envelopes in → enrichment from the real API server → the store (DynamoDB on dynalite, and local mode's FileStore) →
// the one Slack double through the real @slack/web-api client. Concurrent invocations across 25 workloads open one
// storm root; every occurrence is recorded once and counted in exactly one place, through duplicates and a retry; one
// workload's repeats and one node's evictions read as they did before storms.
import type { V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { DEFAULT_STORM_SETTINGS } from '../../bot/storms.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, safeParseEnvelope, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { encodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';
import { podOccurrences, type Occurrence } from '#shared/occurrences.ts';
import { MiB } from '#shared/quantity.ts';
import type { Store } from '../../store/port.ts';
import { bothStores } from '../support/both-stores.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, node, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
const WORKLOADS = Array.from({ length: 25 }, (_, w) => `svc-${String(w).padStart(2, '0')}`);
const rs = new Map<string, string>();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let dir: string;
let stores = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  dir = await mkdtemp(join(tmpdir(), 'oombot-storms-'));
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  for (const w of [...WORKLOADS, 'checkout']) rs.set(w, (await createDeploymentChain(cluster.admin, 'shop', w)).rsUid);
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const STORES = bothStores(() => dynamo, () => dir, 'oombot-storms');

/** Each test its own channel, so that what one posts is no part of another's storm or count. */
const depsFor = (store: Store, channel: string): PostDeps => ({
  store,
  // Six messages at once in a channel that takes one a second: the client waits out each 429's Retry-After.
  slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 12, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
  cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
  routing: { defaultChannel: channel },
  storms: DEFAULT_STORM_SETTINGS,
});

/** A workload's pod, OOMKilled at its limit for the `restarts`-th time. */
function death(workload: string, restarts: number, suffix = 'a0001'): Envelope {
  const p: Pod = pod({
    name: `${workload}-7d9f8b6c5-${suffix}`,
    uid: `uid-${workload}-${suffix}`,
    deployment: workload,
    rsUid: rs.get(workload)!,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts * 60) }, restarts)],
  });
  const occurrence = podOccurrences('prod-eu', p).find((o) => o.kind === 'container-termination')!;
  return EnvelopeSchema.parse(buildEnvelope('prod-eu', occurrence, trimPod(p), [], new Date()));
}

const recorded = (outcomes: PostOutcome[]) => outcomes.filter((o) => o.status === 'posted' || o.status === 'threaded' || o.status === 'counted');
const header = (m: { blocks?: unknown[] }) => (m.blocks?.[0] as { text?: { text?: string } } | undefined)?.text?.text ?? '';
const counterOf = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks?.find((b) => String((b as { block_id?: string }).block_id).startsWith('oombot-counter')) ?? '');

describe.each(STORES)('a storm in one channel, on the %s', (_name, makeStore) => {
  it('opens one storm root for 25 workloads dying at once in concurrent invocations, counts each occurrence once, and posts no reply per repeat', async () => {
    const channel = `C-STORM-${++stores}`;
    const deps = depsFor(await makeStore(), channel);
    // Each death delivered twice, all at once; then each workload's second death, twice, all at once.
    const firsts = WORKLOADS.map((w) => death(w, 1));
    const seconds = WORKLOADS.map((w) => death(w, 2));
    const outcomes = await Promise.all([...firsts, ...firsts].map((e) => postOccurrence(deps, e)));
    outcomes.push(...(await Promise.all([...seconds, ...seconds].map((e) => postOccurrence(deps, e)))));

    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(50);
    const counted = recorded(outcomes);
    expect(new Set(counted.map((o) => o.occurrenceId)).size).toBe(50);
    expect(counted).toHaveLength(50);

    const messages = slack.messages.filter((m) => m.channel === channel);
    expect(messages.filter((m) => m.threadTs)).toEqual([]);
    const roots = messages.filter((m) => header(m).includes('workloads in prod-eu'));
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    // The five groups opened before the threshold keep their own alerts; the other twenty are counted in the storm.
    const own = messages.filter((m) => m !== root);
    expect(own).toHaveLength(DEFAULT_STORM_SETTINGS.threshold);
    const inStorm = counted.filter((o) => 'ts' in o && o.ts === root.ts);
    expect(inStorm).toHaveLength(40);
    expect(counted.filter((o) => 'ts' in o && own.some((m) => m.ts === o.ts))).toHaveLength(10);
    // The root says what is happening, how many opened their own alerts, and the total as it is now (latest wins).
    expect(header(root)).toBe('🔴 25 workloads in prod-eu OOMKilled or evicted in 1 min');
    const text = JSON.stringify(root.blocks);
    expect(text).toContain('25 limit. 5 opened their own alerts before the storm began; the 20 since are counted here');
    expect(text).toMatch(/• shop\/deploy\/svc-\d\d › api — 2× · OOMKilled at its limit/);
    expect(text).toContain('(+10 more)');
    expect(counterOf(root)).toContain('40× in 1 min');
    // The alerts opened before the storm count their repeat in place, with no reply: "OOMKilled 2×".
    for (const m of own) expect(counterOf(m)).toContain('OOMKilled 2×');
    // Each occurrence in the storm is an incident of its own, for /oom recent and the buttons, at the storm's root.
    const incidents = (await deps.store.recentIncidents('prod-eu', { limit: 200 })).filter((i) => i.message.channel === root.channel);
    const atRoot = incidents.filter((i) => i.message.ts === root.ts);
    expect(atRoot).toHaveLength(40);
    expect(new Set(atRoot.map((i) => i.workload)).size).toBe(20);
  }, 120_000);

  it('counts an occurrence once when the storm root fails and its invocation is retried, while the others wait for the root', async () => {
    const channel = `C-STORM-${++stores}`;
    const deps = depsFor(await makeStore(), channel);
    const workloads = WORKLOADS.slice(0, 8);
    // Slack fails the storm root's first post (an error the client does not retry): its invocation throws, and the
    // bus retries it; the others counted meanwhile wait for the root.
    const call = slack.call.bind(slack);
    let failed = 0;
    slack.call = (method, args, authorization, now) => {
      if (method === 'chat.postMessage' && args['channel'] === channel && String(args['text']).includes('workloads in') && failed++ === 0) return { status: 200, headers: { 'content-type': 'application/json' }, body: { ok: false, error: 'fatal_error' } };
      return call(method, args, authorization, now);
    };
    try {
      const outcomes: PostOutcome[] = [];
      for (const w of workloads.slice(0, 5)) outcomes.push(await postOccurrence(deps, death(w, 1)));
      const opener = death(workloads[5]!, 1);
      await expect(postOccurrence(deps, opener)).rejects.toThrow();
      const waiting = Promise.all(workloads.slice(6).map((w) => postOccurrence(deps, death(w, 1))));
      outcomes.push(await postOccurrence(deps, opener), ...(await waiting));
      // The retry again, and a duplicate of a waiting one: both already recorded.
      outcomes.push(await postOccurrence(deps, opener), await postOccurrence(deps, death(workloads[6]!, 1)));
      expect(outcomes.map((o) => o.status)).toEqual(['posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'counted', 'counted', 'duplicate', 'duplicate']);
      const roots = slack.messages.filter((m) => m.channel === channel && header(m).includes('workloads in'));
      expect(roots).toHaveLength(1);
      expect(header(roots[0]!)).toBe('🔴 8 workloads in prod-eu OOMKilled or evicted in 1 min');
      expect(counterOf(roots[0]!)).toContain('3× in 1 min');
    } finally {
      slack.call = call;
    }
  }, 120_000);

  it("counts a pod's containers that died together in the storm each by its own group, and leaves the root a storm's", async () => {
    const channel = `C-STORM-${++stores}`;
    const deps = depsFor(await makeStore(), channel);
    for (const w of WORKLOADS.slice(0, 5)) await postOccurrence(deps, death(w, 1));
    // The pod that opens the storm: three containers killed within a second of each other, delivered at once.
    const names = ['worker-a', 'worker-b', 'worker-c'];
    const podOf = (restarts: number[]) =>
      pod({
        name: 'svc-05-7d9f8b6c5-multi',
        uid: `uid-multi-${channel}`,
        deployment: 'svc-05',
        rsUid: rs.get('svc-05')!,
        containers: names.map((name) => container({ name, limit: '256Mi' })),
        statuses: names.map((name, i) => restartedStatus(name, { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts[i]! * 60 + i) }, restarts[i]!)),
      });
    const envelopesOf = (p: Pod) => podOccurrences('prod-eu', p).map((o) => EnvelopeSchema.parse(buildEnvelope('prod-eu', o, trimPod(p), [], new Date())));
    const together = await Promise.all(envelopesOf(podOf([1, 1, 1])).map((e) => postOccurrence({ ...deps, podDeathWaitMs: 3_000 }, e)));
    expect(together).toHaveLength(3);
    // worker-b dies again on its own, later: a repeat of its group, in the storm.
    const again = envelopesOf(podOf([1, 2, 1])).filter((e) => e.kind === 'container-termination' && e.container === 'worker-b');
    together.push(...(await Promise.all(again.map((e) => postOccurrence(deps, e)))));

    const messages = slack.messages.filter((m) => m.channel === channel);
    expect(messages.filter((m) => m.threadTs)).toEqual([]);
    const roots = messages.filter((m) => header(m).includes('workloads in'));
    expect(roots).toHaveLength(1);
    expect(new Set(together.map((o) => ('ts' in o ? o.ts : undefined)))).toEqual(new Set([roots[0]!.ts]));
    expect(header(roots[0]!)).toBe('🔴 8 workloads in prod-eu OOMKilled or evicted in 1 min');
    expect(counterOf(roots[0]!)).toContain('4× in 1 min');
    expect(JSON.stringify(roots[0]!.blocks)).toContain('shop/deploy/svc-05 › worker-b — 2×');
  }, 120_000);

  it('posts the kill a warning foretold whole in the warning’s thread, even while the channel is in a storm', async () => {
    const channel = `C-STORM-${++stores}`;
    const deps: PostDeps = { ...depsFor(await makeStore(), channel), routing: { defaultChannel: channel, warn: 'all' } };
    for (const w of WORKLOADS.slice(0, 6)) await postOccurrence(deps, death(w, 1));
    const checkout = (statuses: object[]) => pod({ name: 'checkout-7d9f8b6c5-warn1', uid: `uid-warn-${channel}`, deployment: 'checkout', rsUid: rs.get('checkout')!, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses });
    // The forwarder's warning (forwarder/forwarder.ts onWarning): 12 MiB/min up to 464Mi of 512Mi, sampled every 30 s.
    const T = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 60_000;
    const series: MemorySeries = { container: 'api', samples: Array.from({ length: 33 }, (_, i) => ({ at: T + i * 30_000, workingSetBytes: (272 + 6 * i) * MiB, restarts: 0 })), limitBytes: 512 * MiB, requestBytes: 256 * MiB };
    const warnedAt = T + 32 * 30_000;
    const p = checkout([runningStatus('api')]);
    const o: Occurrence = {
      kind: 'memory-warning',
      occurrenceId: memoryWarningId('prod-eu', p.metadata.uid!, 'api', 0, 512 * MiB, Math.floor(warnedAt / 1_800_000)),
      occurredAt: new Date(warnedAt).toISOString(),
      node: p.spec.nodeName,
      podUid: p.metadata.uid!,
      container: 'api',
      warning: { restarts: 0, climbStartedAt: new Date(warnedAt).toISOString(), workingSetBytes: 464 * MiB, limitBytes: 512 * MiB, bytesPerMinute: 12 * MiB, reachesLimitAt: new Date(warnedAt + 4 * 60_000).toISOString() },
    };
    const parsed = safeParseEnvelope(JSON.parse(JSON.stringify(buildEnvelope('prod-eu', o, trimPod(p), [], new Date(warnedAt + 1000), { series: encodeSeries(series) }))));
    if (!parsed.success) throw new Error(parsed.error);
    expect(await postOccurrence(deps, parsed.data)).toMatchObject({ status: 'posted' });
    const kill = checkout([restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date().toISOString() }, 1)]);
    const killed = podOccurrences('prod-eu', kill).find((x) => x.kind === 'container-termination')!;
    expect(await postOccurrence(deps, EnvelopeSchema.parse(buildEnvelope('prod-eu', killed, trimPod(kill), [], new Date())))).toMatchObject({ status: 'threaded' });
    const messages = slack.messages.filter((m) => m.channel === channel);
    expect(messages.filter((m) => header(m).includes('workloads in'))).toHaveLength(1);
    const warning = messages.find((m) => header(m).startsWith('⚠️'))!;
    const [reply] = messages.filter((m) => m.threadTs);
    expect(reply).toMatchObject({ threadTs: warning.ts });
    expect(header(reply!)).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
    expect(slack.calls.find((c) => c.method === 'chat.postMessage' && c.args['thread_ts'] === warning.ts)?.args['reply_broadcast']).toBe('true'); // form-encoded
  }, 120_000);

  it('ends a storm after its quiet period: the next occurrence in the channel writes the final summary once, and opens its own alert', async () => {
    const channel = `C-STORM-${++stores}`;
    const deps: PostDeps = { ...depsFor(await makeStore(), channel), storms: { threshold: 5, windowMs: 1_000, quietMs: 2_000 } };
    await Promise.all(WORKLOADS.slice(0, 8).map((w) => postOccurrence(deps, death(w, 1))));
    const root = slack.messages.find((m) => m.channel === channel && header(m).includes('workloads in'))!;
    expect(header(root)).not.toContain('(over)');
    await new Promise((r) => setTimeout(r, 2_500));
    // Quiet for longer than the quiet period, and the window's openings are old: a new group is an alert of its own.
    const [next, again] = await Promise.all([postOccurrence(deps, death(WORKLOADS[8]!, 1)), postOccurrence(deps, death(WORKLOADS[9]!, 1))]);
    expect([next.status, again.status]).toEqual(['posted', 'posted']);
    expect(header(root)).toMatch(/^🔴 \d+ workloads in prod-eu OOMKilled or evicted in 1 min \(over\)$/);
    expect(counterOf(root)).toContain('over: quiet since');
    expect(slack.calls.filter((c) => c.method === 'chat.update' && c.args['ts'] === root.ts && String(c.args['blocks']).includes('(over)'))).toHaveLength(1);
    expect(slack.messages.filter((m) => m.channel === channel && header(m).includes('workloads in'))).toHaveLength(1);
  }, 60_000);

  it("reads one workload's repeats as before: one alert and its thread, no storm", async () => {
    const channel = `C-STORM-${++stores}`;
    const deps = depsFor(await makeStore(), channel);
    const outcomes: PostOutcome[] = [];
    for (let n = 1; n <= 8; n++) outcomes.push(await postOccurrence(deps, death('checkout', 1, `r${String(n).padStart(4, '0')}`)));
    expect(outcomes.map((o) => o.status)).toEqual(['posted', ...Array(7).fill('threaded')]);
    const messages = slack.messages.filter((m) => m.channel === channel);
    expect(messages.filter((m) => !m.threadTs)).toHaveLength(1);
    expect(messages.filter((m) => m.threadTs)).toHaveLength(7);
    expect(counterOf(messages[0]!)).toContain('OOMKilled 8×');
  }, 60_000);
});
