// `npm run bench:cli`: what the published package costs its user, next to what the image runs. The package as
// `npm pack` makes it, unpacked into an empty folder (test/support/packed-cli.ts), against the image's bundle with the
// Node.js flags of its ENTRYPOINT (infra/forwarder/Dockerfile):
// - `oombot forwarder`, idle and ready against a real API server (in-cluster mode, as in a pod, so neither loads
//   client-node): RSS, median of RUNS runs each; the packed one must stay within 1.2× the image's.
// - `oombot --help`: wall time from spawn to exit, median of RUNS runs, beside bare `node -e 0` and the checkout's bin
//   (the sources through tsx), so a loaded machine shows as such.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlPlane } from '../sandbox/control-plane.ts';
import { apiRequest } from '../sandbox/api-request.ts';
import { startPutEventsDouble } from '../test/support/eventbridge-double.ts';
import { installPackedCli } from '../test/support/packed-cli.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 10);
const IDLE_MS = 5_000;
const root = path.join(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

log('packing (npm pack runs the prepack build) and unpacking into an empty folder...');
const packed = await installPackedCli();
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(await readFile(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8'))![1]!;
const imageFlags = (JSON.parse(entrypoint) as string[]).filter((a) => a.startsWith('--'));
log(`image flags: ${imageFlags.join(' ')}`);

function wallMs(args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}
const help: Record<string, number[]> = { 'bare node -e 0': [], 'packed oombot --help': [], 'checkout oombot --help (tsx)': [] };
for (let i = 0; i < RUNS; i++) {
  help['bare node -e 0']!.push(wallMs(['-e', '0'], packed.dir));
  help['packed oombot --help']!.push(wallMs([packed.bin, '--help'], packed.dir));
  help['checkout oombot --help (tsx)']!.push(wallMs([path.join(root, 'bin/oombot.js'), '--help'], root));
}

const cp = await startControlPlane();
const bus = await startPutEventsDouble();
const sa = await mkdtemp(path.join(tmpdir(), 'oombot-sa-'));
const rss: Record<string, number[]> = { 'image bundle, image flags': [], 'packed oombot forwarder': [] };
try {
  await apiRequest({ url: cp.url, caPem: cp.caData, token: cp.adminToken }, 'POST', '/api/v1/namespaces', { metadata: { name: 'oombot' } });
  await writeFile(path.join(sa, 'token'), cp.adminToken);
  await writeFile(path.join(sa, 'ca.crt'), cp.caData);
  const variants: [string, string[]][] = [
    ['image bundle, image flags', [...imageFlags, path.join(root, 'dist/forwarder.mjs'), 'forwarder']],
    ['packed oombot forwarder', [packed.bin, 'forwarder']],
  ];
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of variants) rss[name]!.push(await idleRss(args, `bench-${i}-${rss[name]!.length}-${name.length}`));
  }
} finally {
  await bus.close();
  await cp.stop();
  await rm(sa, { recursive: true, force: true });
  await rm(packed.dir, { recursive: true, force: true });
}

log(`\n${RUNS} runs each, medians (min–max):`);
for (const [name, xs] of Object.entries(help)) log(`  ${name.padEnd(34)} ${median(xs).toFixed(0)} ms  (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`);
for (const [name, xs] of Object.entries(rss)) log(`  RSS idle, ${name.padEnd(24)} ${median(xs).toFixed(1)} MiB  (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`);
const ratio = median(rss['packed oombot forwarder']!) / median(rss['image bundle, image flags']!);
log(`  packed / image RSS: ${ratio.toFixed(2)}× (goal ≤ 1.2×)`);

/** Starts the forwarder in-cluster mode with its own Lease, waits until /readyz answers 200, idles, reads VmRSS. */
async function idleRss(args: string[], lease: string): Promise<number> {
  const child = spawn(process.execPath, args, {
    cwd: packed.dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: new URL(cp.url).port,
      OOMBOT_SERVICEACCOUNT_DIR: sa,
      OOMBOT_CLUSTER: 'bench',
      POD_NAMESPACE: 'oombot',
      OOMBOT_LEASE_NAME: lease,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      OOMBOT_HTTP_PORT: '0',
      OOMBOT_MEMORY_SAMPLING: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let port = 0;
  child.stderr.on('data', (c: Buffer) => {
    const m = /"msg":"serving probes and metrics","port":(\d+)/.exec(c.toString());
    if (m) port = Number(m[1]);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${args.join(' ')}: not ready within 60 s`);
    if (port && (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))![1]);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return kb / 1024;
}
