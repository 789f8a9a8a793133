// One envelope per example in docs/alert-style.md through the whole pipeline (enrichment from a real API server,
// dynalite, the Slack double): the header and the "whose problem is it" line, exactly, and the recommended action.
import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema } from '#shared/envelope.ts';
import type { KubeEvent, Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { at, container, downStatus, event, node, pod, podEvent, restartedStatus } from '../support/k8s-factories.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createEvent, createNamespace, createNode, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let deps: PostDeps;

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  slack = await startSlackApi();
  slack.perChannelRateLimit = false;
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  // The node's SystemOOM lives in the API server, where enrichment finds it.
  await createEvent(cluster.admin, event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: python3, pid: 4242', at: at(301) }) as unknown as CoreV1Event);
  // The owner chains the controllers would have made: a pod is its Deployment's only when its ReplicaSet holds.
  for (const row of rows) {
    const ref = row.pod.metadata.ownerReferences?.[0];
    if (ref?.kind !== 'ReplicaSet') continue;
    ref.uid = (await createDeploymentChain(cluster.admin, row.pod.metadata.namespace!, ref.name.replace(/-7d9f8b6c5$/, ''))).rsUid;
  }
  deps = {
    store: new DynamoStore(dynamo.client, 'oombot'),
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }).chat,
    cluster: () => kubeConfigTransport(cluster.admin),
    routing: { defaultChannel: 'C-ALERTS' },
  };
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

const uid = (n: number) => `7a0c6d4a-0000-4000-8000-${String(n).padStart(12, '0')}`;
const profile = pod({ name: 'profile-7d9f8b6c5-m4tzr', uid: uid(5), deployment: 'profile', containers: [container({ name: 'app', limit: '1Gi' })], statuses: [restartedStatus('app', { reason: 'Error', exitCode: 137, finishedAt: at(500) }, 6)] });

const rows: { name: string; pod: Pod; events?: KubeEvent[]; header: string; summary: string; action: RegExp }[] = [
  {
    name: 'limit',
    pod: pod({ name: 'checkout-7d9f8b6c5-m4tzr', uid: uid(1), deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(100) }, 4)] }),
    header: '🔴 checkout › api was OOMKilled at its 512Mi memory limit',
    summary: 'The container used all the memory it is allowed; the node was fine (14Gi allocatable, no MemoryPressure).',
    action: /raise the limit to 640Mi/,
  },
  {
    name: 'node pressure: eviction',
    pod: pod({ name: 'web-5c7d8f6b9-m4tzr', uid: uid(2), containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })], statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(200) })], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using 1.8Gi, request is 512Mi, has larger consumption of memory. ' } }),
    header: '🟠 web-5c7d8f6b9-m4tzr was evicted: node ip-10-0-12-7 ran low on memory',
    summary: "Not this pod's limit (4Gi): the node's available memory fell below the 100Mi eviction threshold (89Mi left) and `web` was using 1.8Gi against a 512Mi request, so the kubelet evicted it first.",
    action: /Set the request closer to real usage \(2Gi\)/,
  },
  {
    name: 'node pressure: node OOM',
    pod: pod({ name: 'reports-28473-x7kq2', uid: uid(3), containers: [container({ name: 'reports', request: '256Mi', command: ['python3', '/app/reports.py'] })], statuses: [restartedStatus('reports', { reason: 'OOMKilled', exitCode: 137, finishedAt: at(300) }, 1)] }),
    header: '🟠 reports-28473-x7kq2 › reports was killed by a node-wide OOM, not by its own limit',
    summary: 'The node ran out of memory (kubelet: "System OOM encountered, victim process: python3, pid: 4242"); `reports` has no memory limit and a 256Mi request, which makes it an early victim.',
    action: /Give it a memory limit of/,
  },
  {
    name: 'runtime',
    pod: pod({ name: 'graphql-gateway-7d9f8b6c5-m4tzr', uid: uid(4), deployment: 'graphql-gateway', containers: [container({ name: 'gateway', limit: '4Gi', env: { NODE_OPTIONS: '--max-old-space-size=2048' } })], statuses: [restartedStatus('gateway', { reason: 'Error', exitCode: 134, finishedAt: at(400), message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }, 2)] }),
    header: '🟡 graphql-gateway › gateway died of a Node.js memory limit, not the container limit (4Gi)',
    summary: 'Node.js ran out of memory on its own terms ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"); its cap was --max-old-space-size=2048 (from NODE_OPTIONS).',
    action: /--max-old-space-size=3072/,
  },
  {
    name: 'not memory',
    pod: profile,
    events: [podEvent(profile, { reason: 'Killing', type: 'Normal', message: 'Container app failed liveness probe, will be restarted', container: 'app', at: at(499) })],
    header: '⚪ profile › app exited 137, but not from memory: the liveness probe killed it',
    summary: 'Exit 137 is SIGKILL from the kubelet after failed liveness probes, not the OOM killer.',
    action: /do not raise the memory limit/,
  },
  {
    name: 'unknown',
    pod: pod({ name: 'memtest', uid: uid(6), containers: [container({ name: 'memtest', limit: '10Mi' })], statuses: [restartedStatus('memtest', { reason: 'Error', exitCode: 137, finishedAt: at(600) }, 1)] }),
    header: '⚪ memtest › memtest exited 137 with reason "Error" — memory unproven',
    summary: 'SIGKILL, but the runtime did not report an OOM and no kernel or kubelet event explains it. With a 10Mi limit a memory kill is plausible (older runtimes reported OOM kills as "Error").',
    action: /node-problem-detector's OOMKilling events/,
  },
];

describe('an alert per cause, through the pipeline', () => {
  it.each(rows)('$name', async ({ pod: p, events, header, summary, action }) => {
    const o = podOccurrences('prod-eu', p)[0]!;
    const envelope = EnvelopeSchema.parse(buildEnvelope('prod-eu', o, trimPod(p), events ?? [], new Date()));
    const outcome = await postOccurrence(deps, envelope);
    expect(outcome.status).toBe('posted');
    const message = slack.messages.find((m) => outcome.status === 'posted' && m.ts === outcome.ts)!;
    const texts = (message.blocks as { text?: { text: string } }[]).map((b) => b.text?.text);
    expect(texts[0]).toBe(header);
    expect(texts[1]).toBe(summary);
    expect(texts[3]).toMatch(action);
  });
});
