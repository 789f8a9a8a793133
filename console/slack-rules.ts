// Slack's rules for a message, checked as Slack checks them, by the one Slack double (console/slack-api.ts) that the
// local console serves and the tests run against: a mistake in our blocks fails here the way it would fail in a
// workspace. Pure. Each limit cites where Slack states it; where Slack's pages and the official SDKs' validation
// code agree, both are named — the pages moved from api.slack.com to docs.slack.dev, the paths are given as the
// SDK files link them.
//
// Errors, as chat.postMessage, chat.update and chat.postEphemeral name them (docs.slack.dev/reference/methods/
// chat.postMessage, "Errors"): `no_text` when there is neither text nor blocks; `invalid_blocks_format` when blocks
// are not a JSON array; `invalid_blocks` with an `errors` list naming each breach by JSON pointer, worded as Slack's
// answers word them ("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"); the wording of a
// breach Slack's answers were never seen to name is ours, in the same shape. Lengths are counted in UTF-16 units, as
// JavaScript counts them and as bot/slack-limits.ts clips: never fewer than the characters Slack counts, so a text
// within our count is within Slack's.
//
// Top-level `text`:
// - chat.postMessage, chat.postEphemeral and response URLs do not refuse a long text: past 40,000 characters Slack
//   truncates it, still posts, and answers a `message_truncated` warning (api.slack.com/changelog/
//   2018-04-truncating-really-long-messages; python-slack-sdk slack_sdk/models/messages/message.py logs "Messages over
//   40,000 characters are automatically truncated by Slack").
// - chat.update refuses a long text with `msg_too_long` (docs.slack.dev/reference/methods/chat.update, "Errors"). Its
//   page does not say past how many characters; this double refuses past 4,000 (before the 2018 change above, Slack
//   "asked you only to keep messages under 4,000 bytes"), the stricter reading, so an app that keeps its updates
//   under it is safe whichever limit Slack applies.
import { SLACK_LIMITS } from '../bot/slack-limits.ts';
import { FILE_ID, IMAGE_MIMETYPES } from './slack-files.ts';

/**
 * Every Block Kit limit a message of oombot's can reach, in one place. The renderer's own (SLACK_LIMITS, which it
 * clips to) are taken from bot/slack-limits.ts, not repeated; each is listed with its source here.
 */
export const LIMITS = {
  /** Blocks in a message: 50 (docs.slack.dev/reference/block-kit/blocks; python-slack-sdk slack_sdk/models/blocks/blocks.py). */
  blocks: SLACK_LIMITS.blocks,
  /** block_id and action_id: 255 (blocks.py Block.block_id_max_length; block_elements.py InteractiveElement.action_id_max_length). */
  id: 255,
  /** A header's plain_text: 150 (blocks.py HeaderBlock.text_max_length). */
  headerText: SLACK_LIMITS.headerText,
  /** A section's text: 3,000 (blocks.py SectionBlock.text_max_length). */
  sectionText: SLACK_LIMITS.sectionText,
  /** A section's fields: 10, each text at most 2,000 (blocks.py SectionBlock.fields_max_length; node-slack-sdk packages/types/src/block-kit/blocks.ts, SectionBlock.fields). */
  sectionFields: 10,
  fieldText: 2000,
  /** A context block's elements: 10 (blocks.py ContextBlock.elements_max_length). */
  contextElements: SLACK_LIMITS.contextElements,
  /**
   * Any text object's text: at least 1 and at most 3,000 characters (node-slack-sdk packages/types/src/block-kit/
   * composition-objects.ts, PlainTextElement and MrkdwnElement) — the bound on a context element's text.
   */
  textObject: SLACK_LIMITS.contextText,
  /** An actions block's elements: 25 (blocks.py ActionsBlock.elements_max_length). */
  actionsElements: 25,
  /** A button: text 75, value 2,000, url 3,000 (block_elements.py ButtonElement). */
  buttonText: SLACK_LIMITS.buttonText,
  buttonValue: SLACK_LIMITS.buttonValue,
  buttonUrl: 3000,
  /**
   * A static_select: at most 100 options, each option's plain_text at most 75 and its value at most 150, placeholder
   * at most 150 (block_elements.py StaticSelectElement.options_max_length and placeholder_max_length;
   * basic_components.py Option.label_max_length and value_max_length).
   */
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  selectPlaceholder: 150,
  /** A confirmation dialog: title 100, text 300, confirm and deny 30 (basic_components.py ConfirmObject). */
  confirmTitle: SLACK_LIMITS.confirmTitle,
  confirmText: SLACK_LIMITS.confirmText,
  confirmButton: SLACK_LIMITS.confirmButton,
  /** An image block: image_url 3,000, alt_text 2,000, title 2,000 (blocks.py ImageBlock). */
  imageUrl: 3000,
  imageAltText: 2000,
  imageTitle: 2000,
  /** Top-level text: truncated past 40,000 when posted; chat.update refuses past 4,000 (see the head of this file). */
  postedText: 40_000,
  updatedText: SLACK_LIMITS.messageText,
} as const;

/** A button's and a confirmation dialog's `style`: "primary" or "danger" (block_elements.py ButtonStyles; basic_components.py ConfirmObject). */
const STYLES = new Set(['primary', 'danger']);

/** The scope each method needs (docs.slack.dev/reference/methods/<method>, "Scopes"). */
export const SCOPE_OF: Readonly<Record<string, string>> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'conversations.info': 'channels:read',
};

/**
 * A response_url "can be used up to 5 times within 30 minutes" (docs.slack.dev/interactivity/handling-user-
 * interaction, "Message responses"; api.slack.com/interactivity/handling#message_responses), with the message
 * rules of chat.postMessage on its body. What Slack answers a sixth use or a late one is not documented; this
 * double answers 404 with `{ok: false, error: 'used_url' | 'expired_url'}`, the status and shape Slack answers a
 * response_url's refused blocks with (slackapi/java-slack-sdk#1349): an app must treat either as the answer lost.
 * Nor does Slack say whether a refused body counts as a use; here only answers taken count.
 */

export const RESPONSE_URL = { uses: 5, ttlMs: 30 * 60_000 } as const;

/** How a response URL has been used so far; undefined before its first use. */
export interface ResponseUrlUse {
  firstAt: number;
  uses: number;
}

/** Why a response URL refuses one more use now, or undefined when it takes it. */
export function responseUrlRefusal(use: ResponseUrlUse | undefined, now: number): 'expired_url' | 'used_url' | undefined {
  if (!use) return undefined;
  if (now - use.firstAt > RESPONSE_URL.ttlMs) return 'expired_url';
  if (use.uses >= RESPONSE_URL.uses) return 'used_url';
  return undefined;
}

/** Where a message is sent: the text rules differ (see the head of this file). */
export type MessageTarget = 'chat.postMessage' | 'chat.postEphemeral' | 'chat.update' | 'response_url';

export type MessageCheck =
  | { ok: true; blocks: unknown[] | undefined; text: string | undefined; warnings?: string[] }
  | { ok: false; error: string; errors?: string[] };

/** Finds a completed file named by a slack_file object; undefined when there is none. */
export type FileLookup = (ref: { id?: string; url?: string }) => { mimetype: string } | undefined;

/**
 * Checks a message's `text` and `blocks` as a Web API method or a response_url receives them (blocks may be JSON).
 * `files` finds the files image blocks name; without it every slack_file is refused. A posted text past 40,000
 * characters comes back truncated, with Slack's warning.
 */
export function checkMessage(args: { text?: unknown; blocks?: unknown }, options: { files?: FileLookup | undefined; target?: MessageTarget } = {}): MessageCheck {
  const target = options.target ?? 'chat.postMessage';
  let text = typeof args.text === 'string' ? args.text : args.text === undefined || args.text === null ? undefined : String(args.text);
  let blocks: unknown = args.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = blocks === '' ? undefined : JSON.parse(blocks);
    } catch {
      return { ok: false, error: 'invalid_blocks_format' };
    }
  }
  if (blocks !== undefined && blocks !== null && !Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks_format' };
  const list = (blocks ?? undefined) as unknown[] | undefined;
  if (!text && !list?.length) return { ok: false, error: 'no_text' };
  let warnings: string[] | undefined;
  if (text && target === 'chat.update' && text.length > LIMITS.updatedText) return { ok: false, error: 'msg_too_long' };
  if (text && text.length > LIMITS.postedText) {
    text = text.slice(0, LIMITS.postedText);
    warnings = ['message_truncated'];
  }
  const errors = list ? blockErrors(list, options.files) : [];
  if (errors.length) return { ok: false, error: 'invalid_blocks', errors };
  return { ok: true, blocks: list, text, ...(warnings ? { warnings } : {}) };
}

type At = (path: string, message: string) => void;

/** The block types Slack knows (docs.slack.dev/reference/block-kit/blocks); only those oombot sends are checked in depth. */
const BLOCK_TYPES = new Set(['actions', 'context', 'divider', 'file', 'header', 'image', 'input', 'markdown', 'rich_text', 'section', 'video', 'table', 'context_actions']);

function blockErrors(blocks: unknown[], files: FileLookup | undefined): string[] {
  const errors: string[] = [];
  const at: At = (path, message) => errors.push(`${message} [json-pointer:/blocks${path}]`);
  if (blocks.length > LIMITS.blocks) at('', `must provide no more than ${LIMITS.blocks} items`);
  const blockIds = new Set<string>();
  blocks.forEach((raw, i) => {
    const b = obj(raw);
    const path = `/${i}`;
    if (typeof b['type'] !== 'string') return at(path, 'missing required field: type');
    if (!BLOCK_TYPES.has(b['type'])) return at(`${path}/type`, `unsupported block type: ${b['type']}`);
    const blockId = b['block_id'];
    if (blockId !== undefined) {
      // "block_id should be unique for each message" (blocks.py, Block's block_id).
      if (typeof blockId !== 'string' || blockId === '') at(`${path}/block_id`, 'must be a non-empty string');
      else {
        if (blockIds.has(blockId)) at(`${path}/block_id`, `duplicate block_id ${blockId}`);
        maxLength(blockId, LIMITS.id, `${path}/block_id`, at);
        blockIds.add(blockId);
      }
    }
    switch (b['type']) {
      case 'header':
        textObject(b['text'], `${path}/text`, LIMITS.headerText, at, 'plain_text');
        break;
      case 'section': {
        const fields = b['fields'];
        if (b['text'] === undefined && fields === undefined) at(path, 'must provide either text or fields');
        if (b['text'] !== undefined) textObject(b['text'], `${path}/text`, LIMITS.sectionText, at);
        if (fields !== undefined) {
          if (!Array.isArray(fields) || !fields.length) at(`${path}/fields`, 'must provide at least 1 item');
          else {
            if (fields.length > LIMITS.sectionFields) at(`${path}/fields`, `must provide no more than ${LIMITS.sectionFields} items`);
            fields.forEach((f, j) => textObject(f, `${path}/fields/${j}`, LIMITS.fieldText, at));
          }
        }
        if (b['accessory'] !== undefined) elementErrors(b['accessory'], `${path}/accessory`, at);
        break;
      }
      case 'context': {
        const elements = Array.isArray(b['elements']) ? b['elements'] : [];
        if (!elements.length) at(`${path}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.contextElements) at(`${path}/elements`, `must provide no more than ${LIMITS.contextElements} items`);
        // A context block holds image elements and text objects (blocks.py ContextBlock).
        elements.forEach((e, j) => {
          const where = `${path}/elements/${j}`;
          if (obj(e)['type'] === 'image') imageElementErrors(e, where, at);
          else textObject(e, where, LIMITS.textObject, at);
        });
        break;
      }
      case 'actions': {
        const elements = Array.isArray(b['elements']) ? b['elements'] : [];
        if (!elements.length) at(`${path}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.actionsElements) at(`${path}/elements`, `must provide no more than ${LIMITS.actionsElements} items`);
        // action_id "should be unique among all other action_ids in the containing block" (block_elements.py ButtonElement).
        const actionIds = new Set<string>();
        elements.forEach((e, j) => {
          const actionId = obj(e)['action_id'];
          if (typeof actionId === 'string') {
            if (actionIds.has(actionId)) at(`${path}/elements/${j}/action_id`, `duplicate action_id ${actionId}`);
            actionIds.add(actionId);
          }
          elementErrors(e, `${path}/elements/${j}`, at);
        });
        break;
      }
      case 'image':
        errors.push(...imageBlockErrors(b, path, files));
        break;
    }
  });
  return errors;
}

/**
 * A text object (docs.slack.dev/reference/block-kit/composition-objects/text-object): `type` plain_text or mrkdwn
 * (or only the one a field allows), `text` of 1 to `max` characters; `emoji` belongs to plain_text only and
 * `verbatim` to mrkdwn only (basic_components.py PlainTextObject and MarkdownTextObject).
 */
function textObject(raw: unknown, path: string, max: number, at: At, only?: 'plain_text'): void {
  const t = obj(raw);
  const type = t['type'];
  if (only && type !== only) return at(path, `must be a ${only} text object`);
  if (type !== 'plain_text' && type !== 'mrkdwn') return at(`${path}/type`, 'must be one of plain_text, mrkdwn');
  const text = t['text'];
  if (typeof text !== 'string') return at(`${path}/text`, 'missing required field: text');
  if (text === '') at(`${path}/text`, 'must be more than 0 characters');
  maxLength(text, max, `${path}/text`, at);
  if (type === 'mrkdwn' && t['emoji'] !== undefined) at(`${path}/emoji`, 'emoji is allowed only on plain_text');
  if (type === 'plain_text' && t['verbatim'] !== undefined) at(`${path}/verbatim`, 'verbatim is allowed only on mrkdwn');
}

/** An image block's breaches, each named by JSON pointer as Slack names them; `path` is the block's ("/3"). */
export function imageBlockErrors(raw: unknown, path: string, files: FileLookup | undefined): string[] {
  const errors: string[] = [];
  const at: At = (where, message) => errors.push(`${message} [json-pointer:/blocks${where}]`);
  const b = obj(raw);
  const alt = b['alt_text'];
  if (typeof alt !== 'string' || alt === '') at(`${path}/alt_text`, 'missing required field: alt_text');
  maxLength(alt, LIMITS.imageAltText, `${path}/alt_text`, at);
  if (b['title'] !== undefined) textObject(b['title'], `${path}/title`, LIMITS.imageTitle, at, 'plain_text');
  const hasUrl = b['image_url'] !== undefined;
  const hasFile = b['slack_file'] !== undefined;
  if (hasUrl === hasFile) {
    at(path, 'must provide either image_url or slack_file');
    return errors;
  }
  if (hasUrl) {
    if (typeof b['image_url'] !== 'string' || !/^https?:\/\//.test(b['image_url'])) at(`${path}/image_url`, 'invalid_url');
    maxLength(b['image_url'], LIMITS.imageUrl, `${path}/image_url`, at);
    return errors;
  }
  const ref = obj(b['slack_file']);
  const id = typeof ref['id'] === 'string' ? ref['id'] : undefined;
  const url = typeof ref['url'] === 'string' ? ref['url'] : undefined;
  if ((id === undefined) === (url === undefined)) {
    at(`${path}/slack_file`, 'must provide either id or url');
    return errors;
  }
  if (id !== undefined && !FILE_ID.test(id)) {
    at(`${path}/slack_file/id`, `input must match regex pattern: ${FILE_ID.source}`);
    return errors;
  }
  const file = files?.(id !== undefined ? { id } : { url: url! });
  if (!file || !IMAGE_MIMETYPES.has(file.mimetype)) at(`${path}/slack_file`, 'invalid slack file');
  return errors;
}

/** An image element in a context block: image_url and alt_text (docs.slack.dev/reference/block-kit/block-elements/image-element). */
function imageElementErrors(raw: unknown, path: string, at: At): void {
  const e = obj(raw);
  if (typeof e['alt_text'] !== 'string' || e['alt_text'] === '') at(`${path}/alt_text`, 'missing required field: alt_text');
  if (typeof e['image_url'] !== 'string' && e['slack_file'] === undefined) at(path, 'must provide either image_url or slack_file');
}

/** A button (docs.slack.dev/reference/block-kit/block-elements/button-element; block_elements.py ButtonElement). */
function elementErrors(raw: unknown, path: string, at: At): void {
  const e = obj(raw);
  if (e['type'] === 'static_select') return staticSelectErrors(e, path, at);
  if (e['type'] !== 'button') return;
  textObject(e['text'], `${path}/text`, LIMITS.buttonText, at, 'plain_text');
  maxLength(e['value'], LIMITS.buttonValue, `${path}/value`, at);
  if (e['url'] !== undefined) {
    if (typeof e['url'] !== 'string' || !/^https?:\/\//.test(e['url'])) at(`${path}/url`, 'invalid_url');
    maxLength(e['url'], LIMITS.buttonUrl, `${path}/url`, at);
  }
  // action_id may be left out: "If not specified, one will be generated" (node-slack-sdk packages/types/src/block-kit/extensions.ts, Actionable).
  if (e['action_id'] !== undefined && (typeof e['action_id'] !== 'string' || e['action_id'] === '')) at(`${path}/action_id`, 'must be a non-empty string');
  maxLength(e['action_id'], LIMITS.id, `${path}/action_id`, at);
  if (e['style'] !== undefined && !STYLES.has(String(e['style']))) at(`${path}/style`, 'must be one of primary, danger');
  if (e['confirm'] !== undefined) confirmErrors(e['confirm'], `${path}/confirm`, at);
}

/** A static_select (docs.slack.dev/reference/block-kit/block-elements/select-menu-element; block_elements.py StaticSelectElement). */
function staticSelectErrors(e: Record<string, unknown>, path: string, at: At): void {
  if (e['placeholder'] !== undefined) textObject(e['placeholder'], `${path}/placeholder`, LIMITS.selectPlaceholder, at, 'plain_text');
  if (e['action_id'] !== undefined && (typeof e['action_id'] !== 'string' || e['action_id'] === '')) at(`${path}/action_id`, 'must be a non-empty string');
  maxLength(e['action_id'], LIMITS.id, `${path}/action_id`, at);
  const options = e['options'];
  if (!Array.isArray(options) || !options.length) return at(`${path}/options`, 'must provide at least 1 item');
  if (options.length > LIMITS.selectOptions) at(`${path}/options`, `must provide no more than ${LIMITS.selectOptions} items`);
  options.forEach((raw, j) => {
    const o = obj(raw);
    textObject(o['text'], `${path}/options/${j}/text`, LIMITS.optionText, at, 'plain_text');
    if (typeof o['value'] !== 'string' || o['value'] === '') at(`${path}/options/${j}/value`, 'missing required field: value');
    maxLength(o['value'], LIMITS.optionValue, `${path}/options/${j}/value`, at);
  });
}

/**
 * A confirmation dialog (docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object): title,
 * text, confirm and deny are all required; title, confirm and deny are plain_text. Its page calls `text` plain_text
 * too, but python-slack-sdk's ConfirmObject makes it mrkdwn by default and node-slack-sdk's Confirm types it
 * `PlainTextElement | MrkdwnElement`: both are taken here. `style` is primary or danger.
 */
function confirmErrors(raw: unknown, path: string, at: At): void {
  const c = obj(raw);
  for (const [key, max] of [['title', LIMITS.confirmTitle], ['text', LIMITS.confirmText], ['confirm', LIMITS.confirmButton], ['deny', LIMITS.confirmButton]] as const) {
    if (c[key] === undefined) at(`${path}/${key}`, 'missing required field');
    else textObject(c[key], `${path}/${key}`, max, at, key === 'text' ? undefined : 'plain_text');
  }
  if (c['style'] !== undefined && !STYLES.has(String(c['style']))) at(`${path}/style`, 'must be one of primary, danger');
}

function maxLength(value: unknown, max: number, path: string, at: At): void {
  if (typeof value === 'string' && value.length > max) at(path, `must be less than ${max + 1} characters`);
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
