// The analyze function's configuration, from its environment (serverless.yml sets it), validated once at cold start.
// The Slack token is never a plain value here: only the name of the SSM SecureString parameter that holds it.
import * as z from 'zod';
import { ClusterRegistrySchema } from '../../kube/cluster-registry.ts';
import { duration, json, loadEnv } from '../env.ts';

/** Runbook links by cause, or "default"; https only, as the alert's button opens them. */
export const RunbooksSchema = z.partialRecord(z.enum(['limit', 'node-pressure', 'runtime', 'not-oom', 'unknown', 'default']), z.url({ protocol: /^https$/ }));

export const AnalyzeEnvSchema = z.object({
  OOMBOT_TABLE: z.string({ error: 'is missing: the DynamoDB table name (serverless.yml sets it)' }).min(1),
  OOMBOT_SLACK_TOKEN_PARAMETER: z.string({ error: 'is missing: the SSM SecureString parameter holding the Slack bot token, e.g. /oombot/slack/bot-token' }).min(1),
  OOMBOT_DEFAULT_CHANNEL: z.string({ error: 'is missing: the Slack channel id alerts go to by default, e.g. C0123456789' }).min(1),
  OOMBOT_NAMESPACE_CHANNELS: json(z.record(z.string(), z.string()), '{"payments":"C0123456789"}').default({}),
  OOMBOT_CLUSTERS: json(ClusterRegistrySchema, '[{"name":"prod-eu","server":"https://...","caData":"...","auth":"eks","region":"eu-west-1"}]').default([]),
  OOMBOT_DEAD_LETTER_QUEUE_URL: z.string({ error: 'is missing: the SQS queue URL for envelopes that cannot be read' }).url(),
  /** Slack's Web API base URL: only for a Slack test double or GovSlack (https://slack-gov.com/api/). */
  OOMBOT_SLACK_API_URL: z.url().optional(),
  OOMBOT_REPEAT_WINDOW: duration('60m'),
  OOMBOT_EVICTION_WINDOW: duration('10m'),
  OOMBOT_RUNBOOKS: json(RunbooksSchema, '{"limit":"https://wiki.example.com/oom","default":"https://wiki.example.com/memory"}').default({}),
});
export type AnalyzeConfig = z.output<typeof AnalyzeEnvSchema>;

export function loadAnalyzeConfig(env: NodeJS.ProcessEnv): AnalyzeConfig {
  return loadEnv(AnalyzeEnvSchema, env);
}
