import { describe, expect, it } from 'vitest';
import { entrySize } from '../../../forwarder/delivery.ts';
import { buildEnvelope, toEntry } from '../../../forwarder/envelopes.ts';
import { trimPod } from '../../../forwarder/trim.ts';
import { EnvelopeSchema, safeParseEnvelope } from '#shared/envelope.ts';
import { encodeSeries } from '#shared/memory-series.ts';
import { nodeEventOccurrence, podOccurrences, type Occurrence } from '#shared/occurrences.ts';
import { container, event, pod, restartedStatus } from '../../support/k8s-factories.ts';

const p = pod({
  deployment: 'checkout',
  containers: [container({ name: 'api', limit: '512Mi', env: { NODE_OPTIONS: '--max-old-space-size=400', DATABASE_PASSWORD: 'hunter2' } })],
  statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, message: 'x'.repeat(2000) }, 2)],
  metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big": true}', 'oombot.io/runbook': 'https://runbooks/x' } },
});

describe('envelopes', () => {
  it('rejects an envelope whose times are not RFC 3339, naming the field', () => {
    const o = podOccurrences('prod', p)[0]!;
    const bad = { ...buildEnvelope('prod', o, trimPod(p), [], new Date()), occurredAt: 'yesterday' };
    const parsed = safeParseEnvelope(bad);
    expect(parsed.success).toBe(false);
    expect(!parsed.success && parsed.error).toMatch(/^occurredAt: /);
  });

  it('carries the trimmed pod, without secrets in env or last-applied-configuration', () => {
    const o = podOccurrences('prod', p)[0]!;
    const entry = toEntry(buildEnvelope('prod', o, trimPod(p), [], new Date()), 'oombot.forwarder');
    expect(entry).toMatchObject({ id: o.occurrenceId, detailType: 'Container Memory Termination', source: 'oombot.forwarder' });
    const detail = EnvelopeSchema.parse(JSON.parse(entry.detail));
    expect(detail.kind === 'container-termination' && detail.pod.spec.containers[0]!.env).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=400' }]);
    expect(entry.detail).not.toContain('hunter2');
    expect(entry.detail).not.toContain('last-applied-configuration');
    expect(entry.detail).toContain('oombot.io/runbook');
  });

  it('keeps only heap flags of runtime options and redacts credentials in command lines', () => {
    const risky = pod({
      containers: [container({ name: 'app', env: { JAVA_TOOL_OPTIONS: '-Xmx1g -Ddb.password=hunter2 -XX:+ExitOnOutOfMemoryError' }, command: ['java'], args: ['-jar', '/app/app.jar', '--password', 'hunter2', '--api-key=abc'] })],
      statuses: [restartedStatus('app', { reason: 'OOMKilled', exitCode: 137 }, 1)],
    });
    const c = trimPod(risky).spec.containers[0]!;
    expect(c.env).toEqual([{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx1g -XX:+ExitOnOutOfMemoryError' }]);
    expect(c.args).toEqual(['-jar', '/app/app.jar', '<redacted>', '<redacted>', '<redacted>']);
    expect(JSON.stringify(trimPod(risky))).not.toContain('hunter2');
  });

  it('always fits: a pod with huge annotations is cut down to its identity and statuses rather than lost', () => {
    const huge = pod({ containers: [container({ name: 'api' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)], metadata: { annotations: { big: 'z'.repeat(300_000) } } });
    const o = podOccurrences('prod', huge)[0]!;
    const entry = toEntry(buildEnvelope('prod', o, trimPod(huge), [], new Date()), 's');
    expect(entrySize(entry)).toBeLessThan(256 * 1024);
    expect(JSON.parse(entry.detail)).toMatchObject({ occurrenceId: o.occurrenceId, pod: { metadata: { uid: huge.metadata.uid } } });
  });

  it('shrinks an entry over the limit, dropping buffered events first, instead of losing it', () => {
    const o = podOccurrences('prod', p)[0]!;
    const events = Array.from({ length: 6 }, (_, i) => event({ reason: 'Killing', message: `m${i} ${'y'.repeat(1000)}` }));
    const envelope = buildEnvelope('prod', o, trimPod(p), events, new Date());
    const full = toEntry(envelope, 's', 1_000_000);
    expect(JSON.parse(full.detail).events).toHaveLength(6);
    const small = toEntry(envelope, 's', entrySize(full) - 1000);
    expect(JSON.parse(small.detail).events).toEqual([]);
    expect(JSON.parse(small.detail).pod.status.containerStatuses[0].lastState.terminated.message).toHaveLength(2000);
    const smaller = toEntry(envelope, 's', entrySize(small) - 1000);
    expect(JSON.parse(smaller.detail).pod.status.containerStatuses[0].lastState.terminated.message).toHaveLength(513);
    expect(JSON.parse(smaller.detail).occurrenceId).toBe(o.occurrenceId);
  });

  // The forwarder no longer parses its envelopes with EnvelopeSchema before sending (it loads no zod,
  // docs/architecture.md "Budgets"): what it writes must be what that parse would have written, for every kind.
  it('writes, for every kind, an envelope the backend parses back to what the schema makes of it', () => {
    const evicted = pod({ uid: 'evicted-1', containers: [container({ name: 'api' })], statuses: [], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container api was using 1500Mi, request is 512Mi, has larger consumption of memory.' } });
    const kernel = event({ reason: 'OOMKilling', message: 'Memory cgroup out of memory: Killed process 4242 (java) total-vm:9000000kB, anon-rss:500000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:2000kB oom_score_adj:999' });
    const series = encodeSeries({ container: 'api', samples: [{ at: 1_700_000_000_000, workingSetBytes: 400 * 2 ** 20 }, { at: 1_700_000_030_000, workingSetBytes: 500 * 2 ** 20, restarts: 2 }], limitBytes: 512 * 2 ** 20 });
    const termination = podOccurrences('prod', p)[0]!;
    const warning: Occurrence = {
      kind: 'memory-warning',
      occurrenceId: 'warn-1',
      occurredAt: '2026-11-27T10:14:03.000Z',
      node: p.spec.nodeName,
      podUid: p.metadata.uid!,
      container: 'api',
      warning: { restarts: 2, climbStartedAt: '2026-11-27T10:04:03.000Z', workingSetBytes: 500 * 2 ** 20, limitBytes: 512 * 2 ** 20, bytesPerMinute: 2 ** 20, reachesLimitAt: '2026-11-27T10:26:03.000Z' },
    };
    const cases: [Occurrence | undefined, Parameters<typeof buildEnvelope>[5]][] = [
      [termination, { series }],
      [podOccurrences('prod', evicted)[0], { nodeTop: [{ namespace: 'shop', pod: 'cart', container: 'app', workingSetBytes: 2 ** 30, requestBytes: 2 ** 29 }], nodeSampledAt: '2026-11-27T10:14:00.000Z' }],
      [nodeEventOccurrence('prod', kernel), undefined],
      [warning, { series }],
    ];
    expect(cases.map(([o]) => o?.kind)).toEqual(['container-termination', 'pod-eviction', 'node-oom', 'memory-warning']);
    for (const [o, memory] of cases) {
      const envelope = buildEnvelope('prod', o!, o!.kind === 'node-oom' ? undefined : trimPod(o === warning || o === termination ? p : evicted), [event({ reason: 'Killing', message: 'Stopping container api' })], new Date('2026-11-27T10:14:05.000Z'), memory);
      const detail: unknown = JSON.parse(toEntry(envelope, 'oombot.forwarder').detail);
      expect(EnvelopeSchema.parse(detail)).toEqual(EnvelopeSchema.parse(envelope));
      expect(detail).toEqual(EnvelopeSchema.parse(envelope));
    }
  });
});
