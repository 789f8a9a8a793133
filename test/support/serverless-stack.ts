// serverless.yml as a deployed stack would have it, without deploying: each function's name, environment and role,
// and each role's IAM statements with every !Ref, !GetAtt, !Sub and ${…} variable resolved against a fake account,
// region and stage — so a test can run each bundle under exactly the statements serverless.yml grants it.
// Physical names follow CloudFormation's and the Framework's conventions: functions `<service>-<stage>-<key>`; roles,
// tables and queues by their RoleName, TableName and QueueName, else `<stack>-<LogicalId>-<suffix>`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type ScalarTag } from 'yaml';

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
}

export interface StackRole {
  logicalId: string;
  name: string;
  arn: string;
  statements: Statement[];
}

export interface StackFunction {
  key: string;
  /** The deployed function name, `<service>-<stage>-<key>`. */
  name: string;
  arn: string;
  role: StackRole;
  /** The environment serverless.yml gives it, resolved. */
  environment: Record<string, string>;
}

export interface Stack {
  account: string;
  region: string;
  stage: string;
  functions: Record<string, StackFunction>;
  roles: Record<string, StackRole>;
  /** `!Ref` of each resource the functions or roles name (a table's name, a queue's URL, …). */
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

export interface StackOptions {
  stage?: string;
  region?: string;
  account?: string;
  /** Where queue URLs point (SQS's SDK sends to the queue URL's host): the test's loopback endpoint. */
  sqsEndpoint: string;
  file?: string;
  /** `--param name=value` as the deploy passes them, over serverless.yml's `params.default`. */
  params?: Record<string, string>;
}

const tags: ScalarTag[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
];

type Doc = {
  service: string;
  params?: { default?: Record<string, string> };
  functions: Record<string, { role?: string; environment?: Record<string, unknown> }>;
  provider: { environment?: Record<string, unknown> };
  resources: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
};

export function readStack(options: StackOptions): Stack {
  const file = options.file ?? path.join(import.meta.dirname, '../../serverless.yml');
  const doc = parse(readFileSync(file, 'utf8'), { customTags: tags }) as Doc;
  const stage = options.stage ?? 'test';
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const partition = 'aws';
  const stackName = `${doc.service}-${stage}`;
  const resources = doc.resources.Resources;
  // CloudFormation appends a random suffix to names it makes up; a fixed one here.
  const generated = (logicalId: string) => `${stackName}-${logicalId}-1A2B3C4D5E6F`;

  /** The Framework's ${source:address} variables (the ones serverless.yml uses), resolved before CloudFormation sees the file. */
  const variables = (text: string): string =>
    text.replace(/\$\{(self|sls|param|opt):([^}]*)\}/g, (_, source: string, address: string) => {
      const [name, fallback] = address.split(',').map((s) => s.trim());
      const param = source === 'param' ? (options.params?.[name!] ?? doc.params?.default?.[name!]) : undefined;
      const value = source === 'self' && name === 'service' ? doc.service : source === 'sls' && name === 'stage' ? stage : param !== undefined ? variables(param) : source === 'opt' && name === 'region' ? region : source === 'opt' && name === 'stage' ? stage : undefined;
      if (value === undefined) throw new Error(`serverless-stack: no value for \${${source}:${address}}${fallback ? ' (a fallback is not a deployed value)' : ''}`);
      return value;
    });

  const resource = (logicalId: string) => {
    const r = resources[logicalId];
    if (!r) throw new Error(`serverless-stack: no resource ${logicalId} in ${file}`);
    return r;
  };

  const ref = (logicalId: string): string => {
    const r = resource(logicalId);
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return named(logicalId, 'TableName');
      case 'AWS::IAM::Role':
        return named(logicalId, 'RoleName');
      case 'AWS::SQS::Queue':
        return `${options.sqsEndpoint}/${account}/${queueName(logicalId)}`;
      case 'AWS::Events::EventBus':
        return value(r.Properties?.['Name']);
      default:
        throw new Error(`serverless-stack: !Ref of a ${r.Type} (${logicalId}) is not modelled`);
    }
  };

  const named = (logicalId: string, property: string) => (resource(logicalId).Properties?.[property] ? value(resource(logicalId).Properties![property]) : generated(logicalId));
  const queueName = (logicalId: string) => named(logicalId, 'QueueName');

  const getAtt = (logicalId: string, attribute: string): string => {
    const r = resource(logicalId);
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:${partition}:dynamodb:${region}:${account}:table/${ref(logicalId)}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:${partition}:sqs:${region}:${account}:${queueName(logicalId)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role/${ref(logicalId)}`;
      case 'AWS::Events::EventBus.Name':
        return ref(logicalId);
      case 'AWS::Events::EventBus.Arn':
        return `arn:${partition}:events:${region}:${account}:event-bus/${ref(logicalId)}`;
      default:
        throw new Error(`serverless-stack: !GetAtt ${logicalId}.${attribute} (${r.Type}) is not modelled`);
    }
  };

  const pseudo: Record<string, string> = { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': stackName };

  function value(node: unknown): string {
    if (typeof node === 'string') return variables(node);
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
    if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['Ref'] === 'string') return pseudo[o['Ref']] ?? ref(o['Ref']);
      if (Array.isArray(o['Fn::GetAtt'])) return getAtt(String(o['Fn::GetAtt'][0]), String(o['Fn::GetAtt'][1]));
      if (typeof o['Fn::Sub'] === 'string') {
        return variables(o['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? (name.includes('.') ? getAtt(name.split('.')[0]!, name.split('.').slice(1).join('.')) : ref(name)));
      }
    }
    throw new Error(`serverless-stack: cannot resolve ${JSON.stringify(node)}`);
  }

  const roles: Record<string, StackRole> = {};
  const role = (logicalId: string): StackRole => {
    if (roles[logicalId]) return roles[logicalId];
    const props = resource(logicalId).Properties ?? {};
    const policies = (props['Policies'] ?? []) as { PolicyDocument: { Statement: Record<string, unknown>[] } }[];
    if (props['ManagedPolicyArns'] || props['PermissionsBoundary']) throw new Error(`serverless-stack: ${logicalId} has managed policies or a boundary, which are not modelled`);
    const statements = policies.flatMap((p) =>
      p.PolicyDocument.Statement.map((s): Statement => {
        const unsupported = Object.keys(s).filter((k) => !['Effect', 'Action', 'Resource', 'Sid'].includes(k));
        if (unsupported.length) throw new Error(`serverless-stack: ${logicalId} has a statement with ${unsupported.join(', ')}, which is not modelled`);
        return { Effect: s['Effect'] as Statement['Effect'], Action: [s['Action']].flat().map((a) => String(a)), Resource: [s['Resource']].flat().map(value) };
      }),
    );
    roles[logicalId] = { logicalId, name: ref(logicalId), arn: getAtt(logicalId, 'Arn'), statements };
    return roles[logicalId];
  };

  const functions: Record<string, StackFunction> = {};
  for (const [key, fn] of Object.entries(doc.functions)) {
    if (!fn.role) throw new Error(`serverless-stack: function ${key} has no role of its own`);
    const name = `${doc.service}-${stage}-${key}`;
    const environment = Object.fromEntries(Object.entries({ ...doc.provider.environment, ...fn.environment }).map(([k, v]) => [k, value(v)]));
    functions[key] = { key, name, arn: `arn:${partition}:lambda:${region}:${account}:function:${name}`, role: role(fn.role), environment };
  }
  return { account, region, stage, functions, roles, ref, getAtt };
}
