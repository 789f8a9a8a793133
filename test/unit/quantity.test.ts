import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, parseQuantity, QuantityError, toMemoryQuantity, tryParseQuantity } from '#shared/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['512Mi', 512 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Gi', 2 ** 30],
    ['100M', 100e6],
    ['129e6', 129e6],
    ['1E3', 1000],
    ['1E', 1e18],
    ['1Ei', 2 ** 60],
    ['250m', 0.25],
    ['0', 0],
    ['.5Ki', 512],
    ['123', 123],
    ['+1k', 1000],
    ['-1Mi', -(2 ** 20)],
  ])('reads %s as %d', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });

  it.each(['', 'Mi', '1 Mi', '1MB', '1.2.3Gi', '1e', 'ten'])('rejects %j with a message that shows the expected form', (text) => {
    expect(() => parseQuantity(text)).toThrow(QuantityError);
    expect(() => parseQuantity(text)).toThrow(/is not a Kubernetes quantity \(expected a number with an optional suffix such as 512Mi/);
  });

  it('tryParseQuantity is undefined for missing and invalid input, and passes numbers through', () => {
    expect(tryParseQuantity(undefined)).toBeUndefined();
    expect(tryParseQuantity('1 Mi')).toBeUndefined();
    expect(tryParseQuantity(42)).toBe(42);
  });

  it('round-trips every whole number of binary units', () => {
    const units = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])), (n, unit) => {
        expect(parseQuantity(`${n}${unit}`)).toBe(n * units[unit]);
      }),
    );
  });

  it('agrees between decimal suffixes and exponents', () => {
    const suffixes = { k: 3, M: 6, G: 9, T: 12 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...(Object.keys(suffixes) as (keyof typeof suffixes)[])), (n, s) => {
        expect(parseQuantity(`${n}${s}`)).toBe(parseQuantity(`${n}e${suffixes[s]}`));
      }),
    );
  });

  it('reads every string as apimachinery\'s grammar does, with or without its fast path for digits and a suffix', () => {
    // The grammar as one regex, read the slow way: what parseQuantity did before its fast path.
    const grammar = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
    const scale: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
    const reference = (text: string): number | undefined => {
      const m = grammar.exec(text.trim());
      if (!m) return undefined;
      return m[2] ? Number(m[1]) * 10 ** Number(m[2].slice(1)) : Number(m[1]) * scale[m[3] ?? '']!;
    };
    const part = fc.constantFrom('0', '1', '7', '9', '0000000000', '123456789', 'Ki', 'Mi', 'Gi', 'Ei', 'i', 'm', 'k', 'M', 'G', 'E', 'e', 'e3', '.', '.5', '+', '-', ' ', 'B', 'x');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }).map((parts) => parts.join('')), (text) => {
        expect(tryParseQuantity(text)).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('toMemoryQuantity never rounds down and parses back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (bytes) => {
        const q = toMemoryQuantity(bytes);
        expect(parseQuantity(q)).toBeGreaterThanOrEqual(bytes);
        expect(parseQuantity(q) - bytes).toBeLessThan(2 ** 20);
      }),
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [512 * 2 ** 20, '512Mi'],
    [1.5 * 2 ** 30, '1.5Gi'],
    [14 * 2 ** 30, '14Gi'],
    [89 * 2 ** 20, '89Mi'],
    [900 * 1024, '900Ki'],
    [100, '100'],
  ])('%d bytes reads %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
