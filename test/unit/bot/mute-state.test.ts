// The mute an alert shows when it is redrawn from the store (bot/alert.ts withMuteState, mutedLine): as the Mutes
// store has it at that moment, whatever the stored or clicked blocks showed before.
import { describe, expect, it } from 'vitest';
import { ACTIONS, mutedLine, renderAlert, withCounter, withHandled, withMuteState, withMuted } from '../../../bot/alert.ts';
import { blockRole, isBlock } from '../../../bot/block-ids.ts';
import { T0 } from '../../support/k8s-factories.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const at = Date.parse('2026-11-27T10:05:00Z');
const hour = 3_600_000;
const ctx = { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: T0 };
const alert = () => withCounter(renderAlert(limitVerdict(), { ...ctx, buttons: { raise: { field: 'limit', value: '640Mi', label: 'Raise limit to 640Mi' } } }).blocks, 'OOMKilled 2× in 3 min · latest 10:15 UTC · see thread');
const actionIds = (blocks: unknown[]) => blocks.flatMap((b) => ((b as { elements?: { action_id?: string }[] }).elements ?? []).map((e) => e.action_id)).filter(Boolean);
const lineOf = (blocks: unknown[]) => (blocks.find((b) => isBlock(b, 'oombot-muted')) as { elements?: { text: string }[] } | undefined)?.elements?.[0]?.text;

describe('the muted line', () => {
  it.each([
    { mute: { until: at + hour, by: 'U0BOB', at }, line: '🔕 Muted for 1 h by <@U0BOB> until 11:05 UTC' },
    // A day is still said as the buttons say it, by the time alone.
    { mute: { until: at + 24 * hour, by: 'U0BOB', at }, line: '🔕 Muted for 24 h by <@U0BOB> until 10:05 UTC' },
    { mute: { until: at + 7 * 24 * hour, by: 'W0ENT', at }, line: '🔕 Muted for 7 d by <@W0ENT> until 2026-12-04 10:05 UTC' },
    { mute: { until: at + 30 * 60_000, by: 'U0BOB', at }, line: '🔕 Muted for 30 min by <@U0BOB> until 10:35 UTC' },
    // Kept before the store kept when a mute was made: no "for", and the day, since the span is not known.
    { mute: { until: at + hour, by: 'U0BOB' }, line: '🔕 Muted by <@U0BOB> until 2026-11-27 11:05 UTC' },
    // Not a Slack user id: shown as text, never as markup.
    { mute: { until: at + hour, by: '<!channel>', at }, line: '🔕 Muted for 1 h by &lt;!channel&gt; until 11:05 UTC' },
  ])('says $line', ({ mute, line }) => {
    expect(mutedLine(mute)).toBe(line);
  });
});

describe('an alert redrawn with its mute as it stands', () => {
  it('shows the line and Unmute while muted, in the Mute buttons’ place, whoever muted it last', () => {
    const muted = withMuteState(alert(), { until: at + hour, by: 'U0BOB', at });
    expect(lineOf(muted)).toBe('🔕 Muted for 1 h by <@U0BOB> until 11:05 UTC');
    expect(actionIds(muted)).toEqual([ACTIONS.raise, ACTIONS.unmute, ACTIONS.why]);
    // Muted again by someone else (or by /oom mute): one line, theirs.
    const again = withMuteState(muted, { until: at + 24 * hour, by: 'U0DAVE', at });
    expect(again.filter((b) => isBlock(b, 'oombot-muted'))).toHaveLength(1);
    expect(lineOf(again)).toBe('🔕 Muted for 24 h by <@U0DAVE> until 10:05 UTC');
    expect(actionIds(again)).toEqual([ACTIONS.raise, ACTIONS.unmute, ACTIONS.why]);
  });

  it('draws the two Mute buttons back and no line once unmuted or run out, from blocks that still showed the mute', () => {
    const stale = withMuted(withHandled(alert(), '✅ Handled'), '🔕 Muted for 1 h by <@U0BOB> until 11:05 UTC', ctx.incidentId);
    const back = withMuteState(stale, undefined);
    expect(lineOf(back)).toBeUndefined();
    expect(back.map((b) => blockRole(b)).filter(Boolean)).toEqual(['oombot-counter', 'oombot-handled', 'oombot-actions']);
    expect(actionIds(back)).toEqual([ACTIONS.mute1h, ACTIONS.mute24h, ACTIONS.why]);
    // Never muted: the same buttons as posted.
    expect(actionIds(withMuteState(alert(), undefined))).toEqual(actionIds(alert()));
  });

  it('leaves blocks without Mute buttons as they are: a storm root, a node’s OOM', () => {
    const blocks = [{ type: 'header' as const, text: { type: 'plain_text' as const, text: 'Node ran out of memory' } }];
    expect(withMuteState(blocks, { until: at + hour, by: 'U0BOB', at })).toBe(blocks);
  });
});
