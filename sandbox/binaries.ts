// Finds (or builds once) the kube-apiserver and etcd binaries the local control plane runs.
// Order: $KUBEBUILDER_ASSETS (the envtest convention, e.g. from `setup-envtest use -p path`), then our cache, then a
// build from Go modules by build-control-plane.sh into the cache. The build takes minutes the first time: it reports
// what it does as it goes (a BuildReporter; sandbox/build-progress.ts shows it in a terminal), runs in a process group
// of its own that is stopped with whoever started it, and holds a lock that a dead builder's successor takes over.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BuildAbortedError, ControlPlaneError, PrerequisiteError, type Prerequisite } from './errors.ts';

export const DEFAULT_KUBERNETES_VERSION = 'v1.35.4';
export const DEFAULT_ETCD_VERSION = 'v3.6.5';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  source: 'KUBEBUILDER_ASSETS' | 'cache' | 'built';
}

type Log = (line: string) => void;

/** Where a build stands, for a person waiting on it. */
export interface BuildState {
  /** What is built, e.g. "kube-apiserver v1.35.4 and etcd v3.6.5". */
  what: string;
  /** The cache folder it is built into. */
  dir: string;
  /** Date.now() when it began. */
  startedAt: number;
  /** What the build script says it is doing now ("downloading kube-apiserver v1.35.4's modules"). */
  phase: string;
  /** Go modules downloaded so far: Go prints a "go: downloading" line for each, hundreds in all. */
  modules: number;
}

/** Who hears about a build: sandbox/build-progress.ts for a terminal, local mode's console for its page. */
export interface BuildReporter {
  /** Something a person should read once: a stale lock taken over, another process already building. */
  notice(line: string): void;
  /** The build began, changed phase or downloaded a module (the same object, updated). */
  progress(state: Readonly<BuildState>): void;
  /** It ended: built, failed or stopped. */
  finished(state: Readonly<BuildState>, outcome: 'built' | 'failed' | 'aborted'): void;
}

export interface BinariesOptions {
  /**
   * The build's own output except Go's per-module chatter, for a log file; and without a reporter, what it would have
   * reported (the phases), so that a caller with a log alone still hears what is going on.
   */
  log?: Log;
  reporter?: BuildReporter;
  /** Stops a build under way (its whole process group) and rejects with BuildAbortedError. */
  signal?: AbortSignal;
}

const buildScript = fileURLToPath(new URL('./build-control-plane.sh', import.meta.url));
/**
 * For tests only: another script run instead of build-control-plane.sh, with the same arguments, so a test can play a
 * slow or failing build without building anything (test/integration/first-run.test.ts).
 */
const TEST_BUILD_SCRIPT = 'OOMBOT_TEST_BUILD_SCRIPT';
/** Go's chatter per module (`go get`, `go mod download`): counted, not shown. */
const GO_MODULE_LINE = /^go: (downloading|added|upgraded|downgraded|finding|extracting) /;
/** What Go prints when the module proxy cannot be reached (net/http and its dialer's errors). */
const NETWORK_FAILURE = /dial tcp|no such host|i\/o timeout|connection refused|network is unreachable|TLS handshake timeout|proxyconnect|GOPROXY=off|Temporary failure in name resolution/;
const NO_SPACE = /no space left on device|disk quota exceeded/i;
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

export async function controlPlaneBinaries(opts: BinariesOptions = {}): Promise<ControlPlaneBinaries> {
  const log = opts.log ?? (() => {});
  const notice = (line: string) => (opts.reporter ? opts.reporter.notice(line) : log(line));
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
  await acquireLock(lockPath, notice, opts.signal);
  // process.exit() (a second Ctrl-C, `oombot start` interrupted) runs no finally: the lock goes in an 'exit' handler,
  // which must be synchronous.
  const dropLock = () => rmSync(lockPath, { force: true });
  process.on('exit', dropLock);
  try {
    // Another process may have finished the build while we waited for the lock.
    if (await bothExecutable(cached)) return { ...cached, source: 'cache' };
    const state: BuildState = { what: `kube-apiserver ${DEFAULT_KUBERNETES_VERSION} and etcd ${DEFAULT_ETCD_VERSION}`, dir, startedAt: Date.now(), phase: 'starting the build', modules: 0 };
    if (opts.reporter) opts.reporter.progress(state);
    else log(`building ${state.what} once into ${displayPath(dir)} (takes several minutes the first time)`);
    let outcome: 'built' | 'failed' | 'aborted' = 'failed';
    try {
      await runBuildScript(state, log, opts);
      outcome = 'built';
    } catch (error) {
      if (error instanceof BuildAbortedError) outcome = 'aborted';
      throw error;
    } finally {
      opts.reporter?.finished(state, outcome);
    }
    return { ...cached, source: 'built' };
  } finally {
    process.off('exit', dropLock);
    await fs.rm(lockPath, { force: true });
  }
}

function binariesIn(dir: string): Omit<ControlPlaneBinaries, 'source'> {
  return { etcd: path.join(dir, 'etcd'), kubeApiserver: path.join(dir, 'kube-apiserver') };
}

/** Whether a file exists and may be run: how each tool cached under the oombot cache is known to be there. */
export async function isExecutable(file: string): Promise<boolean> {
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
async function acquireLock(lockPath: string, notice: Log, signal: AbortSignal | undefined): Promise<void> {
  let announced = false;
  for (;;) {
    if (signal?.aborted) throw new BuildAbortedError('stopped while waiting for the build lock');
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
      notice(`taking over the build lock ${displayPath(lockPath)}: process ${holder || '(unknown)'}, which held it, is gone`);
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (!announced) {
      notice(`process ${holder} is building the control plane binaries; waiting for it to finish`);
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

/** Signals every process of the build's group (bash, go, the compilers go starts); ignores a group that is gone. */
function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function runBuildScript(state: BuildState, log: Log, opts: BinariesOptions): Promise<void> {
  const script = process.env[TEST_BUILD_SCRIPT] || buildScript;
  // A process group of its own (detached), so that stopping it reaches go and the compilers it runs, not only bash;
  // and so that a Ctrl-C at the terminal reaches oombot, which stops it, rather than leaving it half-killed.
  const child = spawn('bash', [script, state.dir, DEFAULT_KUBERNETES_VERSION, DEFAULT_ETCD_VERSION], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // If oombot exits without stopping it (process.exit on a signal), the build goes with it.
  const killOnExit = () => signalGroup(child, 'SIGTERM');
  process.on('exit', killOnExit);
  let aborted = false;
  let forceKill: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    signalGroup(child, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(child, 'SIGKILL'), 5_000);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const tail: string[] = [];
  let missing: { what: Prerequisite; message: string } | undefined;
  let network = false;
  let noSpace = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      const marker = /^oombot-build: (phase|missing) (.*)$/.exec(line);
      if (marker?.[1] === 'phase') {
        state.phase = marker[2]!;
        return opts.reporter ? opts.reporter.progress(state) : log(`build: ${state.phase}`);
      }
      if (marker?.[1] === 'missing') {
        const [what, ...words] = marker[2]!.split(' ');
        if (what === 'go' || what === 'go-version') missing = { what, message: words.join(' ') };
        return;
      }
      if (GO_MODULE_LINE.test(line)) {
        if (line.startsWith('go: downloading ')) {
          state.modules += 1;
          opts.reporter?.progress(state);
        }
        return;
      }
      network ||= NETWORK_FAILURE.test(line);
      noSpace ||= NO_SPACE.test(line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    });
  }
  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  }).finally(() => {
    process.off('exit', killOnExit);
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(forceKill);
  });
  if (aborted) {
    // bash is gone; what it started may still be on its way out.
    signalGroup(child, 'SIGKILL');
    throw new BuildAbortedError('the control plane build was stopped');
  }
  if (result.code === 0) return;
  const fallback = 'or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver';
  if (missing) throw new PrerequisiteError(missing.what, missing.message);
  if (noSpace) throw new PrerequisiteError('disk-space', `no space left on the device while building kube-apiserver and etcd (Go's module and build caches need a few GB): free some space and start again, ${fallback}`);
  if (network) throw new PrerequisiteError('module-proxy', `could not download kube-apiserver's and etcd's Go modules (no connection to the Go module proxy): check this machine's network and its GOPROXY / HTTPS_PROXY settings, ${fallback}`);
  throw new ControlPlaneError(
    'CONTROL_PLANE_BUILD_FAILED',
    `building kube-apiserver and etcd into ${state.dir} failed (${result.error?.message ?? `exit code ${result.code}`}): ` +
      `install Go >= 1.25 with access to the Go module proxy, ${fallback}.`,
    { cause: result.error, output: tail },
  );
}
