// `npm run bench:chart`: what the memory chart (bot/memory-chart.ts) and its sparkline fallback cost the analyze
// function — bytes added to its bundle, the first render in a fresh process (a cold Lambda), and a warm render —
// against the Lambdas' budgets (≤ 1 MiB and ≤ 250 ms of init per function; docs/architecture.md, "Budgets").
// Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { KILLED_AT, leakSeries, Mi } from '../test/support/memory-samples.ts';

const root = path.join(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

// 1. Bytes: the same esbuild options as `npm run build:functions`, on an entry that re-exports the chart and the
//    sparkline; then the analyze handler with and without them, for what the chart adds to that bundle.
const options: BuildOptions = {
  bundle: true, platform: 'node', target: 'node22', format: 'esm', minify: true, legalComments: 'none', mainFields: ['module', 'main'],
  external: ['@kubernetes/client-node'], write: false, absWorkingDir: root, logLevel: 'error',
  banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
};
const bundle = async (contents: string) => (await build({ ...options, stdin: { contents, resolveDir: root, loader: 'ts' } })).outputFiles![0]!.contents;
const chartExports = "export { renderMemoryChart } from './bot/memory-chart.ts'; export { sparkline } from './bot/sparkline.ts';";
const chart = await bundle(chartExports);
const empty = await bundle('export {};');
const analyze = await bundle("export * from './functions/analyze/index.ts';");
const analyzeWithChart = await bundle(`export * from './functions/analyze/index.ts'; ${chartExports}`);
log(`chart + sparkline alone        ${kb(chart.length - empty.length)} minified · ${kb(gzipSync(chart).length - gzipSync(empty).length)} gzipped (esbuild, as build:functions)`);
log(`added to the analyze bundle    ${kb(analyzeWithChart.length - analyze.length)} (${(analyze.length / 1024 / 1024).toFixed(2)} → ${(analyzeWithChart.length / 1024 / 1024).toFixed(2)} MiB)`);

// 2. Time: the chart bundle in fresh Node.js processes, as a cold Lambda would load it — import, then the first
//    render of a realistic series (60 samples, three kills, a gap); then 50 more renders in the same process.
const dir = mkdtempSync(path.join(os.tmpdir(), 'oombot-bench-chart-'));
try {
  const file = path.join(dir, 'chart.mjs');
  writeFileSync(file, chart);
  const input = { samples: leakSeries(), limitBytes: 512 * Mi, requestBytes: 256 * Mi, killedAt: KILLED_AT, title: 'checkout › api · memory before the kill' };
  const child = `
    const input = JSON.parse(process.env.CHART_INPUT);
    const t0 = performance.now();
    const { renderMemoryChart, sparkline } = await import(${JSON.stringify(file)});
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const png = renderMemoryChart(input);
    const t2 = performance.now();
    const firstCpu = process.cpuUsage(c1);
    const warm = [], cpu = [], spark = [];
    for (let i = 0; i < 50; i++) {
      const [a, c] = [performance.now(), process.cpuUsage()];
      renderMemoryChart(input);
      warm.push(performance.now() - a);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      const s = performance.now();
      sparkline(input.samples, { width: 30, limitBytes: input.limitBytes });
      spark.push(performance.now() - s);
    }
    process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, firstCpuMs: (firstCpu.user + firstCpu.system) / 1000, bytes: png.length, warm, cpu, spark }));`;
  const runs = Array.from({ length: 7 }, () => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', child], { env: { PATH: process.env['PATH'] ?? '', CHART_INPUT: JSON.stringify(input) } }).toString()) as { importMs: number; firstMs: number; firstCpuMs: number; bytes: number; warm: number[]; cpu: number[]; spark: number[] });
  const range = (xs: number[]) => `median ${median(xs).toFixed(1)} ms · min ${Math.min(...xs).toFixed(1)} · max ${Math.max(...xs).toFixed(1)}`;
  log(`cold: import, 7 processes      ${range(runs.map((r) => r.importMs))}`);
  log(`cold: first render             ${range(runs.map((r) => r.firstMs))} (wall) · ${median(runs.map((r) => r.firstCpuMs)).toFixed(1)} ms CPU`);
  log(`cold: import + first render    ${range(runs.map((r) => r.importMs + r.firstMs))}`);
  log(`warm render, median of 50      ${range(runs.map((r) => median(r.warm)))} (wall) · ${median(runs.map((r) => median(r.cpu))).toFixed(1)} ms CPU`);
  log(`sparkline, median of 50        ${median(runs.map((r) => median(r.spark))).toFixed(3)} ms`);
  log(`PNG                            ${kb(runs[0]!.bytes)}, 480×220`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
