// Block Kit as HTML, for the local console: what Slack's client draws for the blocks oombot sends (header, section
// with fields and a button accessory, context, actions, divider, rich_text), so a newcomer sees the message as Slack
// would show it. Pure and used server-side; every string from a block is escaped (mrkdwn-html.ts), and anything the
// console does not draw is named, not dropped. Buttons are real <button>s carrying what a click must send back
// (action_id, block_id, value, url, confirm) in data- attributes; the page's script reads them.
// Slack facts relied on (api.slack.com/reference/block-kit): a button's text is plain_text; `style` is primary or
// danger; a `confirm` object has title, text, confirm and deny; a url button opens the link and still sends the app a
// block_actions payload; an image block shows its `title` above the image and has `alt_text` for screen readers, its
// image coming from `image_url` or from a Slack file (`slack_file`: an `id` or a `url`).
import * as z from 'zod';
import { escapeHtml, linkHtml, mrkdwnToHtml, plainTextToHtml, safeUrl, type MrkdwnOptions } from './mrkdwn-html.ts';

export interface RenderOptions extends MrkdwnOptions {
  /** Where the page loads an uploaded file from (the console serves them), or undefined when it has no such file. */
  fileSrc?: (ref: { id?: string; url?: string }) => string | undefined;
}

const PlainTextSchema = z.object({ type: z.literal('plain_text'), text: z.string() });
const TextSchema = z.object({ type: z.enum(['plain_text', 'mrkdwn']), text: z.string() });
const ConfirmSchema = z.object({ title: PlainTextSchema, text: TextSchema, confirm: PlainTextSchema, deny: PlainTextSchema, style: z.enum(['primary', 'danger']).optional() });
const ButtonSchema = z.object({
  type: z.literal('button'),
  text: PlainTextSchema,
  action_id: z.string().optional(),
  value: z.string().optional(),
  url: z.string().optional(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: ConfirmSchema.optional(),
  accessibility_label: z.string().optional(),
});
const ImageElementSchema = z.object({ type: z.literal('image'), alt_text: z.string() });
const StaticSelectSchema = z.object({
  type: z.literal('static_select'),
  action_id: z.string().optional(),
  placeholder: PlainTextSchema.optional(),
  options: z.array(z.object({ text: PlainTextSchema, value: z.string() })),
});
const BlockSchema = z.looseObject({ type: z.string(), block_id: z.string().optional() });

type Text = z.infer<typeof TextSchema>;

/** A message's body: its blocks, or — as Slack shows a message without blocks — its text as mrkdwn. */
export function messageBodyHtml(message: { text?: string; blocks?: unknown[] }, options: RenderOptions = {}): string {
  if (message.blocks?.length) return blocksToHtml(message.blocks, options);
  return `<div class="bk-block bk-section"><div class="bk-text">${mrkdwnToHtml(message.text ?? '', options)}</div></div>`;
}

export function blocksToHtml(blocks: unknown[], options: RenderOptions = {}): string {
  return blocks.map((block) => blockHtml(block, options)).join('');
}

function blockHtml(raw: unknown, options: RenderOptions): string {
  const parsed = BlockSchema.safeParse(raw);
  if (!parsed.success) return unsupported('a block without a type');
  const block = parsed.data;
  const open = (kind: string) => `<div class="bk-block bk-${kind}"${block.block_id !== undefined ? ` data-block-id="${escapeHtml(block.block_id)}"` : ''}>`;
  switch (block.type) {
    case 'header': {
      const text = PlainTextSchema.safeParse(block['text']);
      return `${open('header')}<h3 class="bk-header-text">${text.success ? plainTextToHtml(text.data.text) : ''}</h3></div>`;
    }
    case 'section':
      return `${open('section')}${sectionHtml(block, options)}</div>`;
    case 'context':
      return `${open('context')}${elementsOf(block).map((e) => contextElementHtml(e, options)).join('')}</div>`;
    case 'actions':
      return `${open('actions')}${elementsOf(block).map((e) => interactiveHtml(e, block.block_id, options)).join('')}</div>`;
    case 'divider':
      return `${open('divider')}<hr></div>`;
    case 'rich_text':
      return `${open('rich-text')}${elementsOf(block).map((e) => richTextBlockHtml(e, options)).join('')}</div>`;
    case 'image':
      return `${open('image')}${imageHtml(block, options)}</div>`;
    default:
      return unsupported(`a ${block.type} block`);
  }
}

const SlackFileSchema = z.object({ id: z.string().optional(), url: z.string().optional() });

/**
 * An uploaded file is drawn from the console itself; an `image_url` is not loaded — the console fetches nothing from
 * elsewhere (its CSP forbids it) — and its link opens it.
 */
function imageHtml(block: z.infer<typeof BlockSchema>, options: RenderOptions): string {
  const alt = typeof block['alt_text'] === 'string' ? block['alt_text'] : 'image';
  const title = PlainTextSchema.safeParse(block['title']);
  const caption = title.success ? `<div class="bk-image-title">${plainTextToHtml(title.data.text)}</div>` : '';
  const file = SlackFileSchema.safeParse(block['slack_file']);
  if (block['slack_file'] !== undefined) {
    const src = file.success ? options.fileSrc?.({ ...(file.data.id !== undefined ? { id: file.data.id } : {}), ...(file.data.url !== undefined ? { url: file.data.url } : {}) }) : undefined;
    if (src) return `${caption}<img class="bk-image" src="${escapeHtml(src)}" alt="${escapeHtml(alt)}" data-testid="image">`;
    return `${caption}<span role="img" aria-label="${escapeHtml(alt)}">🖼 ${escapeHtml(alt)} <span class="bk-unsupported">(a file the console does not have)</span></span>`;
  }
  const url = typeof block['image_url'] === 'string' ? safeUrl(block['image_url']) : undefined;
  return `${caption}<span role="img" aria-label="${escapeHtml(alt)}">🖼 ${url ? linkHtml(url, escapeHtml(alt)) : escapeHtml(alt)}</span>`;
}

function sectionHtml(block: z.infer<typeof BlockSchema>, options: RenderOptions): string {
  const text = TextSchema.safeParse(block['text']);
  const fields = Array.isArray(block['fields']) ? block['fields'].map((f) => TextSchema.safeParse(f)).filter((f) => f.success).map((f) => f.data) : [];
  const accessory = block['accessory'] === undefined ? '' : `<div class="bk-accessory">${interactiveHtml(block['accessory'], block.block_id, options)}</div>`;
  const body = [
    text.success ? `<div class="bk-text">${textHtml(text.data, options)}</div>` : '',
    fields.length ? `<div class="bk-fields">${fields.map((f) => `<div class="bk-field">${textHtml(f, options)}</div>`).join('')}</div>` : '',
  ].join('');
  return `<div class="bk-section-body">${body}</div>${accessory}`;
}

function contextElementHtml(raw: unknown, options: RenderOptions): string {
  const text = TextSchema.safeParse(raw);
  if (text.success) return `<span class="bk-context-text">${textHtml(text.data, options)}</span>`;
  const image = ImageElementSchema.safeParse(raw);
  if (image.success) return `<span class="bk-context-image" role="img" aria-label="${escapeHtml(image.data.alt_text)}">▪</span>`;
  return unsupported(`a ${typeName(raw)} element`);
}

/** A button (the only interactive element oombot uses); other elements are named, not drawn. */
function interactiveHtml(raw: unknown, blockId: string | undefined, options: RenderOptions): string {
  const parsed = ButtonSchema.safeParse(raw);
  if (!parsed.success) {
    const select = StaticSelectSchema.safeParse(raw);
    if (select.success) return selectHtml(select.data, blockId);
    const image = ImageElementSchema.safeParse(raw);
    if (image.success) return `<span class="bk-image-accessory" role="img" aria-label="${escapeHtml(image.data.alt_text)}">🖼</span>`;
    return unsupported(`a ${typeName(raw)} element`);
  }
  const b = parsed.data;
  const url = b.url !== undefined ? safeUrl(b.url) : undefined;
  const attributes: [string, string | undefined][] = [
    ['data-testid', 'action-button'],
    ['data-action-id', b.action_id],
    ['data-block-id', blockId],
    ['data-value', b.value],
    ['data-url', url],
    ['aria-label', b.accessibility_label],
    ['data-confirm-title', b.confirm?.title.text],
    ['data-confirm-text-html', b.confirm ? textHtml(b.confirm.text, options) : undefined],
    ['data-confirm-ok', b.confirm?.confirm.text],
    ['data-confirm-deny', b.confirm?.deny.text],
    ['data-confirm-style', b.confirm?.style],
  ];
  const attrs = attributes
    .filter((a): a is [string, string] => a[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  const style = b.style ? ` bk-button--${b.style}` : '';
  const external = url ? '<span class="bk-external" aria-hidden="true"> ↗</span>' : '';
  return `<button type="button" class="bk-button${style}"${attrs}>${escapeHtml(b.text.text)}${external}</button>`;
}

/**
 * A static_select (a storm root's "Explain a workload…", bot/storms.ts): a real <select> whose placeholder is its first,
 * unchosen option; choosing one sends its value back as the button's click does (console/interactions.ts).
 */
function selectHtml(s: z.infer<typeof StaticSelectSchema>, blockId: string | undefined): string {
  const attrs = ([['data-testid', 'action-select'], ['data-action-id', s.action_id], ['data-block-id', blockId]] as [string, string | undefined][])
    .filter((a): a is [string, string] => a[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  const placeholder = `<option value="" selected disabled>${escapeHtml(s.placeholder?.text ?? 'Choose…')}</option>`;
  return `<select class="bk-select"${attrs}>${placeholder}${s.options.map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text.text)}</option>`).join('')}</select>`;
}

function textHtml(text: Text, options: RenderOptions): string {
  return text.type === 'mrkdwn' ? mrkdwnToHtml(text.text, options) : plainTextToHtml(text.text);
}

// rich_text (api.slack.com/reference/block-kit/blocks#rich_text): sections, lists, preformatted and quotes, each of
// inline elements (text with bold/italic/strike/code styles, link, user, channel, usergroup, emoji, broadcast).
function richTextBlockHtml(raw: unknown, options: RenderOptions): string {
  const el = record(raw);
  const inner = () => elementsOf(el).map((e) => richInlineHtml(e, options)).join('');
  switch (el['type']) {
    case 'rich_text_section':
      return `<div class="bk-rich-section">${inner()}</div>`;
    case 'rich_text_preformatted':
      return `<pre class="bk-pre">${inner()}</pre>`;
    case 'rich_text_quote':
      return `<blockquote class="bk-quote">${inner()}</blockquote>`;
    case 'rich_text_list': {
      const tag = el['style'] === 'ordered' ? 'ol' : 'ul';
      const indent = typeof el['indent'] === 'number' ? Math.min(Math.max(Math.trunc(el['indent']), 0), 8) : 0;
      return `<${tag} class="bk-list bk-indent-${indent}">${elementsOf(el).map((item) => `<li>${richTextBlockHtml(item, options)}</li>`).join('')}</${tag}>`;
    }
    default:
      return unsupported(`a ${typeName(raw)} element`);
  }
}

function richInlineHtml(raw: unknown, options: RenderOptions): string {
  const el = record(raw);
  const str = (key: string) => (typeof el[key] === 'string' ? el[key] : '');
  let html: string;
  switch (el['type']) {
    case 'text':
      html = plainTextToHtml(str('text'));
      break;
    case 'link': {
      const href = safeUrl(str('url'));
      const label = plainTextToHtml(str('text') || str('url'));
      html = href ? linkHtml(href, label) : label;
      break;
    }
    case 'user':
      html = `<span class="bk-mention">@${escapeHtml(options.users?.[str('user_id')] ?? str('user_id'))}</span>`;
      break;
    case 'channel':
      html = `<span class="bk-mention">#${escapeHtml(options.channels?.[str('channel_id')] ?? str('channel_id'))}</span>`;
      break;
    case 'usergroup':
      html = `<span class="bk-mention">@${escapeHtml(str('usergroup_id'))}</span>`;
      break;
    case 'broadcast':
      html = `<span class="bk-mention">@${escapeHtml(str('range'))}</span>`;
      break;
    case 'emoji':
      html = escapeHtml(emojiText(str('unicode'), str('name')));
      break;
    default:
      return unsupported(`a ${typeName(raw)} element`);
  }
  const style = record(el['style']);
  if (style['code']) html = `<code class="bk-code">${html}</code>`;
  if (style['strike']) html = `<s>${html}</s>`;
  if (style['italic']) html = `<i>${html}</i>`;
  if (style['bold']) html = `<b>${html}</b>`;
  return html;
}

/** An emoji element's `unicode` is code points in hex joined by "-" (e.g. "1f534"); else its :name:. */
function emojiText(unicode: string, name: string): string {
  const points = unicode.split('-').map((hex) => Number.parseInt(hex, 16));
  if (unicode && points.every((p) => Number.isInteger(p) && p >= 0 && p <= 0x10ffff)) return String.fromCodePoint(...points);
  return `:${name}:`;
}

function elementsOf(value: unknown): unknown[] {
  const elements = record(value)['elements'];
  return Array.isArray(elements) ? elements : [];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function typeName(value: unknown): string {
  const type = record(value)['type'];
  return typeof type === 'string' ? type : 'unknown';
}

function unsupported(what: string): string {
  return `<div class="bk-unsupported">The local console does not draw ${escapeHtml(what)}.</div>`;
}
