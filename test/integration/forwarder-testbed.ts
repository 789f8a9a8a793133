// What the forwarder's integration tests share: a real API server with a node and namespaces, a loopback PutEvents
// endpoint, a kubeconfig for the forwarder processes, and their environment. Call at the top of a test file.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startPutEventsDouble, type PutEventsDouble } from '../support/eventbridge-double.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { node } from '../support/k8s-factories.ts';
import { createNamespace, createNode, useControlPlane, type ControlPlaneHandle } from './harness.ts';

export interface ForwarderTestbed {
  cluster: ControlPlaneHandle;
  readonly bus: PutEventsDouble;
  readonly kubeconfig: string;
  /** Starts `oombot forwarder` against the testbed; every process is SIGKILLed after the file. */
  start(clusterName: string, extra?: Record<string, string>): ForwarderProcess;
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
    for (const ns of ['oombot', ...options.namespaces]) await createNamespace(cluster.admin, ns);
    await createNode(cluster.admin, node() as unknown as V1Node);
  });
  afterAll(async () => {
    await Promise.all(running.map((f) => f.stop('SIGKILL')));
    await bus?.close();
  });
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
  };
}

/** Polls `check` every 50 ms until it returns something truthy (which it resolves to) or the time is up. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
