// Finds (or builds once) the kube-apiserver and etcd binaries the local control plane runs.
// Order: $KUBEBUILDER_ASSETS (the envtest convention, e.g. from `setup-envtest use -p path`), then our cache, then a
// build from Go modules by build-control-plane.sh into the cache.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlPlaneError } from './errors.ts';

export const DEFAULT_KUBERNETES_VERSION = 'v1.35.4';
export const DEFAULT_ETCD_VERSION = 'v3.6.5';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  source: 'KUBEBUILDER_ASSETS' | 'cache' | 'built';
}

type Log = (line: string) => void;

const buildScript = fileURLToPath(new URL('./build-control-plane.sh', import.meta.url));
const lockPollMs = 2_000;

/** `${XDG_CACHE_HOME:-~/.cache}/oombot`, where the binaries and the sandbox kubeconfig live. */
export function oombotCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'oombot');
}

/** Shows a path under the home directory as `~/...`, for messages. */
export function displayPath(p: string): string {
  const home = os.homedir();
  return p === home || p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p;
}

export async function controlPlaneBinaries(opts: { log?: Log } = {}): Promise<ControlPlaneBinaries> {
  const log = opts.log ?? (() => {});
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const found = binariesIn(assets);
    for (const file of [found.etcd, found.kubeApiserver]) {
      if (!(await isExecutable(file))) {
        throw new ControlPlaneError(
          'KUBEBUILDER_ASSETS_INCOMPLETE',
          `KUBEBUILDER_ASSETS is set to ${assets} but ${file} is missing or not executable: ` +
            'point it at a folder holding both etcd and kube-apiserver (e.g. `setup-envtest use -p path`), ' +
            'or unset it to let oombot build them.',
        );
      }
    }
    return { ...found, source: 'KUBEBUILDER_ASSETS' };
  }

  const dir = path.join(oombotCacheDir(), 'control-plane', `${DEFAULT_KUBERNETES_VERSION}-${DEFAULT_ETCD_VERSION}`);
  const cached = binariesIn(dir);
  if (await bothExecutable(cached)) return { ...cached, source: 'cache' };

  await fs.mkdir(dir, { recursive: true });
  const lockPath = path.join(dir, 'build.lock');
  await acquireLock(lockPath, log);
  try {
    // Another process may have finished the build while we waited for the lock.
    if (await bothExecutable(cached)) return { ...cached, source: 'cache' };
    log(
      `building kube-apiserver ${DEFAULT_KUBERNETES_VERSION} and etcd ${DEFAULT_ETCD_VERSION} once into ` +
        `${displayPath(dir)} (takes several minutes the first time)`,
    );
    await runBuildScript(dir, log);
    return { ...cached, source: 'built' };
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

function binariesIn(dir: string): Omit<ControlPlaneBinaries, 'source'> {
  return { etcd: path.join(dir, 'etcd'), kubeApiserver: path.join(dir, 'kube-apiserver') };
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
}

async function bothExecutable(b: Omit<ControlPlaneBinaries, 'source'>): Promise<boolean> {
  return (await isExecutable(b.etcd)) && (await isExecutable(b.kubeApiserver));
}

/**
 * A lock file holding the builder's PID. It is created complete and atomically (write a private file, then `link` it:
 * link fails with EEXIST if the lock exists), so a reader never sees it half-written. A lock whose PID is no longer
 * alive was left by a build that crashed or was killed, and is taken over.
 */
async function acquireLock(lockPath: string, log: Log): Promise<void> {
  let announced = false;
  for (;;) {
    const mine = `${lockPath}.${process.pid}`;
    await fs.writeFile(mine, String(process.pid));
    try {
      await fs.link(mine, lockPath);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await fs.rm(mine, { force: true });
    }
    const holder = Number(await fs.readFile(lockPath, 'utf8').catch(() => ''));
    if (!isAlive(holder)) {
      log(`removing a stale build lock left by process ${holder}`);
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (!announced) {
      log(`process ${holder} is building the control plane binaries; waiting for it to finish`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, lockPollMs));
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function runBuildScript(dir: string, log: Log): Promise<void> {
  const child = spawn('bash', [buildScript, dir, DEFAULT_KUBERNETES_VERSION, DEFAULT_ETCD_VERSION], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    });
  }
  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  if (result.code !== 0) {
    throw new ControlPlaneError(
      'CONTROL_PLANE_BUILD_FAILED',
      `building kube-apiserver and etcd into ${dir} failed (${result.error?.message ?? `exit code ${result.code}`}): ` +
        'install Go >= 1.25 with access to the Go module proxy, or set KUBEBUILDER_ASSETS to a folder holding etcd ' +
        'and kube-apiserver.',
      { cause: result.error, output: tail },
    );
  }
}
