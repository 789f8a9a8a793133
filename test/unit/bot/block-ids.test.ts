// Block ids on update (bot/block-ids.ts): Slack asks for a new block_id on every update of a message, while oombot
// still finds its own blocks — the counter, the actions, the chart, the warning's header — by their role, and buttons
// still route by their unchanged action_id.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Block, KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerAlertAction } from '../../../bot/alert-actions.ts';
import { ACTIONS, CHART_BLOCK, renderAlert, withCounter, withHandled, withMuted, withUnmuted } from '../../../bot/alert.ts';
import { blockRole, holdsBlock, isBlock, renewBlockIds } from '../../../bot/block-ids.ts';
import { FileStore } from '../../../store/file.ts';
import { classifyCurve } from '#shared/memory-curve.ts';
import { encodeSeries } from '#shared/memory-series.ts';
import { T0 } from '../../support/k8s-factories.ts';
import { climb, makeSeries } from '../../support/memory-series.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const ctx = { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: T0 };
const picture = { fileId: 'F0CHART0001', title: 'checkout › api · memory before the kill', altText: 'Memory chart of container api' };
const alert = () => renderAlert(limitVerdict(), { ...ctx, buttons: { raise: { field: 'limit', value: '640Mi', label: 'Raise limit to 640Mi' } }, picture }).blocks;
const ids = (blocks: unknown[]) => blocks.map((b) => (b as { block_id?: string }).block_id);
const actionIds = (blocks: unknown[]) => blocks.flatMap((b) => ((b as { elements?: { action_id?: string }[] }).elements ?? []).map((e) => e.action_id)).filter(Boolean);

describe('block ids on update', () => {
  it('gives every block of a counter update a new id of the same role, and keeps the action ids', () => {
    const first = alert();
    const updated = withCounter(first, 'OOMKilled 3× in 12 min · latest 10:17 UTC · see thread');
    const own = ids(updated).filter((id): id is string => id !== undefined);
    expect(own.map((id) => id.replace(/\.[0-9a-z]+$/, ''))).toEqual(['oombot-counter', 'oombot-actions', 'oombot-chart']);
    for (const id of own) expect(id).toMatch(/^oombot-[a-z-]+\.[0-9a-z]+$/);
    expect(own.filter((id) => ids(first).includes(id))).toEqual([]);
    expect(actionIds(updated)).toEqual(actionIds(first));
  });

  it('gives the next update new ids again, and the same update sent twice the same ids', () => {
    const first = alert();
    const three = withCounter(first, 'OOMKilled 3× in 12 min · latest 10:17 UTC · see thread');
    const four = withCounter(three, 'OOMKilled 4× in 14 min · latest 10:19 UTC · see thread');
    expect(ids(four).filter((id) => id !== undefined && ids(three).includes(id))).toEqual([]);
    expect(withCounter(first, 'OOMKilled 3× in 12 min · latest 10:17 UTC · see thread')).toEqual(three);
    // The earlier counter is replaced, whatever its revision: one counter, after the header.
    expect(four.filter((b) => isBlock(b, 'oombot-counter'))).toHaveLength(1);
    expect(four[1]).toMatchObject({ elements: [{ text: 'OOMKilled 4× in 14 min · latest 10:19 UTC · see thread' }] });
  });

  it('redraws a handled alert from the blocks Slack sent back: its own ids revised, the ids Slack generated dropped', () => {
    // As a block_actions payload carries the message: Slack gave the blocks posted without an id ids of its own.
    const fromSlack = withCounter(alert(), 'OOMKilled 2× in 3 min · latest 10:15 UTC · see thread').map((b, i) => ((b as { block_id?: string }).block_id ? b : { ...b, block_id: `Xq${i}=` })) as (KnownBlock | Block)[];
    const handled = withHandled(fromSlack, '✅ Handled: memory limit 512Mi → 640Mi by <@U0ALICE> at 10:20 UTC');
    expect(handled.map((b) => blockRole(b) ?? (b as { block_id?: string }).block_id ?? b.type)).toEqual([
      'header',
      'oombot-counter',
      'section',
      'section',
      'section',
      'oombot-handled',
      'oombot-actions',
      'section',
      'oombot-chart',
      'context',
    ]);
    expect(actionIds(handled)).toEqual([ACTIONS.mute1h, ACTIONS.mute24h, ACTIONS.why]);
    expect(ids(handled).filter((id) => id !== undefined && ids(fromSlack).includes(id))).toEqual([]);
  });

  it('redraws a muted alert with who muted it until when and Unmute in the Mute buttons’ place, and back on Unmute', () => {
    const counted = withCounter(alert(), 'OOMKilled 2× in 3 min · latest 10:15 UTC · see thread');
    const muted = withMuted(counted, '🔕 Muted for 1 h by <@U0ALICE> until 11:15 UTC', ctx.incidentId);
    expect(muted.map((b) => blockRole(b) ?? b.type)).toEqual(['header', 'oombot-counter', 'section', 'section', 'section', 'oombot-muted', 'oombot-actions', 'section', 'oombot-chart', 'context']);
    expect(muted.find((b) => isBlock(b, 'oombot-muted'))).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: '🔕 Muted for 1 h by <@U0ALICE> until 11:15 UTC' }] });
    expect(actionIds(muted)).toEqual([ACTIONS.raise, ACTIONS.unmute, ACTIONS.why]);
    expect(ids(muted).filter((id) => id !== undefined && ids(counted).includes(id))).toEqual([]);
    // Muting again (the other button of another copy) keeps one line and one Unmute.
    expect(actionIds(withMuted(muted, '🔕 Muted for 24 h by <@U0BOB> until 10:20 UTC', ctx.incidentId))).toEqual([ACTIONS.raise, ACTIONS.unmute, ACTIONS.why]);
    const unmuted = withUnmuted(muted, ctx.incidentId);
    expect(unmuted.some((b) => isBlock(b, 'oombot-muted'))).toBe(false);
    expect(actionIds(unmuted)).toEqual(actionIds(counted));
    expect(unmuted.flatMap((b) => (b as { elements?: { value?: string }[] }).elements ?? []).filter((e) => e.value !== undefined).map((e) => e.value)).toEqual([ctx.incidentId, ctx.incidentId, ctx.incidentId, ctx.incidentId]);
    // A handled alert muted keeps its handled line, and loses no button it still had.
    const handledMuted = withMuted(withHandled(counted, '✅ Handled'), '🔕 Muted for 1 h by <@U0ALICE> until 11:15 UTC', ctx.incidentId);
    expect(handledMuted.map((b) => blockRole(b)).filter(Boolean)).toEqual(['oombot-counter', 'oombot-handled', 'oombot-muted', 'oombot-actions', 'oombot-chart']);
    expect(actionIds(handledMuted)).toEqual([ACTIONS.unmute, ACTIONS.why]);
  });

  it('leaves blocks that are not oombot’s without an id, and finds a role in stored JSON whatever its revision', () => {
    expect(renewBlockIds([{ type: 'divider', block_id: 'oombot-chart.x.y' }, { type: 'divider', block_id: 'abc' }])).toEqual([{ type: 'divider' }, { type: 'divider' }]);
    expect(holdsBlock(JSON.stringify(renewBlockIds([{ type: 'header', block_id: 'oombot-warning', text: { type: 'plain_text', text: 'w' } }])), 'oombot-warning')).toBe(true);
    expect(holdsBlock(JSON.stringify([{ type: 'header', block_id: 'oombot-warnings', text: { type: 'plain_text', text: 'w' } }]), 'oombot-warning')).toBe(false);
    expect(holdsBlock('not json', 'oombot-warning')).toBe(false);
  });
});

describe('Why? on an alert whose counter moved', () => {
  let dir: string;
  let store: FileStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oombot-block-ids-'));
    store = await FileStore.open(path.join(dir, 'store.json'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('still names the alert’s chart, found by its role under the revised id', async () => {
    const series = makeSeries({ minutes: 30, level: climb(380, 4), limitMi: 512, requestMi: 256, killedAfterSeconds: 20 });
    const verdict = { ...limitVerdict(), trajectory: { series: encodeSeries(series), curve: classifyCurve(series) } };
    await store.recordIncident({ incidentId: 'inc-7f3a', occurrenceId: 'occ-7f3a', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', kind: 'container-limit', headline: verdict.headline, occurredAt: T0, message: { channel: 'C1', ts: '1.000100' }, verdict });
    const updated = withCounter(renderAlert(verdict, { ...ctx, picture }).blocks, 'OOMKilled 2× in 3 min · latest 10:15 UTC · see thread');
    const answer = await answerAlertAction({ store }, ACTIONS.why, 'inc-7f3a', 'U0ALICE', { blocks: updated });
    expect(answer?.blocks?.[1]).toEqual({ type: 'image', block_id: CHART_BLOCK, slack_file: { id: 'F0CHART0001' }, alt_text: picture.altText, title: { type: 'plain_text', text: picture.title } });
  });
});
