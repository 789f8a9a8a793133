// `osls package`, offline with dummy credentials, and assertions on the CloudFormation it generates: the bus, the
// rule's pattern, the dead-letter paths, the table's TTL, and IAM statements scoped to their resources.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../store/table.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '../..');
type Resource = { Type: string; Properties: Record<string, unknown> };
let resources: Record<string, Resource>;
let zipListing: string;
let slackZipListing: string;

beforeAll(async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'oombot-sls-'));
  await run('npm', ['run', '--silent', 'build:functions'], { cwd: root });
  await run(path.join(root, 'node_modules/.bin/osls'), ['package', '--stage', 'test', '--package', out], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: out, AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  resources = (JSON.parse(await readFile(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, Resource> }).Resources;
  // Zip headers store file names uncompressed: the archive's bytes show what it holds without an unzip tool.
  zipListing = (await readFile(path.join(out, 'analyze.zip'))).toString('latin1');
  slackZipListing = (await readFile(path.join(out, 'slack.zip'))).toString('latin1');
}, 120_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('serverless.yml, packaged', () => {
  it('creates the oombot bus and a rule for the forwarder’s three detail types, with retries and a dead-letter queue', () => {
    expect(ofType('AWS::Events::EventBus').map(([, r]) => r.Properties)).toEqual([{ Name: 'oombot' }]);
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
    expect((slack.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['OOMBOT_SLACK_SIGNING_SECRET_PARAMETER']).toBe('/oombot/slack/signing-secret');
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
    expect(env).toMatchObject({ OOMBOT_SLACK_TOKEN_PARAMETER: '/oombot/slack/bot-token', OOMBOT_RAISE_POLICY: '{"allowed":{}}' });
    const invoke = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => JSON.stringify(r.Properties['FunctionName']).includes('Actions'))![1];
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    const statements = ((resources['ActionsRole']!.Properties['Policies'] as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0]!.PolicyDocument.Statement);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'ssm:GetParameter']);
    for (const st of statements) expect(JSON.stringify(st.Resource)).not.toBe('"*"');
  });

  it('runs analyze on nodejs22.x with the token by parameter name, never a value', () => {
    const fn = resources['AnalyzeLambdaFunction']!;
    expect(fn.Properties['Runtime']).toBe('nodejs22.x');
    const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['OOMBOT_SLACK_TOKEN_PARAMETER']).toBe('/oombot/slack/bot-token');
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
    expect(statements.find((s) => s.actions.includes('ssm:GetParameter'))!.resource).toContain('parameter/oombot/slack/bot-token');
    expect(statements.find((s) => s.actions.includes('secretsmanager:GetSecretValue'))!.resource).toContain('secret:oombot/clusters/*');
  });
});
