// Clipping and escaping text for Slack: escape first (it lengthens), then clip — never through an entity or half an
// emoji (a lone surrogate makes the Web API client throw "URI malformed" before the request is sent).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clip, escapeMrkdwn, plainText, slackText } from '../../../bot/slack-limits.ts';

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('slackText', () => {
  it('escapes the control characters, so <!channel> is text', () => {
    expect(slackText('<!channel> & <https://x|y>', 100)).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt;');
  });

  it('clips after escaping: a text that fits before escaping but not after is cut to the limit', () => {
    const text = slackText('<'.repeat(100), 150);
    expect(text.length).toBeLessThanOrEqual(150);
    expect(text).toMatch(/^(&lt;)+…$/);
  });

  it('never cuts an entity in two', () => {
    expect(clip('abc&amp;def', 6)).toBe('abc…');
    expect(clip('abc&lt;x', 7)).toBe('abc…');
    expect(clip('abc&amp;def', 9)).toBe('abc&amp;…');
  });

  it('never cuts an emoji in two', () => {
    expect(clip('ab😀cd', 4)).toBe('ab…');
    expect(clip('ab😀cd', 5)).toBe('ab😀…');
  });

  it('never cuts a flag, a ZWJ sequence or an accented letter in two, in mrkdwn or plain_text', () => {
    expect(clip('ab🇩🇪cd', 5)).toBe('ab…');
    expect(plainText('ab👨‍👩‍👧‍👦cd', 12)).toBe('ab…');
    expect(slackText('<e\u0301>', 6)).toBe('&lt;…');
  });

  it('keeps every escaped text within its limit, whole entities and whole characters, for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '<', '>', '&', '😀', 'é', '!', ' ', '|') , maxLength: 400 }), fc.integer({ min: 2, max: 300 }), (text, max) => {
        const out = slackText(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(loneSurrogate);
        expect(out.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
        // Text that fits is never touched.
        expect(escapeMrkdwn(text).length > max || out === escapeMrkdwn(text)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
