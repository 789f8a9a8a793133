// The deploy path, as far as files alone show it (README, "Deploy the backend"): what `npm run deploy` refuses and
// how it says so, that it knows exactly serverless.yml's parameters, that the Slack manifest's URLs are the route the
// slack function is served on, and that the names a stage gets — the bus the chart and the forwarder's policy must
// name, the roles of the access entries — fit AWS's limits. The packaged template itself is checked in
// test/integration/serverless-package.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { deployProblems, DeployParamsSchema, parseParamFlags, stageNames } from '../../scripts/deploy-params.ts';

const root = path.join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const cfnTags: ScalarTag[] = ['!Ref', '!GetAtt', '!Sub'].map((tag) => ({ tag, resolve: (value: string) => ({ [tag]: value }) }));
const serverless = parse(read('serverless.yml'), { customTags: cfnTags }) as {
  provider: { stage: string };
  functions: Record<string, { events?: { httpApi?: { method: string; path: string } }[] }>;
  resources: { Outputs: Record<string, { Value: Record<string, string> }> };
};

/** Base64 of a PEM, as certificate-authority-data in a kubeconfig. */
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const CLUSTERS = `[{"name":"prod-eu","server":"https://ABC.gr7.eu-west-1.eks.amazonaws.com","caData":"${CA}","auth":"eks","region":"eu-west-1"}]`;
const good = { defaultChannel: 'C0123456789', clusters: CLUSTERS };
const CHANNEL_HINT = "a channel id such as C0123456789 (in Slack, the channel's details show it at the bottom), not its name";

describe('npm run deploy: what it checks before anything is built', () => {
  it('lets a complete request through', () => {
    expect(deployProblems({ stage: 'prod', region: 'eu-west-1', params: good })).toEqual([]);
    // A token cluster with a reader token only (no Raise limit there), and one with a patch token too.
    const tokenClusters = `[{"name":"onprem","server":"https://k8s.example.com","caData":"${CA}","auth":"token","tokenSecretId":"oombot/clusters/onprem"},{"name":"lab","server":"https://lab.example.com","caData":"${CA}","auth":"token","tokenSecretId":"oombot/clusters/lab","patchTokenSecretId":"oombot/cluster-patchers/lab"}]`;
    expect(deployProblems({ stage: 'prod', region: 'eu-west-1', params: { ...good, clusters: tokenClusters } })).toEqual([]);
    expect(deployProblems({ stage: 'staging-eu', region: 'us-gov-west-1', params: { ...good, namespaceChannels: '{"payments":"G0PAYMENTS1"}', raisePolicy: '{"allowed":{"*":["S0PLATFORM"]}}', runbooks: '{"default":"https://wiki.example.com/memory"}', slackTokenParameter: '/team/oombot/bot-token' } })).toEqual([]);
  });

  it.each([
    ['no stage', { stage: undefined }, ['--stage is missing: name the stage, e.g. npm run deploy -- --stage prod (it goes into every resource name: bus and table oombot-<stage>)']],
    ['a stage with capitals', { stage: 'Prod' }, ['--stage "Prod" is not a stage name: 1 to 16 lower-case letters, digits and -, starting with a letter and not ending with - (e.g. prod, staging-eu)']],
    ['a stage too long for the role names', { stage: 'a-very-long-stage1' }, ['--stage "a-very-long-stage1" is not a stage name: 1 to 16 lower-case letters, digits and -, starting with a letter and not ending with - (e.g. prod, staging-eu)']],
    ['a stage ending in -', { stage: 'prod-' }, ['--stage "prod-" is not a stage name: 1 to 16 lower-case letters, digits and -, starting with a letter and not ending with - (e.g. prod, staging-eu)']],
    ['no region', { region: undefined }, ['no region: pass --region eu-west-1 (or set AWS_REGION); the stack, its bus and its table live there']],
    ['a region without its number', { region: 'eu-west' }, ['--region "eu-west" is not an AWS region like eu-west-1']],
    ['no default channel', { params: { clusters: CLUSTERS } }, [`--param defaultChannel is missing: add --param defaultChannel=<id> for the channel alerts go to, ${CHANNEL_HINT}; then invite the app there (/invite @oombot)`]],
    ['an empty default channel', { params: { ...good, defaultChannel: '' } }, [`--param defaultChannel "" is not a channel id: use ${CHANNEL_HINT}`]],
    ['a channel name for the default channel', { params: { ...good, defaultChannel: '#alerts' } }, [`--param defaultChannel "#alerts" is not a channel id: use ${CHANNEL_HINT}`]],
    ['a user id for the default channel', { params: { ...good, defaultChannel: 'U0123456789' } }, [`--param defaultChannel "U0123456789" is not a channel id: use ${CHANNEL_HINT}`]],
    [
      'no clusters',
      { params: { defaultChannel: 'C0123456789' } },
      [`--param clusters is missing: add --param 'clusters=${CLUSTERS.replace(CA, '<base64 CA>')}' — name as the forwarder's cluster value; server and caData from aws eks describe-cluster --name prod-eu --query 'cluster.[endpoint,certificateAuthority.data]'; or "auth":"token","tokenSecretId":"oombot/clusters/<name>" outside EKS, with "patchTokenSecretId":"oombot/cluster-patchers/<name>" where Raise limit is wanted`],
    ],
    ['an empty cluster list', { params: { ...good, clusters: '[]' } }, ['--param clusters is not valid: (root) lists no cluster: analyze could read nothing and Raise limit would have nowhere to patch']],
    ['a cluster over plain HTTP', { params: { ...good, clusters: CLUSTERS.replace('https:', 'http:') } }, ['--param clusters is not valid: 0.server Invalid URL']],
    [
      'a token outside the secrets the roles may read',
      { params: { ...good, clusters: `[{"name":"onprem","server":"https://k8s.example.com","caData":"${CA}","auth":"token","tokenSecretId":"prod/onprem"}]` } },
      ["--param clusters is not valid: 0.tokenSecretId must be under oombot/clusters/ (e.g. oombot/clusters/onprem): the functions' roles may read those secrets only"],
    ],
    [
      'a patch token under the readers’ prefix, where analyze could read it',
      { params: { ...good, clusters: `[{"name":"onprem","server":"https://k8s.example.com","caData":"${CA}","auth":"token","tokenSecretId":"oombot/clusters/onprem","patchTokenSecretId":"oombot/clusters/onprem-patcher"}]` } },
      ['--param clusters is not valid: 0.patchTokenSecretId must be under oombot/cluster-patchers/ (e.g. oombot/cluster-patchers/onprem): only the actions role may read those, so analyze never holds a token that patches'],
    ],
    [
      'a reader token under the patchers’ prefix, which analyze may not read',
      { params: { ...good, clusters: `[{"name":"onprem","server":"https://k8s.example.com","caData":"${CA}","auth":"token","tokenSecretId":"oombot/cluster-patchers/onprem"}]` } },
      ["--param clusters is not valid: 0.tokenSecretId must be under oombot/clusters/ (e.g. oombot/clusters/onprem): the functions' roles may read those secrets only"],
    ],
    [
      'a patch token on an EKS cluster, where the actions role patches as itself',
      { params: { ...good, clusters: CLUSTERS.replace('"region":"eu-west-1"', '"region":"eu-west-1","patchTokenSecretId":"oombot/cluster-patchers/prod-eu"') } },
      ['--param clusters is not valid: 0.patchTokenSecretId is for token clusters only: on EKS the actions role patches as itself (its access entry adds oombot:patchers; README, "Deploy the backend", step 4)'],
    ],
    [
      'a CA pasted as PEM rather than base64',
      { params: { ...good, clusters: CLUSTERS.replace(CA, '-----BEGIN CERTIFICATE-----MIIB-----END CERTIFICATE-----') } },
      ["--param clusters is not valid: 0.caData must be the CA certificate's PEM in base64, as certificate-authority-data in a kubeconfig or certificateAuthority.data from aws eks describe-cluster"],
    ],
    ['an EKS region other than the endpoint’s', { params: { ...good, clusters: CLUSTERS.replace('"region":"eu-west-1"', '"region":"us-east-1"') } }, ["--param clusters is not valid: 0.region is us-east-1, but the endpoint is in eu-west-1: the token must be signed for the cluster's region"]],
    ['a cluster named twice', { params: { ...good, clusters: `[${CLUSTERS.slice(1, -1)},${CLUSTERS.slice(1, -1)}]` } }, ['--param clusters is not valid: 1.name "prod-eu" appears twice']],
    ['clusters that are not JSON', { params: { ...good, clusters: 'prod-eu' } }, [`--param clusters is not JSON; write it like 'clusters=${CLUSTERS.replace(CA, '<base64 CA>')}'`]],
    ['a namespace routed to a channel name', { params: { ...good, namespaceChannels: '{"payments":"#payments"}' } }, [`--param namespaceChannels is not valid: payments must be ${CHANNEL_HINT}`]],
    ['a raise policy naming an e-mail', { params: { ...good, raisePolicy: '{"allowed":{"shop":["alice@example.com"]}}' } }, ['--param raisePolicy is not valid: allowed.shop.0 must be a Slack user id (U…, W…) or user group id (S…)']],
    ['a runbook over http', { params: { ...good, runbooks: '{"limit":"http://wiki"}' } }, ['--param runbooks is not valid: limit Invalid URL']],
    [
      'an SSM name without its leading /',
      { params: { ...good, slackSigningSecretParameter: 'oombot/signing' } },
      ['--param slackSigningSecretParameter must be an SSM parameter name that begins with /, e.g. /oombot/prod/slack/signing-secret (the role grants ssm:GetParameter on …:parameter<name>)'],
    ],
    ['a parameter serverless.yml does not take', { params: { ...good, channel: 'C0123456789' } }, ['--param channel is not a parameter of serverless.yml (it takes defaultChannel, clusters, namespaceChannels, raisePolicy, runbooks, slackTokenParameter, slackSigningSecretParameter)']],
  ] as const)('refuses %s, saying what to set', (_, change, problems) => {
    expect(deployProblems({ stage: 'prod', region: 'eu-west-1', params: good, ...change })).toEqual(problems);
  });

  it('says every problem at once', () => {
    expect(deployProblems({ stage: undefined, region: undefined, params: {} }).map((p) => p.split(' ').slice(0, 2).join(' '))).toEqual(['--stage is', 'no region:', '--param defaultChannel', '--param clusters']);
  });

  it('splits --param at the first =, since JSON values hold their own', () => {
    expect(parseParamFlags(['clusters=[{"a":"b=c"}]', 'defaultChannel=C0123456789'])).toEqual({ params: { clusters: '[{"a":"b=c"}]', defaultChannel: 'C0123456789' }, problems: [] });
    expect(parseParamFlags(['defaultChannel', '=x', 'a=1', 'a=2']).problems).toEqual([
      '--param "defaultChannel" is not name=value, e.g. --param defaultChannel=C0123456789',
      '--param "=x" is not name=value, e.g. --param defaultChannel=C0123456789',
      '--param a is given twice',
    ]);
  });

  it('knows exactly the parameters serverless.yml reads', () => {
    const used = new Set([...read('serverless.yml').matchAll(/\$\{param:([A-Za-z]+)\}/g)].map((m) => m[1]!));
    expect(Object.keys(DeployParamsSchema.shape).sort()).toEqual([...used].sort());
  });
});

describe('the names a stage gets', () => {
  it('fit AWS’s limits at the longest stage and region (IAM role 64, Lambda function 64, SQS queue 80)', () => {
    const names = stageNames('abcdefghijklmnop', 'ap-southeast-4');
    for (const role of Object.values(names.roles)) expect(role.length).toBeLessThanOrEqual(64);
    for (const fn of Object.values(names.functions)) expect(`${fn}-rule-1`.length).toBeLessThanOrEqual(64);
    expect(`${names.functions.analyze}-dlq`.length).toBeLessThanOrEqual(80);
  });

  it('are what serverless.yml’s default stage gives the chart’s default bus', () => {
    const defaultStage = /^\$\{opt:stage, '([a-z0-9-]+)'\}$/.exec(serverless.provider.stage)![1]!;
    const values = parse(read('infra/helm/oombot-forwarder/values.yaml')) as { eventBus: string };
    expect(values.eventBus).toBe(stageNames(defaultStage, 'eu-west-1').bus);
    expect(values.eventBus).toBe('oombot-prod');
  });

  it('name the stage’s bus in the forwarder’s IAM policy once STAGE is filled in', () => {
    const policy = JSON.parse(read('infra/iam/forwarder-policy.json').replaceAll('STAGE', 'staging')) as { Statement: { Resource: string }[] };
    expect(policy.Statement.map((s) => s.Resource)).toEqual([`arn:aws:events:REGION:ACCOUNT_ID:event-bus/${stageNames('staging', 'eu-west-1').bus}`]);
  });
});

describe('the Slack manifests’ URLs', () => {
  const route = serverless.functions['slack']!.events!.find((e) => e.httpApi)!.httpApi!;
  const manifest = parse(read('infra/slack/manifest.yaml')) as { features: { slash_commands: { url?: string }[] }; settings: { interactivity: { request_url?: string } } };
  const urls = [...manifest.features.slash_commands.map((c) => c.url), manifest.settings.interactivity.request_url];

  it('are one placeholder, the base URL, followed by the one route the slack function is served on', () => {
    expect(route).toEqual({ method: 'POST', path: '/slack/events' });
    expect(urls).toEqual(['https://REPLACE-WITH-HttpApiUrl.invalid/slack/events', 'https://REPLACE-WITH-HttpApiUrl.invalid/slack/events']);
    for (const url of urls) {
      const parsed = new URL(url!);
      expect({ protocol: parsed.protocol, pathname: parsed.pathname, search: parsed.search }).toEqual({ protocol: 'https:', pathname: route.path, search: '' });
    }
  });

  it('become the stack’s SlackRequestUrl when the placeholder is replaced by its HttpApiUrl', () => {
    // The two outputs as CloudFormation fills them in, for an API id and region.
    const httpApiUrl = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
    const slackRequestUrl = serverless.resources.Outputs['SlackRequestUrl']!.Value['!Sub']!.replace('${HttpApi}', 'a1b2c3d4e5').replace('${AWS::Region}', 'eu-west-1').replace('${AWS::URLSuffix}', 'amazonaws.com');
    for (const url of urls) expect(url!.replace('https://REPLACE-WITH-HttpApiUrl.invalid', httpApiUrl)).toBe(slackRequestUrl);
    expect(new URL(slackRequestUrl).pathname).toBe(route.path);
  });

  it('are none in the Socket Mode manifest, which Slack reaches over its own socket', () => {
    expect(read('infra/slack/manifest.socket-mode.yaml')).not.toMatch(/https?:\/\//);
  });
});

describe('the README’s deploy path, step by step', () => {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Deploy the backend'), readme.indexOf('\n## ', readme.indexOf('## Deploy the backend') + 1));
  const steps = section.split(/\n(?=\d\. \*\*)/).slice(1);
  /** A shell command as the README writes it: continuation lines joined, words split, quotes taken off. */
  const words = (command: string) => [...command.replace(/\\\n\s*/g, ' ').matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) => m[0].replace(/^'(.*)'$/s, '$1'));
  const rbac = (file: string) => read(`infra/rbac/${file}`).split(/^---$/m).map((doc) => parse(doc) as { kind: string; subjects?: { name: string }[]; rules?: { resources: string[]; verbs: string[] }[] });

  it('has the five steps, in order', () => {
    expect(steps.map((s) => /^\d\. \*\*([^*]+)\*\*/.exec(s)![1])).toEqual(['The Slack app.', 'Its secrets', 'Deploy', 'Let the functions into each cluster', 'The forwarder in each cluster']);
  });

  it('1: creates the app from the manifest, whose one placeholder it names', () => {
    expect(steps[0]).toContain('infra/slack/manifest.yaml');
    expect(steps[0]).toContain('`https://REPLACE-WITH-HttpApiUrl.invalid`');
    expect([...new Set(read('infra/slack/manifest.yaml').match(/https:\/\/[^\s/]+/g))]).toEqual(['https://REPLACE-WITH-HttpApiUrl.invalid']);
  });

  it('2: puts the secrets under the names the prod stage reads', () => {
    const names = stageNames('prod', 'eu-west-1');
    expect([...steps[1]!.matchAll(/--type SecureString --name (\S+)/g)].map((m) => m[1])).toEqual([names.slackTokenParameter, names.slackSigningSecretParameter]);
  });

  it('3: deploys with a command the checks let through', () => {
    const command = /(npm run deploy -- [^`]+?)\n\s*```/.exec(steps[2]!)![1]!;
    // The placeholders in angle brackets are the reader's to fill in.
    const args = words(command.replace('<base64 CA>', CA)).slice(4);
    const flag = (name: string) => args.flatMap((a, i) => (a === name ? [args[i + 1]!] : []));
    const params = parseParamFlags(flag('--param'));
    expect(params.problems).toEqual([]);
    expect(deployProblems({ stage: flag('--stage')[0], region: flag('--region')[0], params: params.params })).toEqual([]);
    expect(flag('--stage')).toEqual(['prod']);
  });

  it('4: maps the analyze role to the readers and the actions role to readers and patchers, the groups infra/rbac binds', () => {
    const entries = [...steps[3]!.matchAll(/aws eks create-access-entry ([^\n]+\\\n[^\n]+)/g)].map((m) => {
      const w = words(m[1]!);
      return { role: w[w.indexOf('--principal-arn') + 1]!.split('/').pop(), groups: w.slice(w.indexOf('--kubernetes-groups') + 1).filter((g) => g.startsWith('oombot:')) };
    });
    const roles = stageNames('prod', 'eu-west-1').roles;
    expect(entries).toEqual([
      { role: roles.analyze, groups: ['oombot:readers'] },
      { role: roles.actions, groups: ['oombot:readers', 'oombot:patchers'] },
    ]);
    // The readers' group: cluster-wide, reads only. The patchers' group: only through a RoleBinding, per namespace.
    for (const file of ['oombot-reader.yaml', 'oombot-kubelet-reader.yaml', 'oombot-log-reader.yaml']) {
      const docs = rbac(file);
      expect(docs.map((d) => d.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      expect(docs[1]!.subjects!.map((s) => s.name)).toEqual(['oombot:readers']);
      expect([...new Set(docs[0]!.rules!.flatMap((r) => r.verbs))].filter((v) => !['get', 'list', 'watch'].includes(v))).toEqual([]);
    }
    const patcher = rbac('oombot-patcher.yaml');
    expect(patcher.map((d) => d.kind)).toEqual(['ClusterRole', 'RoleBinding']);
    expect(patcher[1]!.subjects!.map((s) => s.name)).toEqual(['oombot:patchers']);
    for (const file of ['oombot-reader.yaml', 'oombot-patcher.yaml']) expect(steps[3]).toContain(`kubectl apply -f infra/rbac/${file}`);
  });

  it('5: points the forwarder at the stage’s bus, with the policy that names it', () => {
    expect(steps[4]).toContain('--set eventBus=oombot-<stage>');
    expect(steps[4]).toContain('[`infra/iam/forwarder-policy.json`](infra/iam/forwarder-policy.json)');
    expect(steps[4]).toContain('(#install-in-a-cluster-the-forwarder)');
    expect(readme).toContain('\n## Install in a cluster: the forwarder\n');
  });

  it('is the only place the Slack app is set up', () => {
    expect(readme.match(/From an app manifest|manifest\.yaml`?\s*\(HTTP/g)).toEqual(['From an app manifest']);
  });
});
