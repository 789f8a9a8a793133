// The console's one page: channels on the left, each channel's messages with their threads, ephemeral answers marked
// "Only visible to you", and a `/oom` box. Rendered on the server (so it reads without JavaScript); the inline script
// (page-client.js) keeps it live from /events and sends clicks and commands back. Self-contained: no CDN, no build
// step; the CSS and script are inline and allowed by a per-response nonce in a strict Content-Security-Policy, so even
// markup that slipped through escaping could not run a script, load anything or post a form elsewhere.
import { readFileSync } from 'node:fs';
import { messageBodyHtml, type RenderOptions } from './blockkit-html.ts';
import { escapeHtml } from './mrkdwn-html.ts';
import type { Channel, ConsoleMessage } from './workspace.ts';

export interface PageView {
  seq: number;
  nonce: string;
  command: string;
  botName: string;
  userId: string;
  channels: Channel[];
  messages: ConsoleMessage[];
  render: RenderOptions;
  /** A line above the messages (console/server.ts's setBanner). */
  banner?: string | undefined;
}

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** One message as an <article>: who, when, "Only visible to you", the command it answers, its blocks. */
export function messageHtml(m: ConsoleMessage, view: Pick<PageView, 'botName' | 'render'>): string {
  const when = new Date(Number(m.ts.split('.')[0]) * 1000);
  const attrs = [
    `data-testid="message"`,
    `data-channel="${escapeHtml(m.channel)}"`,
    `data-ts="${escapeHtml(m.ts)}"`,
    m.threadTs !== undefined ? `data-thread-ts="${escapeHtml(m.threadTs)}"` : '',
    m.ephemeral ? 'data-ephemeral="true"' : '',
  ].filter(Boolean);
  const author = m.author === 'slackbot' ? 'Slackbot' : view.botName;
  return [
    `<article class="msg${m.ephemeral ? ' msg--ephemeral' : ''}" ${attrs.join(' ')}>`,
    `<div class="msg-meta"><span class="msg-author">${escapeHtml(author)}</span>`,
    m.author === 'app' ? '<span class="msg-badge">APP</span>' : '',
    `<time datetime="${when.toISOString()}">${when.toISOString().slice(11, 19)} UTC</time>`,
    m.updates > 0 ? '<span class="msg-edited">(edited)</span>' : '',
    '</div>',
    m.ephemeral ? '<div class="msg-ephemeral" data-testid="ephemeral-note">👁 Only visible to you</div>' : '',
    m.command !== undefined ? `<div class="msg-command" data-testid="command-echo">${escapeHtml(m.command)}</div>` : '',
    `<div class="msg-body">${messageBodyHtml(m, view.render)}</div>`,
    '</article>',
  ].join('');
}

export function repliesLabel(n: number): string {
  return n === 1 ? '1 reply' : `${n} replies`;
}

function channelPaneHtml(channel: Channel, messages: ConsoleMessage[], view: PageView, current: boolean): string {
  const inChannel = messages.filter((m) => m.channel === channel.id);
  const rootTs = new Set(inChannel.filter((m) => m.threadTs === undefined).map((m) => m.ts));
  // A reply whose root is gone (deleted, or never posted) is shown where a root would be.
  const roots = inChannel.filter((m) => m.threadTs === undefined || !rootTs.has(m.threadTs));
  const entries = roots.map((root) => {
    const replies = root.threadTs === undefined ? inChannel.filter((m) => m.threadTs === root.ts) : [];
    const thread = replies.length
      ? `<details class="thread" data-testid="thread" data-thread-ts="${escapeHtml(root.ts)}" open><summary>${repliesLabel(replies.length)}</summary><div class="replies">${replies.map((r) => messageHtml(r, view)).join('')}</div></details>`
      : '';
    return `<div class="entry" data-root-ts="${escapeHtml(root.ts)}">${messageHtml(root, view)}${thread}</div>`;
  });
  return `<section class="pane" data-testid="channel-pane" data-channel="${escapeHtml(channel.id)}" aria-label="#${escapeHtml(channel.name)}"${current ? '' : ' hidden'}>${entries.join('')}</section>`;
}

function channelButtonHtml(channel: Channel, current: boolean): string {
  return `<li><button type="button" class="channel" data-testid="channel" data-channel="${escapeHtml(channel.id)}" data-name="${escapeHtml(channel.name)}"${current ? ' aria-current="true"' : ''}><span class="channel-name">#${escapeHtml(channel.name)}</span><span class="unread" data-testid="unread" hidden>0</span></button></li>`;
}

export function pageHtml(view: PageView): string {
  // The channel with the latest message is open first.
  const latest = view.messages.at(-1)?.channel;
  const current = view.channels.find((c) => c.id === latest) ?? view.channels[0];
  const title = current ? `#${escapeHtml(current.name)}` : 'No channels yet';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(view.botName)} — local console</title>
<style nonce="${view.nonce}">${PAGE_CSS}</style>
</head>
<body data-seq="${view.seq}" data-command="${escapeHtml(view.command)}" data-current-channel="${escapeHtml(current?.id ?? '')}">
<div class="app">
<nav class="sidebar" aria-label="Channels">
<div class="workspace">${escapeHtml(view.botName)} <span class="workspace-note">local console</span></div>
<ul class="channels" data-testid="channel-list">${view.channels.map((c) => channelButtonHtml(c, c.id === current?.id)).join('')}</ul>
<p class="sidebar-note">This page stands in for Slack: the app posts here through the same Web API calls, and your clicks and commands reach it signed as Slack signs them.</p>
</nav>
<main class="main">
<header class="channel-header"><h1 id="channel-title" data-testid="channel-title">${title}</h1><p class="banner" id="banner" role="status" data-testid="banner"${view.banner ? '' : ' hidden'}>${escapeHtml(view.banner ?? '')}</p></header>
<div class="panes" id="panes" data-testid="messages">${view.channels.map((c) => channelPaneHtml(c, view.messages, view, c.id === current?.id)).join('')}
<p class="empty" id="empty"${view.messages.some((m) => m.channel === current?.id) ? ' hidden' : ''}>No messages here yet. Alerts appear as the app posts them; try <code>${escapeHtml(view.command)} help</code> below.</p>
</div>
<div class="status" id="status" role="status" aria-live="polite" data-testid="status"></div>
<form class="composer" id="command-form" data-testid="command-form" autocomplete="off">
<span class="composer-prefix" aria-hidden="true">${escapeHtml(view.command)}</span>
<input id="command-input" name="text" type="text" aria-label="${escapeHtml(view.command)} command" placeholder="why &lt;pod&gt; -n &lt;namespace&gt;" maxlength="4000">
<button type="submit" class="send">Send</button>
</form>
</main>
</div>
<dialog id="confirm-dialog" data-testid="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title"></h2>
<div id="confirm-text"></div>
<div class="dialog-buttons"><button type="button" id="confirm-deny" class="bk-button"></button><button type="button" id="confirm-ok" class="bk-button bk-button--primary"></button></div>
</dialog>
<script nonce="${view.nonce}">${PAGE_SCRIPT}</script>
</body>
</html>`;
}

/** The browser side, kept as plain JavaScript next to this file so that ESLint checks it; read once. */
const PAGE_SCRIPT = readFileSync(new URL('./page-client.js', import.meta.url), 'utf8').replaceAll('</script', '<\\/script');

const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.46 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1c1d;background:#fff}
.app{display:grid;grid-template-columns:240px 1fr;height:100vh}
.sidebar{background:#3f0e40;color:#e8dfe8;padding:12px 0;overflow:auto}
.workspace{font-weight:700;font-size:17px;padding:4px 16px 12px;color:#fff}
.workspace-note{display:block;font-weight:400;font-size:12px;opacity:.75}
.channels{list-style:none;margin:0;padding:0}
.channel{display:flex;justify-content:space-between;width:100%;border:0;background:none;color:inherit;font:inherit;text-align:left;padding:4px 16px;cursor:pointer}
.channel:hover{background:#350d36}
.channel[aria-current="true"]{background:#1164a3;color:#fff}
.unread{background:#cd2553;color:#fff;border-radius:9px;padding:0 7px;font-size:12px;font-weight:700}
.sidebar-note{font-size:12px;opacity:.7;padding:16px}
.main{display:grid;grid-template-rows:auto 1fr auto auto;min-height:0}
.channel-header{border-bottom:1px solid #ddd;padding:8px 20px}
.channel-header h1{font-size:18px;margin:0}
.banner{margin:6px 0 0;padding:6px 10px;border-radius:4px;background:#fff4d6;color:#5c4400;font-size:13px}
.panes{overflow:auto;padding:8px 0}
.empty{color:#616061;padding:20px}
.entry{padding:4px 20px}
.msg{padding:6px 0;max-width:900px}
.msg--ephemeral{background:#f8f8f8;border-left:3px solid #1264a3;padding-left:10px}
.msg-meta{display:flex;gap:8px;align-items:baseline}
.msg-author{font-weight:700}
.msg-badge{font-size:10px;background:#e8e8e8;color:#616061;padding:0 4px;border-radius:2px;font-weight:700}
.msg-meta time,.msg-edited{color:#616061;font-size:12px}
.msg-ephemeral{color:#616061;font-size:12px}
.msg-command{font-family:Menlo,Consolas,monospace;font-size:13px;color:#616061}
.thread{margin:2px 0 6px 36px;border-left:2px solid #ddd;padding-left:12px}
.thread>summary{cursor:pointer;color:#1264a3;font-weight:700;font-size:13px}
.bk-block{margin:4px 0}
.bk-header-text{font-size:18px;margin:4px 0}
.bk-section{display:flex;gap:12px;align-items:flex-start}
.bk-section-body{flex:1;min-width:0;overflow-wrap:anywhere}
.bk-fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;margin-top:4px}
.bk-context{display:flex;flex-wrap:wrap;gap:8px;color:#616061;font-size:12px}
.bk-actions{display:flex;flex-wrap:wrap;gap:8px}
.bk-divider hr{border:0;border-top:1px solid #ddd}
.bk-button{font:inherit;font-size:14px;font-weight:700;padding:3px 12px;border:1px solid #bbb;border-radius:4px;background:#fff;color:#1d1c1d;cursor:pointer}
.bk-button:hover{background:#f4f4f4}
.bk-button:disabled{opacity:.5;cursor:progress}
.bk-button--primary{background:#007a5a;border-color:#007a5a;color:#fff}
.bk-button--primary:hover{background:#148567}
.bk-button--danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
.bk-button--danger:hover{background:#e3326a}
.bk-code{font-family:Menlo,Consolas,monospace;font-size:12px;background:#f6f6f6;border:1px solid #e1e1e1;border-radius:3px;padding:0 3px;color:#c01343}
.bk-pre{font-family:Menlo,Consolas,monospace;font-size:12px;background:#f8f8f8;border:1px solid #e1e1e1;border-radius:4px;padding:8px;white-space:pre-wrap;margin:4px 0}
.bk-link{color:#1264a3}
.bk-mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.bk-quote{border-left:4px solid #ddd;margin:4px 0;padding-left:10px}
.bk-unsupported{color:#a0a0a0;font-style:italic;font-size:13px}
.bk-image-title{font-size:13px;color:#616061;margin-bottom:4px}
.bk-image{display:block;max-width:min(480px,100%);height:auto;border:1px solid #e1e1e1;border-radius:6px}
${Array.from({ length: 9 }, (_, i) => `.bk-indent-${i}{margin-left:${i * 20}px}`).join('')}
.status{min-height:20px;padding:0 20px;font-size:13px;color:#616061}
.status[data-kind="error"]{color:#e01e5a}
.composer{display:flex;align-items:center;gap:8px;margin:0 20px 16px;border:1px solid #bbb;border-radius:8px;padding:6px 10px}
.composer-prefix{font-family:Menlo,Consolas,monospace;color:#616061}
.composer input{flex:1;border:0;font:inherit;outline:none;min-width:0}
.send{font:inherit;font-weight:700;border:0;background:#007a5a;color:#fff;border-radius:4px;padding:4px 12px;cursor:pointer}
dialog{border:0;border-radius:8px;box-shadow:0 18px 48px rgba(0,0,0,.35);max-width:460px;padding:20px 24px}
dialog h2{margin:0 0 12px;font-size:20px}
.dialog-buttons{display:flex;justify-content:flex-end;gap:8px;margin-top:20px}
`;
