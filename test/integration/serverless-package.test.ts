// The deploy path offline: `npm run deploy -- --package-only` (scripts/deploy.ts) packages two stages with osls and
// dummy credentials, and the CloudFormation it generates is checked — the bus, the rule's pattern, the dead-letter
// paths, the table's TTL, IAM statements scoped to their resources, every name carrying its stage so two stages share
// an account — and so is what the script refuses before anything is built or sent.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../store/table.ts';
import { startAwsJsonDouble } from '../support/aws-json-double.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '../..');
type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown; Export?: { Name: string } }> };
const STAGES = ['test', 'staging'] as const;
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const CLUSTERS = JSON.stringify([{ name: 'prod-eu', server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', caData: CA, auth: 'eks', region: 'eu-west-1' }]);
let home: string;
const templates: Record<string, Template> = {};
let resources: Record<string, Resource>;
let zipListing: string;
let slackZipListing: string;
/** When each stage's package step rebuilt the analyze bundle (its mtime before and after). */
const bundleTimes: Record<string, { before: number; after: number }> = {};

/** `npm run deploy -- …` as an operator runs it, with dummy credentials and no region in the environment. */
async function deploy(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), ['scripts/deploy.ts', ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', HOME: home, AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy', SLS_NOTIFICATIONS_MODE: 'off', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The script's own words on stderr, after any warning the AWS SDK prints on Node 20. */
const said = (stderr: string) => stderr.slice(stderr.indexOf('npm run deploy:'));

const analyzeBundle = path.join(root, 'dist/functions/analyze/index.mjs');
const mtime = () => (existsSync(analyzeBundle) ? statSync(analyzeBundle).mtimeMs : 0);

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'oombot-sls-'));
  // One after the other: each package step rebuilds dist/functions first.
  for (const stage of STAGES) {
    const out = path.join(home, stage);
    const before = mtime();
    const result = await deploy(['--stage', stage, '--region', 'eu-west-1', '--param', 'defaultChannel=C0123456789', '--param', `clusters=${CLUSTERS}`, '--package-only', '--out', out]);
    if (result.code !== 0) throw new Error(`npm run deploy -- --stage ${stage} --package-only exited ${result.code}: ${result.stderr}`);
    bundleTimes[stage] = { before, after: mtime() };
    templates[stage] = JSON.parse(await readFile(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }
  resources = templates['test']!.Resources;
  // Zip headers store file names uncompressed: the archive's bytes show what it holds without an unzip tool.
  zipListing = (await readFile(path.join(home, 'test', 'analyze.zip'))).toString('latin1');
  slackZipListing = (await readFile(path.join(home, 'test', 'slack.zip'))).toString('latin1');
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('serverless.yml, packaged', () => {
  it('creates the stage’s oombot bus and a rule for the forwarder’s three detail types, with retries and a dead-letter queue', () => {
    expect(ofType('AWS::Events::EventBus').map(([, r]) => r.Properties)).toEqual([{ Name: 'oombot-test' }]);
    const [[, rule]] = ofType('AWS::Events::Rule') as [[string, Resource]];
    expect(rule.Properties['EventPattern']).toEqual({ source: ['oombot.forwarder'], 'detail-type': ['Container Memory Termination', 'Pod Eviction', 'Node OOM', 'Container Memory Warning'] });
    expect(rule.Properties['EventBusName']).toEqual({ 'Fn::GetAtt': ['OombotBus', 'Name'] });
    const [target] = rule.Properties['Targets'] as Record<string, unknown>[];
    expect(target).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['AnalyzeDeadLetterQueue', 'Arn'] } } });
    const invoke = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => JSON.stringify(r.Properties['FunctionName']).includes('Analyze'))![1];
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AnalyzeDeadLetterQueue', 'Arn'] } } } });
  });

  it('serves the Slack app on POST /slack/events, its signing secret by parameter name, with a role of its own', () => {
    const slack = resources['SlackLambdaFunction']!;
    expect(slack.Properties['Role']).toEqual({ 'Fn::GetAtt': ['SlackRole', 'Arn'] });
    expect((slack.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['OOMBOT_SLACK_SIGNING_SECRET_PARAMETER']).toBe('/oombot/test/slack/signing-secret');
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties['RouteKey']);
    expect(routes).toEqual(['POST /slack/events']);
    expect(slackZipListing).toContain('dist/functions/slack/index.mjs');
    expect(slackZipListing).not.toContain('dist/functions/analyze');
    const statements = ((resources['SlackRole']!.Properties['Policies'] as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0]!.PolicyDocument.Statement);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 'ssm:GetParameter']);
    for (const st of statements) expect(JSON.stringify(st.Resource)).not.toBe('"*"');
    // It may start the actions function, and only that one.
    expect(JSON.stringify(statements.find((s) => s.Action === 'lambda:InvokeFunction')!.Resource)).toMatch(/:function:oombot-test-actions"}$/);
    expect((slack.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['OOMBOT_ACTIONS_FUNCTION']).toBe('oombot-test-actions');
  });

  it('runs actions with its own role, the bot token by parameter name, and no retries (a patch never runs twice)', () => {
    const fn = resources['ActionsLambdaFunction']!;
    expect(fn.Properties['Role']).toEqual({ 'Fn::GetAtt': ['ActionsRole', 'Arn'] });
    const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({ OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/test/slack/bot-token', OOMBOT_RAISE_POLICY: '{"allowed":{}}' });
    const invoke = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => JSON.stringify(r.Properties['FunctionName']).includes('Actions'))![1];
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    const statements = ((resources['ActionsRole']!.Properties['Policies'] as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0]!.PolicyDocument.Statement);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'ssm:GetParameter']);
    for (const st of statements) expect(JSON.stringify(st.Resource)).not.toBe('"*"');
    // The reader tokens (/oom why) and, alone of the roles, the patch tokens (Raise limit on a token cluster).
    const secrets = JSON.stringify(statements.find((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))!.Resource);
    expect(secrets).toContain('secret:oombot/clusters/*');
    expect(secrets).toContain('secret:oombot/cluster-patchers/*');
  });

  it('runs analyze on nodejs22.x with the token by parameter name, never a value', () => {
    const fn = resources['AnalyzeLambdaFunction']!;
    expect(fn.Properties['Runtime']).toBe('nodejs22.x');
    const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['OOMBOT_SLACK_TOKEN_PARAMETER']).toBe('/oombot/test/slack/bot-token');
    expect(env['OOMBOT_DEFAULT_CHANNEL']).toBe('C0123456789');
    expect(JSON.parse(String(env['OOMBOT_CLUSTERS']))).toEqual(JSON.parse(CLUSTERS));
    expect(JSON.stringify(env)).not.toMatch(/xox[bp]-/);
    expect(zipListing).toContain('dist/functions/analyze/index.mjs');
    expect(zipListing).not.toContain('node_modules');
  });

  it('keeps one table, its items expiring by TTL on expiresAt', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    expect(table.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true }, KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }] });
    // The same keys and indexes the code creates locally (store/table.ts): one definition of the access patterns.
    const local = tableDefinition('x');
    expect(table.Properties['AttributeDefinitions']).toEqual(local.AttributeDefinitions);
    expect(table.Properties['GlobalSecondaryIndexes']).toEqual(local.GlobalSecondaryIndexes);
  });

  it('gives analyze only what it uses, each action scoped to its resource', () => {
    const role = resources['AnalyzeRole']!;
    const statements = ((role.Properties['Policies'] as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0]!.PolicyDocument.Statement).map((s) => ({ actions: [s.Action].flat(), resource: JSON.stringify(s.Resource) }));
    expect(statements.flatMap((s) => s.actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'sqs:SendMessage', 'ssm:GetParameter']);
    for (const s of statements) expect(s.resource).not.toBe('"*"');
    expect(statements.find((s) => s.actions.includes('dynamodb:PutItem'))!.resource).toBe(JSON.stringify({ 'Fn::GetAtt': ['OombotTable', 'Arn'] }));
    expect(statements.find((s) => s.actions.includes('ssm:GetParameter'))!.resource).toContain('parameter/oombot/test/slack/bot-token');
    expect(statements.find((s) => s.actions.includes('secretsmanager:GetSecretValue'))!.resource).toContain('secret:oombot/clusters/*');
    // Never a patch token: analyze reads whatever the cluster writes, and must not hold a token that patches.
    expect(statements.filter((s) => s.resource.includes('cluster-patchers'))).toEqual([]);
  });
});

/** The physical names a template gives its resources (references to other resources are not names). */
function physicalNames(template: Template): { logicalId: string; type: string; name: string }[] {
  const NAME_PROPERTIES = ['Name', 'TableName', 'RoleName', 'QueueName', 'FunctionName', 'LogGroupName'];
  return Object.entries(template.Resources).flatMap(([logicalId, r]) =>
    NAME_PROPERTIES.flatMap((p) => {
      const v = r.Properties?.[p];
      const name = typeof v === 'string' ? v : typeof (v as { 'Fn::Sub'?: unknown })?.['Fn::Sub'] === 'string' ? String((v as { 'Fn::Sub': string })['Fn::Sub']).replace('${AWS::Region}', 'eu-west-1') : undefined;
      return name === undefined ? [] : [{ logicalId, type: r.Type, name }];
    }),
  );
}

describe('npm run deploy -- --package-only, for two stages in one account', () => {
  it('builds the functions before packaging them (osls alone did not, and failed with no hint)', () => {
    for (const stage of STAGES) expect(bundleTimes[stage]!.after).toBeGreaterThan(bundleTimes[stage]!.before);
    expect(zipListing).toContain('dist/functions/analyze/index.mjs');
  });

  it.each(STAGES)('names every resource of stage %s after the stage, and leaves the rest for CloudFormation to name after its stack', (stage) => {
    const template = templates[stage]!;
    const names = physicalNames(template);
    const ownName = new RegExp(`(^|[/-])oombot-${stage}($|-)|^${stage}-oombot$`);
    expect(names.filter((n) => !ownName.test(n.name))).toEqual([]);
    // Everything a collision would break is named: bus, table, roles, queue, functions, log groups, rule, API.
    expect([...new Set(names.map((n) => n.type))].sort()).toEqual(['AWS::ApiGatewayV2::Api', 'AWS::DynamoDB::Table', 'AWS::Events::EventBus', 'AWS::Events::Rule', 'AWS::IAM::Role', 'AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue']);
    expect(Object.fromEntries(names.filter((n) => ['AWS::Events::EventBus', 'AWS::DynamoDB::Table', 'AWS::IAM::Role', 'AWS::SQS::Queue'].includes(n.type)).map((n) => [n.logicalId, n.name]))).toEqual({
      OombotBus: `oombot-${stage}`,
      OombotTable: `oombot-${stage}`,
      AnalyzeRole: `oombot-${stage}-eu-west-1-analyze`,
      SlackRole: `oombot-${stage}-eu-west-1-slack`,
      ActionsRole: `oombot-${stage}-eu-west-1-actions`,
      AnalyzeDeadLetterQueue: `oombot-${stage}-analyze-dlq`,
    });
    // What has no name of its own gets one made from the stack's, oombot-<stage>: nothing here can collide.
    const unnamed = Object.entries(template.Resources).filter(([id]) => !names.some((n) => n.logicalId === id)).map(([, r]) => r.Type);
    // (Versions, invoke configs, permissions, the API's stage, routes and integration belong to a named parent.)
    expect([...new Set(unnamed)].sort()).toEqual(['AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Stage', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Permission', 'AWS::Lambda::Version', 'AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy']);
    const exports = Object.values(template.Outputs).flatMap((o) => (o.Export ? [o.Export.Name] : []));
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.filter((name) => !name.startsWith(`sls-oombot-${stage}-`))).toEqual([]);
  });

  it('gives the two stages no name in common', () => {
    const [a, b] = STAGES.map((stage) => new Set([...physicalNames(templates[stage]!).map((n) => `${n.type} ${n.name}`), ...Object.values(templates[stage]!.Outputs).flatMap((o) => (o.Export ? [`export ${o.Export.Name}`] : []))]));
    expect([...a!].filter((n) => b!.has(n))).toEqual([]);
    expect(a!.size).toBeGreaterThan(10);
  });

  it('keeps each stage’s roles exactly as least-privileged as the other’s, on its own stage’s resources only', () => {
    for (const role of ['AnalyzeRole', 'SlackRole', 'ActionsRole']) {
      const [a, b] = STAGES.map((stage) => JSON.stringify(templates[stage]!.Resources[role]!.Properties['Policies']));
      expect(a).not.toContain('staging');
      expect(b).not.toMatch(/oombot-test|\/oombot\/test\//);
      expect(a!.replaceAll('oombot-test', 'oombot-STAGE').replaceAll('/oombot/test/', '/oombot/STAGE/')).toBe(b!.replaceAll('oombot-staging', 'oombot-STAGE').replaceAll('/oombot/staging/', '/oombot/STAGE/'));
    }
    // EventBridge may write the dead letters of its own stage's bus only.
    for (const stage of STAGES) {
      expect(JSON.stringify(templates[stage]!.Resources['AnalyzeDeadLetterQueuePolicy']!.Properties)).toContain(`:rule/oombot-${stage}/*`);
    }
  });

  it('has the bus the forwarder’s IAM policy names once STAGE is filled in, and the outputs the next steps use', async () => {
    const policy = await readFile(path.join(root, 'infra/iam/forwarder-policy.json'), 'utf8');
    for (const stage of STAGES) {
      const { Statement } = JSON.parse(policy.replaceAll('STAGE', stage)) as { Statement: { Resource: string }[] };
      const bus = templates[stage]!.Resources['OombotBus']!.Properties['Name'];
      expect(Statement[0]!.Resource).toBe(`arn:aws:events:REGION:ACCOUNT_ID:event-bus/${String(bus)}`);
      const outputs = templates[stage]!.Outputs;
      expect(outputs['AnalyzeRoleArn']!.Value).toEqual({ 'Fn::GetAtt': ['AnalyzeRole', 'Arn'] });
      expect(outputs['ActionsRoleArn']!.Value).toEqual({ 'Fn::GetAtt': ['ActionsRole', 'Arn'] });
      // The Slack manifest's placeholder stands for HttpApiUrl; the request URL is it plus the one route.
      expect(JSON.stringify(outputs['HttpApiUrl']!.Value)).toContain('.execute-api.');
      expect(outputs['SlackRequestUrl']!.Value).toEqual({ 'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/slack/events' });
    }
  });
});

describe('npm run deploy, refusing before anything is built or sent', () => {
  it('exits 2 with what to set, builds nothing and packages nothing, when parameters are missing or wrong', async () => {
    const out = path.join(home, 'refused');
    const missing = await deploy(['--stage', 'prod', '--package-only', '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(said(missing.stderr).split('\n').map((l) => l.split(':')[0])).toEqual(['npm run deploy', '  - no region', '  - --param defaultChannel is missing', '  - --param clusters is missing', '']);
    const wrong = await deploy(['--stage', 'Prod', '--region', 'eu-west-1', '--param', 'defaultChannel=', '--param', `clusters=${CLUSTERS}`, '--param', 'channel=C1', '--package-only', '--out', out]);
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toContain('--stage "Prod" is not a stage name');
    expect(wrong.stderr).toContain('--param defaultChannel "" is not a channel id');
    expect(wrong.stderr).toContain('--param channel is not a parameter of serverless.yml');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 before packaging when the stage’s Slack secrets are not in SSM as SecureStrings', async () => {
    const ssm = await startAwsJsonDouble({ 'AmazonSSM.DescribeParameters': () => ({ Parameters: [{ Name: '/oombot/prod/slack/bot-token', Type: 'String' }] }) });
    try {
      const result = await deploy(['--stage', 'prod', '--region', 'eu-west-1', '--param', 'defaultChannel=C0123456789', '--param', `clusters=${CLUSTERS}`], { AWS_ENDPOINT_URL_SSM: ssm.url });
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(said(result.stderr)).toBe(
        [
          'npm run deploy: nothing was built or deployed:',
          '  - SSM parameter /oombot/prod/slack/bot-token is a String, not a SecureString: put it again with --type SecureString --overwrite',
          '  - SSM parameter /oombot/prod/slack/signing-secret is not in eu-west-1: aws ssm put-parameter --region eu-west-1 --name /oombot/prod/slack/signing-secret --type SecureString --value …, the Signing Secret from the app’s Basic Information page (or --param slackSigningSecretParameter=<the name you used>)',
          '',
        ].join('\n'),
      );
      expect(ssm.calls.map((c) => c.input)).toEqual([{ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: ['/oombot/prod/slack/bot-token', '/oombot/prod/slack/signing-secret'] }] }]);
    } finally {
      await ssm.close();
    }
  });

  it('leaves osls itself unable to package a stage without a default channel', async () => {
    const failed = await run(path.join(root, 'node_modules/.bin/osls'), ['package', '--stage', 'nochannel', '--package', path.join(home, 'nochannel')], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', HOME: home, AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(`${failed?.stdout}${failed?.stderr}`).toContain('Cannot resolve variable at "functions.analyze.environment.OOMBOT_DEFAULT_CHANNEL": Value not found at "param" source');
    expect(existsSync(path.join(home, 'nochannel'))).toBe(false);
  });
});
