// `npm run bench`: how many diagnoses per second the engine makes over the bundled fixtures, one by one and as a
// storm of thousands (what analyze would face when a node evicts everything). Prints figures; asserts nothing.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inputFromDump, readDump } from '../cli/dump-input.ts';
import { diagnose } from '../shared/diagnose.ts';
import type { DiagnosisInput } from '../shared/diagnosis-input.ts';

const dir = path.join(import.meta.dirname, '../test/fixtures/kubectl');
const fixtures: { name: string; input: DiagnosisInput }[] = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const dump = await readDump([path.join(dir, file)]);
  const pod = dump.pods[0]!;
  fixtures.push({ name: file.replace('.json', ''), input: inputFromDump(dump, pod.metadata.namespace, pod.metadata.name!) });
}

function rate(run: () => void, minMs = 1500): { perSecond: number; meanUs: number; n: number } {
  for (let i = 0; i < 200; i++) run(); // warm up the JIT
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 100; i++) run();
    n += 100;
  }
  const ms = performance.now() - start;
  return { perSecond: (n / ms) * 1000, meanUs: (ms / n) * 1000, n };
}

console.log(`node ${process.version}, ${process.arch}; one diagnosis = zod parse of the input + rules + recommendation + text\n`);
console.log('fixture              diagnoses/s   mean µs');
for (const { name, input } of fixtures) {
  const r = rate(() => diagnose(input));
  console.log(`${name.padEnd(20)} ${Math.round(r.perSecond).toString().padStart(11)}   ${r.meanUs.toFixed(1).padStart(7)}`);
}

// A storm: 5,000 distinct pods (different names and uids) across all fixture shapes, diagnosed once each.
const STORM = 5000;
const storm = Array.from({ length: STORM }, (_, i) => {
  const { input } = fixtures[i % fixtures.length]!;
  return { ...input, pod: { ...input.pod, metadata: { ...input.pod.metadata, name: `${input.pod.metadata.name}-${i}`, uid: `uid-${i}` } } };
});
const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
for (const input of storm) diagnose(input);
const ms = performance.now() - start;
console.log(`\nstorm: ${STORM} distinct pods in ${ms.toFixed(0)} ms = ${Math.round((STORM / ms) * 1000)} diagnoses/s on one core` +
  ` (heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
