// The forwarder's configuration, from the environment, validated once at start (docs/code-style.md): a missing or bad
// variable stops it with a message that names the variable and the fix.
import { parseDuration } from '#shared/duration.ts';
import { DEFAULT_SOURCE } from '#shared/envelope-constants.ts';
import { OombotError } from '#shared/errors.ts';
import { MAX_WINDOW_MS } from './memory-rings.ts';

export { parseDuration };

// Checked by hand rather than with a zod schema: zod costs the forwarder about 4 MiB of resident memory at load
// (docs/architecture.md, "Budgets"), and these are a score of strings. Every problem is reported, each on its line.
const name = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const MIN_INTERVAL_MS = 15_000;

/** Reads the variables; `problems` collects "VARIABLE says what is wrong and how to fix it". */
function readEnv(env: NodeJS.ProcessEnv, problems: string[]) {
  const problem = (variable: string, message: string) => {
    problems.push(`${variable} ${message}`);
  };
  const text = (variable: string, fallback: string, check?: { pattern: RegExp; message: string }): string => {
    const value = env[variable] ?? fallback;
    if (!value) problem(variable, `is empty: leave it unset for ${fallback}`);
    else if (check && !check.pattern.test(value)) problem(variable, check.message);
    return value;
  };
  const optionalName = (variable: string): string | undefined => {
    const value = env[variable];
    if (value !== undefined && !name.test(value)) problem(variable, 'must be a namespace name');
    return value;
  };
  const oneOf = <T extends string>(variable: string, values: readonly T[], message: string): T => {
    const value = env[variable] ?? values[0]!;
    if (!(values as readonly string[]).includes(value)) problem(variable, message);
    return value as T;
  };
  const duration = (variable: string, fallback: string): number => {
    const value = env[variable] ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined) problem(variable, `"${value}" is not a duration: write it like ${fallback} (ms, s, m or h)`);
    return ms ?? 0;
  };
  const list = (variable: string): string[] | undefined => env[variable]?.split(',').map((x) => x.trim()).filter(Boolean);

  const cluster = env['OOMBOT_CLUSTER'];
  if (cluster === undefined) problem('OOMBOT_CLUSTER', 'is missing: set it to the name alerts should show for this cluster, e.g. OOMBOT_CLUSTER=prod-eu');
  else if (!cluster) problem('OOMBOT_CLUSTER', 'is empty: set it to the name alerts should show for this cluster, e.g. prod-eu');
  const port = env['OOMBOT_HTTP_PORT'] === undefined ? 8080 : Number(env['OOMBOT_HTTP_PORT']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problem('OOMBOT_HTTP_PORT', 'must be a port number');
  return {
    OOMBOT_CLUSTER: cluster ?? '',
    OOMBOT_SINK: oneOf('OOMBOT_SINK', ['eventbridge', 'stdout'], 'must be eventbridge (default) or stdout'),
    OOMBOT_EVENT_BUS: text('OOMBOT_EVENT_BUS', 'oombot-prod'),
    OOMBOT_SOURCE: text('OOMBOT_SOURCE', DEFAULT_SOURCE),
    AWS_REGION: env['AWS_REGION'],
    AWS_DEFAULT_REGION: env['AWS_DEFAULT_REGION'],
    OOMBOT_NAMESPACES: list('OOMBOT_NAMESPACES'),
    OOMBOT_EXCLUDE_NAMESPACES: list('OOMBOT_EXCLUDE_NAMESPACES'),
    OOMBOT_REPLAY_MAX: duration('OOMBOT_REPLAY_MAX', '1h'),
    OOMBOT_FIRST_START_LOOKBACK: duration('OOMBOT_FIRST_START_LOOKBACK', '15m'),
    OOMBOT_WATCH_IDLE_TIMEOUT: duration('OOMBOT_WATCH_IDLE_TIMEOUT', '5m'),
    OOMBOT_LEADER_ELECTION: oneOf('OOMBOT_LEADER_ELECTION', ['true', 'false'], 'must be true or false'),
    OOMBOT_LEASE_DURATION: duration('OOMBOT_LEASE_DURATION', '15s'),
    OOMBOT_LEASE_NAME: text('OOMBOT_LEASE_NAME', 'oombot-forwarder', { pattern: name, message: 'must be a DNS label such as oombot-forwarder' }),
    POD_NAMESPACE: optionalName('POD_NAMESPACE'),
    OOMBOT_LEASE_NAMESPACE: optionalName('OOMBOT_LEASE_NAMESPACE'),
    POD_NAME: env['POD_NAME'],
    HOSTNAME: env['HOSTNAME'],
    OOMBOT_HTTP_PORT: port,
    OOMBOT_MEMORY_SAMPLING: oneOf('OOMBOT_MEMORY_SAMPLING', ['true', 'false'], 'must be true or false'),
    OOMBOT_MEMORY_INTERVAL: duration('OOMBOT_MEMORY_INTERVAL', '30s'),
    OOMBOT_MEMORY_WINDOW: duration('OOMBOT_MEMORY_WINDOW', '30m'),
    OOMBOT_MEMORY_RETRY: duration('OOMBOT_MEMORY_RETRY', '5m'),
    // Before the kill (forwarder/memory-warning.ts): warn when the fitted slope reaches the limit within this; 0 turns
    // warnings off. Whether a warning is posted is the analyzer's choice (OOMBOT_WARN, oombot.io/warn).
    OOMBOT_WARN_HORIZON: duration('OOMBOT_WARN_HORIZON', '15m'),
  };
}

/** What holds between variables, checked once each is valid on its own. */
function checkTogether(env: ReturnType<typeof readEnv>, problems: string[]): void {
  // metrics-server keeps one sample per resolution, 15 s in its manifests; asking faster returns the same one again
  // (docs/domain.md §14).
  if (env.OOMBOT_MEMORY_INTERVAL < MIN_INTERVAL_MS) {
    problems.push("OOMBOT_MEMORY_INTERVAL is below 15s, metrics-server's resolution: polling faster returns the same samples again");
  }
  // 12 h at the 15 s floor is MAX_SAMPLES (shared/memory-series-codec.ts), the most an envelope may carry.
  if (env.OOMBOT_MEMORY_WINDOW < env.OOMBOT_MEMORY_INTERVAL || env.OOMBOT_MEMORY_WINDOW > MAX_WINDOW_MS) {
    problems.push('OOMBOT_MEMORY_WINDOW must be between OOMBOT_MEMORY_INTERVAL and 12h, e.g. 30m');
  }
  if (env.OOMBOT_MEMORY_RETRY < 1_000) problems.push('OOMBOT_MEMORY_RETRY must be at least 1s, e.g. 5m');
  if (env.OOMBOT_SINK === 'eventbridge' && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
    problems.push("AWS_REGION is missing: the eventbridge sink needs the bus's region, e.g. AWS_REGION=eu-west-1 (or OOMBOT_SINK=stdout)");
  }
}

export interface ForwarderConfig {
  cluster: string;
  sink: 'eventbridge' | 'stdout';
  eventBus: string;
  source: string;
  region: string | undefined;
  namespaces: string[] | undefined;
  excludeNamespaces: string[];
  replayMaxMs: number;
  firstStartLookbackMs: number;
  watchIdleTimeoutMs: number;
  leaderElection: boolean;
  lease: { namespace: string; name: string; durationSeconds: number };
  identity: string;
  httpPort: number;
  /** Keeping each container's recent memory from metrics.k8s.io (forwarder/sampler.ts). */
  memory: { enabled: boolean; intervalMs: number; windowMs: number; retryMs: number; warnHorizonMs: number };
}

export class ConfigError extends OombotError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config', message);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv): ForwarderConfig {
  const problems: string[] = [];
  const e = readEnv(env, problems);
  if (!problems.length) checkTogether(e, problems);
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    cluster: e.OOMBOT_CLUSTER,
    sink: e.OOMBOT_SINK,
    eventBus: e.OOMBOT_EVENT_BUS,
    source: e.OOMBOT_SOURCE,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
    namespaces: e.OOMBOT_NAMESPACES?.length ? e.OOMBOT_NAMESPACES : undefined,
    excludeNamespaces: e.OOMBOT_EXCLUDE_NAMESPACES ?? [],
    replayMaxMs: e.OOMBOT_REPLAY_MAX,
    firstStartLookbackMs: e.OOMBOT_FIRST_START_LOOKBACK,
    watchIdleTimeoutMs: e.OOMBOT_WATCH_IDLE_TIMEOUT,
    leaderElection: e.OOMBOT_LEADER_ELECTION === 'true',
    lease: { namespace: e.OOMBOT_LEASE_NAMESPACE ?? e.POD_NAMESPACE ?? 'oombot', name: e.OOMBOT_LEASE_NAME, durationSeconds: Math.max(1, Math.round(e.OOMBOT_LEASE_DURATION / 1000)) },
    identity: e.POD_NAME ?? e.HOSTNAME ?? `forwarder-${process.pid}`,
    httpPort: e.OOMBOT_HTTP_PORT,
    memory: { enabled: e.OOMBOT_MEMORY_SAMPLING === 'true', intervalMs: e.OOMBOT_MEMORY_INTERVAL, windowMs: e.OOMBOT_MEMORY_WINDOW, retryMs: e.OOMBOT_MEMORY_RETRY, warnHorizonMs: e.OOMBOT_WARN_HORIZON },
  };
}
