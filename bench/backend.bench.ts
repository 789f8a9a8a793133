// `npm run bench:backend`: the analyze function's bundle size and cold initialisation, and a storm of 1,000
// occurrences through the real pipeline — enrichment from a real API server, DynamoDB (dynalite), the Slack double —
// counting what was recorded and how many Slack messages it took. Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebClient } from '@slack/web-api';
import { postOccurrence, type PostDeps, type PostOutcome } from '../bot/post-occurrence.ts';
import { buildEnvelope } from '../forwarder/envelopes.ts';
import { trimPod } from '../forwarder/trim.ts';
import { kubeConfigTransport } from '../kube/rest.ts';
import { apiRequest } from '../sandbox/api-request.ts';
import { startControlPlane } from '../sandbox/control-plane.ts';
import { EnvelopeSchema } from '#shared/envelope.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { DynamoStore } from '../store/dynamo.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { container, downStatus, node, pod, restartedStatus } from '../test/support/k8s-factories.ts';
import { startSlackApi } from '../console/slack-api.ts';

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

// 3. A storm of 1,000 occurrences: 700 OOM kills over 50 workloads (14 each) and 300 evictions over 5 nodes.
const cp = await startControlPlane();
const dynamo = await startDynalite();
const slack = await startSlackApi();
slack.perChannelRateLimit = false; // Slack's 1 message/s/channel would make this a 10-minute benchmark; see below
try {
  const api = { url: cp.url, caPem: cp.caData, token: cp.adminToken };
  await apiRequest(api, 'POST', '/api/v1/namespaces', { metadata: { name: 'shop' } });
  for (let n = 0; n < 5; n++) {
    const body = node({ name: `node-${n}` });
    const created = await apiRequest(api, 'POST', '/api/v1/nodes', { ...body, status: undefined });
    await apiRequest(api, 'PUT', `/api/v1/nodes/node-${n}/status`, { ...JSON.parse(created.body), status: body.status });
  }
  await dynamo.createTable('oombot');
  const deps: PostDeps = {
    store: new DynamoStore(dynamo.client, 'oombot'),
    slack: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }).chat,
    cluster: () => kubeConfigTransport(cp.adminKubeConfig()),
    routing: { defaultChannel: 'C-ALERTS' },
  };
  const envelopes = [];
  for (let w = 0; w < 50; w++) {
    for (let r = 1; r <= 14; r++) {
      const p = pod({ name: `app-${w}-7d9f8b6c5-x${w}`, uid: `00000000-0000-4000-8000-${String(w).padStart(12, '0')}`, deployment: `app-${w}`, node: `node-${w % 5}`, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(Date.now() - (15 - r) * 1000).toISOString() }, r)] });
      p.metadata.name = `app-${w}-7d9f8b6c5-x${w}`;
      envelopes.push(EnvelopeSchema.parse(buildEnvelope('bench', podOccurrences('bench', p)[0]!, trimPod(p), [], new Date())));
    }
  }
  for (let e = 0; e < 300; e++) {
    const p = pod({ name: `batch-${e}`, uid: `00000000-0000-4000-9000-${String(e).padStart(12, '0')}`, node: `node-${e % 5}`, containers: [container({ name: 'job', limit: '2Gi', request: '128Mi' })], statuses: [downStatus('job', { reason: 'Error', exitCode: 137, finishedAt: new Date().toISOString() })], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container job was using 1Gi, request is 128Mi, has larger consumption of memory. ' } });
    envelopes.push(EnvelopeSchema.parse(buildEnvelope('bench', podOccurrences('bench', p)[0]!, trimPod(p), [], new Date())));
  }
  // Ten at a time, as ten concurrent Lambda invocations would; each envelope delivered twice (at least once).
  const outcomes: PostOutcome[] = [];
  const queue = [...envelopes, ...envelopes];
  const start = performance.now();
  await Promise.all(Array.from({ length: 10 }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) outcomes.push(await postOccurrence(deps, next));
  }));
  const wall = performance.now() - start;
  const by = (s: string) => outcomes.filter((o) => o.status === s).length;
  const roots = slack.messages.filter((m) => !m.threadTs).length;
  const replies = slack.messages.filter((m) => m.threadTs).length;
  const updates = slack.calls.filter((c) => c.method === 'chat.update').length;
  log(`storm: ${envelopes.length} occurrences, each delivered twice (${queue.length + outcomes.length} invocations), 10 at a time`);
  log(`  recorded                     ${by('posted') + by('threaded') + by('counted')} of ${envelopes.length} (posted ${by('posted')}, in a thread ${by('threaded')}, counted on the root ${by('counted')}); duplicates absorbed ${by('duplicate')}`);
  log(`  Slack messages               ${roots + replies} (${roots} alerts, ${replies} thread replies) and ${updates} counter updates`);
  log(`  wall time                    ${(wall / 1000).toFixed(1)} s without Slack's rate limit (${((outcomes.length / wall) * 1000).toFixed(0)} invocations/s)`);
  log(`  at Slack's ~1 message/s per channel, posting them all in one channel takes at least ${roots + replies} s`);
} finally {
  await slack.close();
  await dynamo.close();
  await cp.stop();
}
