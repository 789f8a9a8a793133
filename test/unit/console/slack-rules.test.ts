// Slack's rules for a message (console/slack-rules.ts), one row per rule: the payload and the exact answer Slack gives
// it. Each limit is tried at its edge: the last length that passes and the first that is refused.
import { describe, expect, it } from 'vitest';
import { checkMessage, LIMITS, RESPONSE_URL, responseUrlRefusal, type MessageTarget } from '../../../console/slack-rules.ts';

const x = (n: number) => 'x'.repeat(n);
const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: unknown = mrkdwn('x')) => ({ type: 'section', text });
const button = (extra: Record<string, unknown> = {}) => ({ type: 'button', text: plain('Why?'), action_id: 'why', ...extra });
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });
const context = (...elements: unknown[]) => ({ type: 'context', elements });
const confirm = (extra: Record<string, unknown> = {}) => ({ title: plain('Raise?'), text: mrkdwn('Sure?'), confirm: plain('Yes'), deny: plain('No'), ...extra });
/** A static_select of n options; `o` sets each option's text and value (the i-th value made unique). */
const select = (n: number, o: { text?: string; value?: string } = {}) => ({ type: 'static_select', action_id: 'pick', placeholder: plain('Pick'), options: Array.from({ length: n }, (_, i) => ({ text: plain(o.text ?? `g${i}`), value: o.value ?? `v${i}` })) });
const refused = (...errors: string[]) => ({ ok: false, error: 'invalid_blocks', errors });
const accepted = (blocks: unknown[]) => ({ ok: true, text: undefined, blocks });

describe('a message Slack takes or refuses', () => {
  it.each<[string, { text?: unknown; blocks?: unknown }, unknown]>([
    // Top level
    ['neither text nor blocks', {}, { ok: false, error: 'no_text' }],
    ['empty text and an empty block list', { text: '', blocks: '[]' }, { ok: false, error: 'no_text' }],
    ['blocks that are not JSON', { text: 'x', blocks: '[{' }, { ok: false, error: 'invalid_blocks_format' }],
    ['blocks that are a JSON object, not an array', { text: 'x', blocks: '{"type":"divider"}' }, { ok: false, error: 'invalid_blocks_format' }],
    ['blocks that are a number', { text: 'x', blocks: 5 }, { ok: false, error: 'invalid_blocks_format' }],
    ['blocks without text (Slack only warns)', { blocks: '[{"type":"divider"}]' }, accepted([{ type: 'divider' }])],
    ['50 blocks', { blocks: Array.from({ length: 50 }, () => ({ type: 'divider' })) }, accepted(Array.from({ length: 50 }, () => ({ type: 'divider' })))],
    ['51 blocks', { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, refused('must provide no more than 50 items [json-pointer:/blocks]')],
    ['a block of a type Slack does not know', { blocks: [{ type: 'banner' }] }, refused('unsupported block type: banner [json-pointer:/blocks/0/type]')],
    ['a block without a type', { blocks: [{ text: mrkdwn('x') }] }, refused('missing required field: type [json-pointer:/blocks/0]')],
    // block_id
    ['a block_id of 255 characters', { blocks: [{ type: 'divider', block_id: x(255) }] }, accepted([{ type: 'divider', block_id: x(255) }])],
    ['a block_id of 256 characters', { blocks: [{ type: 'divider', block_id: x(256) }] }, refused('must be less than 256 characters [json-pointer:/blocks/0/block_id]')],
    ['two blocks with one block_id', { blocks: [{ type: 'divider', block_id: 'a' }, { type: 'divider', block_id: 'a' }] }, refused('duplicate block_id a [json-pointer:/blocks/1/block_id]')],
    // header
    ['a header of 150 characters', { blocks: [{ type: 'header', text: plain(x(150)) }] }, accepted([{ type: 'header', text: plain(x(150)) }])],
    ['a header of 151 characters', { blocks: [{ type: 'header', text: plain(x(151)) }] }, refused('must be less than 151 characters [json-pointer:/blocks/0/text/text]')],
    ['a mrkdwn header', { blocks: [{ type: 'header', text: mrkdwn('x') }] }, refused('must be a plain_text text object [json-pointer:/blocks/0/text]')],
    // section
    ['a section of 3,000 characters', { blocks: [section(mrkdwn(x(3000)))] }, accepted([section(mrkdwn(x(3000)))])],
    ['a section of 3,001 characters', { blocks: [section(mrkdwn(x(3001)))] }, refused('must be less than 3001 characters [json-pointer:/blocks/0/text/text]')],
    ['a section with neither text nor fields', { blocks: [{ type: 'section' }] }, refused('must provide either text or fields [json-pointer:/blocks/0]')],
    ['a section whose text is empty', { blocks: [section(mrkdwn(''))] }, refused('must be more than 0 characters [json-pointer:/blocks/0/text/text]')],
    ['a section whose text object has another type', { blocks: [section({ type: 'markdown', text: 'x' })] }, refused('must be one of plain_text, mrkdwn [json-pointer:/blocks/0/text/type]')],
    ['emoji on a mrkdwn text', { blocks: [section({ ...mrkdwn('x'), emoji: true })] }, refused('emoji is allowed only on plain_text [json-pointer:/blocks/0/text/emoji]')],
    ['verbatim on a plain_text text', { blocks: [section({ ...plain('x'), verbatim: true })] }, refused('verbatim is allowed only on mrkdwn [json-pointer:/blocks/0/text/verbatim]')],
    ['10 fields of 2,000 characters', { blocks: [{ type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn(x(2000))) }] }, accepted([{ type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn(x(2000))) }])],
    ['11 fields', { blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('x')) }] }, refused('must provide no more than 10 items [json-pointer:/blocks/0/fields]')],
    ['a field of 2,001 characters', { blocks: [{ type: 'section', fields: [mrkdwn(x(2001))] }] }, refused('must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]')],
    ['a button accessory without text', { blocks: [{ ...section(), accessory: { type: 'button', action_id: 'a' } }] }, refused('must be a plain_text text object [json-pointer:/blocks/0/accessory/text]')],
    // context
    ['a context without elements', { blocks: [context()] }, refused('must provide at least 1 item [json-pointer:/blocks/0/elements]')],
    ['a context with 11 elements', { blocks: [context(...Array.from({ length: 11 }, () => mrkdwn('x')))] }, refused('must provide no more than 10 items [json-pointer:/blocks/0/elements]')],
    ['a context element of 3,000 characters', { blocks: [context(mrkdwn(x(3000)))] }, accepted([context(mrkdwn(x(3000)))])],
    ['a context element of 3,001 characters', { blocks: [context(mrkdwn(x(3001)))] }, refused('must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]')],
    ['a context image without alt_text', { blocks: [context({ type: 'image', image_url: 'https://example.com/a.png' })] }, refused('missing required field: alt_text [json-pointer:/blocks/0/elements/0/alt_text]')],
    // actions and buttons
    ['an actions block without elements', { blocks: [actions()] }, refused('must provide at least 1 item [json-pointer:/blocks/0/elements]')],
    ['25 buttons', { blocks: [actions(...Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })))] }, accepted([actions(...Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })))])],
    ['26 buttons', { blocks: [actions(...Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))] }, refused('must provide no more than 25 items [json-pointer:/blocks/0/elements]')],
    ['two buttons with one action_id', { blocks: [actions(button(), button())] }, refused('duplicate action_id why [json-pointer:/blocks/0/elements/1/action_id]')],
    ['a button without action_id (Slack makes one)', { blocks: [actions(button({ action_id: undefined }))] }, accepted([actions(button({ action_id: undefined }))])],
    ['an action_id of 256 characters', { blocks: [actions(button({ action_id: x(256) }))] }, refused('must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]')],
    ['a button text of 75 characters', { blocks: [actions(button({ text: plain(x(75)) }))] }, accepted([actions(button({ text: plain(x(75)) }))])],
    ['a button text of 76 characters', { blocks: [actions(button({ text: plain(x(76)) }))] }, refused('must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]')],
    ['a mrkdwn button text', { blocks: [actions(button({ text: mrkdwn('Why?') }))] }, refused('must be a plain_text text object [json-pointer:/blocks/0/elements/0/text]')],
    ['a button value of 2,001 characters', { blocks: [actions(button({ value: x(2001) }))] }, refused('must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]')],
    ['a button url of 3,000 characters', { blocks: [actions(button({ url: `https://${x(2992)}` }))] }, accepted([actions(button({ url: `https://${x(2992)}` }))])],
    ['a button url of 3,001 characters', { blocks: [actions(button({ url: `https://${x(2993)}` }))] }, refused('must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]')],
    ['a button url that is not http(s)', { blocks: [actions(button({ url: 'javascript:alert(1)' }))] }, refused('invalid_url [json-pointer:/blocks/0/elements/0/url]')],
    ['a button style other than primary or danger', { blocks: [actions(button({ style: 'default' }))] }, refused('must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]')],
    // static_select
    ['a select of 100 options, 75-character texts, 150-character values', { blocks: [actions(select(100, { text: x(75), value: x(150) }))] }, accepted([actions(select(100, { text: x(75), value: x(150) }))])],
    ['a select of 101 options', { blocks: [actions(select(101))] }, refused('must provide no more than 100 items [json-pointer:/blocks/0/elements/0/options]')],
    ['a select without options', { blocks: [actions({ ...select(1), options: [] })] }, refused('must provide at least 1 item [json-pointer:/blocks/0/elements/0/options]')],
    ['an option text of 76 characters', { blocks: [actions(select(1, { text: x(76) }))] }, refused('must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]')],
    ['an option value of 151 characters', { blocks: [actions(select(1, { value: x(151) }))] }, refused('must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]')],
    ['a placeholder of 151 characters', { blocks: [actions({ ...select(1), placeholder: plain(x(151)) })] }, refused('must be less than 151 characters [json-pointer:/blocks/0/elements/0/placeholder/text]')],
    ['a select action_id of 256 characters', { blocks: [actions({ ...select(1), action_id: x(256) })] }, refused('must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]')],
    // confirmation dialog
    ['a whole confirm dialog', { blocks: [actions(button({ confirm: confirm({ style: 'danger' }) }))] }, accepted([actions(button({ confirm: confirm({ style: 'danger' }) }))])],
    ['a confirm without deny', { blocks: [actions(button({ confirm: confirm({ deny: undefined }) }))] }, refused('missing required field [json-pointer:/blocks/0/elements/0/confirm/deny]')],
    ['a confirm title of 101 characters', { blocks: [actions(button({ confirm: confirm({ title: plain(x(101)) }) }))] }, refused('must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]')],
    ['a confirm text of 301 characters', { blocks: [actions(button({ confirm: confirm({ text: mrkdwn(x(301)) }) }))] }, refused('must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]')],
    ['a confirm label of 31 characters', { blocks: [actions(button({ confirm: confirm({ confirm: plain(x(31)) }) }))] }, refused('must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]')],
    ['a deny label of 31 characters', { blocks: [actions(button({ confirm: confirm({ deny: plain(x(31)) }) }))] }, refused('must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/deny/text]')],
    ['a mrkdwn confirm title', { blocks: [actions(button({ confirm: confirm({ title: mrkdwn('Raise?') }) }))] }, refused('must be a plain_text text object [json-pointer:/blocks/0/elements/0/confirm/title]')],
    ['a confirm style other than primary or danger', { blocks: [actions(button({ confirm: confirm({ style: 'warning' }) }))] }, refused('must be one of primary, danger [json-pointer:/blocks/0/elements/0/confirm/style]')],
  ])('%s', (_what, args, expected) => {
    expect(checkMessage(args)).toEqual(expected);
  });

  it('names every breach of one message, not only the first', () => {
    expect(checkMessage({ blocks: [{ type: 'header', text: plain(x(151)) }, actions(button({ value: x(2001), style: 'loud' }))] })).toEqual(
      refused('must be less than 151 characters [json-pointer:/blocks/0/text/text]', 'must be less than 2001 characters [json-pointer:/blocks/1/elements/0/value]', 'must be one of primary, danger [json-pointer:/blocks/1/elements/0/style]'),
    );
  });
});

describe('the top-level text', () => {
  it.each<[MessageTarget]>([['chat.postMessage'], ['chat.postEphemeral'], ['response_url']])('is truncated at 40,000 characters with a warning by %s, never refused', (target) => {
    expect(checkMessage({ text: x(40_000) }, { target })).toEqual({ ok: true, text: x(40_000), blocks: undefined });
    expect(checkMessage({ text: x(40_001) }, { target })).toEqual({ ok: true, text: x(40_000), blocks: undefined, warnings: ['message_truncated'] });
  });

  it('is refused past 4,000 characters by chat.update', () => {
    expect(checkMessage({ text: x(LIMITS.updatedText) }, { target: 'chat.update' })).toEqual({ ok: true, text: x(4000), blocks: undefined });
    expect(checkMessage({ text: x(LIMITS.updatedText + 1) }, { target: 'chat.update' })).toEqual({ ok: false, error: 'msg_too_long' });
  });
});

describe('a response URL', () => {
  it('takes five uses within 30 minutes, then answers used_url, and expired_url once 30 minutes are past', () => {
    expect(responseUrlRefusal(undefined, 0)).toBeUndefined();
    expect(responseUrlRefusal({ firstAt: 0, uses: RESPONSE_URL.uses - 1 }, 1000)).toBeUndefined();
    expect(responseUrlRefusal({ firstAt: 0, uses: 5 }, 1000)).toBe('used_url');
    expect(responseUrlRefusal({ firstAt: 0, uses: 1 }, 30 * 60_000)).toBeUndefined();
    expect(responseUrlRefusal({ firstAt: 0, uses: 1 }, 30 * 60_000 + 1)).toBe('expired_url');
  });
});
