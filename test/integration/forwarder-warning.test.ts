// Before the kill (issue 12 item 5), on the forwarder's side: memory served as a cluster serves it, through the
// kube-apiserver's aggregation layer by the local metrics server (sandbox/metrics-server.ts). A container that climbs
// into its limit gets exactly one warning on the bus before its kill; one that sits near its limit without climbing
// gets none.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { decodeSeries } from '#shared/memory-series.ts';
import { memoryWarningId } from '#shared/occurrence-id.ts';
import { stepWarning } from '../../forwarder/memory-warning.ts';
import { startMetricsServer, type MetricsServer } from '../../sandbox/metrics-server.ts';
import { startPutEventsDouble, type PutEventsDouble } from '../support/eventbridge-double.ts';
import { startForwarder, type ForwarderProcess } from '../support/forwarder-process.ts';
import { node } from '../support/k8s-factories.ts';
import { until } from './forwarder-testbed.ts';
import { createNamespace, createNode, useControlPlane } from './harness.ts';
import { oomKillPod, runningPod, wholeSecond } from './memory-pods.ts';

const k8s = useControlPlane();
const Mi = 2 ** 20;
const NODE = 'ip-10-0-12-7';

let bus: PutEventsDouble;
let dir: string;
let metricsServer: MetricsServer | undefined;
let forwarder: ForwarderProcess | undefined;

beforeAll(async () => {
  bus = await startPutEventsDouble();
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-warning-'));
  await writeFile(path.join(dir, 'admin.kubeconfig'), k8s.controlPlane.kubeconfigYaml(), { mode: 0o600 });
  for (const ns of ['oombot', 'shop']) await createNamespace(k8s.admin, ns);
  await createNode(k8s.admin, node({ name: NODE }) as unknown as V1Node);
  for (const name of ['climbing-0', 'flat-0']) await runningPod(k8s.admin, 'shop', NODE, name, { name: 'api', resources: { limits: { memory: '512Mi' }, requests: { memory: '256Mi' } } });
  metricsServer = await startMetricsServer(k8s.controlPlane, { log: (line) => process.stderr.write(`[metrics server] ${line}\n`) });
});

afterAll(async () => {
  await forwarder?.stop('SIGKILL');
  await metricsServer?.stop();
  await bus?.close();
});

const envelopes = (): Envelope[] => bus.accepted.map((e) => EnvelopeSchema.parse(JSON.parse(e.Detail)));

describe('warnings before the kill in the forwarder', () => {
  it('sends exactly one warning for a container climbing into its limit, before its kill, and none for one flat near its limit', async () => {
    forwarder = startForwarder({
      KUBECONFIG: path.join(dir, 'admin.kubeconfig'),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      OOMBOT_LEASE_NAMESPACE: 'oombot',
      OOMBOT_FIRST_START_LOOKBACK: '1h',
      OOMBOT_MEMORY_INTERVAL: '15s',
      OOMBOT_CLUSTER: 'prod-eu',
    });
    const f = forwarder;
    const port = Number((await f.waitForLog((l) => l['msg'] === 'serving probes and metrics'))['port']);
    const polls = async () => {
      const line = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n').find((l) => l.startsWith('oombot_memory_polls_total{result="ok"} '));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    await f.waitForLog((l) => l['msg'] === 'sampling memory from metrics.k8s.io');
    const ms = metricsServer!;
    const set: { at: Date; bytes: number }[] = [];
    // Each new working set just after a poll, so that the next poll reads it: climbing 20 MiB a poll into 512Mi
    // (the last at 94 %), while the other sits at 94 % with a page's wobble.
    for (const [k, mi] of [420, 440, 460, 482, 482].entries()) {
      const before = await polls();
      const at = wholeSecond();
      ms.setWorkingSet('shop', 'climbing-0', 'api', mi * Mi, { at });
      ms.setWorkingSet('shop', 'flat-0', 'api', (482 + (k % 2) * 0.004) * Mi, { at });
      set.push({ at, bytes: mi * Mi });
      await until('the next poll', async () => (await polls()) > before, 30_000);
    }
    const warning = await until('the warning on the bus', () => envelopes().find((e) => e.kind === 'memory-warning'));
    const killedAt = await oomKillPod(k8s.admin, 'shop', 'climbing-0');
    const kill = await until('the kill on the bus', () => envelopes().find((e) => e.kind === 'container-termination'));

    const warnings = envelopes().filter((e) => e.kind === 'memory-warning');
    expect(warnings).toHaveLength(1);
    if (warning.kind !== 'memory-warning') throw new Error('not a warning');
    expect(warning.pod.metadata.name).toBe('climbing-0');
    expect(warning).toMatchObject({ version: 2, container: 'api', warning: { restarts: 0, limitBytes: 512 * Mi, workingSetBytes: 482 * Mi } });
    // Warned at the sample that brought it within 10 % of its limit, climbing ~80 MiB/min: before the kill.
    expect(warning.occurredAt).toBe(set[3]!.at.toISOString());
    expect(Date.parse(warning.occurredAt)).toBeLessThan(killedAt.getTime());
    expect(warning.warning.bytesPerMinute / Mi).toBeCloseTo(80, -1);
    const series = decodeSeries(warning.memory!.series);
    // Named by its climb as any leader would see it from these samples (forwarder/memory-warning.ts), not by when this
    // one first saw it near: a fresh detector over the samples the warning carries names the same climb.
    const climb = stepWarning(undefined, series.samples, 512 * Mi).warning!.climb;
    expect(warning.occurrenceId).toBe(memoryWarningId('prod-eu', warning.pod.metadata.uid!, 'api', 0, 512 * Mi, climb));
    expect(series).toEqual({ container: 'api', samples: set.slice(0, 4).map((s) => ({ at: s.at.getTime(), workingSetBytes: s.bytes, restarts: 0 })), limitBytes: 512 * Mi, requestBytes: 256 * Mi });
    expect(kill.pod.metadata.name).toBe('climbing-0');
    expect(f.logs.filter((l) => l['level'] === 'warn' || l['level'] === 'error')).toEqual([]);
  }, 150_000);
});
