// An envelope of version 2, carrying the samples the forwarder kept of a container that climbed to its limit, through
// the real post path: parsed as analyze parses it, enriched from the real API server, recorded in DynamoDB (dynalite),
// posted to the Slack double. The alert says the trend and sizes the limit from the curve (issue 12 item 3).
import { type V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { ENVELOPE_VERSION_WITH_MEMORY, safeParseEnvelope } from '#shared/envelope.ts';
import { decodeSeries, encodeSeries } from '#shared/memory-series.ts';
import { MiB } from '#shared/quantity.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { climb, makeSeries } from '../support/memory-series.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let checkoutRs = '';

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  checkoutRs = (await createDeploymentChain(cluster.admin, 'shop', 'checkout')).rsUid;
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

describe('an alert with the memory before the kill', () => {
  it('states the climb, sizes the limit from the curve and says what a higher one buys', async () => {
    await dynamo.createTable('oombot-trajectory');
    const deps: PostDeps = {
      store: new DynamoStore(dynamo.client, 'oombot-trajectory'),
      slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } }).chat,
      cluster: (name) => (name === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined),
      routing: { defaultChannel: 'C-ALERTS' },
    };
    // Half an hour at 30 s, climbing 4 MiB/min to the 512Mi limit; killed 20 s after the last sample.
    const drawn = makeSeries({ minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });
    const finishedAt = new Date(drawn.killedAt!).toISOString().replace('.000Z', 'Z');
    const p = pod({
      name: 'checkout-7d9f8b6c5-tr4j7',
      deployment: 'checkout',
      rsUid: checkoutRs,
      containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
      statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt }, 3)],
    });
    const [occurrence] = podOccurrences('prod-eu', p);
    const v1 = buildEnvelope('prod-eu', occurrence!, trimPod(p), [], new Date(drawn.killedAt! + 1000));
    // As it travels on the bus: JSON, then parsed as analyze parses it.
    const wire = JSON.parse(JSON.stringify({ ...v1, version: ENVELOPE_VERSION_WITH_MEMORY, memory: { series: encodeSeries(drawn) } }));
    const parsed = safeParseEnvelope(wire);
    if (!parsed.success) throw new Error(parsed.error);

    const before = slack.messages.length;
    const outcome = await postOccurrence(deps, parsed.data);
    expect(outcome).toMatchObject({ status: 'posted', verdict: { cause: 'limit', kind: 'container-limit', recommendation: { memoryLimit: '640Mi', capped: false } } });

    const [message] = slack.messages.slice(before).filter((m) => m.channel === 'C-ALERTS');
    const blocks = JSON.stringify(message!.blocks);
    // The trend, with its numbers, in the action and under Evidence; no more handing the question back.
    expect(blocks).toContain('Leak-like: memory climbed 4 MiB/min for 29 min without falling back');
    expect(blocks).toContain('A higher limit only buys time: at 4 MiB/min, 640Mi lasts ~32 min longer.');
    expect(blocks).toContain('• working set rose 4 MiB/min for 29 min before the kill, without falling back (one run, R² 1.00) (60 samples over 30 min)');
    expect(blocks).not.toContain('suspect a leak first');
    const raise = (message!.blocks!.find((b) => (b as { type: string }).type === 'actions') as { elements: { action_id: string; text: { text: string } }[] }).elements.find((e) => e.action_id === 'oombot_raise');
    expect(raise?.text.text).toBe('Raise limit to 640Mi');

    // The incident keeps what /oom why and the chart need: the curve-based sizing and the trajectory.
    const [incident] = await deps.store.recentIncidents('prod-eu');
    expect(incident!.verdict.recommendation!.rationale).toMatch(/^it reached its 512Mi limit when killed \(the highest of 60 samples over 30 min was 499\.3Mi\); the killed limit \+ 25 %, krr's floor after an OOM: 640Mi; fits node ip-10-0-12-7's 14Gi allocatable/);
    expect(incident!.verdict.trajectory!.curve).toMatchObject({ kind: 'leak', samples: 60, peakBytes: Math.max(...drawn.samples.map((s) => s.workingSetBytes)) });
    expect(decodeSeries(incident!.verdict.trajectory!.series)).toEqual({ ...drawn, limitBytes: 512 * MiB, requestBytes: 256 * MiB });
  });
});
