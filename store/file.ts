// The Store for local mode (`npm start`): DynamoStore's semantics (store/dynamo.ts), held in memory and kept in one
// JSON file, so a restart remembers claims, repeat groups, mutes, audit records and incidents.
// Operations run one at a time on a promise chain: that is what makes DynamoDB's conditional writes hold here, so one
// process must own the file. Each change is written to a temp file in the same directory, synced and renamed over the
// store; rename(2) replaces a file atomically within a file system, so a crash leaves the old file or the new one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod';
import { EXPIRES, STALE_CLAIM_MS } from './lifetimes.ts';
import { decodeIncident, encodeIncident, IncidentRecordSchema, MessageRefSchema, nextCounterSlot, type AuditRecord, type Claim, type GroupMessage, type Incident, type MessageRef, type Mute, type RecentOptions, type RepeatGroup, type Store } from './port.ts';
import { ChannelStormsSchema, emptyChannelStorms, placeInStorm, reserveUpdate, withShown, withStormRoot, type ChannelStorms, type Storm, type StormOccurrence, type StormPlace, type StormSettings } from './storms.ts';

const FILE_VERSION = 1;

// The file lists items as arrays of objects carrying their own key, not as objects keyed by id: a key such as
// "__proto__" would not survive JSON objects parsed into plain objects.
const occurrenceSchema = z.object({ occurrenceId: z.string(), state: z.enum(['claimed', 'posted']), claimedAt: z.number().optional(), message: MessageRefSchema.optional(), expiresAt: z.number().optional() });
const groupSchema = z.object({
  groupKey: z.string(),
  count: z.number(),
  firstAt: z.number(),
  lastAt: z.number(),
  expiresAt: z.number(),
  message: MessageRefSchema.extend({ blocks: z.string().optional(), text: z.string().optional(), listed: z.array(z.string()).optional() }).optional(),
  counterAt: z.number().optional(),
});
/**
 * A counted occurrence's place in its group (the group told by its firstAt), so a retry is not counted twice. Kept
 * apart from the group, as DynamoStore keeps them: a new group replaces the old one, its members stay until they expire.
 */
const memberSchema = z.object({ groupKey: z.string(), occurrenceId: z.string(), count: z.number(), firstAt: z.number(), message: MessageRefSchema.optional(), expiresAt: z.number() });
const clickSchema = z.object({ clickId: z.string(), expiresAt: z.number() });
// `at` is optional: a file written before it was kept still reads.
const muteSchema = z.object({ key: z.string(), until: z.number(), by: z.string(), at: z.number().optional() });
const auditSchema = z.object({ incidentId: z.string(), cluster: z.string(), userId: z.string(), action: z.string(), target: z.string(), before: z.string(), after: z.string(), at: z.string() }) satisfies z.ZodType<AuditRecord>;
const storeFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  occurrences: z.array(occurrenceSchema),
  groups: z.array(groupSchema),
  // Optional: a file written before members and clicks were kept apart still reads.
  members: z.array(memberSchema).default([]),
  clicks: z.array(clickSchema).default([]),
  mutes: z.array(muteSchema),
  incidents: z.array(z.object({ incident: IncidentRecordSchema, expiresAt: z.number() })),
  audit: z.array(auditSchema),
  // Optional: a file written before storms were kept still reads.
  storms: z.array(z.object({ channel: z.string(), state: ChannelStormsSchema, expiresAt: z.number() })).default([]),
});

type Occurrence = z.infer<typeof occurrenceSchema>;
type Group = z.infer<typeof groupSchema>;
type Member = z.infer<typeof memberSchema>;
type StoredIncident = z.infer<typeof storeFileSchema>['incidents'][number];
interface State {
  occurrences: Map<string, Occurrence>;
  groups: Map<string, Group>;
  /** Keyed by group key, then by occurrence id. */
  members: Map<string, Map<string, Member>>;
  clicks: Map<string, z.infer<typeof clickSchema>>;
  mutes: Map<string, z.infer<typeof muteSchema>>;
  incidents: Map<string, StoredIncident>;
  /** Keyed by incident, then by `<at>#<userId>` (DynamoStore's sort key: a record with the same one replaces it). */
  audit: Map<string, Map<string, AuditRecord>>;
  /** Keyed by channel: store/storms.ts's record, changed only under this store's one-at-a-time chain. */
  storms: Map<string, { channel: string; state: ChannelStorms; expiresAt: number }>;
}

export type StoreFileErrorCode = 'STORE_FILE_UNREADABLE' | 'STORE_FILE_CORRUPT' | 'STORE_FILE_VERSION' | 'STORE_FILE_UNWRITABLE';

/** The store file cannot be read, understood or written: the message names the file and what to do about it. */
export class StoreFileError extends Error {
  override name = 'StoreFileError';
  constructor(
    readonly code: StoreFileErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FileStoreOptions {
  /** The clock that decides what has expired when the file is written (ms); Date.now unless a test fixes it. */
  clock?: () => number;
}

export class FileStore implements Store {
  private readonly clock: () => number;
  private state: State | undefined;
  /** The file's content as last read or written: what a failed write rolls the state back to. */
  private persisted = '';
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    options: FileStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Opens the store at `path` (an empty one if the file does not exist yet), reporting a bad file now, not later. */
  static async open(path: string, options?: FileStoreOptions): Promise<FileStore> {
    const store = new FileStore(path, options);
    await store.read(() => undefined);
    return store;
  }

  claimOccurrence(occurrenceId: string, now: number): Promise<Claim> {
    return this.update((s) => {
      const held = s.occurrences.get(occurrenceId);
      if (held && !(held.state === 'claimed' && (held.claimedAt ?? 0) < now - STALE_CLAIM_MS)) return 'duplicate';
      s.occurrences.set(occurrenceId, { occurrenceId, state: 'claimed', claimedAt: now, expiresAt: EXPIRES.occurrence(now) });
      return 'claimed';
    });
  }

  claimClick(clickId: string, now: number): Promise<Claim> {
    return this.update((s) => {
      if (s.clicks.has(clickId)) return 'duplicate';
      s.clicks.set(clickId, { clickId, expiresAt: EXPIRES.click(now) });
      return 'claimed';
    });
  }

  releaseOccurrence(occurrenceId: string): Promise<void> {
    return this.update((s) => {
      // Only an unposted claim is released: a posted occurrence stays posted whatever happens after.
      if (s.occurrences.get(occurrenceId)?.state === 'claimed') s.occurrences.delete(occurrenceId);
    });
  }

  markOccurrencePosted(occurrenceId: string, message: MessageRef): Promise<void> {
    return this.update((s) => {
      // Unconditional, like DynamoStore's UpdateCommand: without a claim it creates the item (which then never expires).
      const held = s.occurrences.get(occurrenceId);
      s.occurrences.set(occurrenceId, { ...held, occurrenceId, state: 'posted', message: { channel: message.channel, ts: message.ts } });
    });
  }

  recordRepeat(groupKey: string, now: number, windowMs: number, occurrenceId?: string, at = now): Promise<RepeatGroup> {
    return this.update((s) => {
      const group = s.groups.get(groupKey);
      const members = s.members.get(groupKey) ?? new Map<string, Member>();
      const seen = occurrenceId === undefined ? undefined : members.get(occurrenceId);
      if (seen) {
        // Counted before: its place again, in the group it was counted in (a newer group is not its group).
        if (group?.firstAt === seen.firstAt) return { ...groupOf(group), count: seen.count };
        return { count: seen.count, firstAt: seen.firstAt, ...(seen.message ? { message: { ...seen.message } } : {}), closed: true };
      }
      const expiresAt = EXPIRES.group(Math.max(now, at), windowMs);
      let counted: RepeatGroup;
      if (group && group.lastAt >= at - windowMs) {
        Object.assign(group, { count: group.count + 1, lastAt: at, expiresAt });
        counted = groupOf(group);
      } else {
        // A new group replaces the old one whole: its message and counter slot go with it.
        s.groups.set(groupKey, { groupKey, count: 1, firstAt: at, lastAt: at, expiresAt });
        counted = { count: 1, firstAt: at };
      }
      if (occurrenceId !== undefined) {
        const message = counted.message ? { message: { channel: counted.message.channel, ts: counted.message.ts } } : {};
        s.members.set(groupKey, members.set(occurrenceId, { groupKey, occurrenceId, count: counted.count, firstAt: counted.firstAt, ...message, expiresAt }));
      }
      return counted;
    });
  }

  currentRepeat(groupKey: string): Promise<RepeatGroup | undefined> {
    return this.read((s) => {
      const group = s.groups.get(groupKey);
      return group ? groupOf(group) : undefined;
    });
  }

  repeatMessage(groupKey: string): Promise<GroupMessage | undefined> {
    return this.read((s) => {
      const group = s.groups.get(groupKey);
      return group ? groupOf(group).message : undefined;
    });
  }

  setRepeatMessage(groupKey: string, message: GroupMessage): Promise<void> {
    return this.update((s) => {
      const group = s.groups.get(groupKey);
      // The first one set stays: a later standalone alert must not move the thread. No group, nothing to set.
      if (!group || group.message) return;
      group.message = { channel: message.channel, ts: message.ts, ...(message.blocks ? { blocks: message.blocks } : {}), ...(message.text ? { text: message.text } : {}), ...(message.listed?.length ? { listed: [...message.listed] } : {}) };
    });
  }

  replaceRepeatBlocks(groupKey: string, blocks: string): Promise<void> {
    return this.update((s) => {
      const group = s.groups.get(groupKey);
      // The group ended (or never had a message): nothing to keep in sync.
      if (group?.message) group.message = { ...group.message, blocks };
    });
  }

  reserveCounterUpdate(groupKey: string, now: number, minIntervalMs: number, maxWaitMs?: number): Promise<number | undefined> {
    return this.update((s) => {
      const group = s.groups.get(groupKey);
      if (!group || (group.counterAt !== undefined && group.counterAt > now)) return undefined;
      const at = nextCounterSlot(group.counterAt, now, minIntervalMs, maxWaitMs);
      group.counterAt = at;
      return at;
    });
  }

  placeInStorm(channel: string, occurrence: StormOccurrence, settings: StormSettings): Promise<StormPlace> {
    return this.changeStorms(channel, occurrence.now, (state) => {
      const { next, place, changed } = placeInStorm(state, occurrence, settings);
      return { next: changed ? next : undefined, result: place };
    });
  }

  setStormRoot(channel: string, startedAt: number, root: MessageRef, now: number): Promise<void> {
    return this.changeStorms(channel, now, (state) => ({ next: withStormRoot(state, startedAt, root, now), result: undefined }));
  }

  setStormShown(channel: string, startedAt: number, shown: { key: string; count: number }[], now: number): Promise<void> {
    return this.changeStorms(channel, now, (state) => ({ next: withShown(state, startedAt, shown), result: undefined }));
  }

  channelStorm(channel: string): Promise<Storm | undefined> {
    return this.read((s) => structuredClone(s.storms.get(channel)?.state.storm));
  }

  reserveStormUpdate(channel: string, startedAt: number, now: number, minIntervalMs: number): Promise<number | undefined> {
    return this.changeStorms(channel, now, (state) => {
      const reserved = reserveUpdate(state, startedAt, now, minIntervalMs);
      return { next: reserved?.next, result: reserved?.at };
    });
  }

  private changeStorms<T>(channel: string, now: number, step: (state: ChannelStorms) => { next: ChannelStorms | undefined; result: T }): Promise<T> {
    return this.update((s) => {
      const { next, result } = step(structuredClone(s.storms.get(channel)?.state ?? emptyChannelStorms()));
      if (next) s.storms.set(channel, { channel, state: next, expiresAt: EXPIRES.storm(now) });
      return structuredClone(result);
    });
  }

  recordIncident(incident: Incident): Promise<void> {
    return this.update((s) => {
      const expiresAt = EXPIRES.incident(Date.parse(incident.occurredAt) || this.clock());
      s.incidents.set(incident.incidentId, { incident: encodeIncident(incident), expiresAt });
    });
  }

  incident(incidentId: string): Promise<Incident | undefined> {
    return this.read((s) => {
      const stored = s.incidents.get(incidentId);
      return stored ? decodeIncident(stored.incident) : undefined;
    });
  }

  recentIncidents(cluster: string, { namespace, limit = 10, before }: RecentOptions = {}): Promise<Incident[]> {
    const below = before ? recentKey(before) : undefined;
    return this.read((s) =>
      [...s.incidents.values()]
        .map(({ incident }) => incident)
        .filter((i) => i.cluster === cluster && (!namespace || i.namespace === namespace) && (below === undefined || compare(recentKey(i), below) < 0))
        // DynamoStore's index sort key, descending.
        .sort((a, b) => compare(recentKey(b), recentKey(a)))
        .slice(0, limit)
        .map(decodeIncident),
    );
  }

  recordAudit(record: AuditRecord): Promise<void> {
    return this.update((s) => {
      // Audit records do not expire.
      const trail = s.audit.get(record.incidentId) ?? new Map<string, AuditRecord>();
      trail.set(auditKey(record), auditOf(record));
      s.audit.set(record.incidentId, trail);
    });
  }

  auditTrail(incidentId: string): Promise<AuditRecord[]> {
    return this.read((s) =>
      [...(s.audit.get(incidentId)?.entries() ?? [])]
        .sort(([a], [b]) => compare(a, b))
        .map(([, record]) => auditOf(record)),
    );
  }

  muteUntil(key: string, now: number): Promise<number | undefined> {
    return this.read((s) => {
      const until = s.mutes.get(key)?.until;
      return until !== undefined && until > now ? until : undefined;
    });
  }

  activeMute(key: string, now: number): Promise<Mute | undefined> {
    return this.read((s) => {
      const mute = s.mutes.get(key);
      return mute && mute.until > now ? { until: mute.until, by: mute.by, ...(mute.at !== undefined ? { at: mute.at } : {}) } : undefined;
    });
  }

  mute(key: string, until: number, by: string, at?: number): Promise<void> {
    return this.update((s) => {
      s.mutes.set(key, { key, until, by, ...(at !== undefined ? { at } : {}) });
    });
  }

  unmute(key: string): Promise<void> {
    return this.update((s) => {
      s.mutes.delete(key);
    });
  }

  private read<T>(op: (state: State) => T): Promise<T> {
    return this.serially(async () => op(await this.loaded()));
  }

  /** Applies a change and writes the file if it changed; a failed write undoes the change, as a failed PutItem would. */
  private update<T>(op: (state: State) => T): Promise<T> {
    return this.serially(async () => {
      const state = await this.loaded();
      const result = op(state);
      const text = serialize(prune(state, this.clock()));
      if (text !== this.persisted) {
        try {
          await this.write(text);
        } catch (error) {
          this.state = this.persisted ? deserialize(this.persisted) : emptyState();
          throw error;
        }
        this.persisted = text;
      }
      return result;
    });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async loaded(): Promise<State> {
    this.state ??= await this.load();
    return this.state;
  }

  private async load(): Promise<State> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return emptyState();
      throw new StoreFileError('STORE_FILE_UNREADABLE', this.path, `cannot read the local store ${this.path} (${errorCode(error) ?? String(error)}): make it a file this user can read, or ${this.startFresh()}`, { cause: error });
    }
    const state = this.parse(text);
    this.persisted = text;
    await this.removeLeftovers();
    return state;
  }

  private parse(text: string): State {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new StoreFileError('STORE_FILE_CORRUPT', this.path, `the local store ${this.path} is not valid JSON (${error instanceof Error ? error.message : String(error)}); it was changed by something other than oombot: ${this.startFresh()}`, { cause: error });
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version !== FILE_VERSION) {
      throw new StoreFileError('STORE_FILE_VERSION', this.path, `the local store ${this.path} is version ${version}, and this oombot reads version ${FILE_VERSION}: run the oombot that wrote it, or ${this.startFresh()}`);
    }
    const parsed = storeFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `at ${issue.path.join('.')}: ` : '';
      throw new StoreFileError('STORE_FILE_CORRUPT', this.path, `the local store ${this.path} is not an oombot store (${where}${issue?.message ?? 'unexpected content'}): ${this.startFresh()}`, { cause: parsed.error });
    }
    return stateOf(parsed.data);
  }

  private startFresh(): string {
    return `move it away to start with an empty store (mv '${this.path}' '${this.path}.broken')`;
  }

  private tempPrefix(): string {
    return `${basename(this.path)}.`;
  }

  private async write(text: string): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `${this.tempPrefix()}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(text, 'utf8');
        // On disk before the rename makes it the store: otherwise a power cut could leave the new name on empty data.
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new StoreFileError('STORE_FILE_UNWRITABLE', this.path, `cannot write the local store ${this.path} (${errorCode(error) ?? String(error)}): check that its directory can be created and written and that the disk has room; the change was not kept`, { cause: error });
    }
  }

  /** Temp files left by a process that died while writing: never the store, and nobody will rename them now. */
  private async removeLeftovers(): Promise<void> {
    const prefix = this.tempPrefix();
    const names = await readdir(dirname(this.path)).catch(() => []);
    for (const name of names) {
      const pid = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
      // A temp file of this process may be another FileStore's write in progress.
      if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue;
      await unlink(join(dirname(this.path), name)).catch(() => undefined);
    }
  }
}

function emptyState(): State {
  return { occurrences: new Map(), groups: new Map(), members: new Map(), clicks: new Map(), mutes: new Map(), incidents: new Map(), audit: new Map(), storms: new Map() };
}

function stateOf(data: z.infer<typeof storeFileSchema>): State {
  const state = emptyState();
  for (const o of data.occurrences) state.occurrences.set(o.occurrenceId, o);
  for (const g of data.groups) state.groups.set(g.groupKey, g);
  for (const m of data.members) state.members.set(m.groupKey, (state.members.get(m.groupKey) ?? new Map<string, Member>()).set(m.occurrenceId, m));
  for (const c of data.clicks) state.clicks.set(c.clickId, c);
  for (const m of data.mutes) state.mutes.set(m.key, m);
  for (const i of data.incidents) state.incidents.set(i.incident.incidentId, i);
  for (const storm of data.storms) state.storms.set(storm.channel, storm);
  for (const a of data.audit) state.audit.set(a.incidentId, (state.audit.get(a.incidentId) ?? new Map<string, AuditRecord>()).set(auditKey(a), a));
  return state;
}

function deserialize(text: string): State {
  return stateOf(storeFileSchema.parse(JSON.parse(text)));
}

function serialize(state: State): string {
  const file: z.infer<typeof storeFileSchema> = {
    version: FILE_VERSION,
    occurrences: [...state.occurrences.values()],
    groups: [...state.groups.values()],
    members: [...state.members.values()].flatMap((members) => [...members.values()]),
    clicks: [...state.clicks.values()],
    mutes: [...state.mutes.values()],
    incidents: [...state.incidents.values()],
    audit: [...state.audit.values()].flatMap((trail) => [...trail.values()]),
    storms: [...state.storms.values()],
  };
  return JSON.stringify(file);
}

/** What DynamoDB's TTL would have deleted by `now`: keeps the file small. Audit records are kept. */
function prune(state: State, now: number): State {
  for (const [id, o] of state.occurrences) if (o.expiresAt !== undefined && o.expiresAt <= now) state.occurrences.delete(id);
  for (const [key, g] of state.groups) if (g.expiresAt <= now) state.groups.delete(key);
  for (const [key, members] of state.members) {
    for (const [id, m] of members) if (m.expiresAt <= now) members.delete(id);
    if (!members.size) state.members.delete(key);
  }
  for (const [id, c] of state.clicks) if (c.expiresAt <= now) state.clicks.delete(id);
  for (const [key, m] of state.mutes) if (EXPIRES.mute(m.until) <= now) state.mutes.delete(key);
  for (const [id, i] of state.incidents) if (i.expiresAt <= now) state.incidents.delete(id);
  for (const [channel, storm] of state.storms) if (storm.expiresAt <= now) state.storms.delete(channel);
  return state;
}

function groupOf(group: Group): RepeatGroup {
  return { count: group.count, firstAt: group.firstAt, ...(group.message ? { message: { ...group.message } } : {}) };
}

function auditOf({ incidentId, cluster, userId, action, target, before, after, at }: AuditRecord): AuditRecord {
  return { incidentId, cluster, userId, action, target, before, after, at };
}

function recentKey(i: Pick<StoredIncident['incident'], 'occurredAt' | 'incidentId'>): string {
  return `${i.occurredAt}#${i.incidentId}`;
}

function auditKey(record: AuditRecord): string {
  return `${record.at}#${record.userId}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return errorCode(error) === 'EPERM';
  }
}
