// An alert whose chart cannot be drawn still goes out, with its sparkline (bot/chart-upload.ts, bot/grouping.ts: the
// alert is never lost for want of a picture). No real series makes the drawing throw: the samples are decoded and
// cleaned of non-finite values before they are drawn (bot/chart-series.ts). So the failure is injected where our own
// code takes the drawing as a part — slackChartPublisher's `draw`, and the publisher bot/grouping.ts is handed — and
// everything else is real: the repeat group in the local FileStore, the @slack/web-api client and the Slack double.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_BLOCK } from '../../bot/alert.ts';
import { isBlock } from '../../bot/block-ids.ts';
import { CHART_FAILED, slackChartPublisher, type ChartPublisher } from '../../bot/chart-upload.ts';
import { withLogger } from '../../bot/failures.ts';
import { postInGroup } from '../../bot/grouping.ts';
import { podMessages } from '../../bot/occurrence-messages.ts';
import { startSlackApi, type PostedMessage, type SlackApiServer } from '../../console/slack-api.ts';
import { jsonLines } from '#shared/log.ts';
import { classifyCurve } from '#shared/memory-curve.ts';
import { encodeSeries } from '#shared/memory-series.ts';
import type { Verdict } from '#shared/verdict.ts';
import { FileStore } from '../../store/file.ts';
import { climb, makeSeries } from '../support/memory-series.ts';
import { limitVerdict } from '../support/verdicts.ts';

let slack: SlackApiServer;
let web: WebClient;
let dir: string;
let groups = 0;

beforeAll(async () => {
  slack = await startSlackApi();
  slack.perChannelRateLimit = false;
  web = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  dir = await mkdtemp(join(tmpdir(), 'oombot-chart-'));
});
afterAll(async () => {
  await slack?.close();
  await rm(dir, { recursive: true, force: true });
});

const series = makeSeries({ minutes: 30, level: climb(380, 4), limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });
const verdict: Verdict = { ...limitVerdict(), trajectory: { series: encodeSeries(series), curve: classifyCurve(series) } };
const SPARKLINE = /^Memory, 30 min before the kill: `[▁▂▃▄▅▆▇█ ]+` peak \d+(\.\d)?Mi of 512Mi$/;

/** The verdict posted as the first of a group of its own, with `charts` for its picture; what was logged at warn. */
async function post(charts: ChartPublisher) {
  const store = await FileStore.open(join(dir, `store-${++groups}.json`));
  const messages = podMessages(verdict, { cluster: 'prod-eu', incidentId: `inc-${groups}`, occurredAt: '2026-01-15T10:30:20Z', now: Date.parse('2026-01-15T10:30:25Z'), charts });
  const lines: Record<string, unknown>[] = [];
  const log = jsonLines({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>), level: 'warn' });
  const g = { groupKey: `repeat/prod-eu/${groups}`, occurrenceId: `occ-${groups}`, windowMs: 3_600_000, now: Date.now(), channel: 'C-ALERTS', markPosted: async () => undefined };
  const outcome = await withLogger(log, () => postInGroup({ store, slack: web.chat }, g, messages));
  return { outcome, lines, message: slack.messages.find((m) => m.ts === outcome.ts) };
}

const chartBlock = (m: PostedMessage | undefined) => m?.blocks?.find((b) => isBlock(b, CHART_BLOCK)) as Record<string, unknown> | undefined;

describe('an alert whose chart fails to draw', () => {
  it('is posted with its sparkline when the drawing throws, the failure logged once at warn with its code', async () => {
    // Fault injection of our own part: the drawing function the publisher is given throws as a bug in it would.
    const charts = slackChartPublisher(web.files, {
      draw: () => {
        throw new RangeError('the chart could not be laid out');
      },
    });
    const calls = slack.calls.length;
    const { outcome, lines, message } = await post(charts);
    expect(outcome).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    // Nothing to upload: the drawing failed before the upload flow began.
    expect(slack.calls.slice(calls).map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(chartBlock(message)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(SPARKLINE) }] });
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: CHART_FAILED, container: 'api', error: 'the chart could not be laid out', errorCode: 'internal' })]);
  });

  it('is posted with its sparkline when the publisher it is handed throws, logged once at warn with its code', async () => {
    // Fault injection of our own port: a publisher that breaks its promise to answer undefined rather than throw.
    const broken: ChartPublisher = () => Promise.reject(Object.assign(new Error('Slack is unreachable'), { code: 'ECONNRESET', syscall: 'read' }));
    const { outcome, lines, message } = await post(broken);
    expect(outcome).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    expect(chartBlock(message)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(SPARKLINE) }] });
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: CHART_FAILED, errorCode: 'unreachable' })]);
  });

  it('is posted with its picture when the drawing works: the failures above are the drawing’s alone', async () => {
    const { outcome, lines, message } = await post(slackChartPublisher(web.files));
    expect(outcome).toMatchObject({ status: 'posted' });
    expect(chartBlock(message)).toMatchObject({ type: 'image' });
    expect(lines).toEqual([]);
  });
});
