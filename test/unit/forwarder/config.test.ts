import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig, parseDuration } from '../../../forwarder/config.ts';

describe('forwarder configuration', () => {
  it('publishes by default to the bus the chart names by default: the prod stage of npm run deploy', () => {
    const values = parse(readFileSync(path.join(import.meta.dirname, '../../../infra/helm/oombot-forwarder/values.yaml'), 'utf8')) as { eventBus: string };
    const serverless = readFileSync(path.join(import.meta.dirname, '../../../serverless.yml'), 'utf8');
    expect(loadConfig({ OOMBOT_CLUSTER: 'c', AWS_REGION: 'eu-west-1' }).eventBus).toBe(values.eventBus);
    expect(values.eventBus).toBe(`oombot-${/^\s+stage: \$\{opt:stage, '([a-z0-9-]+)'\}/m.exec(serverless)?.[1] ?? 'no default stage in serverless.yml'}`);
  });

  it('reads defaults around the one required variable', () => {
    expect(loadConfig({ OOMBOT_CLUSTER: 'prod-eu', AWS_REGION: 'eu-west-1', POD_NAMESPACE: 'oombot', POD_NAME: 'fwd-0' })).toEqual({
      cluster: 'prod-eu',
      sink: 'eventbridge',
      eventBus: 'oombot-prod',
      source: 'oombot.forwarder',
      region: 'eu-west-1',
      namespaces: undefined,
      excludeNamespaces: [],
      replayMaxMs: 3_600_000,
      firstStartLookbackMs: 900_000,
      watchIdleTimeoutMs: 300_000,
      leaderElection: true,
      lease: { namespace: 'oombot', name: 'oombot-forwarder', durationSeconds: 15 },
      identity: 'fwd-0',
      httpPort: 8080,
      memory: { enabled: true, intervalMs: 30_000, windowMs: 1_800_000, retryMs: 300_000, warnHorizonMs: 900_000 },
    });
  });

  it.each([
    [{}, 'OOMBOT_CLUSTER is missing: set it to the name alerts should show for this cluster, e.g. OOMBOT_CLUSTER=prod-eu'],
    [{ OOMBOT_CLUSTER: 'x' }, "AWS_REGION is missing: the eventbridge sink needs the bus's region, e.g. AWS_REGION=eu-west-1 (or OOMBOT_SINK=stdout)"],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'kafka' }, 'OOMBOT_SINK must be eventbridge (default) or stdout'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_REPLAY_MAX: '1 hour' }, 'OOMBOT_REPLAY_MAX "1 hour" is not a duration: write it like 1h (ms, s, m or h)'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_HTTP_PORT: 'http' }, 'OOMBOT_HTTP_PORT must be a port number'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_INTERVAL: '5s' }, "OOMBOT_MEMORY_INTERVAL is below 15s, metrics-server's resolution: polling faster returns the same samples again"],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_WINDOW: '13h' }, 'OOMBOT_MEMORY_WINDOW must be between OOMBOT_MEMORY_INTERVAL and 12h, e.g. 30m'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_INTERVAL: '1m', OOMBOT_MEMORY_WINDOW: '30s' }, 'OOMBOT_MEMORY_WINDOW must be between OOMBOT_MEMORY_INTERVAL and 12h, e.g. 30m'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_RETRY: '10ms' }, 'OOMBOT_MEMORY_RETRY must be at least 1s, e.g. 5m'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_MEMORY_SAMPLING: 'yes' }, 'OOMBOT_MEMORY_SAMPLING must be true or false'],
  ])('names the variable and the fix: %j', (env, line) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(line);
  });

  it('parses durations', () => {
    expect([parseDuration('250ms'), parseDuration('90s'), parseDuration('5m'), parseDuration('1.5h'), parseDuration('5 minutes')]).toEqual([250, 90_000, 300_000, 5_400_000, undefined]);
  });
});
