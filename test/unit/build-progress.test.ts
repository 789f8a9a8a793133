// How a first build of the control plane reads in a terminal (sandbox/build-progress.ts) and in the console while local
// mode starts (local/starting.ts), driven with a fake clock: the exact lines, not their count.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultSandboxKubeconfig } from '../../cli/sandbox-command.ts';
import { stateDir } from '../../local/state.ts';
import { BuildWatch, Starting } from '../../local/starting.ts';
import type { BuildState } from '../../sandbox/binaries.ts';
import { elapsed, terminalProgress } from '../../sandbox/build-progress.ts';

const T0 = Date.parse('2026-11-30T03:00:00Z');

function newState(): BuildState {
  return { what: 'kube-apiserver v1.35.4 and etcd v3.6.5', dir: '/cache/oombot/control-plane/v1.35.4-v3.6.5', startedAt: T0, phase: 'starting the build', modules: 0 };
}

function stream(isTTY: boolean): { write: (text: string) => boolean; isTTY: boolean; text: () => string } {
  let text = '';
  return { isTTY, write: (t: string) => ((text += t), true), text: () => text };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a build in a terminal', () => {
  it('prints what it builds at once, a line per phase, and a line every 5 s between them when not a TTY', () => {
    const out = stream(false);
    const progress = terminalProgress(out, { prefix: 'build      ' });
    const state = newState();
    progress.progress(state);
    state.phase = "downloading kube-apiserver v1.35.4's modules";
    progress.progress(state);
    for (let i = 0; i < 143; i++) {
      state.modules += 1;
      progress.progress(state);
    }
    vi.advanceTimersByTime(5_000);
    state.phase = 'compiling kube-apiserver v1.35.4';
    progress.progress(state);
    vi.advanceTimersByTime(70_000);
    progress.write('console    http://127.0.0.1:8780');
    progress.finished(state, 'built');
    expect(out.text().split('\n')).toEqual([
      'build      building kube-apiserver v1.35.4 and etcd v3.6.5 once, into /cache/oombot/control-plane/v1.35.4-v3.6.5: the first time takes a few minutes (Go\'s downloads, then compiling)',
      "build      0 s downloading kube-apiserver v1.35.4's modules",
      "build      5 s downloading kube-apiserver v1.35.4's modules (143 Go modules downloaded so far)",
      'build      5 s compiling kube-apiserver v1.35.4 (143 Go modules downloaded so far)',
      ...[10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75].map((s) => `build      ${elapsed(s * 1000)} compiling kube-apiserver v1.35.4 (143 Go modules downloaded so far)`),
      'console    http://127.0.0.1:8780',
      'build      built kube-apiserver v1.35.4 and etcd v3.6.5 in 1:15; later starts use them at once',
      '',
    ]);
  });

  it('redraws one line every second on a TTY, and ends it before anything else is written', () => {
    const out = stream(true);
    const progress = terminalProgress(out);
    const state = newState();
    progress.progress(state);
    state.phase = 'compiling etcd v3.6.5';
    progress.progress(state);
    vi.advanceTimersByTime(2_000);
    progress.notice('process 4242 is building the control plane binaries; waiting for it to finish');
    progress.finished(state, 'aborted');
    expect(out.text()).toBe(
      'building kube-apiserver v1.35.4 and etcd v3.6.5 once, into /cache/oombot/control-plane/v1.35.4-v3.6.5: the first time takes a few minutes (Go\'s downloads, then compiling)\n' +
        '\r\x1b[K0 s compiling etcd v3.6.5' +
        '\r\x1b[K1 s compiling etcd v3.6.5' +
        '\r\x1b[K2 s compiling etcd v3.6.5\n' +
        'process 4242 is building the control plane binaries; waiting for it to finish\n' +
        'stopped the build after 2 s\n',
    );
  });

  it('ends a redrawn line and stops redrawing when told to (before oombot exits on a signal)', () => {
    const out = stream(true);
    const progress = terminalProgress(out, { prefix: 'build      ' });
    const state = newState();
    progress.progress(state);
    state.phase = 'compiling etcd v3.6.5';
    progress.progress(state);
    progress.end();
    vi.advanceTimersByTime(10_000);
    expect(out.text().split('\n').slice(1)).toEqual(['\r\x1b[Kbuild      0 s compiling etcd v3.6.5', '']);
  });

  it('writes minutes as m:ss', () => {
    expect([0, 999, 59_999, 60_000, 61_000, 3_599_000].map(elapsed)).toEqual(['0 s', '0 s', '59 s', '1:00', '1:01', '59:59']);
  });
});

describe('local mode while it starts', () => {
  it('says in the banner and in an answer where the start stands, with the build when one runs, and nothing once ready', () => {
    const watch = new BuildWatch();
    const starting = new Starting(watch, T0 - 3_000);
    const banners: (string | undefined)[] = [];
    starting.onBanner((text) => banners.push(text));
    expect(starting.answer()).toBe('⏳ oombot is starting the local cluster (first time: a few minutes). Now: looking for a cluster in your kubeconfig; 3 s so far. Send it again once the console says it is ready.');

    const state = newState();
    watch.progress(state);
    state.phase = "downloading kube-apiserver v1.35.4's modules";
    state.modules = 12;
    watch.progress(state);
    state.modules = 13;
    watch.progress(state); // the same banner: not told again
    vi.advanceTimersByTime(62_000);
    expect(starting.answer()).toBe("⏳ oombot is starting the local cluster (first time: a few minutes). Now: building kube-apiserver v1.35.4 and etcd v3.6.5: downloading kube-apiserver v1.35.4's modules (13 Go modules downloaded so far); 1:05 so far. Send it again once the console says it is ready.");
    watch.finished(state, 'built');
    starting.enter('starting etcd and kube-apiserver');
    starting.done();
    expect(banners).toEqual([
      'oombot is starting the local cluster (first time: a few minutes): building kube-apiserver v1.35.4 and etcd v3.6.5 — starting the build…',
      "oombot is starting the local cluster (first time: a few minutes): building kube-apiserver v1.35.4 and etcd v3.6.5 — downloading kube-apiserver v1.35.4's modules…",
      'oombot is starting the local cluster (first time: a few minutes): looking for a cluster in your kubeconfig…',
      'oombot is starting the local cluster (first time: a few minutes): starting etcd and kube-apiserver…',
      undefined,
    ]);
    expect(starting.isReady).toBe(true);
  });
});

describe('the sandbox kubeconfig', () => {
  it('is by default the file oombot start writes in its state directory', () => {
    const env = { OOMBOT_STATE_DIR: '/tmp/oombot-state' };
    expect(defaultSandboxKubeconfig(env)).toBe(path.join(stateDir(env), 'sandbox.kubeconfig'));
    expect(defaultSandboxKubeconfig({ HOME: '/home/ada', XDG_STATE_HOME: '/home/ada/.state' })).toBe('/home/ada/.state/oombot/sandbox.kubeconfig');
  });
});
