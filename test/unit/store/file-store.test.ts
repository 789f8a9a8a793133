// The local mode's FileStore: the Store contract DynamoStore keeps, plus what a file adds: it outlives the process,
// a bad file is reported by name with the way out, and no crash or failed write leaves it half-written.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore, StoreFileError, type StoreFileErrorCode } from '../../../store/file.ts';
import type { Incident } from '../../../store/port.ts';
import { contractNow, describeStoreContract } from '../../support/store-contract.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const now = contractNow;
const minute = 60_000;
const day = 24 * 60 * minute;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-file-store-'));
  file = path.join(dir, 'store.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStoreContract('FileStore', () => FileStore.open(file, { clock: () => now }));

const incident = (id: string, occurredAt: number): Incident => ({
  incidentId: id,
  occurrenceId: `term-${id}`,
  cluster: 'prod-eu',
  namespace: 'shop',
  workload: 'Deployment/checkout',
  container: 'api',
  cause: 'limit',
  kind: 'container-limit',
  headline: 'checkout › api was OOMKilled',
  occurredAt: new Date(occurredAt).toISOString(),
  message: { channel: 'C1', ts: '1.000001' },
  verdict: limitVerdict(),
});

const audit = { incidentId: 'inc-1', cluster: 'prod-eu', userId: 'U1', action: 'raise-limit', target: 'Deployment/checkout api', before: '512Mi', after: '768Mi', at: '2026-11-27T10:20:00.000Z' };

async function onDisk(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

describe('FileStore on disk', () => {
  it('remembers claims, repeat groups, mutes, audit records and incidents when opened again', async () => {
    const before = await FileStore.open(file, { clock: () => now });
    await before.claimOccurrence('term-posted', now);
    await before.markOccurrencePosted('term-posted', { channel: 'C1', ts: '1.000001' });
    await before.claimOccurrence('term-in-flight', now);
    await before.recordRepeat('prod/shop/deploy/checkout/api/limit', now, 60 * minute);
    await before.setRepeatMessage('prod/shop/deploy/checkout/api/limit', { channel: 'C1', ts: '1.000001', blocks: '[]', text: 'OOMKilled' });
    await before.reserveCounterUpdate('prod/shop/deploy/checkout/api/limit', now, 10_000);
    await before.mute('prod/shop/deploy/checkout', now + 60 * minute, 'U1', now);
    await before.recordAudit(audit);
    await before.recordIncident(incident('inc-1', now));

    const after = await FileStore.open(file, { clock: () => now });
    expect(await after.claimOccurrence('term-posted', now + day)).toBe('duplicate');
    expect(await after.claimOccurrence('term-in-flight', now + minute)).toBe('duplicate');
    expect(await after.claimOccurrence('term-in-flight', now + 3 * minute)).toBe('claimed');
    expect(await after.reserveCounterUpdate('prod/shop/deploy/checkout/api/limit', now + 5_000, 10_000)).toBe(now + 10_000);
    expect(await after.recordRepeat('prod/shop/deploy/checkout/api/limit', now + minute, 60 * minute)).toEqual({ count: 2, firstAt: now, message: { channel: 'C1', ts: '1.000001', blocks: '[]', text: 'OOMKilled' } });
    expect(await after.muteUntil('prod/shop/deploy/checkout', now)).toBe(now + 60 * minute);
    // Who muted it and when, for the alert's muted line after a restart (bot/mute-state.ts).
    expect(await after.activeMute('prod/shop/deploy/checkout', now)).toEqual({ until: now + 60 * minute, by: 'U1', at: now });
    expect(await after.auditTrail('inc-1')).toEqual([audit]);
    expect(await after.incident('inc-1')).toEqual(incident('inc-1', now));
    expect(await after.recentIncidents('prod-eu')).toEqual([incident('inc-1', now)]);
  });

  it('writes a versioned file that drops incidents past 90 days and mutes that ended, but keeps audit records', async () => {
    let clock = now;
    const store = await FileStore.open(file, { clock: () => clock });
    await store.recordIncident(incident('inc-old', now));
    await store.recordAudit(audit);
    await store.mute('ended', now + 60 * minute, 'U1');
    await store.mute('lasting', now + 365 * day, 'U1');
    expect(await onDisk()).toMatchObject({ version: 1, mutes: [{ key: 'ended' }, { key: 'lasting' }], incidents: [{ incident: { incidentId: 'inc-old' } }] });

    clock = now + 2 * 60 * minute;
    await store.recordIncident(incident('inc-new', clock));
    expect((await onDisk())['mutes']).toEqual([{ key: 'lasting', until: now + 365 * day, by: 'U1' }]);

    clock = now + 90 * day + 60 * minute;
    await store.unmute('nothing-muted');
    const written = await onDisk();
    // On disk the verdict is JSON text, as in DynamoDB; it is decoded and checked on every read.
    const kept = incident('inc-new', now + 2 * 60 * minute);
    expect(written['incidents']).toEqual([{ incident: { ...kept, verdict: JSON.stringify(kept.verdict) }, expiresAt: now + 2 * 60 * minute + 90 * day }]);
    expect(written['audit']).toEqual([audit]);
    expect(await (await FileStore.open(file, { clock: () => clock })).incident('inc-old')).toBeUndefined();
  });

  it('reads a file written before group members and click claims were kept apart, and keeps its groups', async () => {
    const group = { groupKey: 'evict/prod-eu/ip-10-0-12-7', count: 2, firstAt: now, lastAt: now + minute, expiresAt: now + 2 * day, message: { channel: 'C1', ts: '1.000001' }, members: { 'evict-1': 1, 'evict-2': 2 } };
    await writeFile(file, JSON.stringify({ version: 1, occurrences: [], groups: [group], mutes: [], incidents: [], audit: [] }));
    const store = await FileStore.open(file, { clock: () => now });
    expect(await store.recordRepeat(group.groupKey, now + 2 * minute, 10 * minute, 'evict-3')).toEqual({ count: 3, firstAt: now, message: { channel: 'C1', ts: '1.000001' } });
    expect(await store.claimClick('inc-1/1764238443.000100/U1', now)).toBe('claimed');
    expect(await onDisk()).toMatchObject({ members: [{ groupKey: group.groupKey, occurrenceId: 'evict-3', count: 3, firstAt: now }], clicks: [{ clickId: 'inc-1/1764238443.000100/U1' }] });
  });

  it('starts empty without a file, and creates the file and its directories on the first change', async () => {
    file = path.join(dir, 'state', 'oombot', 'store.json');
    const store = await FileStore.open(file);
    expect(await store.recentIncidents('prod-eu')).toEqual([]);
    await expect(readdir(dir)).resolves.toEqual([]);
    expect(await store.claimOccurrence('term-1', now)).toBe('claimed');
    expect(await onDisk()).toMatchObject({ version: 1, occurrences: [{ occurrenceId: 'term-1', state: 'claimed' }] });
  });

  it.each<[string, string | undefined, StoreFileErrorCode, string]>([
    ['is not JSON', '{"version": 1, "occ', 'STORE_FILE_CORRUPT', 'is not valid JSON'],
    ['is empty', '', 'STORE_FILE_CORRUPT', 'is not valid JSON'],
    ['is JSON of another shape', '{"version": 1, "occurrences": {}}', 'STORE_FILE_CORRUPT', 'is not an oombot store (at occurrences: '],
    ['has no version', '[]', 'STORE_FILE_CORRUPT', 'is not an oombot store'],
    ['is of a later version', '{"version": 2}', 'STORE_FILE_VERSION', 'is version 2, and this oombot reads version 1'],
    ['is a directory', undefined, 'STORE_FILE_UNREADABLE', '(EISDIR)'],
  ])('refuses a store file that %s, naming it and the way out', async (_, content, code, says) => {
    if (content === undefined) await mkdir(file);
    else await writeFile(file, content);
    const error = await FileStore.open(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreFileError);
    expect(error).toMatchObject({ code, path: file, name: 'StoreFileError' });
    expect((error as Error).message).toContain(`local store ${file} ${says}`);
    expect((error as Error).message).toContain(`move it away to start with an empty store (mv '${file}' '${file}.broken')`);
    // Reported again, not replaced by an empty store, on the next call: the file is left for the user to look at.
    await expect(new FileStore(file).claimOccurrence('term-1', now)).rejects.toThrow(StoreFileError);
    expect(content === undefined ? undefined : await readFile(file, 'utf8')).toBe(content);
  });

  it('keeps nothing of a change it could not write, and says which file', async () => {
    file = path.join(dir, 'state', 'store.json');
    const store = await FileStore.open(file);
    expect(await store.claimOccurrence('term-kept', now)).toBe('claimed');
    // A plain file where the store's directory should be: the next write cannot create its temp file.
    await rm(path.join(dir, 'state'), { recursive: true });
    await writeFile(path.join(dir, 'state'), 'in the way');

    const error = await store.claimOccurrence('term-lost', now).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreFileError);
    expect(error).toMatchObject({ code: 'STORE_FILE_UNWRITABLE', path: file });
    expect((error as Error).message).toContain(`cannot write the local store ${file} (`);

    await rm(path.join(dir, 'state'));
    expect(await store.claimOccurrence('term-lost', now)).toBe('claimed');
    expect(await store.claimOccurrence('term-kept', now)).toBe('duplicate');
    const reopened = await FileStore.open(file);
    expect(await reopened.claimOccurrence('term-lost', now)).toBe('duplicate');
  });

  it('leaves only the store file, whole, after many concurrent changes', async () => {
    const store = await FileStore.open(file, { clock: () => now });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? store.recordIncident(incident(`inc-${i}`, now + i)) : store.claimOccurrence(`term-${i}`, now))));
    expect(await readdir(dir)).toEqual(['store.json']);
    const written = await onDisk();
    expect(written).toMatchObject({ version: 1 });
    expect(written['incidents']).toHaveLength(20);
    expect(written['occurrences']).toHaveLength(20);
  });

  it('is whole after the process writing it is killed mid-write, and cleans up the temp file it left', async () => {
    // A child process rewrites a store of a few MB in a loop; SIGKILL lands while it writes, syncs or renames.
    const script = path.join(dir, 'writer.mts');
    await writeFile(
      script,
      `import { FileStore } from ${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, '../../../store/file.ts')).href)};
const store = await FileStore.open(process.argv[2]);
const verdict = { ...JSON.parse(process.argv[3]), evidence: ['x'.repeat(500_000)] };
for (let n = 0; ; n++) {
  await store.recordIncident({ incidentId: 'inc-' + n, occurrenceId: 'term-' + n, cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', kind: 'container-limit', headline: 'OOMKilled', occurredAt: new Date().toISOString(), message: { channel: 'C1', ts: '1.0' }, verdict });
  if (n === 4) process.stdout.write('written\\n');
}
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, file, JSON.stringify(limitVerdict())], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('written') && resolve());
      child.on('exit', (code) => reject(new Error(`the writer exited (${code}) before writing`)));
    });
    // Kill it as soon as one of its writes is under way (a temp file exists): the rename has not happened yet.
    const deadline = Date.now() + 10_000;
    let writing = false;
    while (!writing && Date.now() < deadline) writing = (await readdir(dir)).some((name) => name.endsWith('.tmp'));
    child.kill('SIGKILL');
    await exited;
    expect(writing).toBe(true);

    const written = await onDisk();
    expect(written).toMatchObject({ version: 1 });
    const store = await FileStore.open(file);
    const kept = await store.recentIncidents('prod-eu', { limit: 1000 });
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.length).toBe((written['incidents'] as unknown[]).length);
    expect(await readdir(dir)).toEqual(['store.json', 'writer.mts']);
  });
});
