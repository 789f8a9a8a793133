// What the Lambdas and local mode read from their environment is written once (functions/env.ts), so the same setting
// means the same thing wherever it is read: local mode takes the analyze step's runbook keys and windows as analyze does.
import { describe, expect, it } from 'vitest';
import { postSettings } from '../../functions/compose.ts';
import { ActionsEnvSchema, AnalyzeEnvSchema, loadEnv, LocalEnvSchema } from '../../functions/env.ts';

const analyzeEnv = {
  OOMBOT_TABLE: 'oombot',
  OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token',
  OOMBOT_DEFAULT_CHANNEL: 'C0ALERTS',
  OOMBOT_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/oombot-dlq',
};

describe('the backend environment', () => {
  it('reads the repeat and eviction windows and the runbooks in local mode as analyze reads them', () => {
    const settings = { OOMBOT_REPEAT_WINDOW: '2h', OOMBOT_EVICTION_WINDOW: '5m', OOMBOT_RUNBOOKS: '{"limit":"https://wiki.example.com/oom"}' };
    const analyze = postSettings(loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, ...settings }));
    const local = loadEnv(LocalEnvSchema, settings);
    const fromLocal = postSettings({ ...local, OOMBOT_DEFAULT_CHANNEL: 'C0ALERTS', OOMBOT_RUNBOOKS: local.OOMBOT_RUNBOOKS ?? {} });
    expect(fromLocal).toEqual({ defaultChannel: 'C0ALERTS', runbooks: { limit: 'https://wiki.example.com/oom' }, repeatWindowMs: 2 * 3_600_000, evictionWindowMs: 5 * 60_000, warn: 'annotated', storms: { threshold: 5, windowMs: 2 * 60_000, quietMs: 5 * 60_000 } });
    expect(analyze).toEqual({ ...fromLocal, namespaceChannels: {} });
  });

  it('reads OOMBOT_WARN in local mode as analyze does: annotated by default, all for the whole cluster', () => {
    for (const OOMBOT_WARN of ['all', 'annotated'] as const) {
      expect(postSettings(loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, OOMBOT_WARN })).warn).toBe(OOMBOT_WARN);
      expect(postSettings({ ...loadEnv(LocalEnvSchema, { OOMBOT_WARN }), OOMBOT_DEFAULT_CHANNEL: 'C0', OOMBOT_RUNBOOKS: {} }).warn).toBe(OOMBOT_WARN);
    }
    expect(loadEnv(LocalEnvSchema, {}).OOMBOT_WARN).toBe('annotated');
    expect(() => loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, OOMBOT_WARN: 'some' })).toThrow(/OOMBOT_WARN must be all or annotated/);
  });

  it('defaults the windows to 60 minutes and 10 minutes in both', () => {
    expect(loadEnv(LocalEnvSchema, {})).toMatchObject({ OOMBOT_REPEAT_WINDOW: 60 * 60_000, OOMBOT_EVICTION_WINDOW: 10 * 60_000 });
    expect(loadEnv(AnalyzeEnvSchema, analyzeEnv)).toMatchObject({ OOMBOT_REPEAT_WINDOW: 60 * 60_000, OOMBOT_EVICTION_WINDOW: 10 * 60_000 });
  });

  it('reads the storm settings in local mode as analyze does, and a threshold of 0 turns storms off', () => {
    const settings = { OOMBOT_STORM_THRESHOLD: '8', OOMBOT_STORM_WINDOW: '90s', OOMBOT_STORM_QUIET: '10m' };
    const storms = { threshold: 8, windowMs: 90_000, quietMs: 10 * 60_000 };
    expect(postSettings(loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, ...settings })).storms).toEqual(storms);
    expect(postSettings({ ...loadEnv(LocalEnvSchema, settings), OOMBOT_DEFAULT_CHANNEL: 'C0', OOMBOT_RUNBOOKS: {} }).storms).toEqual(storms);
    expect(postSettings(loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, OOMBOT_STORM_THRESHOLD: '0' })).storms).toBe(false);
  });

  it.each([
    ['a storm threshold that is not a whole number', { OOMBOT_STORM_THRESHOLD: 'five' }, /^invalid configuration: OOMBOT_STORM_THRESHOLD must be a whole number of new groups/],
    ['a storm window that is not a duration', { OOMBOT_STORM_WINDOW: 'soon' }, /^invalid configuration: OOMBOT_STORM_WINDOW "soon" is not a duration like 2m$/],
    ['a runbook key that is not a cause', { OOMBOT_RUNBOOKS: '{"oom":"https://wiki.example.com/oom"}' }, /^invalid configuration: OOMBOT_RUNBOOKS is not valid: /],
    ['a runbook that is not https', { OOMBOT_RUNBOOKS: '{"limit":"http://wiki.example.com/oom"}' }, /^invalid configuration: OOMBOT_RUNBOOKS is not valid: limit /],
    ['a window that is not a duration', { OOMBOT_REPEAT_WINDOW: 'an hour' }, /^invalid configuration: OOMBOT_REPEAT_WINDOW "an hour" is not a duration like 60m$/],
  ])('refuses %s in local mode as analyze does', (_name, setting, error) => {
    expect(() => loadEnv(LocalEnvSchema, setting)).toThrow(error);
    expect(() => loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, ...setting })).toThrow(error);
  });

  describe('OOMBOT_CLUSTERS: a reader token for all, a patch token for actions alone', () => {
    const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const entry = (tokens: Record<string, string>) => JSON.stringify([{ name: 'onprem', server: 'https://k8s.example.com', caData: CA, auth: 'token', ...tokens }]);
    const actionsEnv = { OOMBOT_TABLE: 'oombot', OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token' };

    it('reads both tokens, each under its own prefix', () => {
      const clusters = entry({ tokenSecretId: 'oombot/clusters/onprem', patchTokenSecretId: 'oombot/cluster-patchers/onprem' });
      expect(loadEnv(ActionsEnvSchema, { ...actionsEnv, OOMBOT_CLUSTERS: clusters }).OOMBOT_CLUSTERS).toEqual([expect.objectContaining({ tokenSecretId: 'oombot/clusters/onprem', patchTokenSecretId: 'oombot/cluster-patchers/onprem' })]);
      expect(loadEnv(AnalyzeEnvSchema, { ...analyzeEnv, OOMBOT_CLUSTERS: entry({ tokenSecretId: 'oombot/clusters/onprem' }) }).OOMBOT_CLUSTERS).toEqual([expect.not.objectContaining({ patchTokenSecretId: expect.anything() })]);
    });

    it.each([
      ['a patch token under the readers’ prefix', { tokenSecretId: 'oombot/clusters/onprem', patchTokenSecretId: 'oombot/clusters/onprem-patch' }, 'OOMBOT_CLUSTERS is not valid: 0.patchTokenSecretId must be under oombot/cluster-patchers/ (e.g. oombot/cluster-patchers/onprem): only the actions role may read those, so analyze never holds a token that patches'],
      ['a reader token under the patchers’ prefix', { tokenSecretId: 'oombot/cluster-patchers/onprem' }, "OOMBOT_CLUSTERS is not valid: 0.tokenSecretId must be under oombot/clusters/ (e.g. oombot/clusters/onprem): the functions' roles may read those secrets only"],
      ['a token under neither', { tokenSecretId: 'prod/onprem', patchTokenSecretId: 'prod/onprem-patch' }, "OOMBOT_CLUSTERS is not valid: 0.tokenSecretId must be under oombot/clusters/ (e.g. oombot/clusters/onprem): the functions' roles may read those secrets only; 0.patchTokenSecretId must be under oombot/cluster-patchers/"],
    ])('refuses %s at cold start, naming the prefix', (_name, tokens, message) => {
      for (const [schema, env] of [[AnalyzeEnvSchema, analyzeEnv], [ActionsEnvSchema, actionsEnv]] as const) {
        expect(() => loadEnv(schema, { ...env, OOMBOT_CLUSTERS: entry(tokens) })).toThrow(`invalid configuration: ${message}`);
      }
    });
  });
});
