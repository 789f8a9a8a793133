import { describe, expect, it } from 'vitest';
import { entrySize } from '../../../forwarder/delivery.ts';
import { buildEnvelope, toEntry } from '../../../forwarder/envelopes.ts';
import { trimPod } from '../../../forwarder/trim.ts';
import { EnvelopeSchema, safeParseEnvelope } from '#shared/envelope.ts';
import { podOccurrences } from '#shared/occurrences.ts';
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
});
