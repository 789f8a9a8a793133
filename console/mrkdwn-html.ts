// Slack's mrkdwn as HTML, for the local console. Pure. The text of an alert comes from the cluster (pod names, event
// messages, log lines), so it is hostile input: everything is escaped, and the only markup produced is the console's
// own. Slack facts relied on (api.slack.com/reference/surfaces/formatting): senders escape &, < and > as &amp;, &lt;
// and &gt;, so a raw `<…>` is always a control sequence — a link `<url|label>`, a mention `<@U123>`, a channel
// `<#C123|name>` or a special `<!here>`; *bold*, _italic_, ~strike~ need a non-word character (or the line's edge)
// outside the markers and a non-space inside; `code` and ```pre``` are shown as typed.

export interface MrkdwnOptions {
  /** Display names of users by id, for `<@U123>`; an unknown user shows as its id. */
  users?: Record<string, string>;
  /** Names of channels by id, for `<#C123>` without a label. */
  channels?: Record<string, string>;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Undoes Slack's three entities, once (so `&amp;lt;` stays the literal text `&lt;`). */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name as 'amp' | 'lt' | 'gt']);
}

/** An http(s) or mailto URL, or undefined: a `javascript:` or `data:` link is shown as text, never linked. */
export function safeUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A link that opens in a new tab and tells the target nothing about the console. */
export function linkHtml(href: string, innerHtml: string): string {
  return `<a class="bk-link" href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${innerHtml}</a>`;
}

/** plain_text: shown exactly as written (no entities, no formatting), line breaks kept. */
export function plainTextToHtml(text: string): string {
  return escapeHtml(text).replaceAll('\n', '<br>');
}

// Placeholders for pieces already rendered (code, links, mentions) while the rest is escaped and formatted: a private-use
// character, removed from the input first so that the input cannot forge one.
const SLOT = '\uE000';
const SLOT_PATTERN = new RegExp(`${SLOT}(\\d+)${SLOT}`, 'g');

export function mrkdwnToHtml(input: string, options: MrkdwnOptions = {}): string {
  const slots: string[] = [];
  const hold = (html: string) => `${SLOT}${slots.push(html) - 1}${SLOT}`;
  let text = input.replaceAll(SLOT, '');
  text = text.replace(/```([\s\S]*?)```/g, (_, code: string) => hold(`<pre class="bk-pre">${escapeHtml(decodeSlackEntities(code.replace(/^\n/, '')))}</pre>`));
  text = text.replace(/`([^`\n]+)`/g, (_, code: string) => hold(`<code class="bk-code">${escapeHtml(decodeSlackEntities(code))}</code>`));
  text = text.replace(/<([^<>\n]*)>/g, (whole: string, inner: string) => hold(controlSequence(inner, whole, options)));
  let html = escapeHtml(decodeSlackEntities(text));
  html = emphasis(html, '*', 'b');
  html = emphasis(html, '_', 'i');
  html = emphasis(html, '~', 's');
  html = html.replaceAll('\n', '<br>');
  return html.replace(SLOT_PATTERN, (_, i: string) => slots[Number(i)] ?? '');
}

/**
 * Wraps `marker…marker` in a tag. Runs on escaped text, where the markers cannot be part of an entity and no `<` or
 * `"` is left to open a tag or an attribute, so only the console's own tags are added.
 */
function emphasis(html: string, marker: string, tag: string): string {
  // In a unicode-mode pattern only syntax characters may be escaped: `\*` is valid, `\_` and `\~` are not.
  const m = marker === '*' ? '\\*' : marker;
  const pattern = new RegExp(`(^|[^\\p{L}\\p{N}${m}])${m}([^\\s${m}](?:[^\\n${m}]*?[^\\s${m}])?)${m}(?![\\p{L}\\p{N}${m}])`, 'gmu');
  return html.replace(pattern, (_, before: string, inner: string) => `${before}<${tag}>${inner}</${tag}>`);
}

function controlSequence(inner: string, whole: string, options: MrkdwnOptions): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  const labelHtml = (fallback: string) => (label !== undefined && label !== '' ? mrkdwnToHtml(label, options) : escapeHtml(fallback));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="bk-mention">@${label ? mrkdwnToHtml(label.replace(/^@/, ''), options) : escapeHtml(options.users?.[id] ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `<span class="bk-mention">#${label ? mrkdwnToHtml(label, options) : escapeHtml(options.channels?.[id] ?? id)}</span>`;
  }
  if (target.startsWith('!')) return specialMention(target.slice(1), label, options);
  const href = safeUrl(decodeSlackEntities(target));
  if (href) return linkHtml(href, labelHtml(decodeSlackEntities(target)));
  // Not a sequence Slack knows (or an unsafe link): shown as it was sent.
  return escapeHtml(decodeSlackEntities(whole));
}

/** `<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^S123|@oncall>`, `<!date^…|fallback>`. */
function specialMention(name: string, label: string | undefined, options: MrkdwnOptions): string {
  if (['here', 'channel', 'everyone'].includes(name)) return `<span class="bk-mention">@${name}</span>`;
  if (name.startsWith('subteam^')) return `<span class="bk-mention">${label ? mrkdwnToHtml(label, options) : escapeHtml(`@${name.slice('subteam^'.length)}`)}</span>`;
  if (name.startsWith('date^')) return label ? mrkdwnToHtml(label, options) : escapeHtml(name);
  return escapeHtml(label ?? name);
}
