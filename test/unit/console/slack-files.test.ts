// Slack's external upload flow and its image-block rules, as the tests' Slack double and the local console keep them
// (console/slack-files.ts, console/slack-rules.ts): what Slack refuses is refused, word for word.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../../console/slack-rules.ts';
import { FileStore, sniffMimetype, uploadedBytes } from '../../../console/slack-files.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really the rest of a png')]);
const urls = {
  upload: (ticket: string) => `http://files.test/upload/v1/${ticket}`,
  urlPrivate: (f: { id: string; name: string }) => `http://files.test/files-pri/T0-${f.id}/${f.name}`,
  permalink: (f: { id: string; name: string }) => `http://files.test/files/U0BOT/${f.id}/${f.name}`,
};

function store(): FileStore {
  let n = 0;
  return new FileStore(urls, [], () => `F0TEST${String(++n).padStart(5, '0')}`);
}

/** The three steps, as a client makes them (the workspace has one channel, C0ALERTS); answers the completion. */
function upload(files: FileStore, bytes: Buffer, complete: Record<string, unknown> = {}, name = 'memory.png') {
  const opened = files.getUploadURL({ filename: name, length: bytes.length, alt_txt: 'a chart' });
  const ticket = String(opened['upload_url']).split('/').pop()!;
  const received = files.receive(ticket, bytes);
  return { opened, received, completed: files.complete({ files: JSON.stringify([{ id: opened['file_id'], title: 'Memory' }]), ...complete }, (channel) => channel === 'C0ALERTS') };
}

describe('the external upload flow', () => {
  it('hands out an upload URL and a file id, takes exactly the announced bytes, and completes a private file', () => {
    const files = store();
    const { opened, received, completed } = upload(files, PNG);
    expect(opened).toEqual({ ok: true, upload_url: expect.stringMatching(/^http:\/\/files\.test\/upload\/v1\/[0-9a-f]{24}$/), file_id: 'F0TEST00001' });
    expect(received).toEqual({ status: 200, body: `OK - ${PNG.length}` });
    expect(completed).toEqual({
      ok: true,
      files: [
        {
          id: 'F0TEST00001',
          created: expect.any(Number),
          timestamp: expect.any(Number),
          name: 'memory.png',
          title: 'Memory',
          mimetype: 'image/png',
          filetype: 'png',
          size: PNG.length,
          mode: 'hosted',
          is_external: false,
          is_public: false,
          url_private: 'http://files.test/files-pri/T0-F0TEST00001/memory.png',
          url_private_download: 'http://files.test/files-pri/T0-F0TEST00001/memory.png',
          permalink: 'http://files.test/files/U0BOT/F0TEST00001/memory.png',
          alt_txt: 'a chart',
          channels: [],
        },
      ],
    });
    expect(files.bytes('F0TEST00001')).toEqual({ mimetype: 'image/png', data: PNG });
  });

  it('shares a file to the channel completeUploadExternal names, and only then', () => {
    const files = store();
    expect(upload(files, PNG, { channel_id: 'C0ALERTS' }).completed['files']).toMatchObject([{ is_public: true, channels: ['C0ALERTS'] }]);
    expect(upload(files, PNG, { channel_id: 'C0NOPE' }, 'x.png').completed).toEqual({ ok: false, error: 'channel_not_found' });
  });

  it.each([
    ['a length of 0', { filename: 'a.png', length: 0 }, 'missing_argument'],
    ['no length', { filename: 'a.png' }, 'missing_argument'],
    ['no filename', { length: 10 }, 'invalid_arguments'],
    ['a length that is not a whole number', { filename: 'a.png', length: 1.5 }, 'invalid_arguments'],
    ['alt text past 1,000 characters', { filename: 'a.png', length: 10, alt_txt: 'x'.repeat(1001) }, 'alt_txt_too_large'],
  ])('refuses an upload URL for %s', (_what, args, error) => {
    expect(store().getUploadURL(args)).toEqual({ ok: false, error });
  });

  it('keeps alt text of exactly 1,000 characters', () => {
    expect(store().getUploadURL({ filename: 'a.png', length: 10, alt_txt: 'x'.repeat(1000) })).toMatchObject({ ok: true });
  });

  it('refuses an upload of another length than announced, an unknown upload URL and a second upload to one URL', () => {
    const files = store();
    const ticket = String(files.getUploadURL({ filename: 'a.png', length: PNG.length })['upload_url']).split('/').pop()!;
    expect(files.receive(ticket, PNG.subarray(1))).toEqual({ status: 400, body: `length mismatch: files.getUploadURLExternal said ${PNG.length} bytes, the upload had ${PNG.length - 1}` });
    expect(files.receive('0'.repeat(24), PNG)).toEqual({ status: 404, body: 'upload URL not found' });
    expect(files.receive(ticket, PNG).status).toBe(200);
    expect(files.receive(ticket, PNG)).toEqual({ status: 410, body: 'upload URL already used' });
  });

  it('does not complete a file whose bytes never arrived, one completed already, or a malformed files list', () => {
    const files = store();
    const opened = files.getUploadURL({ filename: 'a.png', length: PNG.length });
    const complete = () => files.complete({ files: [{ id: opened['file_id'] }] });
    expect(complete()).toEqual({ ok: false, error: 'file_not_found' });
    files.receive(String(opened['upload_url']).split('/').pop()!, PNG);
    expect(complete()).toMatchObject({ ok: true, files: [{ id: opened['file_id'], title: 'a.png' }] });
    expect(complete()).toEqual({ ok: false, error: 'file_not_found' });
    expect(files.complete({ files: '[]' })).toEqual({ ok: false, error: 'invalid_arguments' });
    expect(files.complete({ files: 'not json' })).toEqual({ ok: false, error: 'invalid_arguments' });
    expect(files.complete({ files: [{ id: 'F0TEST00009' }], thread_ts: '1.000001' })).toEqual({ ok: false, error: 'invalid_arguments' });
  });

  it('finds a completed file by its id, its url_private or its permalink, and nothing else', () => {
    const files = store();
    upload(files, PNG);
    const pending = files.getUploadURL({ filename: 'b.png', length: 3 });
    expect(files.lookup({ id: 'F0TEST00001' })?.id).toBe('F0TEST00001');
    expect(files.lookup({ url: 'http://files.test/files-pri/T0-F0TEST00001/memory.png' })?.id).toBe('F0TEST00001');
    expect(files.lookup({ url: 'http://files.test/files/U0BOT/F0TEST00001/memory.png' })?.id).toBe('F0TEST00001');
    expect(files.lookup({ id: String(pending['file_id']) })).toBeUndefined();
    expect(files.lookup({ url: 'http://elsewhere.test/memory.png' })).toBeUndefined();
  });

  it('reads the bytes of a multipart upload as Slack takes them, and a raw body as it is', async () => {
    const form = new FormData();
    form.append('filename', 'memory.png');
    form.append('file', new Blob([PNG]), 'memory.png');
    const req = new Request('http://x/', { method: 'POST', body: form });
    expect(await uploadedBytes(Buffer.from(await req.arrayBuffer()), req.headers.get('content-type')!)).toEqual(PNG);
    expect(await uploadedBytes(PNG, 'image/png')).toBe(PNG);
  });

  it('tells png, jpeg and gif from other bytes', () => {
    expect([PNG, Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('GIF89a'), Buffer.from('%PDF-1.7')].map(sniffMimetype)).toEqual(['image/png', 'image/jpeg', 'image/gif', 'application/octet-stream']);
  });
});

describe('an image block', () => {
  const files = store();
  upload(files, PNG);
  upload(files, Buffer.from('%PDF-1.7 a document'), {}, 'report.pdf');
  const lookup = (ref: { id?: string; url?: string }) => files.lookup(ref);
  const image = (fields: Record<string, unknown>) => checkMessage({ text: 'x', blocks: JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }, { type: 'image', ...fields }]) }, { files: lookup });
  const refused = (...errors: string[]) => ({ ok: false, error: 'invalid_blocks', errors });

  it('may name a completed image file by id or by url, with a title', () => {
    expect(image({ slack_file: { id: 'F0TEST00001' }, alt_text: 'memory', title: { type: 'plain_text', text: 'Memory' } })).toMatchObject({ ok: true });
    expect(image({ slack_file: { url: 'http://files.test/files-pri/T0-F0TEST00001/memory.png' }, alt_text: 'memory' })).toMatchObject({ ok: true });
    expect(image({ image_url: 'https://example.com/a.png', alt_text: 'memory' })).toMatchObject({ ok: true });
  });

  it.each([
    ['an unknown file', { slack_file: { id: 'F0TEST99999' }, alt_text: 'm' }, 'invalid slack file [json-pointer:/blocks/1/slack_file]'],
    ['a file that is not an image', { slack_file: { id: 'F0TEST00002' }, alt_text: 'm' }, 'invalid slack file [json-pointer:/blocks/1/slack_file]'],
    ['a url that is no file of the workspace', { slack_file: { url: 'https://example.com/memory.png' }, alt_text: 'm' }, 'invalid slack file [json-pointer:/blocks/1/slack_file]'],
    ['an id that is not a file id', { slack_file: { id: 'https://files.test/x.png' }, alt_text: 'm' }, 'input must match regex pattern: ^F[A-Z0-9]{8,}$ [json-pointer:/blocks/1/slack_file/id]'],
    ['both an id and a url', { slack_file: { id: 'F0TEST00001', url: 'http://files.test/files/U0BOT/F0TEST00001/memory.png' }, alt_text: 'm' }, 'must provide either id or url [json-pointer:/blocks/1/slack_file]'],
    ['both image_url and slack_file', { slack_file: { id: 'F0TEST00001' }, image_url: 'https://example.com/a.png', alt_text: 'm' }, 'must provide either image_url or slack_file [json-pointer:/blocks/1]'],
    ['neither image_url nor slack_file', { alt_text: 'm' }, 'must provide either image_url or slack_file [json-pointer:/blocks/1]'],
    ['no alt text', { slack_file: { id: 'F0TEST00001' } }, 'missing required field: alt_text [json-pointer:/blocks/1/alt_text]'],
    ['alt text past 2,000 characters', { slack_file: { id: 'F0TEST00001' }, alt_text: 'm'.repeat(2001) }, 'must be less than 2001 characters [json-pointer:/blocks/1/alt_text]'],
    ['a title past 2,000 characters', { slack_file: { id: 'F0TEST00001' }, alt_text: 'm', title: { type: 'plain_text', text: 't'.repeat(2001) } }, 'must be less than 2001 characters [json-pointer:/blocks/1/title/text]'],
    ['a mrkdwn title', { slack_file: { id: 'F0TEST00001' }, alt_text: 'm', title: { type: 'mrkdwn', text: '*t*' } }, 'must be a plain_text text object [json-pointer:/blocks/1/title]'],
    ['an image_url past 3,000 characters', { image_url: `https://example.com/${'a'.repeat(3000)}`, alt_text: 'm' }, 'must be less than 3001 characters [json-pointer:/blocks/1/image_url]'],
  ])('is refused with %s', (_what, fields, error) => {
    expect(image(fields)).toEqual(refused(error));
  });

  it('keeps alt text and a title of exactly 2,000 characters', () => {
    expect(image({ slack_file: { id: 'F0TEST00001' }, alt_text: 'm'.repeat(2000), title: { type: 'plain_text', text: 't'.repeat(2000) } })).toMatchObject({ ok: true });
  });

  it('cannot name any file where no file store is consulted', () => {
    expect(checkMessage({ blocks: [{ type: 'image', slack_file: { id: 'F0TEST00001' }, alt_text: 'm' }] })).toEqual(refused('invalid slack file [json-pointer:/blocks/0/slack_file]'));
  });
});
