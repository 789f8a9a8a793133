// PromQL as Prometheus parses it, for the tests of the forwarder chart's alert rules and dashboard: sandbox/promql-check
// (a few lines of Go over Prometheus's own parser) built once into the oombot cache, keyed by its sources so a change
// rebuilds it. Go is already needed for the control plane (sandbox/binaries.ts).
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, oombotCacheDir } from './binaries.ts';

const run = promisify(execFile);
const source = path.join(import.meta.dirname, 'promql-check');

/** What promql-check says of one expression: the metric names it selects, or Prometheus's parse error. */
export interface PromqlParsed {
  expr: string;
  error?: string;
  metrics: string[];
}

export async function promqlCheckBinary(log: (line: string) => void = () => {}): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(await readFile(path.join(source, file)));
  const dir = path.join(oombotCacheDir(), 'tools', `promql-check-${hash.digest('hex').slice(0, 12)}`);
  const bin = path.join(dir, 'promql-check');
  if (await isExecutable(bin)) return bin;
  await mkdir(dir, { recursive: true });
  log(`building promql-check (Prometheus's PromQL parser) once into ${dir}`);
  await run('go', ['build', '-o', bin, '.'], {
    cwd: source,
    env: { ...process.env, CGO_ENABLED: '0', PATH: `${process.env['PATH'] ?? ''}${path.delimiter}/usr/local/go/bin` },
    maxBuffer: 64 * 1024 * 1024,
  });
  return bin;
}

/** Parses each expression (one per line: none may hold a newline). */
export async function parsePromql(bin: string, expressions: string[]): Promise<PromqlParsed[]> {
  if (expressions.some((e) => e.includes('\n'))) throw new Error('promql-check reads one expression per line');
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.end(expressions.map((e) => `${e}\n`).join(''));
  const code = await exited;
  if (code !== 0) throw new Error(`promql-check exited ${code}`);
  return out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as PromqlParsed);
}
