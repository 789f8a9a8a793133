// The memory chart's axes: which ticks, and what they say.
import { describe, expect, it } from 'vitest';
import { byteLabel, byteTicks, timeTicks } from '../../../bot/chart-axes.ts';
import { layoutText, textWidth, FONT_HEIGHT } from '../../../bot/bitmap-font.ts';

const Ki = 2 ** 10;
const Mi = 2 ** 20;
const Gi = 2 ** 30;
const Ti = 2 ** 40;
const MIN = 60_000;
const KILL = Date.UTC(2025, 0, 1, 10, 14);

describe('byteTicks', () => {
  const cases: [string, number, string[]][] = [
    ['a 512Mi limit with headroom falls on a gridline', 563 * Mi, ['0', '128Mi', '256Mi', '384Mi', '512Mi']],
    ['2Gi', 2.2 * Gi, ['0', '512Mi', '1Gi', '1.5Gi', '2Gi']],
    ['a small container', 100 * Mi, ['0', '32Mi', '64Mi', '96Mi']],
    ['Ti', 2.2 * Ti, ['0', '512Gi', '1Ti', '1.5Ti', '2Ti']],
    ['below 1Mi', 900 * Ki, ['0', '256Ki', '512Ki', '768Ki']],
  ];
  it.each(cases)('%s', (_, top, labels) => {
    expect(byteTicks(top).map((t) => t.label)).toEqual(labels);
  });

  it('refuses an axis past what a double holds instead of looping for ever', () => {
    expect(() => byteTicks(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => byteTicks(Number.NaN)).toThrow(RangeError);
    expect(byteTicks(Number.MAX_VALUE).length).toBeLessThanOrEqual(6);
  });
});

describe('byteLabel', () => {
  const cases: [number, string][] = [[0, '0'], [500, '500B'], [900 * Ki, '900Ki'], [1.25 * Gi, '1.25Gi'], [1536 * Mi, '1.5Gi'], [1900 * Mi, '1.86Gi'], [2 * Ti, '2Ti']];
  it.each(cases)('%d bytes is %s', (bytes, label) => {
    expect(byteLabel(bytes)).toBe(label);
  });
});

describe('timeTicks', () => {
  const cases: [string, number, number, string[]][] = [
    ['the default 30-minute window', KILL - 30 * MIN, KILL, ['-30m', '-20m', '-10m', 'kill']],
    ['a window that does not start on a tick', KILL - 27.5 * MIN, KILL, ['-20m', '-10m', 'kill']],
    ['hours', KILL - 3 * 60 * MIN, KILL, ['-3h', '-2h', '-1h', 'kill']],
    ['the 5-minute minimum', KILL - 5 * MIN, KILL, ['-4m', '-2m', 'kill']],
    ['samples after the kill', KILL - 10 * MIN, KILL + 2 * MIN, ['-10m', '-5m', 'kill']],
    ['a day', KILL - 24 * 60 * MIN, KILL, ['-24h', '-18h', '-12h', '-6h', 'kill']],
  ];
  it.each(cases)('%s', (_, from, to, labels) => {
    expect(timeTicks(from, to, KILL, 'kill').map((t) => t.label)).toEqual(labels);
  });
});

describe('the chart font', () => {
  const inked = (text: string) => {
    const cells: string[] = [];
    layoutText(text, 0, 0, 1, (x, y) => cells.push(`${x},${y}`));
    return cells;
  };
  const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).concat(['›', '·', '—', '×']);

  it.each(printable)('draws %s with a glyph of its own, within its width and nine rows', (ch) => {
    const cells = inked(ch);
    expect(cells.length).toBeGreaterThan(0);
    expect(ch === '?' || JSON.stringify(cells) !== JSON.stringify(inked('?'))).toBe(true);
    for (const cell of cells) {
      const [x, y] = cell.split(',').map(Number);
      expect(x).toBeLessThan(textWidth(ch, 1));
      expect(y).toBeLessThan(FONT_HEIGHT);
    }
  });

  it('draws what it cannot as ? and measures text with one column between glyphs', () => {
    expect(inked('€')).toEqual(inked('?'));
    expect(textWidth('Mi', 2)).toBe((5 + 1 + 3) * 2);
    expect(textWidth('a b', 1)).toBe(5 + 1 + 3 + 1 + 5);
  });
});
