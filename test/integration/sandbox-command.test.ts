import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxCommand } from '../../cli/sandbox-command.ts';
import { controlPlaneBinaries } from '../../sandbox/binaries.ts';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('oombot sandbox', () => {
  // A first run builds the binaries: do it under the hook timeout (minutes), not a test's.
  beforeAll(async () => {
    await controlPlaneBinaries({ log: (line) => process.stderr.write(`[control plane] ${line}\n`) });
  });

  it('rejects an unknown flag with one line naming it and exit code 2', async () => {
    const stdout = capture();
    const stderr = capture();
    expect(await sandboxCommand(['--nope'], { stdout: stdout.stream, stderr: stderr.stream })).toBe(2);
    expect(stderr.text()).toBe("oombot sandbox: Unknown option '--nope' (see oombot sandbox --help)\n");
    expect(stdout.text()).toBe('');
  });

  it('prints its help', async () => {
    const stdout = capture();
    expect(await sandboxCommand(['--help'], { stdout: stdout.stream, stderr: capture().stream })).toBe(0);
    expect(stdout.text()).toMatch(/^Usage: oombot sandbox \[--kubeconfig PATH\]\n/);
  });

  it('serves a control plane through the kubeconfig it writes until told to stop, then stops it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oombot-sandbox-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    const stdout = capture();
    let stop = () => {};
    const until = new Promise<void>((resolve) => (stop = resolve));

    const io = { stdout: stdout.stream, stderr: capture().stream };
    const exitCode = sandboxCommand(['--kubeconfig', kubeconfig], io, until);
    await expect.poll(() => stdout.text(), { timeout: 60_000, interval: 100 }).toContain('Press Ctrl-C to stop.');

    expect(stdout.text()).toContain(`export KUBECONFIG=${kubeconfig}\n  kubectl get ns\n`);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).toContain('kube-system');

    const pids = [/kube-apiserver pid (\d+)/, /etcd pid (\d+)/].map((re) => Number(re.exec(stdout.text())?.[1]));
    stop();
    expect(await exitCode).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await fs.rm(dir, { recursive: true });
  });
});
