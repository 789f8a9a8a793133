// Local mode (`oombot start`, docs/architecture.md, "Local mode"): the whole product in one process, wired from the
// production parts through local ports — the forwarder against the current kubeconfig context (or the local control
// plane, with the demo scenarios, when there is no cluster), an in-process bus instead of EventBridge, the analyze step
// (postOccurrence), the embedded store (store/file.ts) instead of DynamoDB, and the Slack app (bot/slack-app.ts) in
// Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set, else behind the local console. It reads its settings
// and builds the analyze and actions dependencies as the Lambdas do (functions/env.ts, functions/compose.ts); only the
// adapters differ.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { runActionJob, slackResponseOrigins, type ActionJob } from '../bot/actions.ts';
import { postOccurrence } from '../bot/post-occurrence.ts';
import type { RaisePolicy } from '../bot/raise-limit.ts';
import { boltLogger } from '../bot/bolt-logger.ts';
import { withLogger } from '../bot/failures.ts';
import { DEFAULT_EVICTION_WINDOW_MS, DEFAULT_REPEAT_WINDOW_MS } from '../bot/grouping.ts';
import { registerOombot } from '../bot/slack-app.ts';
import { startConsole, type LocalConsole } from '../console/server.ts';
import { loadConfig } from '../forwarder/config.ts';
import { Forwarder } from '../forwarder/forwarder.ts';
import { forwarderMetrics } from '../forwarder/metrics.ts';
import { loadCurrentKubeConfig } from '../cli/kubeconfig.ts';
import { kubeConfigTransport, type KubeTransport } from '../kube/rest.ts';
import type { ControlPlaneBinaries } from '../sandbox/binaries.ts';
import { startControlPlane, type ControlPlane } from '../sandbox/control-plane.ts';
import { ControlPlaneError } from '../sandbox/errors.ts';
import { playDemo, type DemoHandle } from '../sandbox/demo.ts';
import { startMetricsServer, type MetricsServer } from '../sandbox/metrics-server.ts';
import { safeParseEnvelope } from '#shared/envelope.ts';
import { OombotError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { makeActionDeps, makeBackend, makePostDeps, postSettings } from '../functions/compose.ts';
import { loadEnv, LocalEnvSchema, type LocalConfig } from '../functions/env.ts';
import { FileStore } from '../store/file.ts';
import { localBus, type LocalBus } from './bus.ts';
import { answerWhileStarting, Starting, type BuildWatch } from './starting.ts';


/**
 * How often the forwarder samples memory from the local control plane's metrics server. The 15 s floor of
 * OOMBOT_MEMORY_INTERVAL is metrics-server's resolution in a real cluster; the local one serves what the demo sets as
 * soon as it is set, so the demo's leak is charted in seconds, not minutes. Only this wiring goes below the floor: a
 * user's cluster, local or not, is sampled at the configured interval.
 */
const SANDBOX_MEMORY = { intervalMs: 1_000, windowMs: 10 * 60_000 };

/** Where local alerts go: one channel, named in the console. */
const CONSOLE_CHANNEL = { id: 'C0ALERTS', name: 'oom-alerts' };
const CONSOLE_USER = 'U0LOCAL';

/** Runbooks the demo's buttons open when no annotation or OOMBOT_RUNBOOKS names one: the Kubernetes docs per cause. */
const DEFAULT_RUNBOOKS: Record<string, string> = {
  limit: 'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/',
  'node-pressure': 'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
  runtime: 'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/',
  'not-oom': 'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
  default: 'https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/',
};

export interface LocalOptions {
  /** The console's port (0 picks a free one). */
  port: number;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Start the local control plane and play the demo even when a kubeconfig names a cluster. */
  sandbox?: boolean;
  /** How much faster the demo plays (tests). */
  demoSpeed?: number;
  /** How much faster the demo's leak climbs (tests; default demoSpeed): its curve is read against the clock. */
  demoLeakSpeed?: number;
  /** Human-readable progress lines. */
  say: (line: string) => void;
  /** The parts' logs (local/log.ts): the forwarder's, the analyze step's, the Slack app's, Bolt's, the console's. */
  log: Logger;
  /** Hears about a first build of the control plane's binaries (cli/start-command.ts shows it in the terminal). */
  buildWatch?: BuildWatch;
  /** The binaries, when the caller started finding or building them before this was loaded (cli/start-command.ts). */
  binaries?: Promise<ControlPlaneBinaries>;
  /** When the start began, for "… so far" (default: now). */
  startedAt?: number;
}

export interface LocalMode {
  cluster: { name: string; server: string; sandbox: boolean };
  /** The console's URL, when there is no Slack workspace. */
  consoleUrl?: string;
  demo?: DemoHandle;
  /** The local control plane's admin kubeconfig, when oombot started one. */
  sandboxKubeConfig?: KubeConfig;
  bus: LocalBus;
  /** Waits until jobs handed to actions and occurrences on the bus are done (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Local mode cannot start: a setting (`config`), the port (`bad-usage`), the forwarder not watching (`unreachable`). */
export class LocalModeError extends OombotError {
  override readonly name = 'LocalModeError';
}

export async function startLocal(o: LocalOptions): Promise<LocalMode> {
  // A setting that does not read is a `config` error naming the variable (functions/env.ts).
  const env: LocalConfig = loadEnv(LocalEnvSchema, o.env);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => o.log.warn('stopping a part failed', { error }));
  };
  try {
    await mkdir(o.stateDir, { recursive: true });
    const store = await FileStore.open(path.join(o.stateDir, 'store.json'));

    // The Slack side: a real workspace over Socket Mode, or the console standing in for Slack.
    const socketMode = Boolean(env.SLACK_BOT_TOKEN && env.SLACK_APP_TOKEN);
    if ((env.SLACK_BOT_TOKEN || env.SLACK_APP_TOKEN) && !socketMode) throw new LocalModeError('config', `Socket Mode needs both SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…, scope connections:write); only ${env.SLACK_BOT_TOKEN ? 'SLACK_BOT_TOKEN' : 'SLACK_APP_TOKEN'} is set`);
    if (socketMode && !env.OOMBOT_DEFAULT_CHANNEL) throw new LocalModeError('config', 'with Slack tokens set, OOMBOT_DEFAULT_CHANNEL must name the channel id alerts go to (invite the app there), e.g. C0123456789');
    const policy: RaisePolicy = env.OOMBOT_RAISE_POLICY
      ? env.OOMBOT_RAISE_POLICY
      : socketMode
        ? { allowed: {}, contact: 'whoever runs oombot start (set OOMBOT_RAISE_POLICY)' }
        : // The console's only user is whoever ran `oombot start`, with their own kubeconfig: the button may do what they may.
          { allowed: { '*': [CONSOLE_USER] } };

    let app: InstanceType<typeof App>;
    let slack: { slackToken: string; slackApiUrl?: string | undefined };
    let consoleHandle: LocalConsole | undefined;
    if (socketMode) {
      const slackApi = env.OOMBOT_SLACK_API_URL ? { slackApiUrl: env.OOMBOT_SLACK_API_URL } : {};
      app = new App({ token: env.SLACK_BOT_TOKEN!, appToken: env.SLACK_APP_TOKEN!, socketMode: true, logger: boltLogger(() => o.log), logLevel: LogLevel.WARN, clientOptions: slackApi });
      slack = { slackToken: env.SLACK_BOT_TOKEN!, slackApiUrl: env.OOMBOT_SLACK_API_URL };
    } else {
      // The console signs its requests as Slack does, with a secret made for this run; Bolt checks them as in AWS.
      const signingSecret = randomBytes(24).toString('hex');
      const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
      const logger = boltLogger(() => o.log);
      const receiver = new HTTPReceiver({ signingSecret, endpoints: '/slack/events', processBeforeResponse: true, logger, logLevel: LogLevel.WARN });
      app = new App({ receiver, authorize: async () => ({}), logger, logLevel: LogLevel.WARN });
      const appServer = http.createServer(receiver.requestListener);
      await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
      stops.push(() => new Promise((resolve) => appServer.close(resolve)));
      const appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/slack/events`;
      try {
        consoleHandle = await startConsole({ port: o.port, botToken, signingSecret, appUrl, userId: CONSOLE_USER, stateFile: path.join(o.stateDir, 'console.json'), channels: { [CONSOLE_CHANNEL.id]: CONSOLE_CHANNEL.name } }, o.log.child({ component: 'console' }));
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') throw new LocalModeError('bad-usage', `port ${o.port} is in use: start with --port <another port> (or --port 0 for any free one)`);
        throw error;
      }
      stops.push(() => consoleHandle!.close());
      slack = { slackToken: botToken, slackApiUrl: consoleHandle.slackApiUrl };
      o.say(`console    ${consoleHandle.url}  (alerts, buttons and the /oom box; no Slack workspace needed)`);
    }
    // Until the cluster is up and the app's handlers are registered, the console says so and commands get that answer.
    const starting = new Starting(o.buildWatch, o.startedAt);
    answerWhileStarting(app, starting);
    if (consoleHandle) {
      const page = consoleHandle;
      starting.onBanner((text) => page.setBanner(text));
      page.setBanner(starting.banner());
    }

    // The cluster: the current kubeconfig context when it answers, else the local control plane and the demo.
    let kc: KubeConfig | undefined;
    let controlPlane: ControlPlane | undefined;
    let metrics: MetricsServer | undefined;
    let clusterName = 'sandbox';
    if (!o.sandbox) {
      const reachable = await currentCluster();
      if (reachable) ({ kc, name: clusterName } = reachable);
    }
    if (!kc) {
      o.say('cluster    none reachable in your kubeconfig: starting a local control plane (etcd + kube-apiserver) for the demo…');
      starting.enter('starting etcd and kube-apiserver');
      controlPlane = await startControlPlane({ log: (line) => o.log.info(line, { component: 'control-plane' }), reporter: o.buildWatch, binaries: o.binaries }).catch((error: unknown) => {
        // KUBEBUILDER_ASSETS names a folder without the binaries: a setting to fix, not a bug.
        if (error instanceof ControlPlaneError && error.code === 'KUBEBUILDER_ASSETS_INCOMPLETE') throw new LocalModeError('config', error.message, { cause: error });
        throw error;
      });
      stops.push(() => controlPlane!.stop());
      starting.enter('starting the metrics server');
      kc = controlPlane.adminKubeConfig();
      // metrics.k8s.io through the aggregation layer, as a cluster with metrics-server serves it (docs/architecture.md,
      // "How we test"); stopped before the control plane (stops run in reverse).
      metrics = await startMetricsServer(controlPlane, { resolutionMs: SANDBOX_MEMORY.intervalMs, log: (line) => o.log.info(line, { component: 'metrics-server' }) });
      stops.push(() => metrics!.stop());
      // For a person (and a test) to look at the demo with kubectl while it runs.
      await controlPlane.writeKubeconfig(path.join(o.stateDir, 'sandbox.kubeconfig'));
    }
    const api: KubeTransport = kubeConfigTransport(kc);
    const server = kc.getCurrentCluster()!.server;
    const cluster = (name: string) => (name === clusterName ? api : undefined);
    const channel = socketMode ? env.OOMBOT_DEFAULT_CHANNEL! : CONSOLE_CHANNEL.id;

    // The same parts as in AWS (functions/compose.ts), through local adapters.
    const backend = makeBackend({ store, ...slack, cluster, clusters: [clusterName] });

    // analyze, as the Lambda does it, fed by the in-process bus.
    const postDeps = makePostDeps(backend, postSettings({ ...env, OOMBOT_DEFAULT_CHANNEL: channel, OOMBOT_RUNBOOKS: env.OOMBOT_RUNBOOKS ?? DEFAULT_RUNBOOKS }));
    const bus = localBus({
      log: o.log,
      analyze: async (detail) => {
        const parsed = safeParseEnvelope(detail);
        if (!parsed.success) return o.log.error('malformed envelope rejected', { reason: parsed.error });
        // What the analyze step logs (bot/failures.ts) goes to the parts' log, with the occurrence id on each line.
        const log = o.log.child({ occurrenceId: parsed.data.occurrenceId });
        const outcome = await withLogger(log, () => postOccurrence(postDeps, parsed.data));
        log.info('occurrence handled', { status: outcome.status });
      },
    });

    // actions, as the Lambda does it, started in-process instead of by an asynchronous invoke.
    const actionDeps = makeActionDeps(backend, { policy, responseOrigins: consoleHandle ? [new URL(consoleHandle.url).origin] : slackResponseOrigins(env.OOMBOT_SLACK_API_URL) });
    const jobs = new Set<Promise<void>>();
    const dispatch = async (job: ActionJob) => {
      const log = o.log.child({ kind: job.kind, userId: job.userId });
      const run = withLogger(log, () => runActionJob(actionDeps, job))
        .catch((error: unknown) => log.error('action failed', { error }))
        .finally(() => jobs.delete(run));
      jobs.add(run);
    };
    // The cluster is up: the app's own handlers answer from now on (the "starting" ones step aside, in the same tick).
    starting.done();
    // `/oom recent` groups in the windows the alerts were grouped in (OOMBOT_REPEAT_WINDOW, OOMBOT_EVICTION_WINDOW).
    const windows = { repeatMs: postDeps.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS, evictionMs: postDeps.evictionWindowMs ?? DEFAULT_EVICTION_WINDOW_MS };
    registerOombot(app, { store, cluster, clusters: backend.clusters, dispatch, log: o.log, windows });
    if (socketMode) {
      await app.start();
      stops.push(() => app.stop());
    }

    // The forwarder, watching that cluster, delivering to the bus.
    const loaded = loadConfig({ OOMBOT_CLUSTER: clusterName, OOMBOT_SINK: 'stdout', OOMBOT_LEADER_ELECTION: 'false', OOMBOT_HTTP_PORT: '0' });
    const config = metrics ? { ...loaded, memory: { ...loaded.memory, ...SANDBOX_MEMORY } } : loaded;
    const forwarder = new Forwarder({ config, api, sink: bus, log: o.log, metrics: forwarderMetrics() });
    const stopForwarder = new AbortController();
    const forwarding = forwarder.run(stopForwarder.signal);
    // Stopped in reverse: the demo, then the forwarder, then what is in flight on the bus and in actions gets a few
    // seconds to finish before the console and the cluster go away.
    stops.push(async () => {
      bus.close();
      await withTimeout(Promise.all([bus.idle(), ...jobs]), 5_000);
    });
    stops.push(async () => {
      stopForwarder.abort();
      await forwarding;
    });
    await until(() => forwarder.unready() === undefined, 30_000, 'the forwarder did not start watching within 30 s');

    o.say(`cluster    ${clusterName} (${server})${controlPlane ? `, the local control plane, with demo scenarios; kubectl --kubeconfig ${path.join(o.stateDir, 'sandbox.kubeconfig')} get pods -n demo` : ', from your kubeconfig'}`);
    o.say(`slack      ${socketMode ? `your workspace over Socket Mode, alerts to ${channel}` : `none: the console above stands in for it`}`);
    o.say(`state      ${o.stateDir} (incidents, mutes, audit log${consoleHandle ? ', console messages' : ''})`);
    o.say('stop       Ctrl-C');

    let demo: DemoHandle | undefined;
    if (controlPlane) {
      const stopDemo = new AbortController();
      demo = await playDemo(kc, { signal: stopDemo.signal, ...(metrics ? { metrics } : {}), log: (line) => o.say(`demo       ${line.replace(/^demo:? /, '')}`), ...(o.demoSpeed ? { speed: o.demoSpeed } : {}), ...(o.demoLeakSpeed ? { leakSpeed: o.demoLeakSpeed } : {}) });
      const finished = demo.finished.then(
        (how) => how === 'played' && o.say('demo       all scenarios played; press the buttons, or try /oom why in the console'),
        (error: unknown) => o.log.error('the demo stopped', { error }),
      );
      stops.push(async () => {
        stopDemo.abort();
        await finished;
      });
    }
    return {
      cluster: { name: clusterName, server, sandbox: Boolean(controlPlane) },
      ...(consoleHandle ? { consoleUrl: consoleHandle.url } : {}),
      ...(demo ? { demo } : {}),
      ...(controlPlane ? { sandboxKubeConfig: kc } : {}),
      bus,
      idle: async () => {
        await bus.idle();
        while (jobs.size) await Promise.all(jobs);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The current kubeconfig context, if it names a cluster that answers within 3 s. */
async function currentCluster(): Promise<{ kc: KubeConfig; name: string } | undefined> {
  const kc = await loadCurrentKubeConfig('no current context').catch(() => undefined);
  if (!kc) return undefined;
  const answer = await kubeConfigTransport(kc).get('/version', { timeoutMs: 3_000 }).catch(() => undefined);
  if (answer?.status !== 200) return undefined;
  return { kc, name: kc.getCurrentContext() || kc.getCurrentCluster()!.name };
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

async function until(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new LocalModeError('unreachable', message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
