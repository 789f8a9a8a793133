// Cutting text to a length without cutting a character in two. JavaScript strings count UTF-16 units: an emoji is
// two, and a cut between them leaves a lone surrogate, which encodeURIComponent (and so the Slack Web API client)
// rejects with "URI malformed" — the message is never sent. Every cut of text that may hold what a container or a
// cluster wrote goes through these.

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The first `max` units or fewer, never ending on half a pair. */
export function headOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = max > 0 && isHigh(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, cut));
}

/** The last `max` units or fewer, never starting on half a pair. */
export function tailOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const start = text.length - max;
  return text.slice(isLow(text.charCodeAt(start)) ? start + 1 : start);
}

// Made on the first cut, not at import: making one takes some 30 ms (ICU's break rules load), which every function's
// cold start would pay for text that mostly needs no cut (docs/architecture.md, "Budgets").
let graphemes: Intl.Segmenter | undefined;
/** How far back a cut looks for the start of the character it falls in; a longer one (stacked accents) is cut by code point. */
const GRAPHEME_LOOKBACK = 32;

/**
 * `headOf`, and for text people read: never ending inside what they see as one character — a flag, a ZWJ family, a
 * letter and its accent, an emoji and its skin tone — when it starts within GRAPHEME_LOOKBACK units of the cut. Ids and
 * keys keep headOf's cut, which this must not move (store/dynamo.ts keys on it).
 */
export function headOfGraphemes(text: string, max: number): string {
  const head = headOf(text, max);
  const cut = head.length;
  if (cut === text.length) return head;
  const from = Math.max(0, cut - GRAPHEME_LOOKBACK);
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { index, segment } of graphemes.segment(text.slice(from, cut + GRAPHEME_LOOKBACK))) {
    if (from + index + segment.length <= cut) continue;
    // The character that holds the cut: kept out whole, unless it began before the window (too long to tell).
    return index === 0 && from > 0 ? head : text.slice(0, from + index);
  }
  return head;
}

/** `text`, or its head and `ellipsis` within `max` units. */
export function clipText(text: string, max: number, ellipsis = '…'): string {
  return text.length <= max ? text : `${headOf(text, max - ellipsis.length)}${ellipsis}`;
}
