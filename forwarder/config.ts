// The forwarder's configuration, from the environment, validated once at start (docs/code-style.md): a missing or bad
// variable stops it with a message that names the variable and the fix.
import * as z from 'zod';
import { parseDuration } from '#shared/duration.ts';
import { DEFAULT_SOURCE } from '#shared/envelope.ts';
import { OombotError } from '#shared/errors.ts';
import { MAX_WINDOW_MS } from './memory-rings.ts';

export { parseDuration };

const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write it like ${fallback} (ms, s, m or h)` });
      return z.NEVER;
    }
    return ms;
  });

const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .optional();

const name = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const MIN_INTERVAL_MS = 15_000;

export const ForwarderEnvSchema = z
  .object({
    OOMBOT_CLUSTER: z.string({ error: 'is missing: set it to the name alerts should show for this cluster, e.g. OOMBOT_CLUSTER=prod-eu' }).min(1, 'is empty: set it to the name alerts should show for this cluster, e.g. prod-eu'),
    OOMBOT_SINK: z.enum(['eventbridge', 'stdout'], { error: 'must be eventbridge (default) or stdout' }).default('eventbridge'),
    OOMBOT_EVENT_BUS: z.string().min(1).default('oombot'),
    OOMBOT_SOURCE: z.string().min(1).default(DEFAULT_SOURCE),
    AWS_REGION: z.string().optional(),
    AWS_DEFAULT_REGION: z.string().optional(),
    OOMBOT_NAMESPACES: list,
    OOMBOT_EXCLUDE_NAMESPACES: list,
    OOMBOT_REPLAY_MAX: duration('1h'),
    OOMBOT_FIRST_START_LOOKBACK: duration('15m'),
    OOMBOT_WATCH_IDLE_TIMEOUT: duration('5m'),
    OOMBOT_LEADER_ELECTION: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
    OOMBOT_LEASE_DURATION: duration('15s'),
    OOMBOT_LEASE_NAME: z.string().regex(name, 'must be a DNS label such as oombot-forwarder').default('oombot-forwarder'),
    POD_NAMESPACE: z.string().regex(name).optional(),
    OOMBOT_LEASE_NAMESPACE: z.string().regex(name, 'must be a namespace name').optional(),
    POD_NAME: z.string().optional(),
    HOSTNAME: z.string().optional(),
    OOMBOT_HTTP_PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(8080),
    OOMBOT_MEMORY_SAMPLING: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
    OOMBOT_MEMORY_INTERVAL: duration('30s'),
    OOMBOT_MEMORY_WINDOW: duration('30m'),
    OOMBOT_MEMORY_RETRY: duration('5m'),
    // Before the kill (forwarder/memory-warning.ts): warn when the fitted slope reaches the limit within this; 0 turns
    // warnings off. Whether a warning is posted is the analyzer's choice (OOMBOT_WARN, oombot.io/warn).
    OOMBOT_WARN_HORIZON: duration('15m'),
  })
  .superRefine((env, ctx) => {
    // metrics-server keeps one sample per resolution, 15 s in its manifests; asking faster returns the same one again
    // (docs/domain.md §14).
    if (env.OOMBOT_MEMORY_INTERVAL < MIN_INTERVAL_MS) {
      ctx.addIssue({ code: 'custom', path: ['OOMBOT_MEMORY_INTERVAL'], message: "is below 15s, metrics-server's resolution: polling faster returns the same samples again" });
    }
    // 12 h at the 15 s floor is MAX_SAMPLES (shared/memory-series.ts), the most an envelope may carry.
    if (env.OOMBOT_MEMORY_WINDOW < env.OOMBOT_MEMORY_INTERVAL || env.OOMBOT_MEMORY_WINDOW > MAX_WINDOW_MS) {
      ctx.addIssue({ code: 'custom', path: ['OOMBOT_MEMORY_WINDOW'], message: 'must be between OOMBOT_MEMORY_INTERVAL and 12h, e.g. 30m' });
    }
    if (env.OOMBOT_MEMORY_RETRY < 1_000) {
      ctx.addIssue({ code: 'custom', path: ['OOMBOT_MEMORY_RETRY'], message: 'must be at least 1s, e.g. 5m' });
    }
    if (env.OOMBOT_SINK === 'eventbridge' && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'is missing: the eventbridge sink needs the bus\'s region, e.g. AWS_REGION=eu-west-1 (or OOMBOT_SINK=stdout)' });
    }
  });

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
  const parsed = ForwarderEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')} ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
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
