// The analyze function's configuration, from its environment (serverless.yml sets it), validated once at cold start.
// The Slack token is never a plain value here: only the name of the SSM SecureString parameter that holds it.
import { z } from 'zod';
import { ClusterRegistrySchema } from '../../kube/cluster-registry.ts';
import { parseDuration } from '../../shared/duration.ts';

const json = <T extends z.ZodType>(schema: T, example: string) =>
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

const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like ${fallback}` });
    return ms ?? 0;
  });

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
});
export type AnalyzeConfig = z.output<typeof AnalyzeEnvSchema>;

export function loadAnalyzeConfig(env: NodeJS.ProcessEnv): AnalyzeConfig {
  const parsed = AnalyzeEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join('; ')}`);
  return parsed.data;
}
