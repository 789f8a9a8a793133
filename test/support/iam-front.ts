// An IAM-enforcing front for the loopback AWS endpoints (dynalite, the JSON-protocol double, the Lambda double): the
// real AWS SDK is pointed here (AWS_ENDPOINT_URL_<SERVICE>), each request is attributed to a role by the access key id
// in its SigV4 Authorization header, its IAM action and resource are worked out as the service does, and the role's
// identity-based statements decide — an explicit Deny wins, then any Allow, else no. An allowed request goes on to the
// service's double unchanged; a refused one is answered as the service answers it (shapes below), so the code under
// test sees exactly what it would see in AWS. Every decision is recorded, for "nothing was refused" and "every grant
// was used".
//
// The refusals, as AWS sends them (User: <assumed-role session ARN> is not authorized to perform: <action> on resource:
// <resource> because no identity-based policy allows the <action> action):
//   DynamoDB         400  {"__type":"com.amazon.coral.service#AccessDeniedException","Message":…}  (awsJson1_0)
//   SSM              400  {"__type":"AccessDeniedException","message":…}                           (awsJson1_1)
//   Secrets Manager  400  {"__type":"AccessDeniedException","Message":…}, the resource as the SecretId was given
//   SQS (JSON)       403  {"__type":"com.amazon.coral.service#AccessDeniedException","Message":…},
//                         x-amzn-query-error: AccessDenied;Sender (the SDK names the error AccessDenied from it);
//                         the action lower-cased in the message
//   Lambda Invoke    403  {"Message":…}, x-amzn-ErrorType: AccessDeniedException                   (restJson1)
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Statement } from './serverless-stack.ts';

export type Service = 'dynamodb' | 'ssm' | 'secretsmanager' | 'sqs' | 'lambda';

export interface Principal {
  /** Who it is in messages: arn:aws:sts::<account>:assumed-role/<role>/<session>. */
  sessionArn: string;
  statements: Statement[];
}

export interface Decision {
  accessKeyId: string;
  service: Service;
  action: string;
  resource: string;
  allowed: boolean;
  /** The Allow statements' (action pattern, resource pattern) pairs that matched. */
  matched: { action: string; resource: string }[];
}

export interface IamFront {
  url: string;
  decisions: Decision[];
  /** The refused requests so far, as "<key> <action> on <resource>". */
  refusals(): string[];
  /**
   * The Allow grants of a principal, as "<action> on <resource pattern>", that no request of it has used (the
   * actions matching `except` left out).
   */
  unusedGrants(accessKeyId: string, except?: RegExp): string[];
  close(): Promise<void>;
}

export interface FrontOptions {
  account: string;
  /** Access key id → the role session it stands for. */
  principals: Record<string, Principal>;
  /** Where each service's allowed requests go. */
  upstreams: Record<Service, string>;
}

/** What a request asks for, in IAM's terms. */
interface Ask {
  service: Service;
  action: string;
  resource: string;
  /** The resource as the service names it in a refusal. */
  shownResource: string;
}

export async function startIamFront(options: FrontOptions): Promise<IamFront> {
  const decisions: Decision[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const scope = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request,/.exec(String(req.headers['authorization'] ?? ''));
      if (!scope) return send(res, 403, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' }, { message: 'Missing Authentication Token' });
      const [, accessKeyId, region, signingName] = scope as unknown as [string, string, string, string];
      const service = signingName as Service;
      if (!(service in options.upstreams)) return send(res, 400, { 'content-type': 'application/json' }, { message: `iam-front: no upstream for service ${service}` });
      const principal = options.principals[accessKeyId];
      if (!principal) {
        // As AWS answers a key it does not know.
        return send(res, service === 'lambda' || service === 'sqs' ? 403 : 400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': 'UnrecognizedClientException' }, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
      }
      let ask: Ask;
      try {
        ask = whatIsAsked(service, req, body, region, options.account);
      } catch (error) {
        // Not modelled: loud, so a new call is noticed rather than waved through.
        return send(res, 500, { 'content-type': 'application/json' }, { __type: 'IamFrontNotModelled', message: (error as Error).message });
      }
      const verdict = evaluate(principal.statements, ask.action, ask.resource);
      decisions.push({ accessKeyId, service, action: ask.action, resource: ask.resource, allowed: verdict.allowed, matched: verdict.matched });
      if (!verdict.allowed) return refuse(res, ask, principal.sessionArn, verdict.explicitDeny);
      forward(req, res, body, options.upstreams[service]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    decisions,
    refusals: () => decisions.filter((d) => !d.allowed).map((d) => `${d.accessKeyId} ${d.action} on ${d.resource}`),
    unusedGrants: (accessKeyId, except) => {
      const principal = options.principals[accessKeyId];
      if (!principal) throw new Error(`iam-front: no principal ${accessKeyId}`);
      const used = new Set(decisions.filter((d) => d.accessKeyId === accessKeyId && d.allowed).flatMap((d) => d.matched.map((m) => `${m.action} on ${m.resource}`)));
      return principal.statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => s.Action.filter((a) => !except?.test(a)).flatMap((a) => s.Resource.map((r) => `${a} on ${r}`)))
        .filter((grant) => !used.has(grant));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function whatIsAsked(service: Service, req: http.IncomingMessage, body: Buffer, region: string, account: string): Ask {
  const input = (): Record<string, unknown> => JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
  const operation = () => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.split('.').pop();
    if (!op) throw new Error(`iam-front: a ${service} request without X-Amz-Target`);
    return op;
  };
  switch (service) {
    case 'dynamodb': {
      const op = operation();
      const { TableName, IndexName } = input() as { TableName?: string; IndexName?: string };
      if (!TableName) throw new Error(`iam-front: dynamodb:${op} names no single table (batch and transaction calls are not modelled)`);
      const table = TableName.startsWith('arn:') ? TableName : `arn:aws:dynamodb:${region}:${account}:table/${TableName}`;
      // Query and Scan on an index are authorized on the index's ARN (Using IAM policy conditions, "index/…").
      const resource = IndexName && (op === 'Query' || op === 'Scan') ? `${table}/index/${IndexName}` : table;
      return { service, action: `dynamodb:${op}`, resource, shownResource: resource };
    }
    case 'ssm': {
      const op = operation();
      const name = String(input()['Name'] ?? '');
      if (op !== 'GetParameter' || !name) throw new Error(`iam-front: ssm:${op} is not modelled`);
      const resource = name.startsWith('arn:') ? name : `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
      return { service, action: `ssm:${op}`, resource, shownResource: resource };
    }
    case 'secretsmanager': {
      const op = operation();
      const id = String(input()['SecretId'] ?? '');
      if (op !== 'GetSecretValue' || !id) throw new Error(`iam-front: secretsmanager:${op} is not modelled`);
      // A secret's ARN ends in its name, a dash and six random characters (here derived from the name).
      const resource = id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${id}-${createHash('sha256').update(id).digest('base64url').slice(0, 6)}`;
      return { service, action: `secretsmanager:${op}`, resource, shownResource: id };
    }
    case 'sqs': {
      const op = operation();
      const url = String(input()['QueueUrl'] ?? '');
      const match = /\/(\d{12})\/([^/?]+)$/.exec(url);
      if (!match) throw new Error(`iam-front: sqs:${op} without a queue URL is not modelled`);
      const resource = `arn:aws:sqs:${region}:${match[1]}:${match[2]}`;
      return { service, action: `sqs:${op}`, resource, shownResource: resource };
    }
    case 'lambda': {
      const u = new URL(req.url ?? '/', 'http://front');
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(u.pathname);
      if (req.method !== 'POST' || !match) throw new Error(`iam-front: lambda ${req.method} ${u.pathname} is not modelled`);
      const name = decodeURIComponent(match[1]!);
      const qualifier = u.searchParams.get('Qualifier');
      const base = name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:${account}:function:${name}`;
      const resource = qualifier ? `${base}:${qualifier}` : base;
      return { service, action: 'lambda:InvokeFunction', resource, shownResource: resource };
    }
  }
}

/** IAM's wildcards: `*` any run of characters, `?` one; actions compare case-insensitively, ARNs case-sensitively. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function evaluate(statements: Statement[], action: string, resource: string): { allowed: boolean; explicitDeny: boolean; matched: Decision['matched'] } {
  const hits = (s: Statement) => ({ actions: s.Action.filter((a) => matches(a, action, true)), resources: s.Resource.filter((r) => matches(r, resource, false)) });
  const explicitDeny = statements.some((s) => {
    const h = hits(s);
    return s.Effect === 'Deny' && h.actions.length > 0 && h.resources.length > 0;
  });
  const matched = statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => {
      const h = hits(s);
      return h.actions.flatMap((a) => h.resources.map((r) => ({ action: a, resource: r })));
    });
  return { allowed: !explicitDeny && matched.length > 0, explicitDeny, matched };
}

function refuse(res: http.ServerResponse, ask: Ask, sessionArn: string, explicitDeny: boolean): void {
  const shownAction = ask.service === 'sqs' ? ask.action.toLowerCase() : ask.action;
  const why = explicitDeny ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${shownAction} action`;
  const message = `User: ${sessionArn} is not authorized to perform: ${shownAction} on resource: ${ask.shownResource} ${why}`;
  const requestId = randomUUID();
  switch (ask.service) {
    case 'dynamodb':
      return send(res, 400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': requestId }, { __type: 'com.amazon.coral.service#AccessDeniedException', Message: message });
    case 'ssm':
      return send(res, 400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId }, { __type: 'AccessDeniedException', message });
    case 'secretsmanager':
      return send(res, 400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId }, { __type: 'AccessDeniedException', Message: message });
    case 'sqs':
      return send(res, 403, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': requestId, 'x-amzn-query-error': 'AccessDenied;Sender' }, { __type: 'com.amazon.coral.service#AccessDeniedException', Message: message });
    case 'lambda':
      return send(res, 403, { 'content-type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'AccessDeniedException' }, { Message: message });
  }
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, upstream: string): void {
  const target = new URL(req.url ?? '/', upstream);
  const headers = { ...req.headers, host: target.host };
  const out = http.request(target, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (error) => send(res, 502, { 'content-type': 'application/json' }, { message: `iam-front: ${upstream} did not answer: ${error.message}` }));
  out.end(body);
}
