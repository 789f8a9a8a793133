// The control plane's first build, shown in a terminal while it runs (minutes): what is built and where at once, then
// where it stands — the phase, the Go modules downloaded so far, the time it has taken. On a TTY one line is redrawn
// every second; anywhere else (a pipe, a CI log, a test) a plain line comes at each change of phase and every few
// seconds between, so a log stays readable and a person watching never waits long for a sign of life.
import { displayPath, type BuildReporter, type BuildState } from './binaries.ts';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface TerminalProgressOptions {
  /** Put before every line, e.g. "build      " to line up with `oombot start`'s other lines. */
  prefix?: string;
  /** A plain line at least this often when the stream is not a TTY (default 5 s). */
  everyMs?: number;
  now?: () => number;
}

/** `1:05` for 65 s, `12 s` under a minute. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Where a build stands: "downloading kube-apiserver v1.35.4's modules (143 Go modules downloaded so far)". */
export function buildPhase(state: Readonly<BuildState>): string {
  const modules = state.modules ? ` (${state.modules} Go module${state.modules === 1 ? '' : 's'} downloaded so far)` : '';
  return `${state.phase}${modules}`;
}

/** The same after the time it has taken: "1:05 downloading …". */
export function describeBuild(state: Readonly<BuildState>, now: number): string {
  return `${elapsed(now - state.startedAt)} ${buildPhase(state)}`;
}

export interface TerminalProgress extends BuildReporter {
  /** Writes a line of the caller's own, under the progress line when one is being redrawn. */
  write(line: string): void;
  /** Ends a redrawn line and stops redrawing: before the process exits, or writes elsewhere (stderr). */
  end(): void;
}

export function terminalProgress(stream: ProgressStream, opts: TerminalProgressOptions = {}): TerminalProgress {
  const prefix = opts.prefix ?? '';
  const now = opts.now ?? Date.now;
  const tty = Boolean(stream.isTTY);
  const everyMs = opts.everyMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let current: Readonly<BuildState> | undefined;
  let shownPhase = '';
  let lastLineAt = 0;
  let redrawn = false;

  const line = (text: string) => stream.write(`${prefix}${text}\n`);
  const show = () => {
    if (!current) return;
    const text = describeBuild(current, now());
    if (tty) {
      stream.write(`\r\x1b[K${prefix}${text}`);
      redrawn = true;
    } else {
      line(text);
      lastLineAt = now();
    }
  };
  // Ends a redrawn line before anything else is written under it.
  const endRedraw = () => {
    if (redrawn) stream.write('\n');
    redrawn = false;
  };

  return {
    write(text) {
      endRedraw();
      stream.write(`${text}\n`);
    },
    end() {
      clearInterval(timer);
      endRedraw();
    },
    notice(text) {
      endRedraw();
      line(text);
    },
    progress(state) {
      if (!current) {
        current = state;
        shownPhase = state.phase; // the line below says as much
        line(`building ${state.what} once, into ${displayPath(state.dir)}: the first time takes a few minutes (Go's downloads, then compiling)`);
        timer = setInterval(() => {
          if (tty || now() - lastLineAt >= everyMs) show();
        }, tty ? 1_000 : Math.min(everyMs, 1_000));
        timer.unref();
      }
      if (state.phase !== shownPhase) {
        shownPhase = state.phase;
        if (tty) endRedraw();
        show();
      }
    },
    finished(state, outcome) {
      clearInterval(timer);
      endRedraw();
      const took = elapsed(now() - state.startedAt);
      line(outcome === 'built' ? `built ${state.what} in ${took}; later starts use them at once` : outcome === 'aborted' ? `stopped the build after ${took}` : `the build failed after ${took}`);
    },
  };
}
