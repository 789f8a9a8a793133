import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MiB } from '#shared/quantity.ts';
import { recommendLimit, recommendRequest } from '#shared/recommend-limit.ts';

const mib = (n: number) => n * MiB;
const input = (limit: number, request: number | undefined, peak: number | undefined) => ({
  currentLimitBytes: mib(limit),
  requestBytes: request === undefined ? undefined : mib(request),
  peakBytes: peak === undefined ? undefined : mib(peak),
});

describe('recommendLimit', () => {
  it.each([
    // VPA: max(basis + 100Mi, basis × 1.2); krr floor: × 1.25; rounded up to a step
    { limit: 512, want: '640Mi' },
    { limit: 128, want: '256Mi' }, // +100Mi dominates small limits
    { limit: 1024, want: '1280Mi' },
    { limit: 4096, want: '5Gi' },
  ])('a container OOM-killed at $limit Mi gets $want', ({ limit, want }) => {
    const s = recommendLimit({ currentLimitBytes: mib(limit), requestBytes: undefined, peakBytes: undefined, capBytes: undefined });
    expect(s.quantity).toBe(want);
    expect(s.capped).toBe(false);
    expect(s.rationale).toContain('the node was not seen, so check it fits');
  });

  it('says so when it caps at the node', () => {
    const s = recommendLimit({ currentLimitBytes: mib(1024), requestBytes: undefined, peakBytes: undefined, capBytes: mib(1100), capSource: "node n1's 1.1Gi allocatable" });
    expect(s).toMatchObject({ quantity: '1Gi', capped: true });
    expect(s.rationale).toBe("the node cannot give more than the current 1Gi (node n1's 1.1Gi allocatable): move it to a larger node or shrink its use");
  });

  it('never goes below the current limit and never above the cap (or the current limit when that is already above it)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 * 1024 }),
        fc.option(fc.integer({ min: 0, max: 64 * 1024 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 64 * 1024 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 128 * 1024 }), { nil: undefined }),
        (limit, request, peak, cap) => {
          const s = recommendLimit({ ...input(limit, request, peak), capBytes: cap === undefined ? undefined : mib(cap) });
          expect(s.bytes).toBeGreaterThanOrEqual(mib(limit));
          expect(s.bytes).toBeLessThanOrEqual(cap === undefined ? Infinity : Math.max(mib(cap), mib(limit)));
          // Uncapped, it is at least VPA's +20 % / +100Mi over the limit; capped exactly when the node stopped it.
          const free = recommendLimit({ ...input(limit, request, peak), capBytes: undefined });
          expect(free.bytes).toBeGreaterThanOrEqual(Math.max(mib(limit) + mib(100), mib(limit) * 1.2));
          expect(s.capped).toBe(s.bytes < free.bytes);
          expect(s.capped).toBe(cap !== undefined && free.bytes > mib(cap));
        },
      ),
    );
  });
});

describe('recommendRequest', () => {
  it('sizes a request from the usage at eviction', () => {
    expect(recommendRequest({ currentRequestBytes: mib(512), usageBytes: 1.8 * 1024 * MiB, capBytes: mib(14 * 1024) }).quantity).toBe('2Gi');
  });

  it('never lowers a request and never exceeds the cap unless the request already does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 * 1024 }), fc.integer({ min: 1, max: 32 * 1024 }), fc.integer({ min: 1, max: 64 * 1024 }), (request, usage, cap) => {
        const s = recommendRequest({ currentRequestBytes: mib(request), usageBytes: mib(usage), capBytes: mib(cap) });
        expect(s.bytes).toBeGreaterThanOrEqual(mib(request));
        expect(s.bytes).toBeLessThanOrEqual(Math.max(mib(cap), mib(request)));
      }),
    );
  });
});
