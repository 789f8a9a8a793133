// What Slack refuses in a message, checked by the console as Slack checks it, so that a mistake in our blocks fails
// locally the way it would fail in a workspace instead of rendering fine. Pure. Limits from
// api.slack.com/reference/block-kit (bot/slack-limits.ts holds the ones our renderer relies on) and the errors of
// chat.postMessage (api.slack.com/methods/chat.postMessage#errors): `no_text` when there is neither text nor blocks,
// `invalid_blocks_format` when blocks are not a JSON array, `invalid_blocks` with an `errors` list naming each breach
// by JSON pointer, `msg_too_long` past 40,000 characters of text. An image block (api.slack.com/reference/block-kit/
// blocks#image) needs `alt_text` (at most 2,000 characters) and exactly one of `image_url` (at most 3,000) or
// `slack_file`; its `title` is plain_text of at most 2,000. A slack_file object names a file by `id` or `url`, never
// both, and the file must be an image the poster can see (console/slack-files.ts): one that is not is refused with
// "invalid slack file", as Slack refuses it.
import { SLACK_LIMITS } from '../bot/slack-limits.ts';
import { FILE_ID, IMAGE_MIMETYPES } from './slack-files.ts';

export type MessageCheck = { ok: true; blocks: unknown[] | undefined; text: string | undefined } | { ok: false; error: string; errors?: string[] };

const LIMITS = {
  ...SLACK_LIMITS,
  textLength: 40_000,
  sectionFields: 10,
  fieldText: 2000,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  id: 255,
  imageAltText: 2000,
  imageTitle: 2000,
  imageUrl: 3000,
} as const;

/** Finds a completed file named by a slack_file object; undefined when there is none. */
export type FileLookup = (ref: { id?: string; url?: string }) => { mimetype: string } | undefined;

/**
 * Checks a message's `text` and `blocks` as a Web API method or a response_url receives them (blocks may be JSON).
 * `files` finds the files image blocks name; without it every slack_file is refused.
 */
export function checkMessage(args: { text?: unknown; blocks?: unknown }, files?: FileLookup): MessageCheck {
  const text = typeof args.text === 'string' ? args.text : args.text === undefined || args.text === null ? undefined : String(args.text);
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
  if (text && text.length > LIMITS.textLength) return { ok: false, error: 'msg_too_long' };
  const errors = list ? blockErrors(list, files) : [];
  if (errors.length) return { ok: false, error: 'invalid_blocks', errors };
  return { ok: true, blocks: list, text };
}

function blockErrors(blocks: unknown[], files: FileLookup | undefined): string[] {
  const errors: string[] = [];
  const at = (path: string, message: string) => errors.push(`${message} [json-pointer:/blocks${path}]`);
  if (blocks.length > LIMITS.blocks) at('', `must provide no more than ${LIMITS.blocks} items`);
  const blockIds = new Set<string>();
  blocks.forEach((raw, i) => {
    const b = obj(raw);
    const path = `/${i}`;
    if (typeof b['type'] !== 'string') return at(path, 'missing required field: type');
    const blockId = b['block_id'];
    if (typeof blockId === 'string') {
      if (blockIds.has(blockId)) at(`${path}/block_id`, `duplicate block_id ${blockId}`);
      if (blockId.length > LIMITS.id) at(`${path}/block_id`, `must be less than ${LIMITS.id + 1} characters`);
      blockIds.add(blockId);
    }
    const textOf = (value: unknown) => obj(value)['text'];
    switch (b['type']) {
      case 'header':
        if (obj(b['text'])['type'] !== 'plain_text') at(`${path}/text`, 'must be a plain_text text object');
        maxLength(textOf(b['text']), LIMITS.headerText, `${path}/text/text`, at);
        break;
      case 'section': {
        const fields = Array.isArray(b['fields']) ? b['fields'] : undefined;
        if (b['text'] === undefined && !fields?.length) at(path, 'must provide either text or fields');
        maxLength(textOf(b['text']), LIMITS.sectionText, `${path}/text/text`, at);
        if (fields && fields.length > LIMITS.sectionFields) at(`${path}/fields`, `must provide no more than ${LIMITS.sectionFields} items`);
        fields?.forEach((f, j) => maxLength(textOf(f), LIMITS.fieldText, `${path}/fields/${j}/text`, at));
        if (b['accessory'] !== undefined) elementErrors(b['accessory'], `${path}/accessory`, at);
        break;
      }
      case 'context': {
        const elements = Array.isArray(b['elements']) ? b['elements'] : [];
        if (!elements.length) at(`${path}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.contextElements) at(`${path}/elements`, `must provide no more than ${LIMITS.contextElements} items`);
        break;
      }
      case 'actions': {
        const elements = Array.isArray(b['elements']) ? b['elements'] : [];
        if (!elements.length) at(`${path}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.actionsElements) at(`${path}/elements`, `must provide no more than ${LIMITS.actionsElements} items`);
        // action_id "should be unique among all other action_ids in the containing block".
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

/** An image block's breaches, each named by JSON pointer as Slack names them; `path` is the block's ("/3"). */
export function imageBlockErrors(raw: unknown, path: string, files: FileLookup | undefined): string[] {
  const errors: string[] = [];
  const at = (where: string, message: string) => errors.push(`${message} [json-pointer:/blocks${where}]`);
  const b = obj(raw);
  const alt = b['alt_text'];
  if (typeof alt !== 'string' || alt === '') at(`${path}/alt_text`, 'missing required field: alt_text');
  maxLength(alt, LIMITS.imageAltText, `${path}/alt_text`, at);
  if (b['title'] !== undefined) {
    if (obj(b['title'])['type'] !== 'plain_text') at(`${path}/title`, 'must be a plain_text text object');
    maxLength(obj(b['title'])['text'], LIMITS.imageTitle, `${path}/title/text`, at);
  }
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

function elementErrors(raw: unknown, path: string, at: (path: string, message: string) => void): void {
  const e = obj(raw);
  if (e['type'] !== 'button') return;
  const text = obj(e['text']);
  if (text['type'] !== 'plain_text') at(`${path}/text`, 'must be a plain_text text object');
  maxLength(text['text'], LIMITS.buttonText, `${path}/text/text`, at);
  maxLength(e['value'], LIMITS.buttonValue, `${path}/value`, at);
  maxLength(e['url'], LIMITS.buttonUrl, `${path}/url`, at);
  maxLength(e['action_id'], LIMITS.id, `${path}/action_id`, at);
  if (e['style'] !== undefined && e['style'] !== 'primary' && e['style'] !== 'danger') at(`${path}/style`, 'must be one of primary, danger');
  if (e['confirm'] !== undefined) {
    const confirm = obj(e['confirm']);
    for (const key of ['title', 'text', 'confirm', 'deny']) {
      if (typeof obj(confirm[key])['text'] !== 'string') at(`${path}/confirm/${key}`, 'missing required field');
    }
  }
}

function maxLength(value: unknown, max: number, path: string, at: (path: string, message: string) => void): void {
  if (typeof value === 'string' && value.length > max) at(path, `must be less than ${max + 1} characters`);
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
