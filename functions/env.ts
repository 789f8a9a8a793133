// Reading the backend's environment: what each Lambda and local mode reads, written once as one fragment per setting;
// zod schemas for JSON and duration values; and one error naming every variable that is wrong and how to write it (a
// cold start that fails says what to fix, not a stack trace). functions/compose.ts builds the parts from it.
import * as z from 'zod';
import { RaisePolicySchema } from '../bot/raise-limit.ts';
import { ClusterRegistrySchema } from '../kube/cluster-registry.ts';
import { parseDuration } from '#shared/duration.ts';
import { OombotError } from '#shared/errors.ts';

export const json = <T extends z.ZodType>(schema: T, example: string) =>
  z.string().transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `is not JSON; write it like ${example}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}` });
      return z.NEVER;
    }
    return parsed.data as z.output<T>;
  });

export const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like ${fallback}` });
    return ms ?? 0;
  });

export function loadEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new OombotError('config', `invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join('; ')}`);
  return parsed.data;
}

// The settings, one fragment each; the README's "Configure" lists them with the parts that read them.

/** Runbook links by cause, or "default"; https only, as the alert's button opens them. */
export const RunbooksSchema = z.partialRecord(z.enum(['limit', 'node-pressure', 'runtime', 'not-oom', 'unknown', 'default']), z.url({ protocol: /^https$/ }));

const table = { OOMBOT_TABLE: z.string({ error: 'is missing: the DynamoDB table name (serverless.yml sets it)' }).min(1) };
const slackTokenParameter = { OOMBOT_SLACK_TOKEN_PARAMETER: z.string({ error: 'is missing: the SSM SecureString parameter holding the Slack bot token, e.g. /oombot/slack/bot-token' }).min(1) };
const clusters = { OOMBOT_CLUSTERS: json(ClusterRegistrySchema, '[{"name":"prod-eu","server":"https://...","caData":"...","auth":"eks","region":"eu-west-1"}]').default([]) };
/** Slack's Web API base URL: only for a Slack test double or GovSlack (https://slack-gov.com/api/). */
const slackApiUrl = { OOMBOT_SLACK_API_URL: z.url().optional() };
/** How the analyze step groups repeats and evictions, wherever it runs. */
const windows = { OOMBOT_REPEAT_WINDOW: duration('60m'), OOMBOT_EVICTION_WINDOW: duration('10m') };
/**
 * When a channel is in a storm (bot/storms.ts): more than OOMBOT_STORM_THRESHOLD new groups within OOMBOT_STORM_WINDOW;
 * it ends after OOMBOT_STORM_QUIET with nothing new. A threshold of 0 turns storms off.
 */
const storms = {
  OOMBOT_STORM_THRESHOLD: z.coerce.number({ error: 'must be a whole number of new groups, e.g. 5 (0 turns storms off)' }).int({ error: 'must be a whole number of new groups, e.g. 5 (0 turns storms off)' }).min(0, { error: 'must be 0 or more (0 turns storms off)' }).default(5),
  OOMBOT_STORM_WINDOW: duration('2m'),
  OOMBOT_STORM_QUIET: duration('5m'),
};
/** Warnings before the kill (bot/routing.ts warnWanted): everywhere, or where oombot.io/warn is "on" (the default). */
const warn = { OOMBOT_WARN: z.enum(['all', 'annotated'], { error: 'must be all or annotated (the default: only where oombot.io/warn is "on")' }).default('annotated') };
const runbooks = json(RunbooksSchema, '{"limit":"https://wiki.example.com/oom","default":"https://wiki.example.com/memory"}');
const raisePolicy = (example: string) => json(RaisePolicySchema, example);

export const AnalyzeEnvSchema = z.object({
  ...table,
  ...slackTokenParameter,
  OOMBOT_DEFAULT_CHANNEL: z.string({ error: 'is missing: the Slack channel id alerts go to by default, e.g. C0123456789' }).min(1),
  OOMBOT_NAMESPACE_CHANNELS: json(z.record(z.string(), z.string()), '{"payments":"C0123456789"}').default({}),
  ...clusters,
  OOMBOT_DEAD_LETTER_QUEUE_URL: z.string({ error: 'is missing: the SQS queue URL for envelopes that cannot be read' }).url(),
  ...slackApiUrl,
  ...windows,
  ...storms,
  ...warn,
  OOMBOT_RUNBOOKS: runbooks.default({}),
});
export type AnalyzeConfig = z.output<typeof AnalyzeEnvSchema>;

export const ActionsEnvSchema = z.object({
  ...table,
  ...slackTokenParameter,
  ...clusters,
  OOMBOT_RAISE_POLICY: raisePolicy('{"allowed":{"payments":["U0123ABCD","S0PLATFORM"]},"contact":"#platform","maxFactor":2}').default({ allowed: {}, maxFactor: 2 }),
  ...slackApiUrl,
});
export type ActionsConfig = z.output<typeof ActionsEnvSchema>;

export const SlackEnvSchema = z.object({
  ...table,
  OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: z.string({ error: 'is missing: the SSM SecureString parameter holding the Slack signing secret' }).min(1),
  OOMBOT_ACTIONS_FUNCTION: z.string({ error: 'is missing: the name of the actions function (serverless.yml sets it)' }).min(1),
  ...clusters,
});
export type SlackConfig = z.output<typeof SlackEnvSchema>;

/** `oombot start`: the tokens come from the environment instead of SSM; everything else has a local default. */
export const LocalEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  OOMBOT_DEFAULT_CHANNEL: z.string().optional(),
  OOMBOT_RAISE_POLICY: raisePolicy('{"allowed":{"demo":["U0123ABCD"]},"contact":"#platform"}').optional(),
  OOMBOT_RUNBOOKS: runbooks.optional(),
  ...slackApiUrl,
  ...windows,
  ...storms,
  ...warn,
});
export type LocalConfig = z.output<typeof LocalEnvSchema>;
