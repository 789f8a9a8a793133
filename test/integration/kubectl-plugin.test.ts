// `kubectl oom …`: kubectl finds an executable named kubectl-oom on PATH and runs it with the rest of the arguments
// (kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins). The package installs bin/oombot.js under that name too;
// here it is put on PATH under that name and run through the real kubectl (an integration test: it needs the kubectl
// binary, which `npm run test:unit` does not).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '../..');
let dir: string;
const kubectl = (...args: string[]) =>
  promisify(execFile)('kubectl', args, { env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env['PATH'] ?? ''}`, KUBECONFIG: path.join(dir, 'none') } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oombot-plugin-'));
  await symlink(path.join(root, 'bin/oombot.js'), path.join(dir, 'kubectl-oom'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl oom', () => {
  it('is listed by kubectl as a plugin', async () => {
    const { stdout } = await kubectl('plugin', 'list');
    expect(stdout).toContain(path.join(dir, 'kubectl-oom'));
  });

  it('answers `kubectl oom why <pod> -n <ns>` with the explanation', async () => {
    const { code, stdout } = await kubectl('oom', 'why', 'checkout-7d9f8b6c5-m4tzr', '-n', 'shop', '--from-file', path.join(root, 'test/fixtures/kubectl/limit-oom.json'));
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('LIMIT  checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('passes on the exit code and a one-line error', async () => {
    const { code, stderr } = await kubectl('oom', 'why', 'nope', '-n', 'shop', '--from-file', path.join(root, 'test/fixtures/kubectl/limit-oom.json'));
    expect(code).toBe(3);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
