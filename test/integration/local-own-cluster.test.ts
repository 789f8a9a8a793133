// `oombot start` with a kubeconfig whose current context answers: it watches that cluster (here a real API server on
// loopback) instead of starting its own, plays no demo, and a container OOM-killed there reaches the console.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type LocalMode } from '../../local/start.ts';
import { silentLogger } from '#shared/log.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let state: string;
let local: LocalMode;
const savedKubeconfig = process.env['KUBECONFIG'];

beforeAll(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'oombot-own-'));
  await cluster.controlPlane.writeKubeconfig(path.join(state, 'kubeconfig'));
  process.env['KUBECONFIG'] = path.join(state, 'kubeconfig');
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  local = await startLocal({ port: 0, stateDir: path.join(state, 'oombot'), env: {}, say: () => {}, log: silentLogger });
});
afterAll(async () => {
  await local?.stop();
  if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
  else process.env['KUBECONFIG'] = savedKubeconfig;
  await rm(state, { recursive: true, force: true });
});

describe('oombot start against the current kubeconfig context', () => {
  it('watches that cluster, plays no demo, and posts what dies there to the console', async () => {
    expect(local.cluster).toEqual({ name: 'oombot-sandbox', server: cluster.controlPlane.url, sandbox: false });
    expect(local.demo).toBeUndefined();
    const { rsUid } = await createDeploymentChain(cluster.admin, 'shop', 'checkout');
    const p = pod({ deployment: 'checkout', rsUid, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date().toISOString() }, 1)] });
    const { status, ...spec } = p;
    await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
    const texts = async () => ((await (await fetch(`${local.consoleUrl}/ui/messages`)).json()) as { messages: { text: string }[] }).messages.map((m) => m.text);
    let posted: string | undefined;
    for (const deadline = Date.now() + 30_000; !posted && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      posted = (await texts()).find((t) => t.startsWith('checkout › api was OOMKilled'));
    }
    expect(posted).toBe('checkout › api was OOMKilled at its 512Mi memory limit (oombot-sandbox)');
  });
});
