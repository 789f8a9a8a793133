// What the forwarder's integration tests share: a real API server with a node and namespaces, a loopback PutEvents
// endpoint, a kubeconfig for the forwarder processes, and their environment. Call at the top of a test file.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, type CoreV1Event, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startPutEventsDouble, type PutEventsDouble, type ReceivedEntry } from '../support/eventbridge-double.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { event, node } from '../support/k8s-factories.ts';
import { createEvent, createNamespace, createNode, useControlPlane, type ControlPlaneHandle } from './harness.ts';

/** Where settle() writes its markers: a namespace and a node name no test uses. */
const MARKER_NAMESPACE = 'settle-markers';
const MARKER_NODE = 'ip-10-0-99-99';

export interface ForwarderTestbed {
  cluster: ControlPlaneHandle;
  readonly bus: PutEventsDouble;
  readonly kubeconfig: string;
  /** Starts `oombot forwarder` against the testbed; every process is SIGKILLed after the file. */
  start(clusterName: string, extra?: Record<string, string>): ForwarderProcess;
  /**
   * Waits until the running forwarder has published whatever the writes made so far were going to publish, so that a
   * test can then check that nothing else was (a fixed sleep instead would pass or fail with the machine's load). It
   * writes a marker on each watch that can publish — an OOM kill in a namespace of its own, a kubelet SystemOOM about
   * a node of its own — and waits until both are on the bus: each watch delivers in order and the delivery queue is
   * first in, first out (with no failures injected), so everything written before them has been published by then.
   */
  settle(): Promise<void>;
  /** The entries on the bus, in order, without settle()'s markers. */
  published(): ReceivedEntry[];
}

export function useForwarderTestbed(options: { namespaces: string[]; apiserverFlags?: string[] }): ForwarderTestbed {
  const cluster = useControlPlane(options.apiserverFlags ? { apiserverFlags: options.apiserverFlags } : {});
  let bus: PutEventsDouble | undefined;
  let kubeconfig: string | undefined;
  const running: ForwarderProcess[] = [];
  beforeAll(async () => {
    bus = await startPutEventsDouble();
    const dir = await mkdtemp(path.join(tmpdir(), 'oombot-fwd-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, cluster.controlPlane.kubeconfigYaml(), { mode: 0o600 });
    for (const ns of ['oombot', MARKER_NAMESPACE, ...options.namespaces]) await createNamespace(cluster.admin, ns);
    await createNode(cluster.admin, node() as unknown as V1Node);
  });
  afterAll(async () => {
    await Promise.all(running.map((f) => f.stop('SIGKILL')));
    await bus?.close();
  });
  let markers = 0;
  const isMarker = (detail: { kind: string; node?: string; pod?: { metadata?: { namespace?: string } } }) =>
    detail.kind === 'node-oom' ? detail.node === MARKER_NODE : detail.pod?.metadata?.namespace === MARKER_NAMESPACE;
  return {
    cluster,
    get bus() {
      return bus!;
    },
    get kubeconfig() {
      return kubeconfig!;
    },
    start(clusterName, extra = {}) {
      const f = startForwarder({
        KUBECONFIG: kubeconfig!,
        OOMBOT_CLUSTER: clusterName,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus!.url,
        OOMBOT_LEASE_NAMESPACE: 'oombot',
        OOMBOT_FIRST_START_LOOKBACK: '1h',
        ...extra,
      });
      running.push(f);
      return f;
    },
    async settle() {
      markers += 1;
      const name = `marker-${markers}`;
      const core = cluster.admin.makeApiClient(CoreV1Api);
      const created = await core.createNamespacedPod({ namespace: MARKER_NAMESPACE, body: { metadata: { name }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'app:1' }] } } });
      const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await core.replaceNamespacedPodStatus({
        name,
        namespace: MARKER_NAMESPACE,
        body: { ...created, status: { ...created.status, containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: finishedAt as unknown as Date } } }] } },
      });
      const message = `System OOM encountered, victim process: ${name}, pid: ${40_000 + markers}`;
      const e = event({ reason: 'SystemOOM', message, at: finishedAt });
      // Shaped as the kubelet writes it (docs/domain.md §10): in default, about the Node by name, from the kubelet on it.
      await createEvent(cluster.admin, { ...e, metadata: { namespace: 'default', generateName: `${MARKER_NODE}.` }, involvedObject: { kind: 'Node', name: MARKER_NODE, uid: MARKER_NODE }, source: { component: 'kubelet', host: MARKER_NODE } } as unknown as CoreV1Event);
      const details = () => bus!.accepted.map((entry) => JSON.parse(entry.Detail) as { kind: string; pod?: { metadata?: { name?: string } }; event?: { message?: string } });
      await until(`the forwarder to publish settle marker ${markers}`, () => {
        const d = details();
        return d.some((x) => x.kind === 'container-termination' && x.pod?.metadata?.name === name) && d.some((x) => x.kind === 'node-oom' && x.event?.message === message);
      });
    },
    published() {
      return bus!.accepted.filter((entry) => !isMarker(JSON.parse(entry.Detail)));
    },
  };
}

/**
 * Polls `check` every 50 ms until it returns something truthy (which it resolves to) or the time is up. The default
 * is long for what it waits on (a forwarder publishes within a second or two): it only ends a hang.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
