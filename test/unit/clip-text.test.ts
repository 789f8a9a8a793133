// Cuts that never split a character: a lone surrogate left by a cut makes the Slack Web API client throw before it
// sends the message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipText, headOf, headOfGraphemes, tailOf } from '#shared/clip-text.ts';
import { diagnose } from '#shared/diagnose.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const text = fc.string({ unit: fc.constantFrom('a', '😀', 'é', ' ', '\n'), maxLength: 300 });

describe('clipText, headOf, tailOf', () => {
  it('cut to the limit or one less, and never leave half an emoji, for any text', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 320 }), (t, max) => {
        for (const out of [headOf(t, max), tailOf(t, max), clipText(t, max)]) {
          expect(out.length).toBeLessThanOrEqual(max);
          expect(out.length).toBeGreaterThanOrEqual(Math.min(t.length, max) - 1);
          expect(out).not.toMatch(loneSurrogate);
        }
        expect(t.startsWith(headOf(t, max)) && t.endsWith(tailOf(t, max))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keep the emoji whole in a verdict whose termination message and runtime line are cut', () => {
    // The runtime's line is cut at 200 and the message kept to its last 2,048 units: both cuts fall inside an emoji.
    const message = `java.lang.OutOfMemoryError: Java heap space ${'😀'.repeat(100)}\n${'😀'.repeat(1100)}z`;
    const p = pod({ containers: [container({ name: 'app', limit: '1Gi' })], statuses: [restartedStatus('app', { reason: 'Error', exitCode: 1, message }, 1)] });
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v.kind).toBe('jvm-heap');
    expect(JSON.stringify(v)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
    for (const s of [v.termination!.message!, v.summary, ...v.evidence]) expect(s).not.toMatch(loneSurrogate);
  });
});

describe('headOfGraphemes', () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const boundaries = (t: string) => new Set([...segmenter.segment(t)].map((g) => g.index).concat(t.length));

  it('keeps a flag, a ZWJ family, an accent and a skin tone whole, or leaves them out', () => {
    expect(headOfGraphemes('ab🇩🇪cd', 4)).toBe('ab');
    expect(headOfGraphemes('ab👨‍👩‍👧‍👦cd', 10)).toBe('ab');
    expect(headOfGraphemes('ab👨‍👩‍👧‍👦cd', 13)).toBe('ab👨‍👩‍👧‍👦');
    expect(headOfGraphemes('ab👨‍👩‍👧‍👦cd', 14)).toBe('ab👨‍👩‍👧‍👦c');
    expect(headOfGraphemes('cafe\u0301!', 4)).toBe('caf');
    expect(headOfGraphemes('ok👍🏽', 4)).toBe('ok');
    // headOf itself only keeps the surrogate pairs whole: a key cut by it stays where it was.
    expect(headOf('ab👨‍👩‍👧‍👦cd', 10)).toBe('ab👨‍👩‍👧');
  });

  it('cuts a character longer than it looks back for by code point, never through a pair', () => {
    const zalgo = `a${'\u0301'.repeat(100)}b`;
    expect(headOfGraphemes(zalgo, 50)).toBe(zalgo.slice(0, 50));
  });

  it('ends at a boundary of what a reader sees, within the limit, for any text', () => {
    const unit = fc.constantFrom('a', 'é', 'e\u0301', '😀', '🇩🇪', '👨‍👩‍👧‍👦', '👍🏽', '&amp;', ' ', '\n');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), fc.integer({ min: 0, max: 400 }), (t, max) => {
        const out = headOfGraphemes(t, max);
        expect(t.startsWith(out)).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out.length).toBeGreaterThanOrEqual(Math.min(t.length, max) - 11);
        expect(boundaries(t).has(out.length)).toBe(true);
        expect(out).not.toMatch(loneSurrogate);
      }),
      { numRuns: 1000 },
    );
  });
});
