// A repeat group's counter ends at the true count (docs/architecture.md, "Reliability rules"): envelopes in →
// enrichment from the real API server → the store (DynamoDB on dynalite, and local mode's FileStore) → the one Slack
// double through the real @slack/web-api client. Repeats that come faster than the counter may move are not left
// unshown when they stop: the last update carries the last count. (Slack's per-channel pace is off here, so that the
// replies take no ten seconds; bench:backend's repeats play the same at Slack's rate limits.)
import type { V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER_INTERVAL_MS, MAX_THREAD_REPLIES } from '../../bot/grouping.ts';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { DEFAULT_STORM_SETTINGS } from '../../bot/storms.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { bothStores } from '../support/both-stores.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let dir: string;
let checkoutRs = '';
let stores = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi({ perChannelRateLimit: false });
  dir = await mkdtemp(join(tmpdir(), 'oombot-counter-'));
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  checkoutRs = (await createDeploymentChain(cluster.admin, 'shop', 'checkout')).rsUid;
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const STORES = bothStores(() => dynamo, () => dir, 'oombot-counter');

/** checkout's pod `p`, OOMKilled at its limit for the `restarts`-th time. */
function death(p: number, restarts: number): Envelope {
  const dead = pod({
    name: `checkout-7d9f8b6c5-c${String(p).padStart(4, '0')}`,
    uid: `uid-checkout-counter-${p}`,
    deployment: 'checkout',
    rsUid: checkoutRs,
    containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
    statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(restarts * 60 + p) }, restarts)],
  });
  const occurrence = podOccurrences('prod-eu', dead).find((o) => o.kind === 'container-termination')!;
  return EnvelopeSchema.parse(buildEnvelope('prod-eu', occurrence, trimPod(dead), [], new Date()));
}

const counterOf = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks?.find((b) => String((b as { block_id?: string }).block_id).startsWith('oombot-counter')) ?? '');

describe.each(STORES)("a repeat group's counter, on the %s", (_name, makeStore) => {
  it('ends at the count recorded when repeats stop faster than the counter may move, with one update waiting for its slot', async () => {
    const channel = `C-COUNTER-${++stores}`;
    const deps: PostDeps = {
      store: await makeStore(),
      slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
      cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
      routing: { defaultChannel: channel },
      storms: DEFAULT_STORM_SETTINGS,
    };
    // Six pods of one Deployment, three deaths each: 18 repeats of one story.
    const deaths = [1, 2, 3].flatMap((restarts) => Array.from({ length: 6 }, (_, p) => death(p, restarts)));
    const outcomes: PostOutcome[] = [await postOccurrence(deps, deaths[0]!)];
    // The alert's ten replies and the first repeat only counted, at once: that one moves the counter at once.
    outcomes.push(...(await Promise.all(deaths.slice(1, MAX_THREAD_REPLIES + 2).map((e) => postOccurrence(deps, e)))));
    // The last six come at once, each delivered twice, well within COUNTER_INTERVAL_MS of that update, and then stop.
    const started = Date.now();
    const last = deaths.slice(MAX_THREAD_REPLIES + 2);
    outcomes.push(...(await Promise.all([...last, ...last].map((e) => postOccurrence(deps, e)))));
    const tookMs = Date.now() - started;

    // Each recorded once.
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(6);
    const recorded = outcomes.filter((o) => o.status !== 'duplicate');
    expect(recorded.map((o) => o.status).sort()).toEqual([...Array<string>(18 - 1 - MAX_THREAD_REPLIES).fill('counted'), 'posted', ...Array<string>(MAX_THREAD_REPLIES).fill('threaded')].sort());
    expect(new Set(recorded.map((o) => o.occurrenceId)).size).toBe(18);

    const messages = slack.messages.filter((m) => m.channel === channel);
    const roots = messages.filter((m) => !m.threadTs);
    expect(roots).toHaveLength(1);
    expect(messages.filter((m) => m.threadTs === roots[0]!.ts)).toHaveLength(MAX_THREAD_REPLIES);
    // The root's counter, as Slack holds it, shows all 18.
    expect(counterOf(roots[0]!)).toMatch(/OOMKilled 18× in \d+ min/);
    // One update per reply, one for the first counted repeat, and one for the last six together, sent when its slot
    // came (on a machine so slow that the last six came after that slot, one sent at once and one after waiting).
    expect(roots[0]!.updates).toBeGreaterThanOrEqual(MAX_THREAD_REPLIES + 2);
    expect(roots[0]!.updates).toBeLessThanOrEqual(MAX_THREAD_REPLIES + 3);
    // One invocation waited for the slot, once, and the others did not wait behind it.
    expect(tookMs).toBeLessThan(COUNTER_INTERVAL_MS + 5_000);
  });
});
