// `oombot start` (what `npm start` runs): local mode (local/start.ts) in the foreground until Ctrl-C. It prints what it
// is connected to first, then one line per thing worth a person's attention; the JSON logs of the parts go to
// OOMBOT_LOG_FILE when set, else only their warnings and errors reach stderr (local/log.ts).
//
// A first run on a fresh machine builds kube-apiserver and etcd (minutes). When it is sure to need them — --sandbox, or
// no kubeconfig at all — it starts finding or building them before it loads the rest (local/start.ts and what it
// imports take seconds to load), so the build's progress is on the terminal within a second or two.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localLogger } from '../local/log.ts';
import type { LocalMode } from '../local/start.ts';
import { BuildWatch } from '../local/starting.ts';
import { stateDir } from '../local/state.ts';
import { controlPlaneBinaries, type ControlPlaneBinaries } from '../sandbox/binaries.ts';
import { terminalProgress } from '../sandbox/build-progress.ts';
import { OombotError } from '#shared/errors.ts';
import { firstSentence } from './errors.ts';
import { writeOutput, type Io } from './io.ts';

export const START_USAGE = `usage: oombot start [--port N] [--sandbox] [--state-dir DIR]

The whole of oombot on this machine: the forwarder watches your current kubeconfig context (or, when no cluster
answers, a local control plane where demo scenarios play), the alerts are diagnosed and posted, and the Slack app
answers /oom and the buttons — in your workspace over Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set
(alerts to OOMBOT_DEFAULT_CHANNEL), else in the local console, a web page on 127.0.0.1.

options:
  --port N          the console's port (default 8780; 0 picks a free one)
  --sandbox         use the local control plane and its demo even when a kubeconfig names a cluster
  --state-dir DIR   where incidents, mutes, the audit log and console messages are kept
                    (default OOMBOT_STATE_DIR, else $XDG_STATE_HOME/oombot, else ~/.local/state/oombot)
environment: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, OOMBOT_DEFAULT_CHANNEL, OOMBOT_RAISE_POLICY, OOMBOT_RUNBOOKS,
  OOMBOT_LOG_FILE (the parts' JSON logs; else only warnings and errors, on stderr), OOMBOT_LOG_LEVEL (default info).`;

export async function startCommand(args: string[], io: Io, env: NodeJS.ProcessEnv = process.env, until?: Promise<unknown>): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { port: { type: 'string' }, sandbox: { type: 'boolean' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new OombotError('bad-usage', `${firstSentence(error)} (see oombot start --help)`, { cause: error });
  }
  if (values.help) {
    await writeOutput(io.stdout, `${START_USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? 8780 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new OombotError('bad-usage', `--port must be a port number from 0 to 65535, not "${values.port}"`);

  const terminal = terminalProgress(io.stdout, { prefix: 'build      ' });
  const say = (line: string) => terminal.write(line);
  const log = localLogger(env, (line) => io.stderr.write(line));
  const buildWatch = new BuildWatch(terminal);

  const startedAt = Date.now();
  say('oombot local mode: starting…');
  let early: { binaries: Promise<ControlPlaneBinaries>; stop: AbortController } | undefined;
  if (values.sandbox || !anyKubeconfig(env)) {
    const stop = new AbortController();
    const binaries = controlPlaneBinaries({ log: (line) => log.info(line, { component: 'control-plane' }), reporter: buildWatch, signal: stop.signal });
    // Awaited by local mode when it starts the control plane; until then a failure must not count as unhandled.
    binaries.catch(() => {});
    early = { binaries, stop };
  }
  let local: LocalMode | undefined;
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  // Ctrl-C while starting (the first control-plane build takes minutes) exits at once: the exit handlers of
  // sandbox/binaries.ts and sandbox/control-plane.ts stop the build's process group, remove its lock and kill the
  // control plane's children. Once running, it stops the parts in order.
  let stopping = false;
  const onSignal = () => {
    if (local && !stopping) {
      stopping = true;
      return requestStop();
    }
    // A second Ctrl-C, or one while starting: exit now; the control plane's exit handler still kills its children.
    terminal.end();
    io.stderr.write(`oombot: ${local ? 'stopped before the parts finished' : 'interrupted while starting'}\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void until?.then(() => requestStop());
  try {
    // Its errors carry their codes (cli/errors.ts): a bad setting is `config` (exit 2), a state directory on a full or
    // read-only disk `io` and a damaged store `stored-record` (exit 5), no longer "bad usage".
    const { startLocal } = await import('../local/start.ts');
    local = await startLocal({ buildWatch, startedAt, ...(early ? { binaries: early.binaries } : {}), port, stateDir: values['state-dir'] ?? stateDir(env), env, ...(values.sandbox ? { sandbox: true } : {}), ...(env['OOMBOT_DEMO_SPEED'] ? { demoSpeed: Number(env['OOMBOT_DEMO_SPEED']) } : {}), ...(env['OOMBOT_DEMO_LEAK_SPEED'] ? { demoLeakSpeed: Number(env['OOMBOT_DEMO_LEAK_SPEED']) } : {}), say, log });
    say(`ready      ${local.consoleUrl ?? 'connected to Slack'}`);
    await stopRequested;
    say('stopping…');
    await local.stop();
    return 0;
  } catch (error) {
    // Local mode did not start (a setting, the port…): a build started early for it stops too, lock and all.
    early?.stop.abort();
    await early?.binaries.catch(() => {});
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Whether a kubeconfig file exists where kubectl looks (KUBECONFIG's files, else ~/.kube/config). Without one no
 * cluster can answer, so local mode will need the local control plane; with one, local/start.ts asks the cluster.
 */
function anyKubeconfig(env: NodeJS.ProcessEnv): boolean {
  const listed = (env['KUBECONFIG'] ?? '').split(path.delimiter).filter(Boolean);
  const files = listed.length ? listed : [path.join(env['HOME'] || os.homedir(), '.kube', 'config')];
  return files.some((file) => existsSync(file));
}
