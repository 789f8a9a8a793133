// The published package runs compiled JavaScript, never TypeScript (issue 14 item 5): `npm pack` builds dist/ and ships
// it with the bin and no sources; installed in an empty folder (test/support/packed-cli.ts), `oombot --help`,
// `oombot forwarder --help` and `oombot explain --from-file` work with a resolve hook that fails any .ts file, tsx,
// typescript or esbuild — the same hook makes a git checkout's bin fail, which runs the sources through tsx.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackedCli, noTypeScriptFlags, type PackedCli } from '../support/packed-cli.ts';

const root = path.join(import.meta.dirname, '../..');
const fixture = path.join(root, 'test/fixtures/kubectl/limit-oom.json');

function run(bin: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...noTypeScriptFlags(), bin, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the packed package', () => {
  let packed: PackedCli;
  beforeAll(async () => {
    packed = await installPackedCli();
  }, 180_000);
  afterAll(async () => {
    if (packed) await rm(packed.dir, { recursive: true, force: true });
  });

  it('ships the bin and the compiled bundles, with no TypeScript and no TypeScript compiler among its dependencies', () => {
    expect(packed.files).toEqual(expect.arrayContaining(['bin/oombot.js', 'dist/forwarder.mjs', 'dist/cli/main.mjs', 'dist/cli/page-client.js', 'dist/cli/build-control-plane.sh', 'package.json']));
    expect(packed.files.filter((f) => /\.[mc]?ts$/.test(f))).toEqual([]);
    expect(packed.files.filter((f) => !/^(bin\/oombot\.js|dist\/forwarder\.mjs|dist\/cli\/.+|package\.json|README\.md)$/.test(f))).toEqual([]);
    expect(packed.dependencies.filter((d) => ['tsx', 'typescript', 'esbuild'].includes(d))).toEqual([]);
  });

  it('prints its usage and the forwarder’s without loading any TypeScript', async () => {
    const help = await run(packed.bin, ['--help'], packed.dir);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: oombot <command> \[options\]/);
    const forwarder = await run(packed.bin, ['forwarder', '--help'], packed.dir);
    expect(forwarder).toMatchObject({ code: 0, stderr: '' });
    expect(forwarder.stdout).toMatch(/^usage: oombot forwarder\n/);
    expect(forwarder.stdout).toContain('OOMBOT_CLUSTER (required)');
  });

  it('explains a dump from a file, as the checkout’s bin does', async () => {
    const args = ['explain', 'shop/checkout-7d9f8b6c5-m4tzr', '--from-file', fixture, '--output', 'json'];
    const result = await run(packed.bin, args, packed.dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ cause: 'limit', kind: 'container-limit', container: 'api', confidence: 'high', recommendation: { memoryLimit: expect.any(String) } });
  });

  it('fails a bin that loads TypeScript: the check can fail', async () => {
    const checkout = await run(path.join(root, 'bin/oombot.js'), ['--help'], root);
    expect(checkout.code).not.toBe(0);
    expect(checkout.stderr).toContain('TypeScript at run time');
  });
});
