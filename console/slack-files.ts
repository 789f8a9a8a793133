// Slack's files as its external upload flow makes them, kept by the one Slack double that the local console serves
// and the tests run against (slack-api.ts), so it refuses what Slack refuses. Pure: no I/O; the caller serves the
// upload URL and the file's bytes. Slack facts relied on:
// - files.getUploadURLExternal (api.slack.com/methods/files.getUploadURLExternal): `filename` and `length` (the size in
//   bytes) are required; `missing_argument` "typically only occurs when the length provided is 0"; `alt_txt` is at most
//   1,000 characters (`alt_txt_too_large`). It answers an `upload_url` and a `file_id`.
// - The upload: a POST of the bytes to that URL, raw or as a multipart form; "Slack will return HTTP 200 if the upload
//   is successful; a non-200 response indicates a failure". Here a byte count other than the `length` announced is
//   such a failure, and an upload URL serves one upload.
// - files.completeUploadExternal (api.slack.com/methods/files.completeUploadExternal): `files` is a required array of
//   `{id, title?}`; `file_not_found` when a file "could not be found from the upload ticket" (here: never uploaded, or
//   completed already); `channel_id` shares the file — "if not specified the file will be private"; `thread_ts` needs
//   that channel. It answers the files.
// - Both methods need the `files:write` scope (the callers check scopes; the console has them all).
// - A slack_file object (api.slack.com/reference/block-kit/composition-objects#slack_file) names a file by `id` or by
//   `url` (its url_private or its permalink), not both; the file "must be an image" (png, jpg, jpeg or gif) that the
//   poster can see — a private file is visible to the app that uploaded it.
import { randomBytes } from 'node:crypto';
import * as z from 'zod';

/** A completed file as the console's state file keeps it: its bytes as base64. */
export const StoredFileSchema = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  altText: z.string().optional(),
  mimetype: z.string(),
  created: z.number().int().nonnegative(),
  /** Channels it was shared to with channel_id; empty for a private file. */
  channels: z.array(z.string()),
  data: z.string(),
});
export type StoredFile = z.infer<typeof StoredFileSchema>;

export const ALT_TXT_MAX = 1000;
/** Slack's file ids: "F" and at least eight upper-case letters or digits (the pattern Slack's `invalid_blocks` names). */
export const FILE_ID = /^F[A-Z0-9]{8,}$/;

type Answer = Record<string, unknown> & { ok: boolean };
type Args = Record<string, unknown>;

interface Pending {
  id: string;
  name: string;
  length: number;
  altText: string | undefined;
  ticket: string;
  created: number;
  bytes?: Buffer;
}

/** Where a caller serves what this store hands out: the upload URLs and the files' private URLs and permalinks. */
export interface FileUrls {
  upload: (ticket: string) => string;
  urlPrivate: (file: { id: string; name: string }) => string;
  permalink: (file: { id: string; name: string }) => string;
}

export class FileStore {
  private readonly pending = new Map<string, Pending>();
  private readonly tickets = new Map<string, string>();
  private readonly done = new Map<string, StoredFile>();

  constructor(
    private readonly urls: FileUrls,
    stored: StoredFile[] = [],
    private readonly newId: () => string = () => `F${randomBytes(5).toString('hex').toUpperCase()}`,
  ) {
    for (const f of stored) this.done.set(f.id, f);
  }

  /** files.getUploadURLExternal. */
  getUploadURL(args: Args, now = Date.now()): Answer {
    const filename = typeof args['filename'] === 'string' ? args['filename'] : '';
    const length = Number(args['length'] ?? 0);
    const altText = typeof args['alt_txt'] === 'string' ? args['alt_txt'] : undefined;
    if (!length) return { ok: false, error: 'missing_argument' };
    if (!filename || !Number.isSafeInteger(length) || length < 0) return { ok: false, error: 'invalid_arguments' };
    if (altText !== undefined && altText.length > ALT_TXT_MAX) return { ok: false, error: 'alt_txt_too_large' };
    const id = this.newId();
    const ticket = randomBytes(12).toString('hex');
    this.pending.set(id, { id, name: filename, length, altText, ticket, created: Math.floor(now / 1000) });
    this.tickets.set(ticket, id);
    return { ok: true, upload_url: this.urls.upload(ticket), file_id: id };
  }

  /** The POST to an upload URL: the status and body the upload service answers. */
  receive(ticket: string, bytes: Buffer): { status: number; body: string } {
    const id = this.tickets.get(ticket);
    const file = id === undefined ? undefined : this.pending.get(id);
    if (!file) return { status: 404, body: 'upload URL not found' };
    if (file.bytes) return { status: 410, body: 'upload URL already used' };
    if (bytes.length !== file.length) return { status: 400, body: `length mismatch: files.getUploadURLExternal said ${file.length} bytes, the upload had ${bytes.length}` };
    file.bytes = bytes;
    return { status: 200, body: `OK - ${bytes.length}` };
  }

  /**
   * files.completeUploadExternal. `channelKnown` says whether a channel_id names a channel the app may post in; the
   * files are completed (and shared) only when every one of them can be.
   */
  complete(args: Args, channelKnown: (channel: string) => boolean = () => true): Answer {
    const files = parseFiles(args['files']);
    if (!files) return { ok: false, error: 'invalid_arguments' };
    const channel = typeof args['channel_id'] === 'string' && args['channel_id'] ? args['channel_id'] : undefined;
    if (channel !== undefined && !channelKnown(channel)) return { ok: false, error: 'channel_not_found' };
    if (args['thread_ts'] !== undefined && channel === undefined) return { ok: false, error: 'invalid_arguments' };
    const ready = files.map((f) => ({ f, p: this.pending.get(f.id) }));
    if (ready.some(({ p }) => !p?.bytes)) return { ok: false, error: 'file_not_found' };
    const completed = ready.map(({ f, p }) => {
      const stored: StoredFile = {
        id: p!.id,
        name: p!.name,
        title: f.title ?? p!.name,
        ...(p!.altText !== undefined ? { altText: p!.altText } : {}),
        mimetype: sniffMimetype(p!.bytes!),
        created: p!.created,
        channels: channel ? [channel] : [],
        data: p!.bytes!.toString('base64'),
      };
      this.pending.delete(p!.id);
      this.tickets.delete(p!.ticket);
      this.done.set(stored.id, stored);
      return stored;
    });
    return { ok: true, files: completed.map((f) => this.fileObject(f)) };
  }

  /** A completed file named by a slack_file object's id, or by its url (url_private or permalink). */
  lookup(ref: { id?: string | undefined; url?: string | undefined }): StoredFile | undefined {
    if (ref.id !== undefined) return this.done.get(ref.id);
    if (ref.url === undefined) return undefined;
    return [...this.done.values()].find((f) => ref.url === this.urls.urlPrivate(f) || ref.url === this.urls.permalink(f));
  }

  bytes(id: string): { mimetype: string; data: Buffer } | undefined {
    const f = this.done.get(id);
    return f && { mimetype: f.mimetype, data: Buffer.from(f.data, 'base64') };
  }

  /** Completed files, newest last; at most `max` of them (a state file need not keep every chart ever drawn). */
  completed(max = Infinity): StoredFile[] {
    return [...this.done.values()].slice(-max);
  }

  /** The file object Slack answers with (api.slack.com/types/file): the fields a client reads. */
  fileObject(f: StoredFile): Record<string, unknown> {
    const type = f.mimetype.split('/')[1] ?? 'binary';
    return {
      id: f.id,
      created: f.created,
      timestamp: f.created,
      name: f.name,
      title: f.title,
      mimetype: f.mimetype,
      filetype: type === 'jpeg' ? 'jpg' : type,
      size: Buffer.from(f.data, 'base64').length,
      mode: 'hosted',
      is_external: false,
      is_public: f.channels.length > 0,
      url_private: this.urls.urlPrivate(f),
      url_private_download: this.urls.urlPrivate(f),
      permalink: this.urls.permalink(f),
      ...(f.altText !== undefined ? { alt_txt: f.altText } : {}),
      channels: f.channels,
    };
  }
}

/** What a file's first bytes say it is; Slack shows png, jpeg and gif files as images. */
export function sniffMimetype(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  return 'application/octet-stream';
}

export const IMAGE_MIMETYPES = new Set(['image/png', 'image/jpeg', 'image/gif']);

/** The upload's bytes: the body as sent, or the first file of a multipart form. */
export async function uploadedBytes(body: Buffer, contentType: string | undefined): Promise<Buffer> {
  if (!(contentType ?? '').startsWith('multipart/form-data')) return body;
  const form = await new Response(body, { headers: { 'content-type': contentType! } }).formData();
  for (const value of form.values()) if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  return Buffer.alloc(0);
}

const FilesArgSchema = z.array(z.object({ id: z.string().min(1), title: z.string().optional() })).min(1);

function parseFiles(raw: unknown): z.infer<typeof FilesArgSchema> | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const parsed = FilesArgSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
