// The dead run's log as its last words (kube/last-words.ts, shared/last-words.ts), through a real kube-apiserver: the
// Lambda's identity may not read pods/log until infra/rbac/oombot-log-reader.yaml is applied, and says so once; with
// it, the apiserver proxies pods/log to the node's kubelet — here a loopback one (test/support/kubelet-logs.ts), since
// no kubelet runs — and the runtime's words become the verdict, quoted alone. What the apiserver answers when the
// kubelet keeps no such run, cannot be reached, takes too long or has no address becomes "Not seen", never an error.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AuthorizationV1Api, KubernetesObjectApi, type KubernetesObject, type V1Node, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { enrichPod } from '../../kube/collect.ts';
import { LOG_READ } from '../../kube/last-words.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { container, node, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';
import { useKubeletLogs } from '../support/kubelet-logs.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const kubelet = useKubeletLogs();
const cluster = useControlPlane({ apiserverFlags: kubelet.apiserverFlags });
const lambda = { user: 'arn:aws:sts::123456789012:assumed-role/oombot-prod-analyze/oombot-prod-analyze', groups: ['oombot:readers', 'system:authenticated'] };
const api = () => kubeConfigTransport(cluster.controlPlane.kubeConfigAs(lambda));
const NOT_ENABLED = "the dead container's log: not read (pods/log is opt-in)";

/** A bare pod whose container `api` (terminationMessagePolicy: File, the default) died and restarted, on `nodeName`. */
async function deadPod(name: string, nodeName: string, reason: string, exitCode: number): Promise<Pod> {
  const p = pod({ name, node: nodeName, containers: [{ ...container({ name: 'api', limit: '512Mi', request: '256Mi' }), terminationMessagePolicy: 'File' }], statuses: [restartedStatus('api', { reason, exitCode }, 3)] });
  const stored = await createPodAsKubelet(cluster.admin, p as unknown as V1Pod, p.status as unknown as V1PodStatus);
  return { ...p, metadata: { ...p.metadata, uid: stored.metadata!.uid! } };
}

/** Lines the runtime received just before the run ended at T0, 10 ms apart. */
const beforeDeath = (texts: string[]) => texts.map((text, i) => ({ at: new Date(Date.parse(T0) - 200 - (texts.length - 1 - i) * 10), text }));

const JVM_DEATH = [
  'INFO 1 --- [nio-8080-exec-3] c.e.checkout.PaymentClient : POST https://payments:Sup3rS3cret@pay.internal/charge',
  'java.lang.OutOfMemoryError: Java heap space',
  'Dumping heap to /tmp/java_pid1.hprof ...',
  '#',
  '# java.lang.OutOfMemoryError: Java heap space',
  '# -XX:OnOutOfMemoryError="kill -9 %p"',
  '#   Executing /bin/sh -c "kill -9 1"...',
];
const pods: Record<string, Pod> = {};

beforeAll(async () => {
  const objects = KubernetesObjectApi.makeApiClient(cluster.admin);
  const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac/oombot-reader.yaml'), 'utf8');
  for (const doc of parseAllDocuments(yaml)) await objects.create(doc.toJS() as KubernetesObject);
  await createNamespace(cluster.admin, 'shop');
  // One node served by the loopback kubelet, one whose kubelet port nothing listens on, one with no address at all.
  await createNode(cluster.admin, { ...node({ name: 'kubelet-node' }), status: { ...node().status, ...kubelet.nodeStatus() } } as unknown as V1Node);
  await createNode(cluster.admin, { ...node({ name: 'silent-node' }), status: { ...node().status, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } } } as unknown as V1Node);
  await createNode(cluster.admin, node({ name: 'bare-node' }) as unknown as V1Node);
  pods['jvm'] = await deadPod('jvm-killed', 'kubelet-node', 'Error', 137);
  kubelet.setLog('shop', 'jvm-killed', 'api', 'previous', beforeDeath(JVM_DEATH));
  pods['chatty'] = await deadPod('chatty', 'kubelet-node', 'Error', 134);
  pods['oomkilled'] = await deadPod('oomkilled', 'kubelet-node', 'OOMKilled', 137);
  kubelet.setLog('shop', 'oomkilled', 'api', 'previous', beforeDeath(['java.lang.OutOfMemoryError: Java heap space']));
  pods['gone'] = await deadPod('gone-run', 'kubelet-node', 'Error', 137);
  pods['slow'] = await deadPod('slow', 'kubelet-node', 'Error', 137);
  kubelet.answer('shop', 'slow', 'api', 'previous', { hang: true });
  pods['refused'] = await deadPod('refused', 'kubelet-node', 'Error', 137);
  // A kubelet whose authorizer refuses the API server's own client (pkg/kubelet/server/auth.go's words).
  kubelet.answer('shop', 'refused', 'api', 'previous', { status: 403, body: 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy)' });
  pods['far'] = await deadPod('far', 'silent-node', 'Error', 137);
  pods['nowhere'] = await deadPod('nowhere', 'bare-node', 'Error', 137);
});

async function may(verb: string, resource: string, subresource?: string): Promise<boolean> {
  const authz = cluster.controlPlane.kubeConfigAs(lambda).makeApiClient(AuthorizationV1Api);
  const review = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, namespace: 'shop', ...(subresource ? { subresource } : {}) } } } });
  return review.status?.allowed ?? false;
}

const logLines = (missing: string[]) => missing.filter((m) => m.startsWith("the dead container's log"));

describe('without the opt-in (infra/rbac/oombot-reader.yaml alone)', () => {
  it('may not read pods/log: the API server answers 403 before any kubelet is asked', async () => {
    expect(await may('get', 'pods', 'log')).toBe(false);
    const res = await api().get('/api/v1/namespaces/shop/pods/jvm-killed/log?container=api&previous=true');
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain('cannot get resource \\"pods/log\\"');
    expect(kubelet.requests).toEqual([]);
  });

  it('diagnoses with less and says once, shortly, that the log was not read', async () => {
    const input = await enrichPod(api(), pods['jvm']!);
    expect(input.lastWords).toEqual([{ container: 'api', run: 'previous', unread: { reason: 'not-enabled' } }]);
    const v = diagnose(input);
    expect(v).toMatchObject({ cause: 'unknown' });
    expect(logLines(v.missing)).toEqual([NOT_ENABLED]);
  });

  it('does not even ask for the log of an OOMKilled death, nor mention it', async () => {
    const input = await enrichPod(api(), pods['oomkilled']!);
    expect(input.lastWords).toBeUndefined();
    expect(logLines(diagnose(input).missing)).toEqual([]);
  });
});

describe('with infra/rbac/oombot-log-reader.yaml applied', () => {
  beforeAll(async () => {
    const objects = KubernetesObjectApi.makeApiClient(cluster.admin);
    const yaml = await readFile(path.join(import.meta.dirname, '../../infra/rbac/oombot-log-reader.yaml'), 'utf8');
    for (const doc of parseAllDocuments(yaml)) await objects.create(doc.toJS() as KubernetesObject);
    // The authorizer's cache catches up with a new binding within moments; a loaded machine may take longer.
    await vi.waitFor(
      async () => {
        if (!(await may('get', 'pods', 'log'))) throw new Error('pods/log not yet allowed');
      },
      { timeout: 30_000, interval: 200 },
    );
  });

  it('may read pods/log and nothing more than before: no exec, no Secrets, no nodes/proxy', async () => {
    expect({ log: await may('get', 'pods', 'log'), exec: await may('create', 'pods', 'exec'), secrets: await may('get', 'secrets'), attach: await may('create', 'pods', 'attach') }).toEqual({ log: true, exec: false, secrets: false, attach: false });
    const authz = cluster.controlPlane.kubeConfigAs(lambda).makeApiClient(AuthorizationV1Api);
    const proxy = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy' } } } });
    expect(proxy.status?.allowed ?? false).toBe(false);
  });

  it("reads the previous container's tail through the kubelet and names the runtime, quoting only its words", async () => {
    const before = kubelet.requests.length;
    const v = diagnose(await enrichPod(api(), pods['jvm']!));
    expect(v).toMatchObject({ cause: 'runtime', kind: 'jvm-heap', container: 'api', confidence: 'high' });
    expect(v.evidence).toContain(`from the previous container's log: "java.lang.OutOfMemoryError: Java heap space" … "# java.lang.OutOfMemoryError: Java heap space"`);
    expect(JSON.stringify(v)).not.toMatch(/Sup3rS3cret|PaymentClient|kill -9/);
    expect(logLines(v.missing)).toEqual([]);
    const asked = kubelet.requests.slice(before);
    expect(asked.map((u) => [u.pathname, Object.fromEntries(u.searchParams)])).toEqual([
      ['/containerLogs/shop/jvm-killed/api', { previous: 'true', timestamps: 'true', limitBytes: String(LOG_READ.limitBytes), tailLines: String(LOG_READ.tailLines) }],
    ]);
  });

  it('reads again with fewer lines when the tail overflowed limitBytes and lost its end', async () => {
    // A JSON logger's long lines: the last 100 are ~40 KB, so the first answer stops long before the dying words.
    const chatter = Array.from({ length: 150 }, (_, i) => JSON.stringify({ level: 'info', ts: i, msg: 'cart priced', cart: { id: 81734 + i, items: 'x'.repeat(330) } }));
    kubelet.setLog('shop', 'chatty', 'api', 'previous', beforeDeath([...chatter, '<--- JS stacktrace --->', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', ' 1: 0xb8d0a3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]']));
    const before = kubelet.requests.length;
    const input = await enrichPod(api(), pods['chatty']!);
    expect(kubelet.requests.slice(before).map((u) => u.searchParams.get('tailLines'))).toEqual([String(LOG_READ.tailLines), String(LOG_READ.fewerLines)]);
    expect(input.lastWords?.[0]?.tail?.length).toBeLessThanOrEqual(2 * LOG_READ.limitBytes);
    const v = diagnose(input);
    expect(v).toMatchObject({ cause: 'runtime', kind: 'node-heap' });
    expect(v.evidence).toContain(`from the previous container's log: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"`);
    expect(JSON.stringify(v)).not.toContain('cart priced');
  });

  it.each([
    ['the kubelet keeps no such run (400 from the kubelet)', 'gone', { reason: 'not-found' }, "the dead container's log: no longer kept by the kubelet"],
    // The API server passes the kubelet's 403 on with its words: a refusal, not the opt-in missing.
    [
      'the kubelet refuses the API server (403 from the kubelet, not RBAC)',
      'refused',
      { reason: 'not-permitted', detail: 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy) ( pods/log refused)' },
      "the dead container's log: forbidden (Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy) ( pods/log refused))",
    ],
    ['nothing listens on the kubelet port', 'far', { reason: 'unreachable' }, "the dead container's log: the request failed (no connection)"],
    ['the node lists no address', 'nowhere', { reason: 'no-address' }, "the dead container's log: the node lists no kubelet address to ask"],
  ])('says what the API server answered when %s, and still diagnoses', async (_name, key, unread, sentence) => {
    const input = await enrichPod(api(), pods[key]!);
    expect(input.lastWords).toEqual([{ container: 'api', run: 'previous', unread }]);
    const v = diagnose(input);
    expect(v).toMatchObject({ cause: 'unknown' });
    expect(logLines(v.missing)).toEqual([sentence]);
    // The apiserver's words name the kubelet's address: they are reduced to a reason, never shown.
    expect(JSON.stringify(v)).not.toMatch(/127\.0\.0\.1|dial tcp/);
  });

  it('gives up on a kubelet that does not answer within its budget, and says so', async () => {
    const t0 = Date.now();
    const input = await enrichPod(api(), pods['slow']!);
    const took = Date.now() - t0;
    expect(input.lastWords).toEqual([{ container: 'api', run: 'previous', unread: { reason: 'timed-out' } }]);
    expect(took).toBeGreaterThanOrEqual(LOG_READ.budgetMs - 50);
    expect(took).toBeLessThan(LOG_READ.budgetMs + 3_000);
    expect(logLines(diagnose(input).missing)).toEqual(["the dead container's log: no answer in time"]);
  });

  it('a pod deleted since is not found, not an error', async () => {
    const ghost = { ...pods['jvm']!, metadata: { ...pods['jvm']!.metadata, name: 'deleted-since', uid: 'gone-uid' } };
    const input = await enrichPod(api(), ghost);
    expect(input.lastWords).toEqual([{ container: 'api', run: 'previous', unread: { reason: 'not-found' } }]);
  });
});
