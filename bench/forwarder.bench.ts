// `npm run bench:forwarder`: the forwarder's bundle (as the image runs it, in-cluster mode) against a real API server
// holding 10,000 pods, delivering to a loopback PutEvents endpoint through the real AWS SDK. Prints: time from start
// to watching, steady RSS, CPU while 20 occurrences/s flow, and latency from the status write to the PutEvents request.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiRequest, type ApiTarget } from '../sandbox/api-request.ts';
import { startControlPlane } from '../sandbox/control-plane.ts';
import { startPutEventsDouble } from '../test/support/eventbridge-double.ts';

const PODS = Number(process.env['BENCH_PODS'] ?? 10_000);
const RATE = 20; // occurrences per second
const FLOW_SECONDS = 15;
const root = path.join(import.meta.dirname, '..');

const log = (line: string) => process.stdout.write(`${line}\n`);
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

log(`building the forwarder bundle (npm run build:forwarder)...`);
execFileSync('npm', ['run', '--silent', 'build:forwarder'], { cwd: root, stdio: 'ignore' });
const bundle = path.join(root, 'dist/forwarder.mjs');

// Run the bundle with the Node.js flags the image's ENTRYPOINT gives it (infra/forwarder/Dockerfile), so the figures
// are the image's.
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(await readFile(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8'))![1]!;
const nodeFlags = (JSON.parse(entrypoint) as string[]).filter((a) => a.startsWith('--'));
log(`node flags from the Dockerfile: ${nodeFlags.join(' ') || '(none)'}`);

const cp = await startControlPlane();
const bus = await startPutEventsDouble();
try {
  const api: ApiTarget = { url: cp.url, caPem: cp.caData, token: cp.adminToken };
  for (const ns of ['bench', 'oombot']) await apiRequest(api, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });

  // 10,000 pods as a busy cluster has them: running, with a status, spread over 100 nodes' names.
  const t0 = Date.now();
  let next = 0;
  const createOne = async (i: number) => {
    const name = `pod-${i}`;
    const res = await apiRequest(api, 'POST', '/api/v1/namespaces/bench/pods', {
      metadata: { name, labels: { app: `app-${i % 200}`, 'pod-template-hash': 'abc123' } },
      spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'app', image: 'registry.example/app:1.2.3', resources: { limits: { memory: '256Mi' }, requests: { memory: '128Mi', cpu: '50m' } }, env: [{ name: 'MODE', value: 'prod' }] }] },
    });
    if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${res.body}`);
  };
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < PODS) await createOne(next++);
  }));
  log(`created ${PODS} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // In-cluster mode, as in a pod: the ServiceAccount files, no kubeconfig, no @kubernetes/client-node.
  const sa = await mkdtemp(path.join(tmpdir(), 'oombot-sa-'));
  await writeFile(path.join(sa, 'token'), cp.adminToken);
  await writeFile(path.join(sa, 'ca.crt'), cp.caData);
  const port = new URL(cp.url).port;
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeFlags, bundle, 'forwarder'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      OOMBOT_SERVICEACCOUNT_DIR: sa,
      OOMBOT_CLUSTER: 'bench',
      POD_NAMESPACE: 'oombot',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      OOMBOT_HTTP_PORT: '0',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let probePort = 0;
  child.stderr.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) {
      const m = /"msg":"serving probes and metrics","port":(\d+)/.exec(line);
      if (m) probePort = Number(m[1]);
      if (/"level":"(warn|error)"/.test(line)) log(`  forwarder: ${line}`);
    }
  });
  const rssMiB = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  const cpuSeconds = async () => {
    const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  };
  for (;;) {
    if (probePort) {
      const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`).then((r) => r.status === 200, () => false);
      if (ready) break;
    }
    if (Date.now() - started > 120_000) throw new Error('the forwarder did not become ready in 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const toWatching = Date.now() - started;
  const rssAtSync = await rssMiB();

  // Steady state: idle for 10 s.
  const idle: number[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    idle.push(await rssMiB());
  }

  // 20 OOM kills per second for 15 s, each on a different pod, written as a kubelet would (status subresource).
  const writes = new Map<string, number>();
  const cpuBefore = await cpuSeconds();
  const flowStart = Date.now();
  const flowRss: number[] = [];
  for (let i = 0; i < RATE * FLOW_SECONDS; i++) {
    const due = flowStart + (i * 1000) / RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const name = `pod-${i}`;
    const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'bench' },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'registry.example/app:1.2.3', imageID: '', ready: true, restartCount: 1, state: { running: { startedAt: finishedAt } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt } } }] },
    };
    writes.set(name, Date.now());
    void apiRequestPatch(api, `/api/v1/namespaces/bench/pods/${name}/status`, body);
    if (i % RATE === 0) flowRss.push(await rssMiB());
  }
  await new Promise((r) => setTimeout(r, 3_000));
  const cpuAfter = await cpuSeconds();
  const flowSeconds = (Date.now() - flowStart) / 1000;
  const latencies: number[] = [];
  bus.accepted.forEach((e, i) => {
    const pod = (JSON.parse(e.Detail) as { pod?: { metadata?: { name?: string } } }).pod?.metadata?.name;
    const wrote = pod ? writes.get(pod) : undefined;
    if (wrote !== undefined) latencies.push(bus.receivedAt[i]! - wrote);
  });
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));

  log('');
  log(`pods in the API server        ${PODS}`);
  log(`start → watching (listed)     ${(toWatching / 1000).toFixed(2)} s`);
  log(`RSS when synced               ${rssAtSync.toFixed(1)} MiB`);
  log(`RSS idle (10 s, median / max) ${percentile(idle, 50).toFixed(1)} / ${Math.max(...idle).toFixed(1)} MiB`);
  log(`RSS while 20/s flow (max)     ${Math.max(...flowRss).toFixed(1)} MiB`);
  log(`CPU while 20/s flow           ${(((cpuAfter - cpuBefore) / flowSeconds) * 100).toFixed(1)} % of one core`);
  log(`delivered                     ${latencies.length} of ${RATE * FLOW_SECONDS} (${bus.accepted.length} entries)`);
  log(`latency write → PutEvents     p50 ${percentile(latencies, 50)} ms · p99 ${percentile(latencies, 99)} ms · max ${Math.max(...latencies)} ms`);
  log(`bundle                        ${(Number(execFileSync('stat', ['-c', '%s', bundle]).toString()) / 1024 / 1024).toFixed(2)} MB`);
} finally {
  await bus.close();
  await cp.stop();
}

/** A strategic-merge patch of the status, as a kubelet sends it. */
function apiRequestPatch(api: ApiTarget, p: string, body: unknown): Promise<void> {
  return fetchLike(api, p, body);
}

async function fetchLike(api: ApiTarget, p: string, body: unknown): Promise<void> {
  const https = await import('node:https');
  await new Promise<void>((resolve, reject) => {
    const req = https.request(new URL(p, api.url), { method: 'PATCH', ca: api.caPem, headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/strategic-merge-patch+json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PATCH ${p}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
