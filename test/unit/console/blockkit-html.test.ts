// The local console's Block Kit → HTML renderer: mrkdwn as Slack formats it, each block type oombot sends, buttons
// that carry what a click must send back, and cluster text treated as hostile (no script, no attribute, no link
// scheme gets through).
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../../bot/alert.ts';
import { escapeMrkdwn } from '../../../bot/slack-limits.ts';
import { blocksToHtml, messageBodyHtml } from '../../../console/blockkit-html.ts';
import { mrkdwnToHtml } from '../../../console/mrkdwn-html.ts';
import { diagnose } from '#shared/diagnose.ts';
import { container, node, pod, restartedStatus, T0 } from '../../support/k8s-factories.ts';

const link = (href: string, inner: string) => `<a class="bk-link" href="${href}" target="_blank" rel="noopener noreferrer">${inner}</a>`;

describe('mrkdwnToHtml', () => {
  it.each([
    ['bold, italic and strike', '*bold* _italic_ ~gone~', '<b>bold</b> <i>italic</i> <s>gone</s>'],
    ['nested emphasis', '*_both_*', '<b><i>both</i></b>'],
    ['markers inside words stay literal', 'snake_case_name and 2*3*4', 'snake_case_name and 2*3*4'],
    ['markers around spaces stay literal', '* not bold *', '* not bold *'],
    ['emphasis next to punctuation', '(*limit*), "_why_"', '(<b>limit</b>), &quot;<i>why</i>&quot;'],
    ['inline code, not formatted inside', 'run `a *b* <c>`', 'run <code class="bk-code">a *b* &lt;c&gt;</code>'],
    ['a pre block keeps its lines', '```line 1\n*line* 2```', '<pre class="bk-pre">line 1\n*line* 2</pre>'],
    ['a labelled link', '<https://example.com/runbook?a=1&amp;b=2|the *runbook*>', link('https://example.com/runbook?a=1&amp;b=2', 'the <b>runbook</b>')],
    ['a bare link', '<https://example.com/x>', link('https://example.com/x', 'https://example.com/x')],
    ['a mailto link', '<mailto:oncall@example.com|mail on-call>', link('mailto:oncall@example.com', 'mail on-call')],
    ['a user mention', 'ping <@U0LOCAL> and <@U999>', 'ping <span class="bk-mention">@you</span> and <span class="bk-mention">@U999</span>'],
    ['a channel with and without a name', '<#C1|oom-alerts> <#C2> <#C9>', '<span class="bk-mention">#oom-alerts</span> <span class="bk-mention">#general</span> <span class="bk-mention">#C9</span>'],
    ['special mentions', '<!here> <!subteam^S1|@sre> <!date^1764238443^{date}|27 Nov>', '<span class="bk-mention">@here</span> <span class="bk-mention">@sre</span> 27 Nov'],
    ['Slack’s entities become the characters they stand for', 'a &lt; b &gt; c &amp; d', 'a &lt; b &gt; c &amp; d'],
    ['entities are decoded once', '&amp;lt;', '&amp;lt;'],
    ['newlines', 'one\ntwo', 'one<br>two'],
  ])('renders %s', (_, input, html) => {
    expect(mrkdwnToHtml(input, { users: { U0LOCAL: 'you' }, channels: { C2: 'general' } })).toBe(html);
  });
});

describe('hostile text from the cluster', () => {
  const hostile = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    '<javascript:alert(1)|click me>',
    '<data:text/html,<script>alert(1)</script>|x>',
    '<https://ok.example/"onmouseover="alert(1)|x>',
    '```</pre><script>alert(1)</script>```',
    '`</code><img src=x onerror=alert(1)>`',
    '*<img src=x onerror=alert(1)>*',
    '<@U1|<img src=x onerror=alert(1)>>',
    '\uE0000\uE000 placeholder forgery',
  ];

  // Every `<` in the output opens a tag (text has its `<` escaped), so listing the tags lists all markup there is.
  const OWN_TAGS = /^<\/?(b|i|s|br|code class="bk-code"|pre class="bk-pre"|span class="bk-mention"|div class="[\w -]+"|h3 class="bk-header-text"|a class="bk-link" href="https?:[^"<>]*" target="_blank" rel="noopener noreferrer"|code|pre|span|div|h3|a)>$/;

  it.each(hostile)('renders %j with no element or attribute of its own', (text) => {
    for (const html of [mrkdwnToHtml(text), mrkdwnToHtml(escapeMrkdwn(text)), blocksToHtml([{ type: 'header', text: { type: 'plain_text', text } }])]) {
      for (const tag of html.match(/<[^>]*>/g) ?? []) expect(tag).toMatch(OWN_TAGS);
      expect(html).not.toMatch(/<(script|img|iframe|svg)/i);
    }
  });

  it('shows an unsafe link as the text that was sent, not as a link', () => {
    expect(mrkdwnToHtml('<javascript:alert(1)|click me>')).toBe('&lt;javascript:alert(1)|click me&gt;');
  });

  it('keeps a hostile button value and url inert in its attributes', () => {
    const html = blocksToHtml([
      {
        type: 'actions',
        block_id: 'b"><script>x</script>',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: '<b>Why?</b>' }, action_id: 'a" onclick="x', value: '"><img src=x onerror=alert(1)>' },
          { type: 'button', text: { type: 'plain_text', text: 'Runbook' }, action_id: 'r', url: 'javascript:alert(1)' },
        ],
      },
    ]);
    expect(html).toContain('data-action-id="a&quot; onclick=&quot;x"');
    expect(html).toContain('data-value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('data-block-id="b&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(html).toContain('>&lt;b&gt;Why?&lt;/b&gt;</button>');
    expect(html).not.toContain('javascript:');
    expect(html).not.toMatch(/<(script|img)/);
  });
});

describe('blocksToHtml', () => {
  it('renders a header as plain text, exactly as written', () => {
    expect(blocksToHtml([{ type: 'header', block_id: 'h', text: { type: 'plain_text', text: '🔴 a *b* &lt;' } }])).toBe(
      '<div class="bk-block bk-header" data-block-id="h"><h3 class="bk-header-text">🔴 a *b* &amp;lt;</h3></div>',
    );
  });

  it('renders a section with text, fields and a button accessory', () => {
    const html = blocksToHtml([
      {
        type: 'section',
        block_id: 's1',
        text: { type: 'mrkdwn', text: '*Limit* 512Mi' },
        fields: [
          { type: 'mrkdwn', text: '*Node*\nip-10-0-12-7' },
          { type: 'plain_text', text: 'QoS *Burstable*' },
        ],
        accessory: { type: 'button', text: { type: 'plain_text', text: 'Why?' }, action_id: 'oombot_why', value: 'inc-1' },
      },
    ]);
    expect(html).toBe(
      '<div class="bk-block bk-section" data-block-id="s1"><div class="bk-section-body"><div class="bk-text"><b>Limit</b> 512Mi</div>' +
        '<div class="bk-fields"><div class="bk-field"><b>Node</b><br>ip-10-0-12-7</div><div class="bk-field">QoS *Burstable*</div></div></div>' +
        '<div class="bk-accessory"><button type="button" class="bk-button" data-testid="action-button" data-action-id="oombot_why" data-block-id="s1" data-value="inc-1">Why?</button></div></div>',
    );
  });

  it('renders context elements, mrkdwn and plain text', () => {
    expect(blocksToHtml([{ type: 'context', elements: [{ type: 'mrkdwn', text: '_prod-eu_' }, { type: 'plain_text', text: '_x_' }, { type: 'image', image_url: 'https://x/y.png', alt_text: 'logo' }] }])).toBe(
      '<div class="bk-block bk-context"><span class="bk-context-text"><i>prod-eu</i></span><span class="bk-context-text">_x_</span><span class="bk-context-image" role="img" aria-label="logo">▪</span></div>',
    );
  });

  it('renders buttons with their style, url and confirm dialog', () => {
    const html = blocksToHtml([
      {
        type: 'actions',
        block_id: 'oombot-actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Raise limit to 640Mi' }, action_id: 'raise', value: 'inc-1', style: 'primary' },
          { type: 'button', text: { type: 'plain_text', text: 'Open runbook' }, action_id: 'runbook', url: 'https://wiki.example/oom?a=1&b=2' },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Mute 24 h' },
            action_id: 'mute',
            value: 'inc-1',
            style: 'danger',
            confirm: { title: { type: 'plain_text', text: 'Mute?' }, text: { type: 'mrkdwn', text: 'No alerts for *24 h*' }, confirm: { type: 'plain_text', text: 'Mute' }, deny: { type: 'plain_text', text: 'Keep' }, style: 'danger' },
          },
        ],
      },
    ]);
    expect(html).toContain('<button type="button" class="bk-button bk-button--primary" data-testid="action-button" data-action-id="raise" data-block-id="oombot-actions" data-value="inc-1">Raise limit to 640Mi</button>');
    expect(html).toContain('data-action-id="runbook" data-block-id="oombot-actions" data-url="https://wiki.example/oom?a=1&amp;b=2">Open runbook<span class="bk-external" aria-hidden="true"> ↗</span></button>');
    expect(html).toContain(
      'class="bk-button bk-button--danger" data-testid="action-button" data-action-id="mute" data-block-id="oombot-actions" data-value="inc-1" data-confirm-title="Mute?" data-confirm-text-html="No alerts for &lt;b&gt;24 h&lt;/b&gt;" data-confirm-ok="Mute" data-confirm-deny="Keep" data-confirm-style="danger">Mute 24 h</button>',
    );
  });

  it('renders a divider and rich text', () => {
    const html = blocksToHtml([
      { type: 'divider' },
      {
        type: 'rich_text',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'text', text: 'Limit ', style: { bold: true } },
              { type: 'text', text: '<512Mi>', style: { code: true } },
              { type: 'link', url: 'https://example.com', text: 'docs' },
              { type: 'user', user_id: 'U0LOCAL' },
              { type: 'emoji', name: 'red_circle', unicode: '1f534' },
            ],
          },
          { type: 'rich_text_list', style: 'ordered', indent: 1, elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'first' }] }] },
          { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'kubectl top pod' }] },
          { type: 'rich_text_quote', elements: [{ type: 'text', text: 'quoted', style: { italic: true, strike: true } }] },
        ],
      },
    ], { users: { U0LOCAL: 'you' } });
    expect(html).toBe(
      '<div class="bk-block bk-divider"><hr></div><div class="bk-block bk-rich-text">' +
        `<div class="bk-rich-section"><b>Limit </b><code class="bk-code">&lt;512Mi&gt;</code>${link('https://example.com', 'docs')}<span class="bk-mention">@you</span>🔴</div>` +
        '<ol class="bk-list bk-indent-1"><li><div class="bk-rich-section">first</div></li></ol>' +
        '<pre class="bk-pre">kubectl top pod</pre>' +
        '<blockquote class="bk-quote"><i><s>quoted</s></i></blockquote></div>',
    );
  });

  it('names what it does not draw instead of dropping it', () => {
    expect(blocksToHtml([{ type: 'input', element: {} }, { nope: 1 }, { type: 'actions', elements: [{ type: 'static_select' }] }])).toBe(
      '<div class="bk-unsupported">The local console does not draw a input block.</div>' +
        '<div class="bk-unsupported">The local console does not draw a block without a type.</div>' +
        '<div class="bk-block bk-actions"><div class="bk-unsupported">The local console does not draw a static_select element.</div></div>',
    );
  });

  it('shows a message without blocks as its text in mrkdwn', () => {
    expect(messageBodyHtml({ text: 'Muted *checkout*', blocks: [] })).toBe('<div class="bk-block bk-section"><div class="bk-text">Muted <b>checkout</b></div></div>');
  });

  it('renders a real alert: headline, escaped evidence, buttons with the incident id', () => {
    const verdict = diagnose({
      pod: pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, message: '<script>alert(1)</script>' }, 4)] }),
      node: node(),
      events: [],
    });
    const alert = renderAlert(verdict, { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: T0, buttons: { runbookUrl: 'https://wiki.example/oom' } });
    const html = blocksToHtml(alert.blocks);
    expect(html).toContain('<h3 class="bk-header-text">🔴 checkout › api was OOMKilled at its 512Mi memory limit</h3>');
    // The action names the size; no second line repeats it.
    expect(html).toContain('raise the limit to 640Mi (+25 %; fits the node)');
    expect(html).not.toContain('Recommendation:');
    expect(html).toContain('<b>Evidence</b>');
    expect(html).toContain('<button type="button" class="bk-button" data-testid="action-button" data-action-id="oombot_why" data-block-id="oombot-actions" data-value="inc-7f3a">Why?</button>');
    expect(html).toContain('data-action-id="oombot_runbook" data-block-id="oombot-actions" data-value="inc-7f3a" data-url="https://wiki.example/oom">Open runbook');
    expect(html).toContain('prod-eu · shop · deploy/checkout · ip-10-0-12-7 · 10:14 UTC · inc-7f3a');
    expect(html).not.toContain('<script');
  });
});
