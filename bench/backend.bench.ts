// `npm run bench:backend`: the analyze function's bundle size and cold initialisation, then three scenarios through
// the real pipeline at Slack's rate limits (issue 13, "Measure it") — enrichment from a real API server, DynamoDB
// (dynalite), the Slack double with its per-channel limit and method tiers on — reporting per scenario what was
// recorded, the messages and counter updates it took, the 429s met, and the time until the channel is current, beside
// issue 13's targets. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';
import { statSync } from 'node:fs';
import path from 'node:path';
import { startSlackApi, type SlackApiServer } from '../console/slack-api.ts';
import { makeBackend, makePostDeps } from '../functions/compose.ts';
import { kubeConfigTransport } from '../kube/rest.ts';
import { apiRequest } from '../sandbox/api-request.ts';
import { startControlPlane } from '../sandbox/control-plane.ts';
import { DynamoStore } from '../store/dynamo.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { node } from '../test/support/k8s-factories.ts';
import { LAMBDA_TIMEOUT_MS, leastTimeOwed, playAtRateLimits, type Figures } from './support/play-at-rate-limits.ts';
import { CLUSTER, EVICTING_NODE, NAMESPACE, NODES, nodeEvictions, oneWorkloadRepeats, stormAcrossWorkloads, type Scenario } from './support/storm-scenarios.ts';

const root = path.join(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. The bundle, as deployed.
execFileSync('npm', ['run', '--silent', 'build:functions'], { cwd: root, stdio: 'ignore' });
const bundle = path.join(root, 'dist/functions/analyze/index.mjs');
log(`analyze bundle                 ${(statSync(bundle).size / 1024 / 1024).toFixed(2)} MiB (esbuild, minified, AWS SDK clients and @slack/web-api included)`);

// 2. Cold initialisation: importing the bundle in a fresh Node.js process (what Lambda's init phase does before the
//    first invocation; the SSM read happens on that invocation).
const inits: number[] = [];
for (let i = 0; i < 7; i++) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`], { env: { PATH: process.env['PATH'] ?? '', NODE_NO_WARNINGS: '1' } });
  inits.push(Number(out.toString()));
}
log(`cold init (import), 7 runs     median ${median(inits).toFixed(0)} ms · min ${Math.min(...inits).toFixed(0)} · max ${Math.max(...inits).toFixed(0)}`);

// 3. The scenarios, each with a Slack double of its own (its own workspace: per-channel and per-method limits are not
//    shared) and a table of its own. The two small ones play side by side, then the storm alone.
/**
 * How long after its newest occurrence a scenario may take to be current before the bench stops waiting at Slack's
 * pace: issue 13's target, since today's storm would take more than ten minutes. Past it the rate limits are lifted,
 * so that everything is still recorded and what was owed is counted; the time is then reported as more than the cap,
 * and at least the cap plus what was owed at Slack's pace. BENCH_CAP_S changes it (900 waits today's storm out).
 */
const CAP_MS = Number(process.env['BENCH_CAP_S'] ?? 60) * 1000;
/** Invocations at a time, as this bench always ran them; Lambda would run more, and more would wait on one channel. */
const CONCURRENCY = 10;
const CHANNEL = 'C-ALERTS';
/** BENCH_SCENARIOS=repeats,evictions,storm plays only those (all three by default). */
const SCENARIOS = process.env['BENCH_SCENARIOS']?.split(',').map((s) => s.trim());

const cp = await startControlPlane();
const dynamo = await startDynalite();
const doubles: SlackApiServer[] = [];
try {
  const api = { url: cp.url, caPem: cp.caData, token: cp.adminToken };
  const kc = cp.adminKubeConfig();
  await apiRequest(api, 'POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
  for (const name of [...NODES, EVICTING_NODE]) {
    const body = node({ name, memoryPressure: name === EVICTING_NODE });
    const created = await apiRequest(api, 'POST', '/api/v1/nodes', { ...body, status: undefined });
    await apiRequest(api, 'PUT', `/api/v1/nodes/${name}/status`, { ...JSON.parse(created.body), status: body.status });
  }
  const transport = kubeConfigTransport(kc);
  let tables = 0;

  const play = async (make: (kc: KubeConfig, t0: number) => Promise<Scenario>): Promise<[Scenario, Figures]> => {
    const slack = await startSlackApi({ perChannelRateLimit: true });
    doubles.push(slack);
    slack.rateTiers = {}; // every method at its tier (console/slack-api.ts RATE_TIERS): chat.update is Tier 3
    const table = `oombot-${++tables}`;
    await dynamo.createTable(table);
    // The analyze step's dependencies as the Lambda builds them (functions/compose.ts): its Web API client throws a
    // 429 at once, for postOccurrence to wait it out within the invocation's time.
    const backend = makeBackend({ store: new DynamoStore(dynamo.client, table), slackToken: 'xoxb-test-token', slackApiUrl: slack.apiUrl, cluster: (name) => (name === CLUSTER ? transport : undefined), clusters: [CLUSTER] });
    const deps = makePostDeps(backend, { defaultChannel: CHANNEL, repeatWindowMs: 60 * 60_000, evictionWindowMs: 10 * 60_000 });
    // Its first occurrence a few seconds on, once its pods' owners exist and its envelopes are built.
    const scenario = await make(kc, Date.now() + 5_000);
    return [scenario, await playAtRateLimits({ scenario, deps, slack, channel: CHANNEL, concurrency: CONCURRENCY, capMs: CAP_MS })];
  };
  const only = (key: string) => !SCENARIOS || SCENARIOS.includes(key);
  const small = [only('repeats') && play(oneWorkloadRepeats), only('evictions') && play(nodeEvictions)].filter((p) => p !== false);
  const results = [...(await Promise.all(small)), ...(only('storm') ? [await play(stormAcrossWorkloads)] : [])];
  report(results);
} finally {
  for (const slack of doubles) await slack.close();
  await dynamo.close();
  await cp.stop();
}

function report(results: [Scenario, Figures][]): void {
  log('');
  log(`scenarios at Slack's rate limits (chat.postMessage ~1/s per channel, chat.update 50/min; 429 with Retry-After), each occurrence delivered twice, ${CONCURRENCY} invocations at a time with the Lambda's ${LAMBDA_TIMEOUT_MS / 1000} s each`);
  for (const [s, f] of results) {
    log(`${s.name}: ${s.what}`);
    log(`  recorded                 ${f.recorded} of ${f.occurrences}${f.recordedTwice ? `, ${f.recordedTwice} recorded twice` : ''}; ${f.duplicates} duplicate deliveries absorbed; ${f.failedInvocations} invocations failed and were retried by the bus, ${f.deadLetters} given up on`);
    log(`  messages                 ${f.alerts + f.replies} (${plural(f.alerts, 'alert')}, ${plural(f.replies, 'thread reply', 'thread replies')}); counter updates ${f.updates}`);
    log(`  429s met                 ${Object.entries(f.refused).map(([m, n]) => `${n} on ${m}`).join(', ') || 'none'}`);
    log(`  current after the newest ${current(f)}`);
    log(`  counters behind          ${f.countersBehind} of ${f.roots} alerts show fewer occurrences than are recorded under them`);
    for (const [msg, n] of Object.entries(f.warnings)) log(`  logged ${String(n).padStart(5)}×       ${msg}`);
    log(`  wall time                ${(f.wallMs / 1000).toFixed(0)} s`);
  }
  log('');
  const rows = [['scenario', 'recorded', 'messages (alerts+replies)', 'counter updates', '429s', 'current after the newest occurrence']];
  for (const [s, f] of results) {
    rows.push([s.name, `${f.recorded}/${f.occurrences}`, `${f.alerts + f.replies} (${f.alerts}+${f.replies})`, String(f.updates), String(Object.values(f.refused).reduce((a, b) => a + b, 0)), current(f).replace(/ \(.*$/, '')]);
    rows.push(['  target (issue 13)', `${f.occurrences}/${f.occurrences}`, s.targets.text.messages, s.targets.text.updates, '—', s.targets.text.current]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function current(f: Figures): string {
  if (f.currentAfterMs !== undefined) return `${(f.currentAfterMs / 1000).toFixed(1)} s`;
  const after = f.afterCap!;
  return `> ${CAP_MS / 1000} s, ≥ ${(leastTimeOwed(f, CAP_MS) / 1000).toFixed(0)} s at Slack's pace (not current ${CAP_MS / 1000} s after the newest occurrence: ${f.owed!.posts} messages and ${f.owed!.updates} updates still owed; the ${after.invocations} invocations left then ran in ${(after.ms / 1000).toFixed(0)} s without the limits, ${((after.invocations / after.ms) * 1000).toFixed(0)}/s)`;
}
