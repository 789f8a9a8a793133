// `npm run bench:forwarder`: the forwarder's bundle (as the image runs it, in-cluster mode) against a real API server
// holding 10,000 running pods, delivering to a loopback PutEvents endpoint through the real AWS SDK, with
// metrics.k8s.io served through the aggregation layer (sandbox/metrics-server.ts). Runs it twice, memory sampling off
// and on, and prints side by side: time from start to watching, steady RSS, CPU idle and while 20 occurrences/s flow,
// latency from the status write to the PutEvents request and PutEvents calls per 100 kills, both at a low rate (one kill
// every LOW_GAP_MS, when the queue sends each at once) and in a storm (20/s, when it gathers; docs/architecture.md,
// "Budgets"), and for sampling the CPU and wall time of one poll and the
// CPU of the warning check after it (forwarder/memory-warning.ts), which judges the containers near their limits: one in
// NEAR_EVERY sits at 92–96 % of its limit, level with a wobble, so it is fitted after every poll and never warned. The
// check's figure is also taken apart once every near container has enough samples to fit (STEADY_POLLS polls more).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiRequest, type ApiTarget } from '../sandbox/api-request.ts';
import { startControlPlane } from '../sandbox/control-plane.ts';
import { imageNodeBinary } from '../sandbox/image-node.ts';
import { startMetricsServer, type MetricsServer } from '../sandbox/metrics-server.ts';
import { startPutEventsDouble } from '../test/support/eventbridge-double.ts';

// BENCH_PODS: how many running pods the API server holds (10,000 unless told), or several counts, comma-separated
// (BENCH_PODS=10000,50000,100000): the pods are added to the same API server between them and each count is measured
// with a forwarder started afresh. BENCH_SAMPLING=off measures with sampling off only. The forwarder runs on the image's
// Node.js major (sandbox/image-node.ts), since the runtime's own pages are most of its RSS (docs/architecture.md,
// "Budgets"); BENCH_NODE=<path to node> runs it on another (BENCH_NODE=$(which node): the one running the bench).
const COUNTS = (process.env['BENCH_PODS'] ?? '10000').split(',').map(Number);
const SAMPLING_TOO = process.env['BENCH_SAMPLING'] !== 'off';
const RATE = 20; // occurrences per second in the storm
const FLOW_SECONDS = 15;
const LOW_KILLS = 20; // at a low rate: one every LOW_GAP_MS
const LOW_GAP_MS = 1_000;
const IDLE_SECONDS = 90;
const NEAR_EVERY = 50;
const STEADY_POLLS = 4;
const root = path.join(import.meta.dirname, '..');

const log = (line: string) => process.stdout.write(`${line}\n`);
const FORWARDER_NODE = process.env['BENCH_NODE'] ?? (await imageNodeBinary(log));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

log(`building the forwarder bundle (npm run build:forwarder)...`);
execFileSync('npm', ['run', '--silent', 'build:forwarder'], { cwd: root, stdio: 'ignore' });
const bundle = path.join(root, 'dist/forwarder.mjs');

// Run the bundle with the Node.js flags the image's ENTRYPOINT gives it (infra/forwarder/Dockerfile), so the figures
// are the image's.
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(await readFile(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8'))![1]!;
const nodeFlags = (JSON.parse(entrypoint) as string[]).filter((a) => a.startsWith('--'));
// And the environment its ENV lines set (one NAME=value each).
const dockerfile = await readFile(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8');
const imageEnv = Object.fromEntries([...dockerfile.matchAll(/^ENV (\w+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
log(`forwarder runs on node ${execFileSync(FORWARDER_NODE, ['--version']).toString().trim()} (${process.env['BENCH_NODE'] ? 'BENCH_NODE' : 'the image\'s major'})`);
log(`node flags from the Dockerfile: ${nodeFlags.join(' ') || '(none)'}${Object.keys(imageEnv).length ? `; its environment: ${Object.entries(imageEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`);

const cp = await startControlPlane();
const bus = await startPutEventsDouble();
let metrics: MetricsServer | undefined;
try {
  const api: ApiTarget = { url: cp.url, caPem: cp.caData, token: cp.adminToken };
  for (const ns of ['bench', 'oombot']) await apiRequest(api, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });

  // Pods as a busy cluster has them: running, with a status, spread over 100 nodes' names.
  const startedAt = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const createOne = async (i: number) => {
    const name = `pod-${i}`;
    const res = await apiRequest(api, 'POST', '/api/v1/namespaces/bench/pods', {
      metadata: { name, labels: { app: `app-${i % 200}`, 'pod-template-hash': 'abc123' } },
      spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'app', image: 'registry.example/app:1.2.3', resources: { limits: { memory: '256Mi' }, requests: { memory: '128Mi', cpu: '50m' } }, env: [{ name: 'MODE', value: 'prod' }] }] },
    });
    if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${res.body}`);
    // Running, as its kubelet would report it: metrics-server answers for Running pods only.
    await apiRequestPatch(api, `/api/v1/namespaces/bench/pods/${name}/status`, {
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'registry.example/app:1.2.3', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt } } }] },
    });
  };
  let created = 0;

  // metrics.k8s.io through the aggregation layer, with a working set for every container, renewed every 15 s as
  // metrics-server's scrapes would.
  const ms = await startMetricsServer(cp);
  metrics = ms;
  const scrape = () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const second = at.getTime() / 1000;
    for (let i = 0; i < created; i++) {
      const mib = i % NEAR_EVERY === 0 ? 236 + ((i + second) % 10) : 100 + ((i * 7 + second) % 120);
      ms.setWorkingSet('bench', `pod-${i}`, 'app', mib * 2 ** 20, { at });
    }
  };

  for (const [round, PODS] of COUNTS.entries()) {
    const t0 = Date.now();
    await inParallel(32, PODS - created, (i) => createOne(created + i));
    created = PODS;
    log(`created running pods up to ${PODS} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    scrape();
    const scraping = setInterval(scrape, 15_000);
    // Victims of their own in each round: a pod killed once more with the same restart count would not be a new kill.
    const firstVictim = round * 2 * (RATE * FLOW_SECONDS + LOW_KILLS);

    const off = await measure('sampling off', { OOMBOT_MEMORY_SAMPLING: 'false' }, firstVictim);
    // The defaults: a poll every 30 s, 30 minutes kept.
    const on = SAMPLING_TOO ? await measure('sampling on', { OOMBOT_MEMORY_SAMPLING: 'true' }, firstVictim + RATE * FLOW_SECONDS + LOW_KILLS) : off;
    clearInterval(scraping);

    const row = (label: string, f: (r: Figures) => string) => log(`${label.padEnd(34)}${f(off).padEnd(26)}${SAMPLING_TOO ? f(on) : ''}`);
    log('');
    log(`pods in the API server            ${PODS}; every container has a memory limit, so every one has a ring; ${Math.ceil(PODS / NEAR_EVERY)} sit near it`);
    row('', () => '');
    row('', (r) => r.label);
    row('start → watching (listed)', (r) => `${(r.toWatching / 1000).toFixed(2)} s`);
    row('RSS peak until watching', (r) => `${r.rssListPeak.toFixed(1)} MiB`);
    row('RSS when synced', (r) => `${r.rssAtSync.toFixed(1)} MiB`);
    row(`RSS idle ${IDLE_SECONDS} s (median / max)`, (r) => `${percentile(r.idle, 50).toFixed(1)} / ${Math.max(...r.idle).toFixed(1)} MiB`);
    // Most of a Node.js process's RSS is the pages of the node binary it has touched (file-backed, shared with any other
    // process running the same binary); the anonymous part is what the forwarder's own heap and buffers hold.
    row('  anonymous / file-backed', (r) => `${percentile(r.idleAnon, 50).toFixed(1)} / ${percentile(r.idleFile, 50).toFixed(1)} MiB`);
    row('V8 heap used / total, idle end', (r) => `${(r.heapUsed / 2 ** 20).toFixed(1)} / ${(r.heapTotal / 2 ** 20).toFixed(1)} MiB`);
  row('RSS while 20/s flow (max)', (r) => `${Math.max(...r.flowRss).toFixed(1)} MiB`);
    row('CPU idle', (r) => `${r.idleCpuPercent.toFixed(1)} % of one core`);
    row('CPU while 20/s flow', (r) => `${r.flowCpuPercent.toFixed(1)} % of one core`);
    row('CPU per 100 kills (storm)', (r) => `${((r.flowCpuSeconds / (RATE * FLOW_SECONDS)) * 100 * 1000).toFixed(0)} ms`);
    row('polls of pod metrics (ok)', (r) => (r.polls ? `${r.polls}` : '-'));
    row('CPU per poll (in-process)', (r) => (r.polls ? `${((r.pollCpuSeconds / r.polls) * 1000).toFixed(0)} ms` : '-'));
    row('+ warning check per poll', (r) => (r.polls ? `${((r.warnCpuSeconds / r.polls) * 1000).toFixed(1)} ms` : '-'));
    row(`  steady (${STEADY_POLLS} polls later)`, (r) => (r.steady?.polls ? `${((r.steady.pollCpuSeconds / r.steady.polls) * 1000).toFixed(0)} + ${((r.steady.warnCpuSeconds / r.steady.polls) * 1000).toFixed(1)} ms` : '-'));
    row('wall time per poll', (r) => (r.polls ? `${((r.pollSeconds / r.polls) * 1000).toFixed(0)} ms` : '-'));
    row('containers with a ring', (r) => (r.polls ? `${r.rings}` : '-'));
    row('delivered', (r) => `${r.latencies.length} of ${RATE * FLOW_SECONDS}`);
    row('envelopes with memory (version 2)', (r) => `${r.withMemory}`);
    row(`latency, 1 per ${LOW_GAP_MS / 1000} s: p50/p99`, (r) => `${percentile(r.low.latencies, 50)} / ${percentile(r.low.latencies, 99)} ms`);
    row('  PutEvents calls per 100 kills', (r) => `${((r.low.calls / LOW_KILLS) * 100).toFixed(0)}`);
    row(`latency, ${RATE}/s storm: p50/p99`, (r) => `${percentile(r.latencies, 50)} / ${percentile(r.latencies, 99)} ms`);
    row('  PutEvents calls per 100 kills', (r) => `${((r.calls / (RATE * FLOW_SECONDS)) * 100).toFixed(0)}`);
    if (SAMPLING_TOO) log(`RSS idle, sampling on − off        +${(percentile(on.idle, 50) - percentile(off.idle, 50)).toFixed(1)} MiB (median), +${(Math.max(...on.idle) - Math.max(...off.idle)).toFixed(1)} MiB (max)`);
    log(`bundle                            ${(Number(execFileSync('stat', ['-c', '%s', bundle]).toString()) / 1024 / 1024).toFixed(2)} MB`);
  }

  interface Figures {
    label: string;
    toWatching: number;
    rssAtSync: number;
    idle: number[];
    /** RssAnon and RssFile of /proc/<pid>/status, sampled with `idle`. */
    idleAnon: number[];
    idleFile: number[];
    flowRss: number[];
    idleCpuPercent: number;
    flowCpuPercent: number;
    /** CPU seconds the storm took, 3 s after its last kill included. */
    flowCpuSeconds: number;
    /** The V8 heap at the end of the idle time, as the forwarder's /metrics reports it. */
    heapUsed: number;
    heapTotal: number;
    /** The highest RSS sampled (every 20 ms) from start until ready: the initial lists' peak. */
    rssListPeak: number;
    latencies: number[];
    /** PutEvents requests the storm took (the bus double counts them). */
    calls: number;
    /** The same at a low rate, before the storm. */
    low: { latencies: number[]; calls: number };
    withMemory: number;
    polls: number;
    pollCpuSeconds: number;
    warnCpuSeconds: number;
    pollSeconds: number;
    rings: number;
    /** Polls after the measurements above, when every near container's recent samples are enough to fit. */
    steady?: { polls: number; pollCpuSeconds: number; warnCpuSeconds: number };
  }

  /** Starts the bundle with `extra` in its environment, measures it, and stops it. */
  async function measure(label: string, extra: Record<string, string>, firstVictim: number): Promise<Figures> {
    log(`measuring the forwarder with ${label}...`);
    // In-cluster mode, as in a pod: the ServiceAccount files, no kubeconfig, no @kubernetes/client-node.
    const sa = await mkdtemp(path.join(tmpdir(), 'oombot-sa-'));
    await writeFile(path.join(sa, 'token'), cp.adminToken);
    await writeFile(path.join(sa, 'ca.crt'), cp.caData);
    const port = new URL(cp.url).port;
    const started = Date.now();
    const child = spawn(FORWARDER_NODE, [...nodeFlags, bundle, 'forwarder'], {
      env: {
        ...imageEnv,
        PATH: process.env['PATH'] ?? '',
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: port,
        OOMBOT_SERVICEACCOUNT_DIR: sa,
        OOMBOT_CLUSTER: 'bench',
        POD_NAMESPACE: 'oombot',
        // Each run its own Lease, so the second does not wait out the first's.
        OOMBOT_LEASE_NAME: `bench-${firstVictim}`,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
        OOMBOT_HTTP_PORT: '0',
        NODE_NO_WARNINGS: '1',
        ...extra,
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
    const metric = async (name: string) => {
      const text = await fetch(`http://127.0.0.1:${probePort}/metrics`).then((r) => r.text());
      return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    };
    let rssListPeak = 0;
    for (;;) {
      rssListPeak = Math.max(rssListPeak, await rssMiB().catch(() => 0));
      if (probePort) {
        const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`).then((r) => r.status === 200, () => false);
        if (ready) break;
      }
      if (Date.now() - started > 120_000) throw new Error('the forwarder did not become ready in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const toWatching = Date.now() - started;
    const rssAtSync = await rssMiB();
    rssListPeak = Math.max(rssListPeak, rssAtSync);

    // Steady state: idle for 90 s, three or four polls when sampling.
    const idle: number[] = [];
    const idleAnon: number[] = [];
    const idleFile: number[] = [];
    const idleCpuBefore = await cpuSeconds();
    const idleStart = Date.now();
    for (let i = 0; i < IDLE_SECONDS; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
      idle.push(kib('VmRSS'));
      idleAnon.push(kib('RssAnon'));
      idleFile.push(kib('RssFile') + kib('RssShmem'));
    }
    const idleCpuPercent = ((await cpuSeconds()) - idleCpuBefore) / ((Date.now() - idleStart) / 1000) * 100;
    const heapUsed = await metric('oombot_forwarder_nodejs_heap_size_used_bytes');
    const heapTotal = await metric('oombot_forwarder_nodejs_heap_size_total_bytes');

    // A kill now and then, LOW_GAP_MS apart: each should go out at once, alone.
    const low = await kills(firstVictim, LOW_KILLS, LOW_GAP_MS);
    firstVictim += LOW_KILLS;

    // 20 OOM kills per second for 15 s, each on a different pod, written as a kubelet would (status subresource).
    const writes = new Map<string, number>();
    const firstEntry = bus.accepted.length;
    const firstRequest = bus.requests;
    const cpuBefore = await cpuSeconds();
    const flowStart = Date.now();
    const flowRss: number[] = [];
    for (let i = 0; i < RATE * FLOW_SECONDS; i++) {
      const due = flowStart + (i * 1000) / RATE;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      const name = `pod-${firstVictim + i}`;
      writes.set(name, Date.now());
      void kill(name);
      if (i % RATE === 0) flowRss.push(await rssMiB());
    }
    await new Promise((r) => setTimeout(r, 3_000));
    const cpuAfter = await cpuSeconds();
    const flowSeconds = (Date.now() - flowStart) / 1000;
    const latencies: number[] = [];
    let withMemory = 0;
    bus.accepted.forEach((e, i) => {
      if (i < firstEntry) return;
      const detail = JSON.parse(e.Detail) as { version: number; pod?: { metadata?: { name?: string } } };
      if (detail.version === 2) withMemory += 1;
      const pod = detail.pod?.metadata?.name;
      const wrote = pod ? writes.get(pod) : undefined;
      if (wrote !== undefined) latencies.push(bus.receivedAt[i]! - wrote);
    });
    const calls = bus.requests - firstRequest;
    const figures: Figures = {
      label,
      toWatching,
      rssAtSync,
      idle,
      idleAnon,
      idleFile,
      flowRss,
      idleCpuPercent,
      flowCpuPercent: ((cpuAfter - cpuBefore) / flowSeconds) * 100,
      flowCpuSeconds: cpuAfter - cpuBefore,
      heapUsed,
      heapTotal,
      rssListPeak,
      latencies,
      calls,
      low,
      withMemory,
      polls: await metric('oombot_memory_polls_total{result="ok"}'),
      pollCpuSeconds: await metric('oombot_memory_poll_cpu_seconds_total'),
      warnCpuSeconds: await metric('oombot_memory_warn_cpu_seconds_total'),
      pollSeconds: await metric('oombot_memory_poll_duration_seconds_sum'),
      rings: await metric('oombot_memory_rings'),
    };
    if (figures.polls) {
      // The first polls judge near containers with too few samples to fit a slope: the steady cost comes after.
      const polls = async () => metric('oombot_memory_polls_total{result="ok"}');
      const until = (await polls()) + STEADY_POLLS;
      const deadline = Date.now() + (STEADY_POLLS + 1) * 45_000;
      while ((await polls()) < until && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5_000));
      const done = await polls();
      figures.steady = { polls: done - figures.polls, pollCpuSeconds: (await metric('oombot_memory_poll_cpu_seconds_total')) - figures.pollCpuSeconds, warnCpuSeconds: (await metric('oombot_memory_warn_cpu_seconds_total')) - figures.warnCpuSeconds };
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    return figures;

    /** `count` kills `gapMs` apart from pod-<first> on; what reached the bus: each one's latency, and the requests. */
    async function kills(first: number, count: number, gapMs: number): Promise<{ latencies: number[]; calls: number }> {
      const wrote = new Map<string, number>();
      const firstEntry = bus.accepted.length;
      const firstRequest = bus.requests;
      for (let i = 0; i < count; i++) {
        if (i) await new Promise((r) => setTimeout(r, gapMs));
        const name = `pod-${first + i}`;
        wrote.set(name, Date.now());
        await kill(name);
      }
      const deadline = Date.now() + 10_000;
      while (bus.accepted.length - firstEntry < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const latencies: number[] = [];
      bus.accepted.forEach((e, i) => {
        if (i < firstEntry) return;
        const at = wrote.get((JSON.parse(e.Detail) as { pod?: { metadata?: { name?: string } } }).pod?.metadata?.name ?? '');
        if (at !== undefined) latencies.push(bus.receivedAt[i]! - at);
      });
      return { latencies, calls: bus.requests - firstRequest };
    }
  }

  /** An OOM kill of the pod's container, written as a kubelet would (status subresource). */
  function kill(name: string): Promise<void> {
    const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return apiRequestPatch(api, `/api/v1/namespaces/bench/pods/${name}/status`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'bench' },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'registry.example/app:1.2.3', imageID: '', ready: true, restartCount: 1, state: { running: { startedAt: finishedAt } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt } } }] },
    });
  }
} finally {
  await metrics?.stop();
  await bus.close();
  await cp.stop();
}

async function inParallel(workers: number, count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < count) await job(next++);
  }));
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
