// `/oom recent` grouped as the alerts are (docs/alert-style.md, "Repeats and storms"): one workload's repeats within
// the repeat window are one entry with their count and cause, a storm one entry however many it counted, and a storm
// that filled the first page of the store does not push out what came before it. Incidents in the real FileStore.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOom } from '../../../bot/oom-command.ts';
import { FileStore } from '../../../store/file.ts';
import type { Incident } from '../../../store/port.ts';
import { T0 } from '../../support/k8s-factories.ts';
import { limitVerdict } from '../../support/verdicts.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-recent-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const minute = 60_000;
let n = 0;
/** An incident of `workload`'s api container, `minutes` after T0, posted at `ts` (its own message by default). */
function incident(workload: string, minutes: number, ts?: string): Incident {
  const v = limitVerdict();
  const id = `inc-${(++n).toString(16).padStart(6, '0')}`;
  const verdict = { ...v, workload: { kind: 'Deployment', name: workload }, pod: { ...v.pod, name: `${workload}-7d9f8b6c5-${n}` } };
  return { incidentId: id, occurrenceId: `occ-${id}`, cluster: 'prod-eu', namespace: 'shop', workload: `Deployment/${workload}`, container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: new Date(Date.parse(T0) + minutes * minute).toISOString(), message: { channel: 'C-ALERTS', ts: ts ?? `1764238443.${String(n).padStart(6, '0')}` }, verdict };
}

async function recent(store: FileStore): Promise<string[]> {
  return (await answerOom({ store, cluster: () => undefined, clusters: ['prod-eu'] }, 'recent', 'U0ALICE')).text.split('\n');
}

describe('/oom recent', () => {
  it('lists one workload’s repeats within the repeat window as one entry with its count and cause, and a repeat after the window as its own', async () => {
    const store = await FileStore.open(path.join(dir, 'repeats.json'));
    // checkout dies at 0, 20 and 70 min (each within 60 min of the next: one group), then at 200 min (a new group).
    for (const m of [0, 20, 70]) await store.recordIncident(incident('checkout', m));
    const later = incident('checkout', 200);
    await store.recordIncident(later);
    const other = incident('cart', 30);
    await store.recordIncident(other);
    const lines = await recent(store);
    expect(lines).toEqual([
      'Last incidents in prod-eu:',
      `• 2026-11-27 13:34 UTC · *checkout › api was OOMKilled at its 512Mi memory limit* · ${later.incidentId}`,
      `• 2026-11-27 10:14–11:24 UTC · *shop/deploy/checkout › api — 3×* · OOMKilled at its limit · latest inc-${(n - 2).toString(16).padStart(6, '0')}`,
      `• 2026-11-27 10:44 UTC · *checkout › api was OOMKilled at its 512Mi memory limit* · ${other.incidentId}`,
    ]);
  });

  it('reads past a storm that filled the first page: the storm is one entry, and what came before it is still listed', async () => {
    const store = await FileStore.open(path.join(dir, 'storm.json'));
    const before = [incident('billing', 0), incident('search', 1)];
    for (const i of before) await store.recordIncident(i);
    // 250 occurrences of 30 workloads (more than a page of the store's), counted at one storm root, all newer than the
    // two alerts before it.
    const root = '1764239000.000001';
    for (let k = 0; k < 250; k++) await store.recordIncident(incident(`svc-${String(k % 30).padStart(2, '0')}`, 10 + k / 100, root));
    const lines = await recent(store);
    expect(lines[1]).toMatch(/^• 10:24–10:26 UTC · \*storm: 30 workloads, 250 occurrences\* · one message/);
    expect(lines.filter((l) => l.startsWith('    ◦ '))).toHaveLength(11); // ten groups, then "(+20 more groups)"
    expect(lines.slice(-2)).toEqual(before.reverse().map((i) => `• ${i.occurredAt.slice(0, 16).replace('T', ' ')} UTC · *${i.headline}* · ${i.incidentId}`));
  });

  it('says how many entries it left out of what it read, and that older ones were not read', async () => {
    const store = await FileStore.open(path.join(dir, 'many.json'));
    // Fourteen workloads, each its own entry: ten listed, four more.
    for (let k = 0; k < 14; k++) await store.recordIncident(incident(`w-${k}`, k));
    const lines = await recent(store);
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(10);
    expect(lines.at(-1)).toBe('_…and 4 more entries in the last 14 incidents._');
    // More than a page, each its own entry: it stops reading once it has more than it lists, and says so.
    for (let k = 14; k < 150; k++) await store.recordIncident(incident(`w-${k}`, k));
    expect((await recent(store)).at(-1)).toBe('_…and 90 more entries in the last 100 incidents; older incidents not read._');
  });
});
