// `npm run bench:start`: how long `npm start` takes, on this machine, with no kubeconfig and no Slack — to "ready"
// (the console answers; the local control plane and the forwarder are up) and to the demo's first alert in the
// console. Control-plane binaries must already be built (`npm run sandbox:prepare`; the first build takes minutes).
// Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.join(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 3);
const log = (line: string) => process.stdout.write(`${line}\n`);

for (let run = 1; run <= runs; run++) {
  const state = await mkdtemp(path.join(os.tmpdir(), 'oombot-bench-start-'));
  const t0 = performance.now();
  const child = spawn('npm', ['start', '--silent', '--', '--port', '0'], { cwd: root, env: { ...process.env, KUBECONFIG: path.join(state, 'none'), OOMBOT_STATE_DIR: state, OOMBOT_LOG_FILE: path.join(state, 'log') }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  let consoleAt: number | undefined;
  let readyAt: number | undefined;
  let url: string | undefined;
  let firstAlertAt: number | undefined;
  while (firstAlertAt === undefined && performance.now() - t0 < 180_000) {
    await new Promise((r) => setTimeout(r, 50));
    url ??= /^console +(http:\/\/127\.0\.0\.1:\d+)/m.exec(out)?.[1];
    if (url && consoleAt === undefined) {
      const answered = await fetch(url).then((r) => r.ok, () => false);
      if (answered) consoleAt = performance.now() - t0;
    }
    if (readyAt === undefined && /^ready /m.test(out)) readyAt = performance.now() - t0;
    if (url && readyAt !== undefined) {
      const messages = (await (await fetch(`${url}/ui/messages`)).json()) as { messages: unknown[] };
      if (messages.messages.length) firstAlertAt = performance.now() - t0;
    }
  }
  process.kill(-child.pid!, 'SIGINT');
  await new Promise((r) => child.once('exit', r));
  await rm(state, { recursive: true, force: true });
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  log(`run ${run}: console answers ${s(consoleAt)} · ready (cluster + forwarder up) ${s(readyAt)} · first demo alert ${s(firstAlertAt)}`);
}
