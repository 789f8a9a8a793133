// Local mode while it starts (docs/architecture.md, "Local mode"): the console serves at once, but the cluster may take
// minutes — the first run builds kube-apiserver and etcd — and the Slack app's handlers need it. Until it is up, the
// console's banner says so, and a command or a click gets an ephemeral answer naming the phase and the time it has
// taken, instead of no answer at all (which the console, as Slack, reports as operation_timeout).
import type { App } from '@slack/bolt';
import type { BuildReporter, BuildState } from '../sandbox/binaries.ts';
import { buildPhase, elapsed } from '../sandbox/build-progress.ts';

export const STARTING_HEADLINE = 'starting the local cluster (first time: a few minutes)';

/** Forwards a build's reports (to the terminal) and keeps the one under way, for the console. */
export class BuildWatch implements BuildReporter {
  private state: Readonly<BuildState> | undefined;
  private done = false;

  constructor(private readonly next?: BuildReporter) {}

  /** Called after each report, e.g. to refresh the console's banner. */
  onChange: () => void = () => {};

  notice(line: string): void {
    this.next?.notice(line);
  }

  progress(state: Readonly<BuildState>): void {
    this.state = state;
    this.done = false;
    this.next?.progress(state);
    this.onChange();
  }

  finished(state: Readonly<BuildState>, outcome: 'built' | 'failed' | 'aborted'): void {
    this.done = true;
    this.next?.finished(state, outcome);
    this.onChange();
  }

  /** The build under way, if one is. */
  current(): Readonly<BuildState> | undefined {
    return this.done ? undefined : this.state;
  }
}

/** Where local mode's start stands: a phase, since when, and the build when one runs. */
export class Starting {
  private phase = 'looking for a cluster in your kubeconfig';
  private ready = false;
  private readonly listeners = new Set<(banner: string | undefined) => void>();
  private shown: string | undefined;

  /** `since`: when the start began (`oombot start` may have begun a build before local mode was loaded). */
  constructor(
    private readonly watch: BuildWatch | undefined,
    private readonly since: number = Date.now(),
    private readonly now: () => number = Date.now,
  ) {
    if (watch) watch.onChange = () => this.changed();
  }

  /** A new phase of the start (not of the build, which the watch reports). */
  enter(phase: string): void {
    this.phase = phase;
    this.changed();
  }

  done(): void {
    this.ready = true;
    this.changed();
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The console's banner: the headline and the phase, without the clock (it would change every second). */
  banner(): string | undefined {
    if (this.ready) return undefined;
    const build = this.watch?.current();
    return `oombot is ${STARTING_HEADLINE}: ${build ? `building ${build.what} — ${build.phase}` : this.phase}…`;
  }

  /** The answer to a command sent now: the phase and how long the start has taken. */
  answer(): string {
    const build = this.watch?.current();
    const where = build ? `building ${build.what}: ${buildPhase(build)}` : this.phase;
    return `⏳ oombot is ${STARTING_HEADLINE}. Now: ${where}; ${elapsed(this.now() - this.since)} so far. Send it again once the console says it is ready.`;
  }

  onBanner(listener: (banner: string | undefined) => void): void {
    this.listeners.add(listener);
  }

  /** Tells the listeners when the banner's text changes. */
  private changed(): void {
    const banner = this.banner();
    if (banner === this.shown) return;
    this.shown = banner;
    for (const listener of this.listeners) listener(banner);
  }
}

/**
 * Answers `/oom` and the buttons while `starting` is not ready; registered before the app's own handlers, it does
 * nothing once the start is done (Bolt runs every listener that matches; the app's own then acknowledges).
 */
export function answerWhileStarting(app: InstanceType<typeof App>, starting: Starting): void {
  app.command(/.*/, async ({ ack }) => {
    if (!starting.isReady) await ack({ response_type: 'ephemeral', text: starting.answer() });
  });
  app.action(/.*/, async ({ ack, respond }) => {
    if (starting.isReady) return;
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: false, text: starting.answer() });
  });
}
