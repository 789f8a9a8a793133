// `oombot forwarder`: runs the forwarder with configuration from the environment (forwarder/config.ts), against the
// in-cluster API when run in a pod, else the current kubeconfig context. SIGTERM or SIGINT: stop watching, drain,
// hand over the Lease, exit 0. Exit 2 for bad configuration, 1 when it could not start. Nothing else ends it: an API
// server that is away, or a Lease lost, only makes it stand by until it can lead again (forwarder/forwarder.ts run).
import { ConfigError, loadConfig } from '../forwarder/config.ts';
import { Forwarder } from '../forwarder/forwarder.ts';
import { forwarderLogger } from '../forwarder/log.ts';
import { forwarderMetrics } from '../forwarder/metrics.ts';
import { startServer } from '../forwarder/server.ts';
import { eventBridgeSink, stdoutSink } from '../forwarder/sinks.ts';
import { inCluster, inClusterTransport } from '../kube/in-cluster.ts';
import { kubeConfigTransport, type KubeTransport } from '../kube/rest.ts';
import { OombotError } from '#shared/errors.ts';
import { writeOutput, type Io } from './io.ts';
import { loadCurrentKubeConfig } from './kubeconfig.ts';

export const FORWARDER_USAGE = `usage: oombot forwarder

Watches pods and events and publishes each memory death (OOM kill, eviction, node OOM) to Amazon EventBridge, once.
Configured from the environment:
  OOMBOT_CLUSTER (required)        the cluster's name in alerts, e.g. prod-eu
  OOMBOT_SINK                      eventbridge (default) or stdout (one JSON line per entry)
  OOMBOT_EVENT_BUS                 EventBridge bus name (default oombot-prod, the bus of npm run deploy's prod stage); AWS_REGION is required with eventbridge
  OOMBOT_NAMESPACES                only these namespaces (comma-separated; default all)
  OOMBOT_EXCLUDE_NAMESPACES        never these namespaces (comma-separated)
  OOMBOT_REPLAY_MAX                how far back a restart may replay (default 1h)
  OOMBOT_FIRST_START_LOOKBACK      how far back the very first start looks (default 15m)
  OOMBOT_WATCH_IDLE_TIMEOUT        restart a watch silent this long (default 5m)
  OOMBOT_LEADER_ELECTION           true (default): one active replica through a Lease
  OOMBOT_LEASE_NAME, OOMBOT_LEASE_NAMESPACE (default oombot-forwarder, POD_NAMESPACE or oombot)
  OOMBOT_LEASE_DURATION            how long a silent leader keeps the Lease (default 15s)
  OOMBOT_MEMORY_SAMPLING           true (default): keep each container's recent memory from metrics.k8s.io
  OOMBOT_MEMORY_INTERVAL           how often pod metrics are read (default 30s, at least 15s)
  OOMBOT_MEMORY_WINDOW             how much memory history is kept per container (default 30m, at most 12h)
  OOMBOT_MEMORY_RETRY              how often a missing or forbidden metrics.k8s.io is asked again (default 5m)
  OOMBOT_HTTP_PORT                 /healthz, /readyz, /metrics (default 8080; 0 picks a free port)
  OOMBOT_LOG_LEVEL                 the JSON logs on stderr: debug, info (default), warn or error
AWS credentials come from the SDK's standard chain (IRSA, EKS Pod Identity, env); AWS_ENDPOINT_URL_EVENTBRIDGE
points it elsewhere.`;

export async function forwarderCommand(args: string[], io: Io, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    await writeOutput(io.stdout, `${FORWARDER_USAGE}\n`);
    return 0;
  }
  if (args.length) throw new OombotError('bad-usage', `oombot forwarder takes no arguments (got ${args.join(' ')}); it is configured from the environment, see --help`);
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new OombotError('config', `forwarder: ${error.message}`, { cause: error });
    throw error;
  }
  const log = forwarderLogger((line) => io.stderr.write(line), env);
  const api = await transport(env);
  const metrics = forwarderMetrics();
  const sink = config.sink === 'stdout' ? stdoutSink((line) => io.stdout.write(line)) : eventBridgeSink(config.eventBus, config.region);
  const forwarder = new Forwarder({ config, api, sink, log, metrics });
  const server = await startServer(config.httpPort, metrics.registry, forwarder);
  const address = server.address();
  log.info('serving probes and metrics', { port: typeof address === 'object' && address ? address.port : config.httpPort, api: api.description });

  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log.info('stopping', { signal: sig });
    stop.abort();
  };
  if (signal) signal.addEventListener('abort', () => stop.abort(), { once: true });
  else {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  try {
    await forwarder.run(stop.signal);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await new Promise((resolve) => server.close(resolve));
  }
}

async function transport(env: NodeJS.ProcessEnv): Promise<KubeTransport> {
  if (inCluster(env)) return inClusterTransport(env);
  return kubeConfigTransport(await loadCurrentKubeConfig('no cluster to watch: run in a pod, or set KUBECONFIG or a current context'));
}
