// The memory chart of an alert as a Slack file (issue 12 item 4): drawn from the verdict's trajectory
// (bot/memory-chart.ts), uploaded through Slack's external upload flow and named by the alert's image block.
//
// Slack facts relied on:
// - The flow (api.slack.com/methods/files.getUploadURLExternal, api.slack.com/methods/files.completeUploadExternal):
//   files.getUploadURLExternal(filename, length, alt_txt ≤ 1,000 characters) answers an upload_url and a file_id; the
//   bytes are POSTed to the upload_url ("Slack will return HTTP 200 if the upload is successful"); then
//   files.completeUploadExternal(files: [{id, title}]) finishes it. Both need the `files:write` scope; without it they
//   answer `missing_scope`.
// - Not shared: completeUploadExternal without channel_id leaves the file private ("if not specified the file will be
//   private"), and a slack_file object (api.slack.com/reference/block-kit/composition-objects#slack_file) may name a
//   file that "the user posting these blocks" can access — the app's own private upload, posted with the same token.
//   Sharing it to the channel would post the PNG again as a message of its own beside the alert.
// - Files "are processed asynchronously": a message naming one may be refused (`invalid_blocks`, "invalid slack
//   file") for a moment after the upload; bot/grouping.ts then posts the alert with the sparkline instead.
//
// Bounded: the three steps get CHART_BUDGET_MS together, and whatever fails or runs late leaves the alert with the
// sparkline (bot/alert.ts), never unposted or delayed further. A failure is logged once, as a warning.
import { formatBytes } from '#shared/quantity.ts';
import { safeDecodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import type { Verdict } from '#shared/verdict.ts';
import { currentLogger, logFailure } from './failures.ts';
import { renderMemoryChart } from './memory-chart.ts';

export type Trajectory = NonNullable<Verdict['trajectory']>;

/** An uploaded chart, as an image block names it. */
export interface ChartPicture {
  fileId: string;
  title: string;
  altText: string;
}

/** Draws and uploads a verdict's memory chart; undefined when there is none to show or it could not be uploaded. */
export type ChartPublisher = (verdict: Verdict, trajectory?: Trajectory) => Promise<ChartPicture | undefined>;

/** The two methods of Slack's external upload flow, as WebClient 7 and 8 have them (`web.files`). */
export interface SlackFiles {
  getUploadURLExternal(args: { filename: string; length: number; alt_txt?: string }): Promise<{ upload_url?: string; file_id?: string }>;
  completeUploadExternal(args: { files: [{ id: string; title?: string }] }): Promise<{ files?: { id?: string }[] }>;
}

/** What the three steps may take together: well inside analyze's time and Slack's 3 s for an answer. */
export const CHART_BUDGET_MS = 3_000;
/** After Slack said the token lacks files:write, uploads are not tried again for this long. */
const NO_SCOPE_PAUSE_MS = 10 * 60_000;
/** Slack's alt_txt limit (files.getUploadURLExternal's `alt_txt_too_large`). */
const ALT_TXT_MAX = 1000;

export interface ChartUploadOptions {
  budgetMs?: number;
  /** POSTs the bytes to the upload URL (the global fetch by default). */
  fetch?: typeof fetch;
  now?: () => number;
  /** Draws the chart (drawChart unless a test passes one that fails, to see the fallback). */
  draw?: (verdict: Verdict, trajectory: Trajectory) => DrawnChart | undefined;
}

/** What is logged, at warn, when the chart could not be drawn or uploaded (here, or bot/grouping.ts for any publisher). */
export const CHART_FAILED = 'the memory chart could not be drawn or uploaded; the message shows a sparkline instead';

export function slackChartPublisher(files: SlackFiles, options: ChartUploadOptions = {}): ChartPublisher {
  const budgetMs = options.budgetMs ?? CHART_BUDGET_MS;
  const post = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const draw = options.draw ?? drawChart;
  let noScopeUntil = 0;
  return async (verdict, trajectory = verdict.trajectory) => {
    if (!trajectory || now() < noScopeUntil) return undefined;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ChartUploadTimeout(budgetMs)), budgetMs);
    try {
      // Drawn inside the fallback: a series that breaks the drawing leaves the sparkline, as a failed upload does.
      const chart = draw(verdict, trajectory);
      if (!chart) return undefined;
      const work = upload(files, post, chart, deadline.signal);
      // Past the deadline the steps may still fail on their own; that is already said, not an unhandled rejection.
      work.catch(() => undefined);
      return await Promise.race([work, aborted(deadline.signal)]);
    } catch (error) {
      if (slackErrorCode(error) === 'missing_scope') {
        // Said once per pause, not per alert: every alert would say it again until the app is reinstalled.
        if (noScopeUntil === 0 || now() >= noScopeUntil) currentLogger().warn('Slack refused the memory chart upload: the bot token lacks the files:write scope. Alerts show a sparkline instead; add the scope to the Slack app (infra/slack/manifest.yaml) and reinstall it', { error });
        noScopeUntil = now() + NO_SCOPE_PAUSE_MS;
        return undefined;
      }
      logFailure(CHART_FAILED, error, { container: verdict.container }, undefined, 'warn');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface DrawnChart {
  png: Buffer;
  filename: string;
  title: string;
  altText: string;
}

/** The chart's PNG, title and alt text; undefined when the trajectory has no sample to draw or does not decode. */
export function drawChart(verdict: Verdict, trajectory: Trajectory): DrawnChart | undefined {
  // Decoded, never trusted blindly: a series that does not read is no picture.
  const decoded = safeDecodeSeries(trajectory.series);
  const series = decoded.success ? decoded.data : undefined;
  if (!series?.samples.length) return undefined;
  const who = `${verdict.workload?.name ?? verdict.pod.name} › ${series.container}`;
  const title = series.killedAt !== undefined ? `${who} · memory before the kill` : `${who} · memory`;
  const png = renderMemoryChart({
    samples: series.samples,
    ...(series.limitBytes !== undefined ? { limitBytes: series.limitBytes } : {}),
    ...(series.requestBytes !== undefined ? { requestBytes: series.requestBytes } : {}),
    ...(series.killedAt !== undefined ? { killedAt: series.killedAt } : {}),
    title,
  });
  if (!png) return undefined;
  return { png, filename: `memory-${safeName(verdict.pod.namespace)}-${safeName(series.container)}.png`, title, altText: altTextOf(series, trajectory.curve.kind).slice(0, ALT_TXT_MAX) };
}

const CURVE_WORDS: Record<Trajectory['curve']['kind'], string> = {
  leak: 'a steady, leak-like climb',
  spike: 'a spike just before the end',
  plateau: 'a plateau near the limit',
  load: 'rises and falls that follow the load',
  flat: 'flat',
  'too-few': 'too few samples to judge',
};

/** What the picture shows, in words, for screen readers (and for Slack's search). */
function altTextOf(series: MemorySeries, kind: Trajectory['curve']['kind']): string {
  const first = series.samples[0]!.at;
  const end = series.killedAt ?? series.samples.at(-1)!.at;
  const minutes = Math.max(1, Math.round((end - first) / 60_000));
  const peak = series.samples.reduce((max, s) => Math.max(max, s.workingSetBytes), 0);
  const against = [series.limitBytes !== undefined && `limit ${formatBytes(series.limitBytes)}`, series.requestBytes !== undefined && `request ${formatBytes(series.requestBytes)}`].filter(Boolean).join(', ');
  return `Memory chart of container ${series.container}: working set over the ${minutes} min ${series.killedAt !== undefined ? 'before it was killed' : 'sampled'}, peaking at ${formatBytes(peak)}${against ? ` (${against})` : ''}; the curve is ${CURVE_WORDS[kind]}.`;
}

async function upload(files: SlackFiles, post: typeof fetch, chart: DrawnChart, signal: AbortSignal): Promise<ChartPicture> {
  const { upload_url: uploadUrl, file_id: fileId } = await files.getUploadURLExternal({ filename: chart.filename, length: chart.png.length, alt_txt: chart.altText });
  if (!uploadUrl || !fileId) throw new Error('files.getUploadURLExternal answered without an upload_url or a file_id');
  signal.throwIfAborted();
  const res = await post(uploadUrl, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: new Uint8Array(chart.png), signal });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`Slack's upload URL answered HTTP ${res.status}`);
  signal.throwIfAborted();
  // No channel_id: the file stays private to the app, which names it in its own message.
  await files.completeUploadExternal({ files: [{ id: fileId, title: chart.title }] });
  return { fileId, title: chart.title, altText: chart.altText };
}

class ChartUploadTimeout extends Error {
  override readonly name = 'ChartUploadTimeout';
  readonly code = 'timeout';
  constructor(ms: number) {
    super(`the memory chart's upload took longer than ${ms} ms`);
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

/** The Web API's error code (`missing_scope`, `invalid_blocks`) of a refused call, as @slack/web-api reports it. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
}
