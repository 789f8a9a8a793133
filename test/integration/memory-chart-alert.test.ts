// The memory chart of an alert (issue 12 item 4), through the real post path — a version-2 envelope with the samples
// the forwarder kept, enriched from the real API server, recorded in DynamoDB (dynalite) — and the real @slack/web-api
// client against the Slack double, which enforces the external upload flow and the image block's rules
// (console/slack-files.ts): the chart is uploaded privately and named by the alert's image block; without the
// files:write scope, or when an upload step fails, runs late or Slack refuses the picture, the alert goes out at once
// with a one-line sparkline instead. `/oom why` and the Why? button show the same chart, and so does the local console.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionJob, responseUrlPoster } from '../../bot/actions.ts';
import { answerAlertAction } from '../../bot/alert-actions.ts';
import { ACTIONS, CHART_BLOCK, renderAlert } from '../../bot/alert.ts';
import { isBlock } from '../../bot/block-ids.ts';
import { slackChartPublisher, type ChartPublisher } from '../../bot/chart-upload.ts';
import { withLogger } from '../../bot/failures.ts';
import { postOccurrence, type PostDeps } from '../../bot/post-occurrence.ts';
import { startConsole } from '../../console/server.ts';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { kubeConfigTransport } from '../../kube/rest.ts';
import { ENVELOPE_VERSION_WITH_MEMORY, safeParseEnvelope, type Envelope } from '#shared/envelope.ts';
import { jsonLines } from '#shared/log.ts';
import { classifyCurve } from '#shared/memory-curve.ts';
import { encodeSeries, type MemorySeries } from '#shared/memory-series.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import type { Verdict } from '#shared/verdict.ts';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';
import { climb, makeSeries } from '../support/memory-series.ts';
import { createDeploymentChain } from '../support/owner-chain.ts';
import { decodePng } from '../support/png-decode.ts';
import { startSlackApi, type PostedMessage, type SlackApiServer } from '../../console/slack-api.ts';
import { limitVerdict } from '../support/verdicts.ts';
import { createNamespace, createNode, createPodAsKubelet, useControlPlane } from './harness.ts';

const cluster = useControlPlane();
let dynamo: LocalDynamo;
let slack: SlackApiServer;
let web: WebClient;
let checkoutRs = '';
let table = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  slack = await startSlackApi();
  // The alerts of these tests go to one channel in quick succession; the double's rate limit is another test's matter
  // (post-occurrence.test.ts), and its 429s would only add retried calls to the sequences asserted here.
  slack.perChannelRateLimit = false;
  web = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 10 } });
  await createNamespace(cluster.admin, 'shop');
  await createNode(cluster.admin, node() as unknown as V1Node);
  checkoutRs = (await createDeploymentChain(cluster.admin, 'shop', 'checkout')).rsUid;
});
afterAll(async () => {
  await slack?.close();
  await dynamo?.close();
});

/** A fresh table, and a fresh publisher (whose memory of a missing scope is its own), per test. */
async function fresh(charts?: ChartPublisher): Promise<PostDeps & { store: DynamoStore }> {
  const name = `oombot-chart-${++table}`;
  await dynamo.createTable(name);
  return { store: new DynamoStore(dynamo.client, name), slack: web.chat, charts: charts ?? slackChartPublisher(web.files), cluster: transport, routing: { defaultChannel: 'C-ALERTS' } };
}

const transport = (c: string) => (c === 'prod-eu' ? kubeConfigTransport(cluster.admin) : undefined);

/** 30 min at 30 s, climbing 4 MiB/min to the 512Mi limit; killed 20 s after the last sample. */
const climbing = (): MemorySeries => makeSeries({ minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });

/** checkout's pod whose api container was OOM-killed when `drawn` ends, and has restarted `restarts` times since. */
function killedPod(podName: string, drawn: MemorySeries, restarts: number, uid?: string) {
  const finishedAt = new Date(drawn.killedAt!).toISOString().replace('.000Z', 'Z');
  return pod({ name: podName, ...(uid ? { uid } : {}), deployment: 'checkout', rsUid: checkoutRs, containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt }, restarts)] });
}

/** The pod in the API server, written as the kubelet writes it; answers its uid. */
async function createKilledPod(podName: string, drawn: MemorySeries, restarts: number): Promise<string> {
  const { status, ...spec } = killedPod(podName, drawn, restarts);
  const created = await createPodAsKubelet(cluster.admin, { ...spec, metadata: { ...spec.metadata, uid: undefined } } as unknown as V1Pod, status as never);
  return created.metadata!.uid!;
}

/** The envelope of api's OOM kill in `podName`, carrying its samples, as analyze parses it from the bus. */
function envelopeOf(podName: string, drawn: MemorySeries, restarts = 3, uid?: string): Envelope {
  const p = killedPod(podName, drawn, restarts, uid);
  const [occurrence] = podOccurrences('prod-eu', p);
  const v1 = buildEnvelope('prod-eu', occurrence!, trimPod(p), [], new Date(drawn.killedAt! + 1000));
  const parsed = safeParseEnvelope(JSON.parse(JSON.stringify({ ...v1, version: ENVELOPE_VERSION_WITH_MEMORY, memory: { series: encodeSeries(drawn) } })));
  if (!parsed.success) throw new Error(parsed.error);
  return parsed.data;
}

/** Logs written while `work` runs (bot/failures.ts's logger), parsed. */
async function logged<T>(work: () => Promise<T>): Promise<{ result: T; lines: { level: string; msg: string }[] }> {
  const lines: { level: string; msg: string }[] = [];
  const result = await withLogger(jsonLines({ write: (line) => lines.push(JSON.parse(line) as { level: string; msg: string }), level: 'warn' }), work);
  return { result, lines };
}

const since = (n: number) => slack.calls.slice(n).map((c) => c.method);
/** The chart's block, by its role: an updated message carries it under a revised id (bot/block-ids.ts). */
const chartBlock = (m: PostedMessage | undefined) => m?.blocks?.find((b) => isBlock(b, CHART_BLOCK)) as Record<string, unknown> | undefined;
const SPARKLINE = /^Memory, 30 min before the kill: `[▁▂▃▄▅▆▇█ ]+` peak \d+(\.\d)?Mi of 512Mi$/;

describe('an alert with the memory before the kill', () => {
  let deps: PostDeps & { store: DynamoStore };
  let alert: PostedMessage;

  it('uploads its chart privately through the external flow and names the file in an image block', async () => {
    deps = await fresh();
    // The pod as the API server has it, so that `/oom why` later finds this very termination's incident.
    const uid = await createKilledPod('checkout-7d9f8b6c5-ch4rt', climbing(), 3);
    const calls = slack.calls.length;
    const outcome = await postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-ch4rt', climbing(), 3, uid));
    expect(outcome).toMatchObject({ status: 'posted', channel: 'C-ALERTS' });
    expect(since(calls)).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal', 'chat.postMessage']);

    const [open, sent, complete] = slack.calls.slice(calls);
    expect(open!.args).toMatchObject({ filename: 'memory-shop-api.png', alt_txt: expect.stringMatching(/^Memory chart of container api: working set over the 30 min before it was killed, peaking at \d+(\.\d)?Mi \(limit 512Mi, request 256Mi\); the curve is a steady, leak-like climb\.$/) });
    expect(sent!.args).toMatchObject({ bytes: Number(open!.args['length']), status: 200 });
    // Completed without a channel: private, so the PNG is not posted a second time beside the alert.
    expect(complete!.args['channel_id']).toBeUndefined();
    const [{ id, title }] = JSON.parse(String(complete!.args['files'])) as [{ id: string; title: string }];
    expect(title).toBe('checkout › api · memory before the kill');
    const file = slack.files.lookup({ id });
    expect(file).toMatchObject({ mimetype: 'image/png', channels: [], title });
    expect(decodePng(slack.files.bytes(id)!.data)).toMatchObject({ width: 480, height: 220 });

    alert = slack.messages.at(-1)!;
    expect(chartBlock(alert)).toEqual({ type: 'image', block_id: 'oombot-chart', slack_file: { id }, alt_text: open!.args['alt_txt'], title: { type: 'plain_text', text: title } });
    expect(JSON.stringify(alert.blocks)).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    // The incident keeps the trajectory the chart was drawn from, for /oom why and the Why? button.
    const [incident] = await deps.store.recentIncidents('prod-eu');
    expect(incident!.verdict.trajectory?.curve.kind).toBe('leak');
  });

  it('replies to a repeat with its sparkline and uploads nothing more: one picture per alert', async () => {
    const calls = slack.calls.length;
    const outcome = await postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-ch4rt', climbing(), 4));
    expect(outcome).toMatchObject({ status: 'threaded' });
    expect(since(calls).filter((m) => m.startsWith('files.') || m === 'upload')).toEqual([]);
    const reply = slack.messages.at(-1)!;
    expect(reply.threadTs).toBe(alert.ts);
    expect(chartBlock(reply)).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringMatching(SPARKLINE) }] });
    // The root's counter was redrawn with its picture still in place: the file is still one Slack has.
    const root = slack.messages.find((m) => m.ts === alert.ts)!;
    expect(root.updates).toBe(1);
    expect(chartBlock(root)).toEqual({ ...chartBlock(alert), block_id: expect.stringMatching(/^oombot-chart\.[0-9a-z]+$/) });
  });

  it('shows the same chart under the Why? button, naming the alert’s file again', async () => {
    const [incident] = await deps.store.recentIncidents('prod-eu');
    const answer = await answerAlertAction(deps, ACTIONS.why, incident!.incidentId, 'U0ALICE', { blocks: alert.blocks! });
    // A new message: the chart's block under its role's own id, whatever revision the alert shows now.
    expect(answer?.blocks?.[1]).toEqual({ ...chartBlock(alert), block_id: CHART_BLOCK });
    // As the slack function sends it: the double's response_url refuses an image naming a file it does not have.
    await responseUrlPoster([slack.url])(`${slack.url}/respond/why-button`, { ...answer, withoutPicture: undefined });
    expect(slack.responses.at(-1)).toMatchObject({ path: '/respond/why-button', body: { blocks: [expect.anything(), { ...chartBlock(alert), block_id: CHART_BLOCK }] } });
    // An alert that went out with its sparkline gets its Why? answered with the sparkline.
    const plain = await answerAlertAction(deps, ACTIONS.why, incident!.incidentId, 'U0ALICE', { blocks: [] });
    expect(plain?.blocks).toBeUndefined();
    expect(plain?.text.split('\n')[1]).toMatch(SPARKLINE);
  });

  it('shows the chart of the termination’s alert in /oom why, uploaded again, at the response_url', async () => {
    const calls = slack.calls.length;
    await runActionJob(
      { store: deps.store, cluster: transport, clusters: ['prod-eu'], policy: {}, slack: web.chat, respond: responseUrlPoster([slack.url]), charts: slackChartPublisher(web.files) },
      { kind: 'why', text: 'why checkout-7d9f8b6c5-ch4rt -n shop', userId: 'U0ALICE', responseUrl: `${slack.url}/respond/oom-why` },
    );
    expect(since(calls)).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    // Drawn from the trajectory the alert's chart was drawn from: the same picture, byte for byte.
    expect(slack.calls.at(-3)!.args['alt_txt']).toBe(chartBlock(alert)!['alt_text']);
    const [{ id }] = JSON.parse(String(slack.calls.at(-1)!.args['files'])) as [{ id: string }];
    const first = (chartBlock(alert)!['slack_file'] as { id: string }).id;
    expect(slack.files.bytes(id)!.data.equals(slack.files.bytes(first)!.data)).toBe(true);
    const answer = slack.responses.at(-1)!;
    expect(answer.path).toBe('/respond/oom-why');
    expect(String(answer.body['text'])).toBe('checkout › api was OOMKilled at its 512Mi memory limit (prod-eu)');
    const blocks = answer.body['blocks'] as Record<string, unknown>[];
    expect(blocks.find((b) => b['block_id'] === 'oombot-chart')).toMatchObject({ type: 'image', slack_file: { id }, title: { text: 'checkout › api · memory before the kill' } });
    expect(answer.body['withoutPicture']).toBeUndefined();
  });
});

describe('an alert is never lost for want of a picture', () => {
  it('shows the sparkline and no image block without the files:write scope, and says so in the log once', async () => {
    slack.scopes.delete('files:write');
    try {
      const deps = await fresh();
      // Another alert of its own (a table of its own: no repeat group), through the same publisher.
      const other = { ...(await fresh()), charts: deps.charts! };
      const calls = slack.calls.length;
      const { lines } = await logged(async () => {
        await postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-nosc1', climbing()));
        await postOccurrence(other, envelopeOf('checkout-7d9f8b6c5-nosc2', climbing(), 5));
      });
      // Asked once; the second alert does not ask again while the scope is known to be missing.
      expect(since(calls)).toEqual(['files.getUploadURLExternal', 'chat.postMessage', 'chat.postMessage']);
      for (const message of slack.messages.slice(-2)) {
        expect(chartBlock(message)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(SPARKLINE) }] });
        expect(message.blocks!.some((b) => (b as { type: string }).type === 'image')).toBe(false);
      }
      expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', expect.stringContaining('lacks the files:write scope')]]);
    } finally {
      slack.scopes.add('files:write');
    }
  });

  it('shows the sparkline when the upload URL fails, without completing the upload', async () => {
    const deps = await fresh();
    slack.failUploads(1, 500);
    const calls = slack.calls.length;
    const { result, lines } = await logged(() => postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-upl01', climbing())));
    expect(result).toMatchObject({ status: 'posted' });
    expect(since(calls)).toEqual(['files.getUploadURLExternal', 'upload', 'chat.postMessage']);
    expect(slack.calls.at(-2)!.args['status']).toBe(500);
    expect(chartBlock(slack.messages.at(-1))).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(SPARKLINE) }] });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'the memory chart could not be drawn or uploaded; the message shows a sparkline instead']]);
  });

  it('gives up an upload that runs past its budget and posts with the sparkline then', async () => {
    const deps = await fresh(slackChartPublisher(web.files, { budgetMs: 400 }));
    slack.uploadDelayMs = 3_000;
    try {
      const started = performance.now();
      const { result } = await logged(() => postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-slow1', climbing())));
      const took = performance.now() - started;
      expect(result).toMatchObject({ status: 'posted' });
      expect(took).toBeLessThan(2_500);
      expect(chartBlock(slack.messages.at(-1))).toMatchObject({ type: 'context' });
    } finally {
      slack.uploadDelayMs = 0;
    }
  });

  it('posts the alert with its sparkline at once when Slack refuses the picture (a file it cannot show yet)', async () => {
    const unusable: ChartPublisher = async () => ({ fileId: 'F0NOTHERE01', title: 'checkout › api · memory before the kill', altText: 'Memory chart' });
    const deps = await fresh(unusable);
    const calls = slack.calls.length;
    const { result, lines } = await logged(() => postOccurrence(deps, envelopeOf('checkout-7d9f8b6c5-ref01', climbing())));
    expect(result).toMatchObject({ status: 'posted' });
    expect(since(calls)).toEqual(['chat.postMessage', 'chat.postMessage']);
    const root = slack.messages.at(-1)!;
    expect(chartBlock(root)).toMatchObject({ type: 'context' });
    expect(lines.map((l) => l.msg)).toEqual(['Slack refused the alert with its memory chart; it was posted with a sparkline instead']);
    // What the group remembers for its counter is the alert as posted, not the refused one.
    const [incident] = await deps.store.recentIncidents('prod-eu');
    expect(incident!.message.ts).toBe(root.ts);
  });
});

describe('the Slack double keeps Slack’s upload rules over HTTP', () => {
  const open = async (bytes: Uint8Array) => (await web.files.getUploadURLExternal({ filename: 'm.png', length: bytes.length })) as { upload_url: string; file_id: string };
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

  it('answers missing_scope, naming the scope, to a token without files:write', async () => {
    slack.scopes.delete('files:write');
    try {
      await expect(open(PNG)).rejects.toMatchObject({ data: { ok: false, error: 'missing_scope', needed: 'files:write', provided: 'chat:write,commands,usergroups:read' } });
    } finally {
      slack.scopes.add('files:write');
    }
  });

  it('takes exactly the announced bytes, keeps nothing of a failed upload, and completes only what arrived', async () => {
    const short = await open(PNG);
    expect((await fetch(short.upload_url, { method: 'POST', body: PNG.subarray(1) })).status).toBe(400);
    const failed = await open(PNG);
    slack.failUploads(1, 503);
    expect((await fetch(failed.upload_url, { method: 'POST', body: PNG })).status).toBe(503);
    for (const { file_id } of [short, failed]) await expect(web.files.completeUploadExternal({ files: [{ id: file_id }] })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    const good = await open(PNG);
    expect((await fetch(good.upload_url, { method: 'POST', body: PNG })).status).toBe(200);
    expect(await web.files.completeUploadExternal({ files: [{ id: good.file_id, title: 'm' }] })).toMatchObject({ ok: true, files: [{ id: good.file_id, title: 'm', mimetype: 'image/png', channels: [] }] });
  });

  it('refuses an image block naming an unknown file in chat.postMessage, chat.update and at a response_url', async () => {
    slack.seed({ channel: 'C-SEEDED', ts: '1700000000.000100', text: 'x' });
    const blocks = [{ type: 'image', slack_file: { id: 'F0NOTHERE01' }, alt_text: 'm' }];
    const refused = { data: { error: 'invalid_blocks', errors: ['invalid slack file [json-pointer:/blocks/0/slack_file]'] } };
    await expect(web.chat.postMessage({ channel: 'C-SEEDED', text: 'x', blocks })).rejects.toMatchObject(refused);
    await expect(web.chat.update({ channel: 'C-SEEDED', ts: '1700000000.000100', text: 'x', blocks })).rejects.toMatchObject(refused);
    const res = await fetch(`${slack.url}/respond/refused`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x', blocks }) });
    expect([res.status, await res.json()]).toEqual([404, { ok: false, ...refused.data }]);
  });
});

describe('the local console', () => {
  it('takes the same upload flow and shows the chart in the alert it draws', async () => {
    const local = await startConsole({ botToken: 'xoxb-local', signingSecret: 'console-test-secret', appUrl: 'http://127.0.0.1:9/slack/events' });
    try {
      const client = new WebClient('xoxb-local', { slackApiUrl: local.slackApiUrl, retryConfig: { retries: 0 } });
      const drawn = climbing();
      const verdict: Verdict = { ...limitVerdict(), trajectory: { series: encodeSeries(drawn), curve: classifyCurve(drawn) } };
      const picture = await slackChartPublisher(client.files)(verdict);
      expect(picture?.fileId).toMatch(/^F[A-Z0-9]{10}$/);
      const alert = renderAlert(verdict, { cluster: 'prod-eu', incidentId: 'inc-local', occurredAt: new Date(drawn.killedAt!).toISOString(), picture: picture! });
      await client.chat.postMessage({ channel: '#oom-alerts', text: alert.text, blocks: alert.blocks });

      const page = await (await fetch(local.url)).text();
      const src = new RegExp(`<img class="bk-image" src="(/files-pri/${picture!.fileId}/[^"]+)" alt="Memory chart of container api: [^"]+" data-testid="image">`).exec(page)?.[1];
      expect(src).toBeDefined();
      const image = await fetch(`${local.url}${src}`);
      expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
      expect(decodePng(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 480, height: 220 });
      // As Slack does, the console refuses a message naming a file it does not have.
      await expect(client.chat.postMessage({ channel: '#oom-alerts', text: 'x', blocks: [{ type: 'image', slack_file: { id: 'F0NOTHERE01' }, alt_text: 'x' }] })).rejects.toMatchObject({ data: { error: 'invalid_blocks', errors: ['invalid slack file [json-pointer:/blocks/0/slack_file]'] } });
    } finally {
      await local.close();
    }
  });
});
