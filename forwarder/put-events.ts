// PutEvents over node:https, signed by hand (Signature Version 4 with node:crypto), with the credentials a pod has:
// the environment's keys, IRSA's web identity token exchanged at STS, or EKS Pod Identity's container endpoint. The
// EventBridge SDK client and its credential chain cost the bundle about 3 MiB of RSS, as much as the forwarder's whole
// state at 10,000 pods (docs/architecture.md, "Budgets"); kube/rest.ts does the same for the Kubernetes side. Where
// the environment names none of these (a profile, SSO, an instance role), forwarder/sinks.ts loads the SDK after all.
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working (ms); undefined: never. */
  expiresAtMs?: number;
}

export type Env = Record<string, string | undefined>;

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface RequestOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** One HTTP(S) request, its whole answer as text. */
export function request(url: string, options: RequestOptions): Promise<HttpAnswer> {
  const u = new URL(url);
  const lib = u.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method: options.method, headers: options.headers, timeout: options.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method} ${u.origin}: no answer in ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/**
 * Signature Version 4 of a request whose path is `/` with no query (PutEvents'): the headers to add to `headers`
 * (which must hold `host` and every header to be signed, lower-case).
 */
export function signV4(args: { credentials: Credentials; region: string; service: string; method: string; headers: Record<string, string>; body: string; now: Date }): Record<string, string> {
  const { credentials, region, service, method, body, now } = args;
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...args.headers, 'x-amz-date': amzDate, ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}) };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const value = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)![1].trim().replace(/\s+/g, ' ');
  const signedHeaders = names.join(';');
  const canonical = [method, '/', '', ...names.map((n) => `${n}:${value(n)}`), '', signedHeaders, sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    'x-amz-date': amzDate,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The credentials this environment names without the SDK, in the SDK's order for them: keys in the environment, then
 * IRSA's web identity token, then EKS Pod Identity's container endpoint. Undefined when it names none of them.
 */
export function credentialSource(env: Env, region: string): (() => Promise<Credentials>) | undefined {
  const keyId = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  if (keyId && secret) {
    const token = env['AWS_SESSION_TOKEN'];
    return () => Promise.resolve({ accessKeyId: keyId, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) });
  }
  const tokenFile = env['AWS_WEB_IDENTITY_TOKEN_FILE'];
  const roleArn = env['AWS_ROLE_ARN'];
  if (tokenFile && roleArn) return cached(() => assumeRoleWithWebIdentity(env, region, tokenFile, roleArn));
  const full = env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
  const relative = env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];
  if (full || relative) return cached(() => containerCredentials(env, full ?? `http://169.254.170.2${relative}`));
  return undefined;
}

/** Fetched once and again five minutes before they expire. */
function cached(fetchThem: () => Promise<Credentials>): () => Promise<Credentials> {
  let current: Promise<Credentials> | undefined;
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    if (held && (held.expiresAtMs === undefined || held.expiresAtMs - Date.now() > 300_000)) return held;
    current = fetchThem();
    return current;
  };
}

async function assumeRoleWithWebIdentity(env: Env, region: string, tokenFile: string, roleArn: string): Promise<Credentials> {
  const token = (await readFile(tokenFile, 'utf8')).trim();
  const endpoint = env['AWS_ENDPOINT_URL_STS'] ?? env['AWS_ENDPOINT_URL'] ?? `https://sts.${region}.amazonaws.com`;
  const form = new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: roleArn, RoleSessionName: env['AWS_ROLE_SESSION_NAME'] ?? `oombot-${Date.now()}`, WebIdentityToken: token });
  const res = await request(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), timeoutMs: 10_000 });
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(res.body)?.[1];
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  if (res.status !== 200 || !accessKeyId || !secretAccessKey) throw new Error(`STS AssumeRoleWithWebIdentity for ${roleArn}: HTTP ${res.status} ${field('Code') ?? ''} ${field('Message') ?? ''}`.trim());
  const expiration = field('Expiration');
  return { accessKeyId, secretAccessKey, ...(field('SessionToken') ? { sessionToken: field('SessionToken')! } : {}), ...(expiration ? { expiresAtMs: Date.parse(expiration) } : {}) };
}

async function containerCredentials(env: Env, url: string): Promise<Credentials> {
  const tokenFile = env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
  const token = tokenFile ? (await readFile(tokenFile, 'utf8')).trim() : env['AWS_CONTAINER_AUTHORIZATION_TOKEN'];
  const res = await request(url, { method: 'GET', headers: token ? { authorization: token } : {}, timeoutMs: 5_000 });
  const body = (res.status === 200 ? JSON.parse(res.body) : {}) as { AccessKeyId?: string; SecretAccessKey?: string; Token?: string; Expiration?: string };
  if (!body.AccessKeyId || !body.SecretAccessKey) throw new Error(`container credentials from ${new URL(url).origin}: HTTP ${res.status}`);
  return { accessKeyId: body.AccessKeyId, secretAccessKey: body.SecretAccessKey, ...(body.Token ? { sessionToken: body.Token } : {}), ...(body.Expiration ? { expiresAtMs: Date.parse(body.Expiration) } : {}) };
}

export interface PutEventsEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
}

export interface PutEventsAnswer {
  Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
  FailedEntryCount?: number;
}

/** An error EventBridge answered, by its type (ThrottlingException, AccessDeniedException…). */
export class PutEventsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const RETRIED = /Throttl|InternalException|ServiceUnavailable|RequestTimeout/;

/**
 * A PutEvents client: AWS_ENDPOINT_URL_EVENTBRIDGE, else AWS_ENDPOINT_URL, else the region's endpoint. A request is
 * tried up to three times when throttled, on a 5xx or a network error, as the SDK's standard retries did; per-entry
 * failures on an HTTP 200 are the delivery queue's to resend.
 */
export function putEventsClient(env: Env, region: string, credentials: () => Promise<Credentials>, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {
  const endpoint = env['AWS_ENDPOINT_URL_EVENTBRIDGE'] ?? env['AWS_ENDPOINT_URL'] ?? `https://events.${region}.amazonaws.com`;
  const url = new URL(endpoint);
  return async function putEvents(entries: PutEventsEntry[]): Promise<PutEventsAnswer> {
    const body = JSON.stringify({ Entries: entries.map((e) => ({ ...e, Time: e.Time.getTime() / 1000 })) });
    for (let attempt = 1; ; attempt++) {
      try {
        const headers = { 'content-type': 'application/x-amz-json-1.1', host: url.host, 'x-amz-target': 'AWSEvents.PutEvents' };
        const signed = signV4({ credentials: await credentials(), region, service: 'events', method: 'POST', headers, body, now: new Date() });
        const res = await request(new URL('/', url).toString(), { method: 'POST', headers: { ...headers, ...signed, 'content-length': String(Buffer.byteLength(body)) }, body, timeoutMs: 10_000 });
        if (res.status === 200) return JSON.parse(res.body) as PutEventsAnswer;
        const error = (() => {
          try {
            return JSON.parse(res.body) as { __type?: string; message?: string; Message?: string };
          } catch {
            return {};
          }
        })();
        const type = (error.__type ?? `HTTP ${res.status}`).split('#').at(-1)!;
        throw new PutEventsError(type, error.message ?? error.Message ?? res.body.slice(0, 200), res.status);
      } catch (e) {
        const retried = !(e instanceof PutEventsError) || e.status >= 500 || RETRIED.test(e.name);
        if (!retried || attempt >= 3) throw e;
        await sleep(Math.random() * 100 * 2 ** attempt);
      }
    }
  };
}
