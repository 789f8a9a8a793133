// Texts of oombot's own that carry cluster or user text into Slack — a Raise's refusal and its change, /oom's answers —
// each within its field's limit whatever was written, escaped, and never cut through an entity, an emoji or the
// clicker's mention (issue 16 item 2). test/unit/slack-payloads.property.test.ts checks them against generated text;
// these are the cases it found.
import { describe, expect, it } from 'vitest';
import { withHandled } from '../../../bot/alert.ts';
import { answerOom } from '../../../bot/oom-command.ts';
import { changeTexts, clickedChange, REASON_MAX, refusalText, refuse, type Patched } from '../../../bot/raise-outcome.ts';
import { SLACK_LIMITS } from '../../../bot/slack-limits.ts';

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** An admission webhook's denial as the API server passes it on: pages of it, with Slack's syntax and emoji. */
const webhookDenial = `admission webhook "policy.example" denied the request: <!channel> ${'😀 memory & <https://evil.example|x> '.repeat(400)}`;

describe('a Raise that is refused', () => {
  it('says the API server’s reason escaped and clipped, whole entities and whole emoji', () => {
    const refusal = refuse(`The patch of Deployment/checkout was refused by the API server: ${webhookDenial}`);
    expect(refusal.reason.length).toBeLessThanOrEqual(REASON_MAX);
    expect(refusal.reason).toMatch(/^The patch of Deployment\/checkout was refused by the API server: admission webhook "policy.example" denied the request: &lt;!channel&gt; 😀 memory &amp; &lt;https:\/\/evil\.example\|x&gt; /);
    expect(refusal.reason.endsWith('…')).toBe(true);
    expect(refusal.reason.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
    expect(refusal.reason).not.toMatch(loneSurrogate);
  });

  it('names who asked in the thread, and only the reason to the clicker', () => {
    const what = clickedChange('Raise limit to 640Mi');
    expect(refusalText(refuse('Deployment/checkout changed while I was checking it: nothing was changed.'), 'U0ALICE', what)).toBe(
      '⛔ <@U0ALICE> asked to raise limit to 640Mi: refused. Deployment/checkout changed while I was checking it: nothing was changed.',
    );
    expect(refusalText(refuse('You may not change memory in shop; ask #platform.', 'user'), 'U0ALICE', what)).toBe('⛔ You may not change memory in shop; ask #platform.');
  });
});

describe('a Raise that is applied', () => {
  const patched: Patched = { status: 'patched', target: 'shop/Deployment/checkout', container: 'api', field: 'limit', before: '512Mi', after: '640Mi', how: 'workload', next: 'Its pods roll out with the new value.' };

  it('says who changed what in the thread and on the alert', () => {
    expect(changeTexts(patched, 'U0ALICE', '10:20', 'ref-1')).toEqual({
      thread:
        '✅ <@U0ALICE> changed the memory limit of api in shop/Deployment/checkout: 512Mi → 640Mi (dry run passed; field manager oombot; 10:20 UTC). Its pods roll out with the new value. Put the same change in its source (Helm values, manifests), or the next deploy undoes it.',
      handled: '✅ Handled: memory limit 512Mi → 640Mi by <@U0ALICE> at 10:20 UTC',
    });
  });

  it('keeps the clicker’s mention whole on the alert however long the workload’s values and names are', () => {
    const long = { ...patched, target: `shop/Rollout/${'<!here> '.repeat(500)}`, before: '9'.repeat(5000) };
    const { thread, handled } = changeTexts(long, 'U0ALICE', '10:20', 'ref-1');
    expect(handled).toMatch(/by <@U0ALICE> at 10:20 UTC$/);
    expect(handled.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
    const redrawn = withHandled([{ type: 'header', text: { type: 'plain_text', text: 'h' } }, { type: 'actions', block_id: 'oombot-actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Why?' }, action_id: 'oombot_why', value: 'inc-1' }] }], handled);
    expect(redrawn[1]).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: handled }] });
    expect(thread).toContain('<@U0ALICE> changed the memory limit of api in shop/Rollout/&lt;!here&gt; ');
    expect(thread.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(thread.replace(/<@U0ALICE>/, '')).not.toMatch(/[<>]/);
  });
});

describe('/oom answers to what was typed', () => {
  const deps = { store: undefined as never, cluster: () => undefined, clusters: [] };

  it('asks for a cluster with its placeholder escaped, not as a link to nowhere', async () => {
    const reply = await answerOom(deps, 'why api-0 -n shop', 'U0ALICE');
    expect(reply.text).toBe('Which cluster? Add `--cluster &lt;name&gt;`; clusters I know: none yet (see OOMBOT_CLUSTERS).');
  });

  it('answers a very long bad command within a message’s text, the usage whole after it', async () => {
    const reply = await answerOom(deps, `why ${'😀<!channel>'.repeat(2000)}`, 'U0ALICE');
    expect(reply.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(reply.text).toMatch(/^"😀&lt;!channel&gt;😀/);
    expect(reply.text).toMatch(/…\n\n`\/oom why &lt;pod&gt; \[-n namespace\]/);
    expect(reply.text).not.toMatch(loneSurrogate);
    expect(reply.text.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
  });
});
