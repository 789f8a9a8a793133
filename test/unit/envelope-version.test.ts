import { describe, expect, it } from 'vitest';
import { EnvelopeSchema, MAX_NODE_MEMORY_USERS, safeParseEnvelope } from '#shared/envelope.ts';
import { encodeSeries } from '#shared/memory-series.ts';

const pod = { metadata: { name: 'api-7d9f', namespace: 'checkout', uid: 'u1' }, spec: { containers: [{ name: 'api' }] } };
const v1 = { version: 1, kind: 'container-termination', occurrenceId: 'term-u1-api-0', cluster: 'prod-eu', occurredAt: '2026-11-29T10:00:00Z', observedAt: '2026-11-29T10:00:01Z', pod, container: 'api', terminationIndex: 0 };
const series = encodeSeries({ container: 'api', samples: [0, 1, 2].map((i) => ({ at: 1_800_000_000_000 + i * 30_000, workingSetBytes: (400 + i * 10) * 2 ** 20 })), limitBytes: 512 * 2 ** 20 });

describe('envelope versions', () => {
  it('reads version 1 as before, without memory', () => {
    expect(EnvelopeSchema.parse(v1).memory).toBeUndefined();
  });

  it('reads version 2 with the samples and the node top users', () => {
    const e = EnvelopeSchema.parse({ ...v1, version: 2, memory: { series, nodeTop: [{ namespace: 'checkout', pod: 'api-7d9f', container: 'api', workingSetBytes: 5e8, requestBytes: 2e8 }] } });
    expect(e.memory?.series?.c).toBe('api');
    expect(e.memory?.nodeTop).toHaveLength(1);
  });

  it('refuses memory under version 1, naming the version', () => {
    const r = safeParseEnvelope({ ...v1, memory: { series } });
    expect(r).toMatchObject({ success: false, error: expect.stringMatching(/^version: an envelope that carries memory is version 2/) });
  });

  it('refuses an unknown version and more node users than travel', () => {
    expect(safeParseEnvelope({ ...v1, version: 3 }).success).toBe(false);
    const user = { namespace: 'a', pod: 'b', container: 'c', workingSetBytes: 1 };
    expect(safeParseEnvelope({ ...v1, version: 2, memory: { nodeTop: Array.from({ length: MAX_NODE_MEMORY_USERS + 1 }, () => user) } }).success).toBe(false);
  });
});
