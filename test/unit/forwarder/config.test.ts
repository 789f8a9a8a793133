import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../../forwarder/config.ts';

describe('forwarder configuration', () => {
  it('reads defaults around the one required variable', () => {
    expect(loadConfig({ OOMBOT_CLUSTER: 'prod-eu', AWS_REGION: 'eu-west-1', POD_NAMESPACE: 'oombot', POD_NAME: 'fwd-0' })).toEqual({
      cluster: 'prod-eu',
      sink: 'eventbridge',
      eventBus: 'oombot',
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
    });
  });

  it.each([
    [{}, 'OOMBOT_CLUSTER is missing: set it to the name alerts should show for this cluster, e.g. OOMBOT_CLUSTER=prod-eu'],
    [{ OOMBOT_CLUSTER: 'x' }, "AWS_REGION is missing: the eventbridge sink needs the bus's region, e.g. AWS_REGION=eu-west-1 (or OOMBOT_SINK=stdout)"],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'kafka' }, 'OOMBOT_SINK must be eventbridge (default) or stdout'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_REPLAY_MAX: '1 hour' }, 'OOMBOT_REPLAY_MAX "1 hour" is not a duration: write it like 1h (ms, s, m or h)'],
    [{ OOMBOT_CLUSTER: 'x', OOMBOT_SINK: 'stdout', OOMBOT_HTTP_PORT: 'http' }, 'OOMBOT_HTTP_PORT must be a port number'],
  ])('names the variable and the fix: %j', (env, line) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(line);
  });

  it('parses durations', () => {
    expect([parseDuration('250ms'), parseDuration('90s'), parseDuration('5m'), parseDuration('1.5h'), parseDuration('5 minutes')]).toEqual([250, 90_000, 300_000, 5_400_000, undefined]);
  });
});
