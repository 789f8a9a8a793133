// `oombot sandbox`: the local control plane the integration tests use, for a person to poke at with kubectl.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stateDir } from '../local/state.ts';
import { controlPlaneBinaries, displayPath, oombotCacheDir } from '../sandbox/binaries.ts';
import { terminalProgress } from '../sandbox/build-progress.ts';
import type { ControlPlane } from '../sandbox/control-plane.ts';
import { BuildAbortedError, ControlPlaneError } from '../sandbox/errors.ts';
import { firstSentence } from './errors.ts';

export interface SandboxIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Where the sandbox's admin kubeconfig goes unless --kubeconfig says otherwise: the same file `oombot start` writes
 * for its local control plane (local/start.ts, in its state directory), so one `kubectl --kubeconfig` line serves both.
 */
export function defaultSandboxKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'sandbox.kubeconfig');
}

export const sandboxHelp = `Usage: oombot sandbox [--kubeconfig PATH]

Starts a local Kubernetes control plane (a real kube-apiserver and etcd on 127.0.0.1, the same the integration
tests use), writes an admin kubeconfig for it, and runs until Ctrl-C. No scheduler, controllers or kubelet run:
objects are stored and served, but pods never start.

The first run builds kube-apiserver and etcd from Go modules into ${displayPath(oombotCacheDir())}/control-plane
(needs Go >= 1.25 and takes several minutes; its progress is shown as it goes). Set KUBEBUILDER_ASSETS to a folder
holding etcd and kube-apiserver (e.g. from setup-envtest) to use those instead.

Options:
  --kubeconfig PATH  where to write the kubeconfig (default: ${displayPath(defaultSandboxKubeconfig())}, the file
                     \`oombot start\` writes for its local control plane)
  -h, --help         show this help
`;

/**
 * Runs `oombot sandbox`. Returns the exit code: 0 after a clean stop, 1 if the control plane could not start or died,
 * 2 for bad arguments, 130 if interrupted while starting. `until` replaces waiting for SIGINT/SIGTERM (for tests).
 */
export async function sandboxCommand(args: string[], io: SandboxIo, until?: Promise<unknown>): Promise<number> {
  let kubeconfigPath: string;
  try {
    const { values } = parseArgs({
      args,
      options: { kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout.write(sandboxHelp);
      return 0;
    }
    kubeconfigPath = path.resolve(values.kubeconfig ?? defaultSandboxKubeconfig());
  } catch (error) {
    io.stderr.write(`oombot sandbox: ${firstSentence(error)} (see oombot sandbox --help)\n`);
    return 2;
  }

  let signalled: NodeJS.Signals | undefined;
  let onSignal: (sig: NodeJS.Signals) => void = () => {};
  // A signal while starting stops a first build under way (its whole process group, and its lock goes).
  const stopStarting = new AbortController();
  const interrupted = new Promise<void>((resolve) => {
    onSignal = (sig) => {
      signalled = sig;
      stopStarting.abort();
      resolve();
    };
  });
  if (!until) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let cp: ControlPlane | undefined;
  try {
    // The binaries first, before loading the control plane's code and client-node (seconds): a first build's progress
    // shows at once.
    const terminal = terminalProgress(io.stderr);
    const log = (line: string) => terminal.write(line);
    const binaries = controlPlaneBinaries({ log, reporter: terminal, signal: stopStarting.signal });
    binaries.catch(() => {}); // awaited by startControlPlane; not unhandled meanwhile
    const [{ startControlPlane }, { VersionApi }] = await Promise.all([import('../sandbox/control-plane.ts'), import('@kubernetes/client-node')]);
    cp = await startControlPlane({ log, binaries });
    await cp.writeKubeconfig(kubeconfigPath);
    const { gitVersion } = await cp.adminKubeConfig().makeApiClient(VersionApi).getCode();
    io.stdout.write(
      `Kubernetes ${gitVersion} control plane running at ${cp.url} ` +
        `(kube-apiserver pid ${cp.pids.apiserver}, etcd pid ${cp.pids.etcd}).\n` +
        `Admin kubeconfig (user in group system:masters) written to ${kubeconfigPath}. Use it with:\n\n` +
        `  export KUBECONFIG=${kubeconfigPath}\n` +
        `  kubectl get ns\n\n` +
        `No kubelet runs: pods are stored but never start. Press Ctrl-C to stop.\n`,
    );
    const outcome = await Promise.race([(until ?? interrupted).then(() => undefined), cp.exited]);
    if (outcome) {
      io.stderr.write(`oombot sandbox: ${outcome.name} exited unexpectedly (${outcome.reason}); stopping.\n`);
      return 1;
    }
    io.stderr.write('stopping the control plane...\n');
    return 0;
  } catch (error) {
    // Ctrl-C mid-start: the build was stopped, or the signal also reached etcd or the apiserver; neither is an error.
    if ((signalled && !cp) || error instanceof BuildAbortedError) return 130;
    if (error instanceof ControlPlaneError) {
      io.stderr.write(`oombot sandbox: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await cp?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
