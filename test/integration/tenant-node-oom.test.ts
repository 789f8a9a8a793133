// Issue 10, item 1: a tenant cannot fake a node OOM. Against a real kube-apiserver with RBAC on, a ServiceAccount that
// may only create Events in its own namespace writes a SystemOOM about the node, shaped like the kubelet's; meanwhile a
// container on that node dies at its own limit. Through the real forwarder (a process, watching the API server), the
// loopback PutEvents endpoint, analyze's post (enrichment from the API server, dynalite, the Slack double): no node OOM
// is posted, and the limit kill stays a limit verdict with its Raise button. A genuine kubelet SystemOOM about another
// node, written where the kubelet writes it, still is — so the test is not vacuous.
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type CoreV1Event, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOccurrence, type PostDeps, type PostOutcome } from '../../bot/post-occurrence.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { container, event, node, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { createEvent, createNode, createPodAsKubelet } from './harness.ts';
import { until, useForwarderTestbed } from './forwarder-testbed.ts';

const testbed = useForwarderTestbed({ namespaces: ['shop'] });
const { cluster } = testbed;
const NODE = 'ip-10-0-12-7';
const OTHER_NODE = 'ip-10-0-12-8';
const FORGED = 'System OOM encountered, victim process: node, pid: 30177';

let dynamo: LocalDynamo;
let slack: SlackApiServer;
let tenant: KubeConfig;
let rsUid: string;

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('oombot');
  slack = await startSlackApi();
  slack.perChannelRateLimit = false;
  await createNode(cluster.admin, node({ name: OTHER_NODE }) as unknown as V1Node);
  rsUid = (await createDeploymentChain(cluster.admin, 'shop', 'checkout')).rsUid;

  // A tenant: may create Events in shop, nothing else (the RBAC a CI bot or an app that records its own events has).
  const core = cluster.admin.makeApiClient(CoreV1Api);
  const rbac = cluster.admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'shop', body: { metadata: { name: 'tenant' } } });
  await rbac.createNamespacedRole({ namespace: 'shop', body: { metadata: { name: 'event-writer' }, rules: [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }] } });
  await rbac.createNamespacedRoleBinding({
    namespace: 'shop',
    body: { metadata: { name: 'tenant' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'event-writer' }, subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: 'shop' }] },
  });
  const token = await core.createNamespacedServiceAccountToken({ name: 'tenant', namespace: 'shop', body: { spec: { audiences: [], expirationSeconds: 600 } } });
  const config = JSON.parse(cluster.controlPlane.kubeconfigYaml());
  for (const u of config.users) u.user = { token: token.status!.token };
  tenant = new KubeConfig();
  tenant.loadFromString(JSON.stringify(config));
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

/** The kubelet's SystemOOM shape (pkg/kubelet: source kubelet on the node, node ref with the node's name as uid). */
function systemOom(nodeName: string, message: string, at: string, namespace: string): CoreV1Event {
  const e = event({ reason: 'SystemOOM', message, at });
  return {
    ...e,
    metadata: { namespace, generateName: `${nodeName}.` },
    involvedObject: { kind: 'Node', name: nodeName, uid: nodeName, ...(namespace === 'default' ? {} : { namespace }) },
    source: { component: 'kubelet', host: nodeName },
  } as unknown as CoreV1Event;
}

describe('a tenant cannot fake a node OOM', () => {
  it('its SystemOOM about the node is neither published nor posted, and the limit kill on that node keeps its Raise button', async () => {
    // The API server takes the forgery in the tenant's namespace, and refuses it in default.
    await expect(createEvent(tenant, systemOom(NODE, FORGED, iso(4_000), 'default'))).rejects.toMatchObject({ code: 403 });
    const forged = await createEvent(tenant, systemOom(NODE, FORGED, iso(4_000), 'shop'));
    expect(forged.metadata?.namespace).toBe('shop');

    const forwarder = testbed.start('prod-eu');
    await forwarder.waitForLog((l) => l['msg'] === 'forwarding');

    // The container on that node dies at its own limit, as the kubelet reports it.
    const p = pod({
      deployment: 'checkout',
      rsUid,
      containers: [container({ name: 'api', limit: '512Mi', request: '256Mi', command: ['node', 'server.js'] })],
      statuses: [runningStatus('api')],
    });
    const { status, ...spec } = p;
    const created = await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const current = await core.readNamespacedPodStatus({ name: created.metadata!.name!, namespace: 'shop' });
    const died = restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: iso(2_000) }, 1);
    await core.replaceNamespacedPodStatus({ name: created.metadata!.name!, namespace: 'shop', body: { ...current, status: { ...current.status, containerStatuses: [died as never] } } });

    // A genuine kubelet SystemOOM, where the kubelet writes it, about the other node: that one is a node OOM.
    await createEvent(cluster.admin, systemOom(OTHER_NODE, 'System OOM encountered, victim process: java, pid: 4242', iso(1_000), 'default'));

    const envelopes = () => testbed.published().map((e) => EnvelopeSchema.parse(JSON.parse(e.Detail)) as Envelope);
    await until('the kill and the genuine node OOM', () => envelopes().some((e) => e.kind === 'container-termination') && envelopes().some((e) => e.kind === 'node-oom'));
    await testbed.settle(); // had the forgery been published, it would be by now
    const published = envelopes();
    expect(published.filter((e) => e.kind === 'node-oom').map((e) => e.node)).toEqual([OTHER_NODE]);

    // analyze posts what arrived, enriching from the API server as in production.
    const deps: PostDeps = {
      store: new DynamoStore(dynamo.client, 'oombot'),
      slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }).chat,
      cluster: () => kubeConfigTransport(cluster.admin),
      routing: { defaultChannel: 'C-ALERTS' },
    };
    const before = slack.messages.length;
    const outcomes: PostOutcome[] = [];
    for (const envelope of published) outcomes.push(await postOccurrence(deps, envelope));
    const messages = slack.messages.slice(before);
    const texts = messages.map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`);

    expect(texts.filter((t) => t.includes('ran out of memory'))).toHaveLength(1);
    expect(texts.find((t) => t.includes('ran out of memory'))).toContain(`Node ${OTHER_NODE} ran out of memory`);
    expect(texts.some((t) => t.includes(`Node ${NODE} ran out of memory`))).toBe(false);
    expect(texts.some((t) => t.includes('pid: 30177'))).toBe(false); // the tenant's words are not quoted

    const kill = outcomes.find((o) => 'verdict' in o && o.verdict?.pod.name === created.metadata!.name);
    expect(kill).toMatchObject({ status: 'posted', verdict: { cause: 'limit', kind: 'container-limit', confidence: 'high', recommendation: { memoryLimit: '640Mi' } } });
    const alert = messages.find((m) => kill && 'ts' in kill && m.ts === kill.ts)!;
    expect((alert.blocks![0] as { text: { text: string } }).text.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
    const actions = alert.blocks!.find((b) => (b as { type: string }).type === 'actions') as { elements: { action_id: string; text: { text: string } }[] };
    expect(actions.elements[0]).toMatchObject({ action_id: 'oombot_raise', text: { text: 'Raise limit to 640Mi' } });
    // Neither the forwarder's context nor enrichment (node events from `default` only) brings the forgery in.
    expect(JSON.stringify(alert.blocks)).toContain('no SystemOOM or node-wide kernel OOM event on node ip-10-0-12-7 within 2 min of the kill');

    expect(await forwarder.stop('SIGTERM')).toBe(0);
  });
});
