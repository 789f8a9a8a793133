// The console's workspace and message checks: Slack's rules for timestamps, threads, channel names and IDs, and the
// errors Slack gives a message it refuses.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../../console/slack-rules.ts';
import { Workspace, type WorkspaceChange } from '../../../console/workspace.ts';

const message = (channel: string, extra: { threadTs?: string; ephemeral?: boolean } = {}) => ({ channel, text: 'x', blocks: [], ephemeral: false, author: 'app' as const, ...extra });

describe('Workspace', () => {
  it('hands out unique, increasing timestamps in Slack’s format, even when the clock stands still or goes back', () => {
    const ws = new Workspace();
    const now = Date.parse('2026-11-27T10:14:03.000Z');
    expect([ws.nextTs(now), ws.nextTs(now), ws.nextTs(now - 5000), ws.nextTs(now + 1)]).toEqual(['1795774443.000000', '1795774443.000001', '1795774443.000002', '1795774443.001000']);
  });

  it('keeps timestamps increasing across a restart from its snapshot', () => {
    const ws = new Workspace();
    const last = ws.nextTs(Date.now() + 60_000);
    expect(new Workspace(ws.snapshot()).nextTs() > last).toBe(true);
  });

  it('resolves a channel name to one channel ID, and takes an ID as given', () => {
    const ws = new Workspace(undefined, { C0ALERTS: '#oom-alerts' });
    expect(ws.resolveChannel('#oom-alerts')).toEqual({ id: 'C0ALERTS', name: 'oom-alerts' });
    const created = ws.resolveChannel('#team-shop');
    expect(created).toEqual({ id: 'C0LOCAL002', name: 'team-shop' });
    expect(ws.resolveChannel('team-shop')).toBe(created);
    expect(ws.resolveChannel('C024BE91L')).toEqual({ id: 'C024BE91L', name: 'C024BE91L' });
  });

  it('moves a reply to a reply into the root’s thread', () => {
    const ws = new Workspace();
    const root = ws.post(message('C1'));
    const reply = ws.post(message('C1', { threadTs: root.ts }));
    expect(ws.post(message('C1', { threadTs: reply.ts })).threadTs).toBe(root.ts);
  });

  it('reports each change, and leaves ephemeral messages out of its snapshot', () => {
    const ws = new Workspace();
    const changes: WorkspaceChange['kind'][] = [];
    ws.onChange((c) => changes.push(c.kind));
    const kept = ws.post(message('C1'));
    const ephemeral = ws.post(message('C1', { ephemeral: true }));
    ws.update(kept, { text: 'edited' });
    ws.remove(ephemeral);
    expect(changes).toEqual(['message', 'message', 'update', 'delete']);
    expect(ws.snapshot().messages).toEqual([{ ...kept, text: 'edited', updates: 1 }]);
  });
});

describe('checkMessage', () => {
  const button = (extra: object = {}) => ({ type: 'button', text: { type: 'plain_text', text: 'Why?' }, action_id: 'why', ...extra });

  it.each([
    ['neither text nor blocks', {}, { ok: false, error: 'no_text' }],
    ['empty text and no blocks', { text: '', blocks: '[]' }, { ok: false, error: 'no_text' }],
    ['blocks that are not JSON', { text: 'x', blocks: '[{' }, { ok: false, error: 'invalid_blocks_format' }],
    ['blocks that are not an array', { text: 'x', blocks: '{"type":"divider"}' }, { ok: false, error: 'invalid_blocks_format' }],
    ['text past 40,000 characters', { text: 'x'.repeat(40_001) }, { ok: false, error: 'msg_too_long' }],
    ['51 blocks', { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, { ok: false, error: 'invalid_blocks', errors: ['must provide no more than 50 items [json-pointer:/blocks]'] }],
    ['a long header', { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }, { ok: false, error: 'invalid_blocks', errors: ['must be less than 151 characters [json-pointer:/blocks/0/text/text]'] }],
    ['a mrkdwn header', { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }, { ok: false, error: 'invalid_blocks', errors: ['must be a plain_text text object [json-pointer:/blocks/0/text]'] }],
    ['a long section', { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }, { ok: false, error: 'invalid_blocks', errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] }],
    ['two blocks with one block_id', { blocks: [{ type: 'divider', block_id: 'a' }, { type: 'divider', block_id: 'a' }] }, { ok: false, error: 'invalid_blocks', errors: ['duplicate block_id a [json-pointer:/blocks/1/block_id]'] }],
    ['two buttons with one action_id', { blocks: [{ type: 'actions', elements: [button(), button()] }] }, { ok: false, error: 'invalid_blocks', errors: ['duplicate action_id why [json-pointer:/blocks/0/elements/1/action_id]'] }],
    ['a button value past 2,000 characters', { blocks: [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }] }, { ok: false, error: 'invalid_blocks', errors: ['must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]'] }],
    ['a confirm without deny', { blocks: [{ type: 'actions', elements: [button({ confirm: { title: { type: 'plain_text', text: 't' }, text: { type: 'plain_text', text: 't' }, confirm: { type: 'plain_text', text: 'ok' } } })] }] }, { ok: false, error: 'invalid_blocks', errors: ['missing required field [json-pointer:/blocks/0/elements/0/confirm/deny]'] }],
    ['a context with 11 elements', { blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }, { ok: false, error: 'invalid_blocks', errors: ['must provide no more than 10 items [json-pointer:/blocks/0/elements]'] }],
    ['blocks without text (Slack only warns)', { blocks: '[{"type":"divider"}]' }, { ok: true, text: undefined, blocks: [{ type: 'divider' }] }],
  ])('answers %s as Slack does', (_, args, expected) => {
    expect(checkMessage(args)).toEqual(expected);
  });
});
