// A long-running child process (etcd, kube-apiserver) whose output goes to a log file, not to our stdout: the
// apiserver logs hundreds of lines at start, which would drown a test run or the sandbox's instructions.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import { ControlPlaneError } from './errors.ts';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when the process has exited (and been reaped), with its exit code or signal. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
}

export async function startDaemon(name: string, bin: string, args: string[], logPath: string): Promise<Daemon> {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
  });
  // A missing or non-executable binary surfaces as an asynchronous 'error' event with no pid.
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    name,
    pid: child.pid as number,
    logPath,
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it has exited. */
export async function stopDaemon(daemon: Daemon, graceMs = 5_000): Promise<void> {
  if (daemon.hasExited()) return;
  signal(daemon.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signal(daemon.pid, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([daemon.exited, killed]);
  clearTimeout(timer);
  await daemon.exited;
}

/** Sends a signal, ignoring a process that is already gone. Synchronous, so it can run in a process 'exit' handler. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function logTail(logPath: string, lines = 20): Promise<string[]> {
  const text = await fs.readFile(logPath, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').filter(Boolean).slice(-lines);
}

/** Polls `check` every 100 ms; fails fast if the process exits, and names its log's last lines either way. */
export async function waitFor(
  daemon: Daemon,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (daemon.hasExited()) {
      throw await startFailed(daemon, `${daemon.name} exited (${await daemon.exited}) while waiting for ${what}`);
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error; // connection refused until it listens
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw await startFailed(daemon, `timed out after ${timeoutMs / 1000} s waiting for ${what}${detail}`);
}

async function startFailed(daemon: Daemon, message: string): Promise<ControlPlaneError> {
  return new ControlPlaneError('CONTROL_PLANE_START_FAILED', `${message}: read ${daemon.logPath} for the cause`, {
    logFile: daemon.logPath,
    output: await logTail(daemon.logPath),
  });
}
