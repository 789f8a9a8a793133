// The console page as served: names a Playwright test can drive, threads under their root, ephemeral answers marked,
// everything from the workspace escaped, and an inline script that only runs with the response's nonce.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, messageHtml, pageHtml } from '../../../console/page.ts';
import type { ConsoleMessage } from '../../../console/workspace.ts';

const msg = (ts: string, extra: Partial<ConsoleMessage> = {}): ConsoleMessage => ({ channel: 'C1', ts, text: 'hello', blocks: [], ephemeral: false, author: 'app', updates: 0, ...extra });
const view = {
  seq: 7,
  nonce: 'bm9uY2U=',
  command: '/oom',
  botName: 'oombot',
  userId: 'U0LOCAL',
  channels: [
    { id: 'C1', name: 'oom-alerts' },
    { id: 'C2', name: '"><script>alert(1)</script>' },
  ],
  messages: [msg('1764238443.000100'), msg('1764238443.000200', { threadTs: '1764238443.000100', text: 'again' }), msg('1764238443.000300', { ephemeral: true, command: '/oom why <x>', text: 'answer' })],
  render: {},
};

describe('pageHtml', () => {
  const html = pageHtml(view);

  it('puts replies in a collapsible thread under their root', () => {
    expect(html).toContain('<div class="entry" data-root-ts="1764238443.000100"><article class="msg" data-testid="message" data-channel="C1" data-ts="1764238443.000100">');
    expect(html).toMatch(/<details class="thread" data-testid="thread" data-thread-ts="1764238443\.000100" open><summary>1 reply<\/summary><div class="replies"><article class="msg" data-testid="message" data-channel="C1" data-ts="1764238443\.000200" data-thread-ts="1764238443\.000100">/);
  });

  it('marks an ephemeral answer and shows the command it answers, escaped', () => {
    expect(html).toContain('data-ts="1764238443.000300" data-ephemeral="true">');
    expect(html).toContain('<div class="msg-ephemeral" data-testid="ephemeral-note">👁 Only visible to you</div><div class="msg-command" data-testid="command-echo">/oom why &lt;x&gt;</div>');
  });

  it('escapes channel names everywhere they appear', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('#&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('gives the controls accessible names and test ids, and opens the latest channel', () => {
    expect(html).toContain('<body data-seq="7" data-command="/oom" data-current-channel="C1">');
    expect(html).toContain('aria-label="/oom command"');
    expect(html).toContain('<button type="button" class="channel" data-testid="channel" data-channel="C1" data-name="oom-alerts" aria-current="true">');
    expect(html).toContain('<dialog id="confirm-dialog" data-testid="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">');
    expect(html).toContain('data-testid="channel-pane" data-channel="C2" aria-label="#&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" hidden>');
  });

  it('inlines its style and script under the nonce the CSP allows, and loads nothing else', () => {
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script nonce="bm9uY2U=">']);
    expect(html.match(/<style[^>]*>/g)).toEqual(['<style nonce="bm9uY2U=">']);
    expect(html).not.toMatch(/<link|<img|src=|\son[a-z]+=/);
    expect(contentSecurityPolicy('bm9uY2U=')).toBe("default-src 'none'; script-src 'nonce-bm9uY2U='; style-src 'nonce-bm9uY2U='; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  });

  it('ships a script that parses', () => {
    const script = readFileSync(new URL('../../../console/page-client.js', import.meta.url), 'utf8');
    expect(() => new Function(script)).not.toThrow();
  });
});

describe('messageHtml', () => {
  it('says who wrote it, when, and whether it was edited', () => {
    expect(messageHtml(msg('1764238443.000100', { author: 'slackbot', updates: 2, text: '*x*' }), { botName: 'oombot', render: {} })).toBe(
      '<article class="msg" data-testid="message" data-channel="C1" data-ts="1764238443.000100"><div class="msg-meta"><span class="msg-author">Slackbot</span>' +
        '<time datetime="2025-11-27T10:14:03.000Z">10:14:03 UTC</time><span class="msg-edited">(edited)</span></div>' +
        '<div class="msg-body"><div class="bk-block bk-section"><div class="bk-text"><b>x</b></div></div></div></article>',
    );
  });
});
