// `npm run bench`: how many diagnoses per second the engine makes, one by one and as a storm of thousands (what analyze
// would face when a node evicts everything), on two kinds of input:
//  - light: the bundled fixtures (test/fixtures/kubectl), a pod with its node and a few events, no other pods;
//  - production-shaped: what `kubectl get pods,events,nodes -A -o json` of a full node holds, read through the same
//    file reader as `oombot explain --from-file` — the victim (a realistic dump's pod, managedFields and all), its
//    node, ~110 other pods on that node drawn from the realistic dumps, and the lifecycle events of every one of them.
// The input is decoded once, where it enters (here, the file reader), as in production; `diagnose` takes it decoded.
// Prints figures; asserts nothing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inputFromDump, readDump } from '../cli/dump-input.ts';
import { diagnose } from '#shared/diagnose.ts';
import { DiagnosisInputSchema, type DiagnosisInput } from '#shared/diagnosis-input.ts';
import { recommendFromCurve } from '#shared/curve-recommend.ts';
import { classifyCurve } from '#shared/memory-curve.ts';
import { climb, makeSeries } from '../test/support/memory-series.ts';

const NODE_PODS = Number(process.env['BENCH_NODE_PODS'] ?? 110);
const fixtures = path.join(import.meta.dirname, '../test/fixtures/kubectl');

const light: { name: string; input: DiagnosisInput }[] = [];
for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort()) {
  const dump = await readDump([path.join(fixtures, file)]);
  const pod = dump.pods[0]!;
  light.push({ name: file.replace('.json', ''), input: inputFromDump(dump, pod.metadata.namespace, pod.metadata.name!) });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- raw kubectl JSON, rewritten freely below

/** A full node as kubectl would dump it, written to a file and read back through the CLI's reader. */
async function productionShaped(): Promise<{ input: DiagnosisInput; bytes: number; objects: number; readMs: number }> {
  const realistic = path.join(fixtures, 'realistic');
  const items = async (file: string): Promise<Json[]> => {
    const json = JSON.parse(await readFile(path.join(realistic, file), 'utf8')) as Json;
    return Array.isArray(json['items']) ? (json['items'] as Json[]) : [json];
  };
  const victimDump = await items('01-deploy-limit-crashloop.json');
  const victim = victimDump.find((i) => i['kind'] === 'Pod')!;
  const node = victimDump.find((i) => i['kind'] === 'Node')!;
  const victimEvents = victimDump.filter((i) => i['kind'] === 'Event');
  const nodeName = node['metadata']['name'] as string;
  // The other pods: every shape the realistic dumps hold (sidecars, init containers, pod-level resources, JVMs...),
  // renamed and scheduled on this node, all running (the worst case: each one's requests count).
  const shapes: Json[] = [];
  for (const file of readdirSync(realistic).filter((f) => /^\d.*\.json$/.test(f)).sort()) {
    for (const item of await items(file)) if (item['kind'] === 'Pod' && item['metadata']['uid'] !== victim['metadata']['uid']) shapes.push(item);
  }
  const lifecycle = ['Scheduled', 'Pulled', 'Created', 'Started'].map((r) => victimEvents.find((e) => e['reason'] === r)!);
  const pods: Json[] = [];
  const events: Json[] = [];
  for (let i = 0; i < NODE_PODS - 1; i++) {
    const shape = structuredClone(shapes[i % shapes.length]!);
    const name = `${shape['metadata']['name']}-${i}`;
    const uid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    Object.assign(shape['metadata'], { name, uid });
    shape['spec'] = { ...shape['spec'], nodeName };
    shape['status'] = { ...shape['status'], phase: 'Running' };
    pods.push(shape);
    for (const [j, template] of lifecycle.entries()) {
      const e = structuredClone(template);
      Object.assign(e['metadata'], { name: `${name}.${j}`, namespace: shape['metadata']['namespace'], uid: `${uid.slice(0, -2)}e${j}` });
      Object.assign(e['involvedObject'], { name, namespace: shape['metadata']['namespace'], uid });
      e['message'] = String(e['message']).replaceAll(victim['metadata']['name'], name);
      events.push(e);
    }
  }
  const list = { apiVersion: 'v1', kind: 'List', items: [victim, ...pods, node, ...victimEvents, ...events] };
  const dir = await mkdtemp(path.join(tmpdir(), 'oombot-bench-'));
  const file = path.join(dir, 'node.json');
  const text = JSON.stringify(list);
  await writeFile(file, text);
  const start = performance.now();
  const input = inputFromDump(await readDump([file]), victim['metadata']['namespace'], victim['metadata']['name']);
  const readMs = performance.now() - start;
  await rm(dir, { recursive: true });
  return { input, bytes: text.length, objects: list.items.length, readMs };
}

function rate(run: () => void, minMs = 2000): { perSecond: number; meanUs: number; n: number } {
  // Warm up the JIT for a while, not a count: on a full node's many object shapes it takes about 2 s to settle.
  const warm = performance.now();
  while (performance.now() - warm < 2000) run();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 20; i++) run();
    n += 20;
  }
  const ms = performance.now() - start;
  return { perSecond: (n / ms) * 1000, meanUs: (ms / n) * 1000, n };
}

const row = (name: string, r: { perSecond: number; meanUs: number }) =>
  console.log(`${name.padEnd(24)} ${Math.round(r.perSecond).toString().padStart(11)}   ${r.meanUs.toFixed(1).padStart(7)}`);

/** 5,000 distinct pods (different names and uids) of the given shapes, diagnosed once each. */
function storm(label: string, shapes: DiagnosisInput[], count = 5000): void {
  const inputs = Array.from({ length: count }, (_, i) => {
    const input = shapes[i % shapes.length]!;
    return { ...input, pod: { ...input.pod, metadata: { ...input.pod.metadata, name: `${input.pod.metadata.name}-${i}`, uid: `uid-${i}` } } };
  });
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  for (const input of inputs) diagnose(input);
  const ms = performance.now() - start;
  console.log(`storm, ${label}: ${count} distinct pods in ${ms.toFixed(0)} ms = ${Math.round((count / ms) * 1000)} diagnoses/s on one core` +
    ` (heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
}

const production = await productionShaped();
const { nodePods = [], events = [] } = production.input;
console.log(`node ${process.version}, ${process.arch}; one diagnosis = rules + recommendation + text over input decoded once at the edge\n`);
console.log('light input: a bundled fixture, no other pods on the node');
console.log('fixture                  diagnoses/s   mean µs');
for (const { name, input } of light) row(name, rate(() => diagnose(input)));
console.log(`\nproduction-shaped input: ${nodePods.length} other pods on the node, ${events.length} events, the node (${production.objects} objects, ${(production.bytes / 2 ** 20).toFixed(1)} MiB of JSON)`);
console.log('input                    diagnoses/s   mean µs');
const prod = rate(() => diagnose(production.input));
row('node-110-pods', prod);
// What validating it costs, paid once where the input enters (the file reader here; kube/collect.ts live), not per diagnosis.
const decode = rate(() => DiagnosisInputSchema.parse(production.input), 1000);
console.log(`decoding it (DiagnosisInputSchema.parse, once at the edge): ${decode.meanUs.toFixed(0)} µs; reading the file with the CLI reader: ${production.readMs.toFixed(0)} ms (first run, cold)`);
console.log(`goal ≥ 10,000 diagnoses/s on production-shaped input: ${prod.perSecond >= 10_000 ? 'met' : 'NOT met'}\n`);

storm('light', light.map((f) => f.input));
storm('production-shaped', [production.input]);

// What a memory curve adds to a diagnosis that has samples (issue 12): half an hour of 30 s samples classified and a
// limit sized from them.
const series = makeSeries({ minutes: 30, level: climb(380, 4), noiseMi: 2, limitMi: 512, killedAfterSeconds: 20 });
const curve = rate(() => recommendFromCurve(series, classifyCurve(series, { killedAtLimit: true }), { killedAtLimit: true, nodeCap: 14 * 2 ** 30 }), 1000);
console.log(`\nmemory curve, ${series.samples.length} samples (classifyCurve + recommendFromCurve): ${Math.round(curve.perSecond)}/s, ${curve.meanUs.toFixed(1)} µs each`);
