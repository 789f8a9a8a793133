// The memory before the death in the alert (issue 12 item 4): the uploaded chart as an image block, or, without one,
// a one-line sparkline in a context block; replies carry the sparkline, never an upload; the chart's PNG, title and
// alt text come from the verdict's trajectory alone.
import { describe, expect, it } from 'vitest';
import { CHART_BLOCK, memoryLine, renderAlert, renderRepeat } from '../../../bot/alert.ts';
import { drawChart } from '../../../bot/chart-upload.ts';
import { SLACK_LIMITS } from '../../../bot/slack-limits.ts';
import { classifyCurve } from '#shared/memory-curve.ts';
import { encodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import type { Verdict } from '#shared/verdict.ts';
import { climb, makeSeries, steady } from '../../support/memory-series.ts';
import { decodePng } from '../../support/png-decode.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const ctx = { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: '2026-01-15T10:30:20Z' };
const trajectoryOf = (series: MemorySeries) => ({ series: encodeSeries(series), curve: classifyCurve(series) });
/**
 * 30 min at 30 s, 380Mi climbing 4 MiB/min toward the 512Mi limit, killed 20 s after the last sample: the last sample
 * (29.5 min) is 498Mi. Against the limit, in eighths rounded: ▆ below 416Mi (minute 9), █ from 480Mi (minute 25).
 */
const climbing = makeSeries({ minutes: 30, level: climb(380, 4), limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });
const withTrajectory = (series: MemorySeries = climbing): Verdict => ({ ...limitVerdict(), trajectory: trajectoryOf(series) });
const picture = { fileId: 'F0CHART0001', title: 'checkout › api · memory before the kill', altText: 'Memory chart of container api' };
const chartBlocks = (blocks: unknown[]) => blocks.filter((b) => (b as { block_id?: string }).block_id === CHART_BLOCK);

describe('the memory block of an alert', () => {
  it('shows the uploaded chart as an image block naming the Slack file, after the evidence', () => {
    const { blocks } = renderAlert(withTrajectory(), { ...ctx, picture });
    expect(chartBlocks(blocks)).toEqual([{ type: 'image', block_id: 'oombot-chart', slack_file: { id: 'F0CHART0001' }, alt_text: 'Memory chart of container api', title: { type: 'plain_text', text: 'checkout › api · memory before the kill' } }]);
    const at = blocks.findIndex((b) => (b as { block_id?: string }).block_id === CHART_BLOCK);
    expect((blocks[at - 1] as { text: { text: string } }).text.text).toMatch(/^\*Evidence\*/);
    expect(JSON.stringify(blocks)).not.toContain('▁');
  });

  it('shows a one-line sparkline in a context block when there is no picture', () => {
    const { blocks } = renderAlert(withTrajectory(), ctx);
    expect(chartBlocks(blocks)).toEqual([{ type: 'context', block_id: 'oombot-chart', elements: [{ type: 'mrkdwn', text: 'Memory, 30 min before the kill: `▆▆▆▆▆▆▆▆▆▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇█████` peak 498Mi of 512Mi' }] }]);
    expect(blocks.some((b) => b.type === 'image')).toBe(false);
  });

  it('shows neither without a trajectory, nor for one that does not decode', () => {
    expect(chartBlocks(renderAlert(limitVerdict(), ctx).blocks)).toEqual([]);
    const broken = withTrajectory();
    broken.trajectory!.series = { ...broken.trajectory!.series, w: `${broken.trajectory!.series.w}!` };
    expect(chartBlocks(renderAlert(broken, ctx).blocks)).toEqual([]);
  });

  it('draws a trajectory the verdict lacks when the caller has it (a live /oom why and its last incident)', () => {
    expect(chartBlocks(renderAlert(limitVerdict(), { ...ctx, trajectory: withTrajectory().trajectory }).blocks)).toMatchObject([{ type: 'context', elements: [{ text: expect.stringContaining('peak 498Mi of 512Mi') }] }]);
  });

  it('puts the sparkline, never the picture, in a thread reply', () => {
    const reply = renderRepeat(withTrajectory(), { ...ctx, picture });
    expect(reply.blocks.map((b) => (b as { block_id?: string }).block_id ?? b.type)).toEqual(['section', 'section', 'oombot-chart', 'context']);
    expect(chartBlocks(reply.blocks)).toMatchObject([{ type: 'context' }]);
  });

  it('keeps the image block within Slack’s limits for any title and alt text', () => {
    const [image] = chartBlocks(renderAlert(withTrajectory(), { ...ctx, picture: { ...picture, title: 't'.repeat(5000), altText: 'a'.repeat(5000) } }).blocks) as { alt_text: string; title: { text: string } }[];
    expect([image!.alt_text.length, image!.title.text.length]).toEqual([2000, 2000]);
  });
});

describe('memoryLine', () => {
  it('scales the bars to the limit and says the peak against it: 128Mi of 512Mi is two eighths, one bar a sample', () => {
    expect(memoryLine(trajectoryOf(makeSeries({ minutes: 10, level: steady(128), limitMi: 512 })))).toBe('Memory, 10 min before the last sample: `▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂` peak 128Mi of 512Mi');
  });

  it('fits a context block', () => {
    const long = makeSeries({ minutes: 24 * 60, stepSeconds: 30, level: climb(100, 0.2), killedAfterSeconds: 5 });
    expect(memoryLine(trajectoryOf(long))!.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
  });
});

describe('drawChart', () => {
  it('draws the trajectory as a PNG with a title and alt text that say what it shows', () => {
    const chart = drawChart(withTrajectory(), withTrajectory().trajectory!)!;
    expect(decodePng(chart.png)).toMatchObject({ width: 480, height: 220 });
    expect(chart.filename).toBe('memory-shop-api.png');
    expect(chart.title).toBe('checkout › api · memory before the kill');
    expect(chart.altText).toBe('Memory chart of container api: working set over the 30 min before it was killed, peaking at 498Mi (limit 512Mi, request 256Mi); the curve is a steady, leak-like climb.');
  });

  it('draws nothing for a trajectory without samples', () => {
    const empty = { ...climbing, samples: [] };
    expect(drawChart(withTrajectory(empty), withTrajectory(empty).trajectory!)).toBeUndefined();
  });
});
