// What `npm run deploy` checks before anything is built or sent: the stage, the region and serverless.yml's
// parameters, each problem as one line that says what to set and where (docs/code-style.md, "Configuration"). The JSON
// parameters are read with the schemas the functions themselves read them with at cold start (functions/env.ts), so a
// value that passes here is one the functions accept.
import * as z from 'zod';
import { RaisePolicySchema } from '../bot/raise-policy.ts';
import { json, RunbooksSchema } from '../functions/env.ts';
import { CLUSTER_PATCHER_SECRET_PREFIX, CLUSTER_SECRET_PREFIX, ClusterEntrySchema } from '../kube/cluster-registry.ts';

/**
 * Lower-case because it names every resource, and short because the longest name built from it must fit IAM's 64
 * characters: `oombot-<stage>-<region>-analyze` with a 14-character region leaves 34; 16 keeps room.
 */
export const StageSchema = z
  .string({ error: '--stage is missing: name the stage, e.g. npm run deploy -- --stage prod (it goes into every resource name: bus and table oombot-<stage>)' })
  .regex(/^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$/, { error: (issue) => `--stage ${JSON.stringify(issue.input)} is not a stage name: 1 to 16 lower-case letters, digits and -, starting with a letter and not ending with - (e.g. prod, staging-eu)` });

/** An AWS region as the SDK names it: eu-west-1, us-gov-west-1, ap-southeast-4. */
export const RegionSchema = z
  .string({ error: 'no region: pass --region eu-west-1 (or set AWS_REGION); the stack, its bus and its table live there' })
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, { error: (issue) => `--region ${JSON.stringify(issue.input)} is not an AWS region like eu-west-1` });

/** A channel's id, not its name: chat.postMessage takes either, but a renamed channel keeps its id. */
const channelId = /^[CG][A-Z0-9]{8,}$/;
const CHANNEL_HINT = "a channel id such as C0123456789 (in Slack, the channel's details show it at the bottom), not its name";

const ssmName = (param: string) =>
  z
    .string()
    .regex(/^\/[A-Za-z0-9_.\-/]+$/, { error: `must be an SSM parameter name that begins with /, e.g. /oombot/prod/slack/${param === 'slackTokenParameter' ? 'bot-token' : 'signing-secret'} (the role grants ssm:GetParameter on …:parameter<name>)` })
    .optional();

const ClustersSchema = z
  .array(ClusterEntrySchema)
  .min(1, { error: 'lists no cluster: analyze could read nothing and Raise limit would have nowhere to patch' })
  .superRefine((clusters, ctx) => {
    const names = new Set<string>();
    clusters.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${c.name}" appears twice` });
      names.add(c.name);
      // Each token's prefix (what the roles may read, serverless.yml) is checked by ClusterEntrySchema itself, so the
      // functions refuse at cold start what is refused here.
      // kube/cluster-registry.ts decodes caData as base64 to a PEM; the PEM itself pasted in, or a CA file's path, fails
      // only at the first connection, inside Lambda.
      if (!Buffer.from(c.caData, 'base64').toString('latin1').startsWith('-----BEGIN CERTIFICATE-----')) {
        ctx.addIssue({ code: 'custom', path: [i, 'caData'], message: "must be the CA certificate's PEM in base64, as certificate-authority-data in a kubeconfig or certificateAuthority.data from aws eks describe-cluster" });
      }
      // An EKS token is signed for one region (kube/eks-token.ts): the endpoint's own region is the one it must name.
      const endpointRegion = /\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.eks\.amazonaws\.com(?:\.cn)?$/.exec(new URL(c.server).hostname)?.[1];
      if (c.auth === 'eks' && endpointRegion && endpointRegion !== c.region) {
        ctx.addIssue({ code: 'custom', path: [i, 'region'], message: `is ${c.region}, but the endpoint is in ${endpointRegion}: the token must be signed for the cluster's region` });
      }
    });
  });

const CLUSTERS_EXAMPLE = `'clusters=[{"name":"prod-eu","server":"https://ABC.gr7.eu-west-1.eks.amazonaws.com","caData":"<base64 CA>","auth":"eks","region":"eu-west-1"}]'`;

/** serverless.yml's `${param:…}`, one entry each; a test checks that the two name the same parameters. */
export const DeployParamsSchema = z
  .object({
    defaultChannel: z
      .string({ error: `is missing: add --param defaultChannel=<id> for the channel alerts go to, ${CHANNEL_HINT}; then invite the app there (/invite @oombot)` })
      .regex(channelId, { error: (issue) => `${JSON.stringify(issue.input)} is not a channel id: use ${CHANNEL_HINT}` }),
    clusters: json(ClustersSchema, CLUSTERS_EXAMPLE),
    namespaceChannels: json(z.record(z.string().min(1), z.string().regex(channelId, { error: `must be ${CHANNEL_HINT}` })), `'namespaceChannels={"payments":"C0123456789"}'`).optional(),
    raisePolicy: json(RaisePolicySchema, `'raisePolicy={"allowed":{"payments":["U0123ABCD","S0PLATFORM"]},"contact":"#platform"}'`).optional(),
    runbooks: json(RunbooksSchema, `'runbooks={"limit":"https://wiki.example.com/oom"}'`).optional(),
    slackTokenParameter: ssmName('slackTokenParameter'),
    slackSigningSecretParameter: ssmName('slackSigningSecretParameter'),
  })
  .strict();
export type DeployParams = z.output<typeof DeployParamsSchema>;

const CLUSTERS_MISSING = `is missing: add --param ${CLUSTERS_EXAMPLE} — name as the forwarder's cluster value; server and caData from aws eks describe-cluster --name prod-eu --query 'cluster.[endpoint,certificateAuthority.data]'; or "auth":"token","tokenSecretId":"${CLUSTER_SECRET_PREFIX}<name>" outside EKS, with "patchTokenSecretId":"${CLUSTER_PATCHER_SECRET_PREFIX}<name>" where Raise limit is wanted`;

export interface DeployRequest {
  stage: string;
  region: string;
  params: Record<string, string>;
}

/** Every problem with a deploy request, one line each, naming the flag or --param to set; empty when it may go ahead. */
export function deployProblems(input: { stage?: string | undefined; region?: string | undefined; params: Record<string, string> }): string[] {
  const problems: string[] = [];
  const stage = StageSchema.safeParse(input.stage);
  if (!stage.success) problems.push(stage.error.issues[0]!.message);
  const region = RegionSchema.safeParse(input.region);
  if (!region.success) problems.push(region.error.issues[0]!.message);
  const params = DeployParamsSchema.safeParse(input.params);
  if (!params.success) {
    for (const issue of params.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = Object.keys(DeployParamsSchema.shape).join(', ');
        for (const key of issue.keys) problems.push(`--param ${key} is not a parameter of serverless.yml (it takes ${known})`);
        continue;
      }
      const key = String(issue.path[0]);
      const message = key === 'clusters' && input.params['clusters'] === undefined ? CLUSTERS_MISSING : issue.message;
      problems.push(`--param ${key} ${message}`);
    }
  }
  return problems;
}

/** `--param name=value` as osls takes it; the first = splits, since JSON values hold their own. */
export function parseParamFlags(flags: string[]): { params: Record<string, string>; problems: string[] } {
  const params: Record<string, string> = {};
  const problems: string[] = [];
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) {
      problems.push(`--param ${JSON.stringify(flag)} is not name=value, e.g. --param defaultChannel=C0123456789`);
      continue;
    }
    const name = flag.slice(0, at);
    if (name in params) problems.push(`--param ${name} is given twice`);
    params[name] = flag.slice(at + 1);
  }
  return { params, problems };
}

/** The physical names a stage's stack takes (serverless.yml): what the next steps and the chart must name. */
export function stageNames(stage: string, region: string) {
  const prefix = `oombot-${stage}`;
  return {
    stack: prefix,
    bus: prefix,
    table: prefix,
    functions: { analyze: `${prefix}-analyze`, slack: `${prefix}-slack`, actions: `${prefix}-actions` },
    roles: { analyze: `${prefix}-${region}-analyze`, slack: `${prefix}-${region}-slack`, actions: `${prefix}-${region}-actions` },
    slackTokenParameter: `/oombot/${stage}/slack/bot-token`,
    slackSigningSecretParameter: `/oombot/${stage}/slack/signing-secret`,
  };
}
