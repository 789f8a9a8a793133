// The forwarder as its image runs it: the esbuild bundle, on the image's Node.js major (not the one running the tests),
// with the ENTRYPOINT's flags, in-cluster mode (ServiceAccount files, no kubeconfig). A flag can break one Node.js major
// and not another: --lite-mode only warned on Node.js 20 and made Node.js 22 die at its first import of node:http.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageEntrypointArgs, imageNodeBinary, imageNodeMajor } from '../../sandbox/image-node.ts';
import { node } from '../support/k8s-factories.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '../..');
const cluster = useControlPlane();
// Next to dist/forwarder.mjs, as in the image's /app (the bundle's one external, @kubernetes/client-node, is not loaded
// in-cluster).
const bundle = path.join(root, 'dist', `forwarder-image-node-${process.pid}.mjs`);
let nodeBinary: string;

beforeAll(async () => {
  nodeBinary = await imageNodeBinary((line) => process.stderr.write(`${line}\n`));
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  await run('sh', ['-c', pkg.scripts['build:forwarder']!.replace('--outfile=dist/forwarder.mjs', `--outfile=${bundle}`)], { cwd: root, env: { ...process.env, PATH: `${path.join(root, 'node_modules/.bin')}${path.delimiter}${process.env['PATH'] ?? ''}` } });
  await createNamespace(cluster.admin, 'oombot');
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
}, 300_000);
afterAll(async () => {
  await rm(bundle, { force: true });
});

describe('the forwarder on its image’s Node.js, with its flags', () => {
  it('logs JSON from its first line, leads, and reports an OOM kill', async () => {
    const major = await imageNodeMajor();
    expect((await run(nodeBinary, ['--version'])).stdout).toMatch(new RegExp(`^v${major}\\.`));
    const args = (await imageEntrypointArgs()).map((a) => (a === '/app/forwarder.mjs' ? bundle : a));
    expect(args).toContain(bundle);
    const sa = await mkdtemp(path.join(tmpdir(), 'oombot-sa-'));
    await writeFile(path.join(sa, 'token'), cluster.controlPlane.adminToken);
    await writeFile(path.join(sa, 'ca.crt'), cluster.controlPlane.caData);
    const child = spawn(nodeBinary, [...args, 'forwarder'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: new URL(cluster.controlPlane.url).port,
        OOMBOT_SERVICEACCOUNT_DIR: sa,
        OOMBOT_CLUSTER: 'image-node',
        OOMBOT_SINK: 'stdout',
        POD_NAMESPACE: 'oombot',
        POD_NAME: 'forwarder-0',
        OOMBOT_HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const reported = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const line = stdout.split('\n').slice(0, -1).find((l) => l.includes('"image-kill"'));
        if (line) resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`the forwarder exited (${code}) before reporting the kill:\n${stderr}`)));
    });
    // Read by the race below; a forwarder that dies before leading is reported there, not as an unhandled rejection.
    reported.catch(() => undefined);
    try {
      const until = Date.now() + 60_000;
      while (!stderr.includes('became the leader')) {
        if (child.exitCode !== null || Date.now() > until) throw new Error(`the forwarder did not lead (exit ${child.exitCode}):\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Every line it wrote is JSON: a runtime warning before the first log line would break log pipelines.
      const notJson = stderr.trim().split('\n').filter((line) => {
        try {
          JSON.parse(line);
          return false;
        } catch {
          return true;
        }
      });
      expect(notJson).toEqual([]);

      const core = cluster.admin.makeApiClient(CoreV1Api);
      const created = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'image-kill' }, spec: { nodeName: 'ip-10-0-12-7', containers: [{ name: 'app', image: 'app:1' }] } } });
      await core.replaceNamespacedPodStatus({
        name: 'image-kill',
        namespace: 'shop',
        body: { ...created, status: { ...created.status, containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date() } } }] } },
      });
      const line = await Promise.race([reported, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no kill reported in 30 s:\n${stderr}`)), 30_000))]);
      expect(JSON.parse(line)).toMatchObject({ detail: { kind: 'container-termination', cluster: 'image-node', container: 'app' } });
      expect(line).toContain('OOMKilled');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await rm(sa, { recursive: true, force: true });
    }
  });
});
