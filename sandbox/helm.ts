// helm, for rendering the charts in infra/helm in tests: taken from PATH when there, else built once from its Go
// module (helm.sh/helm/v3 has no replace directives, so `go install` works) into the oombot cache.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, oombotCacheDir } from './binaries.ts';

export const HELM_VERSION = 'v3.19.0';
const run = promisify(execFile);

export async function helmBinary(log: (line: string) => void = () => {}): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'helm');
    if (await isExecutable(candidate)) return candidate;
  }
  const dir = path.join(oombotCacheDir(), 'tools', `helm-${HELM_VERSION}`);
  const bin = path.join(dir, 'helm');
  if (await isExecutable(bin)) return bin;
  await mkdir(dir, { recursive: true });
  log(`building helm ${HELM_VERSION} once into ${dir} (a few minutes)`);
  await run('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0', PATH: `${process.env['PATH'] ?? ''}${path.delimiter}/usr/local/go/bin` },
    maxBuffer: 64 * 1024 * 1024,
  });
  return bin;
}
