// The console's workspace: Slack's rules for timestamps, threads, channel names and IDs, and the channels it knows.
// The message rules are slack-rules.test.ts's.
import { describe, expect, it } from 'vitest';
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

  it('knows only the channels declared when told so, each with whether the app is a member', () => {
    const ws = new Workspace(undefined, {}, (name) => `C${name.toUpperCase()}`);
    expect(ws.resolveChannel('#made')).toEqual({ id: 'CMADE', name: 'made' });
    ws.anyChannel = false;
    ws.declareChannel({ id: 'C0PRIVATE', name: '#secret', member: false });
    expect(ws.resolveChannel('#secret')).toEqual({ id: 'C0PRIVATE', name: 'secret', member: false });
    expect(ws.resolveChannel('C0PRIVATE')).toEqual({ id: 'C0PRIVATE', name: 'secret', member: false });
    expect(ws.resolveChannel('#typo')).toBeUndefined();
    expect(ws.resolveChannel('C0NOWHERE')).toBeUndefined();
    expect(ws.resolveChannel('#made')).toEqual({ id: 'CMADE', name: 'made' });
  });
});
