// The one normaliser at the edge (shared/errors.ts) and the CLI's one table of exit codes (cli/errors.ts): each kind of
// thing that can be thrown becomes a stable code, a message that says what to do, and an exit code — never a stack
// trace unless OOMBOT_DEBUG asks for one. The errors are the libraries' own classes, or Node's own where the machine
// can make one (ENOSPC from /dev/full, ENOENT, EISDIR); EACCES cannot be had as root, so it is built as Node builds it.
import { writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { DynamoDBServiceException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ParameterNotFound } from '@aws-sdk/client-ssm';
import { ApiException } from '@kubernetes/client-node';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { EXIT_CODES, reportError } from '../../cli/errors.ts';
import { ConsoleRequestError } from '../../console/request-error.ts';
import { ChannelUnreachableError } from '../../bot/grouping.ts';
import { SlackRateLimitedError } from '../../bot/slack-rate-limits.ts';
import { ConfigError } from '../../forwarder/config.ts';
import { KubeAccessError, PodNotFoundError } from '../../kube/collect.ts';
import { KubeConnectionError, KubeStatusError } from '../../kube/rest.ts';
import { DiagnosisError, ERROR_CODES, OombotError, toOombotError, type ErrorCode } from '#shared/errors.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}

/** An error as Node's fs builds it (errno, code, syscall, path). */
function nodeError(code: string, errno: number, syscall: string, path: string, text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { errno, code, syscall, path });
}

const awsDenied = new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'User: arn:aws:sts::123456789012:assumed-role/oombot-analyze/fn is not authorized to perform: dynamodb:GetItem' });
const awsThrottled = new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });

const cases: [string, () => unknown, ErrorCode, RegExp, number][] = [
  ['an OombotError, as it is', () => new OombotError('bad-usage', 'which pod? give <namespace>/<pod>'), 'bad-usage', /^which pod\? give <namespace>\/<pod>$/, 2],
  ['a diagnosis with no container of that name', () => new DiagnosisError('CONTAINER_NOT_FOUND', 'container "x" not found in pod a/b; it has: api'), 'not-found', /^container "x" not found/, 3],
  ['a diagnosis with no memory-related termination', () => new DiagnosisError('NO_MEMORY_TERMINATION', 'no memory-related termination found in pod a/b'), 'not-found', /^no memory-related termination/, 3],
  ['a full disk (ENOSPC, /dev/full)', () => thrown(() => writeFileSync('/dev/full', 'x')), 'io', /^no space left on the device: free some space, or write somewhere else$/, 5],
  ['no permission (EACCES)', () => nodeError('EACCES', -13, 'open', '/var/lib/oombot/store.json', 'permission denied'), 'io', /^permission denied \(open \/var\/lib\/oombot\/store\.json\): make it readable and writable for this user, or use another path$/, 5],
  ['a read-only file system (EROFS)', () => nodeError('EROFS', -30, 'mkdir', '/state', 'read-only file system'), 'io', /^read-only file system \(mkdir \/state\): write somewhere else$/, 5],
  ['a missing file (ENOENT)', () => thrown(() => readFileSync(`${tmpdir()}/oombot-no-such-file`)), 'io', /^no such file or directory \(open .*oombot-no-such-file\): create it, or use another path$/, 5],
  ['a directory for a file (EISDIR)', () => thrown(() => readFileSync(tmpdir())), 'io', /^a directory where a file was expected/, 5],
  ['a refused connection (ECONNREFUSED)', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 6443 }), 'unreachable', /^could not connect to 127\.0\.0\.1:6443 \(ECONNREFUSED\): check that it runs/, 4],
  ['fetch failing to connect (a TypeError whose cause is ENOTFOUND)', () => new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND hooks.slack.invalid'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'hooks.slack.invalid' }) }), 'unreachable', /^could not connect to hooks\.slack\.invalid \(ENOTFOUND\)/, 4],
  ['a zod validation error', () => thrown(() => z.object({ pod: z.object({ name: z.string() }) }).parse({ pod: {} })), 'bad-input', /^not valid: pod\.name Invalid input: expected string, received undefined$/, 2],
  ['an AWS refusal (AccessDeniedException)', () => awsDenied, 'forbidden', /^AWS refused the request \(AccessDeniedException\): User: arn:.* is not authorized to perform: dynamodb:GetItem; grant the function's role/, 4],
  ['an AWS resource that is not there (ResourceNotFoundException)', () => new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }), 'config', /^AWS refused the request \(ResourceNotFoundException\): Requested resource not found; check the setting that names it$/, 2],
  ['an SSM parameter that is not there (ParameterNotFound)', () => new ParameterNotFound({ message: '', $metadata: {} }), 'config', /^AWS refused the request \(ParameterNotFound\)/, 2],
  ['AWS throttling', () => awsThrottled, 'aws', /^AWS refused the request \(ThrottlingException\): Rate exceeded$/, 4],
  ['a Slack token refused (invalid_auth)', () => new WebAPIPlatformError({ ok: false, error: 'invalid_auth' }), 'forbidden', /^Slack refused the token \(invalid_auth\): check the bot token and the app's scopes$/, 4],
  ['a Slack channel the app is not in', () => new WebAPIPlatformError({ ok: false, error: 'not_in_channel' }), 'config', /^Slack cannot post there \(not_in_channel\): check the channel id and invite the app to it$/, 2],
  ['another Slack refusal', () => new WebAPIPlatformError({ ok: false, error: 'msg_too_long' }), 'slack', /^Slack refused the request \(msg_too_long\)$/, 4],
  ['Slack not reached', () => new WebAPIRequestError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })), 'unreachable', /^could not reach Slack's Web API: connect ECONNREFUSED/, 4],
  ['Slack failing (HTTP 503)', () => new WebAPIHTTPError(503, 'Service Unavailable', {}, ''), 'unreachable', /^Slack's Web API answered HTTP 503$/, 4],
  ['Slack rate limiting', () => new WebAPIRateLimitedError(30), 'slack', /^Slack is rate limiting \(retry after 30 s\)$/, 4],
  ['Slack rate limiting longer than the invocation has', () => new SlackRateLimitedError('chat.postMessage', 30_000, 14_000), 'slack', /^Slack rate-limited chat\.postMessage and asked to wait 30 s, with 14 s usable in this invocation: it fails so that the bus retries it later$/, 4],
  ['a default channel Slack refuses too', () => new ChannelUnreachableError('#oom-alerts', 'not_in_channel'), 'config', /^Slack answered not_in_channel for #oom-alerts: invite @oombot to #oom-alerts, or set OOMBOT_DEFAULT_CHANNEL to a channel it is in$/, 2],
  ['the Kubernetes API refusing (client-node ApiException 403)', () => new ApiException(403, 'Forbidden', { kind: 'Status', message: 'pods "x" is forbidden: User "u" cannot get resource "pods"' }, { authorization: 'Bearer secret' }), 'forbidden', /^the Kubernetes API refused \(HTTP 403\): pods "x" is forbidden: User "u" cannot get resource "pods": check the kubeconfig's credentials and RBAC$/, 4],
  ['the Kubernetes API with no such object (ApiException 404)', () => new ApiException(404, 'Not Found', { message: 'pods "x" not found' }, {}), 'not-found', /^the Kubernetes API has no such object \(HTTP 404\): pods "x" not found$/, 3],
  ['the Kubernetes API failing (ApiException 500)', () => new ApiException(500, 'Internal', {}, {}), 'unreachable', /^the Kubernetes API answered HTTP 500$/, 4],
  ['oombot\'s transport finding no server', () => new KubeConnectionError('https://127.0.0.1:1', 'cannot reach https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1'), 'unreachable', /^cannot reach https:\/\/127\.0\.0\.1:1/, 4],
  ['a pod that is not there', () => new PodNotFoundError('pod x not found in namespace a of prod'), 'not-found', /^pod x not found/, 3],
  ['the API server rejecting the credentials (401)', () => new KubeAccessError(401, 'prod rejected the credentials (401 Unauthorized): log in again'), 'forbidden', /rejected the credentials/, 4],
  ['the API server failing on the pod (503)', () => new KubeAccessError(503, 'cannot read pod a/x: the server is unavailable'), 'unreachable', /^cannot read pod a\/x/, 4],
  ['a watch refused (403)', () => new KubeStatusError(403, 'list /api/v1/pods: pods is forbidden (HTTP 403)'), 'forbidden', /^list \/api\/v1\/pods: pods is forbidden/, 4],
  ['a Lease that is not there to re-read (404)', () => new KubeStatusError(404, 're-reading Lease oombot/oombot-forwarder: not found'), 'not-found', /^re-reading Lease/, 3],
  ['the API server overloaded (429)', () => new KubeStatusError(429, 'list /api/v1/events: too many requests (HTTP 429)'), 'unreachable', /too many requests/, 4],
  ['a watch error event without a status', () => new KubeStatusError(0, 'watch /api/v1/pods: error event'), 'internal', /^watch \/api\/v1\/pods: error event$/, 1],
  ['the forwarder\'s configuration', () => new ConfigError('invalid configuration:\n  OOMBOT_CLUSTER is missing'), 'config', /^invalid configuration:/, 2],
  ['a console request refused', () => new ConsoleRequestError(403, 'bad_host', 'the console answers only at 127.0.0.1 or localhost'), 'forbidden', /^the console answers only at 127\.0\.0\.1/, 4],
  ['the local store full (StoreFileError STORE_FILE_UNWRITABLE)', () => Object.assign(new Error('cannot write the local store /s/store.json (ENOSPC): check that its directory can be created and written and that the disk has room'), { name: 'StoreFileError', code: 'STORE_FILE_UNWRITABLE' }), 'io', /^cannot write the local store/, 5],
  ['the local store damaged (StoreFileError STORE_FILE_CORRUPT)', () => Object.assign(new Error('the local store /s/store.json is not valid JSON'), { name: 'StoreFileError', code: 'STORE_FILE_CORRUPT' }), 'stored-record', /is not valid JSON/, 5],
  ['a stored incident that does not read (StoredRecordError)', () => Object.assign(new Error('the stored incident i-1 does not read as one: verdict is not JSON'), { name: 'StoredRecordError' }), 'stored-record', /does not read as one/, 5],
  ['a bug (a TypeError)', () => thrown(() => (null as unknown as { x: number }).x), 'internal', /^Cannot read properties of null/, 1],
  ['a thrown string', () => 'boom\nsecond line', 'internal', /^something that is not an error was thrown: boom$/, 1],
  ['a thrown object', () => ({ reason: 'nope' }), 'internal', /^something that is not an error was thrown: \{"reason":"nope"\}$/, 1],
];

describe('toOombotError: whatever was thrown, as a stable code, a message and an exit code', () => {
  it.each(cases)('%s', (_name, make, code, message, exitCode) => {
    const original = make();
    const e = toOombotError(original);
    expect(e).toBeInstanceOf(OombotError);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(EXIT_CODES[e.code]).toBe(exitCode);
    // An OombotError is passed on as it is; anything else is wrapped, with the original as the cause.
    expect(original instanceof OombotError ? e === original : e.cause === original).toBe(true);
  });

  it('wraps what was thrown in one line, however many the original had', () => {
    expect(toOombotError(new Error('first\n    at somewhere (file.ts:1:1)')).message).toBe('first');
    expect(toOombotError(thrown(() => z.string().parse(1))).message).not.toContain('\n');
  });

  it('every code has an exit code, and only a bug exits 1', () => {
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...ERROR_CODES].sort());
    expect(ERROR_CODES.filter((c) => EXIT_CODES[c] === 1)).toEqual(['internal']);
  });

  it('does not repeat the response headers a client-node ApiException carries in its message', () => {
    const e = toOombotError(new ApiException(403, 'Forbidden', { message: 'no' }, { authorization: 'Bearer secret-token' }));
    expect(e.message).not.toContain('secret-token');
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('reportError: one line on stderr, the exit code, a stack only when debugging', () => {
  it('says a full disk as such, with exit 5 and no stack trace', () => {
    const stderr = new Capture();
    const code = reportError(thrown(() => writeFileSync('/dev/full', 'x')), { stderr }, false);
    expect(code).toBe(5);
    expect(stderr.text).toBe('oombot: no space left on the device: free some space, or write somewhere else\n');
  });

  it('calls a bug a bug, without its stack unless asked', () => {
    const stderr = new Capture();
    expect(reportError(new TypeError('x is not a function'), { stderr }, false)).toBe(1);
    expect(stderr.text).toBe('oombot: unexpected error: x is not a function (this is a bug; rerun with OOMBOT_DEBUG=1 for details)\n');
    const debug = new Capture();
    reportError(new TypeError('x is not a function'), { stderr: debug }, true);
    expect(debug.text).toMatch(/^oombot: unexpected error: x is not a function .*\nTypeError: x is not a function\n\s+at /);
  });

  it('with OOMBOT_DEBUG, shows the stack of the error that was thrown, not of its normalised form', () => {
    const stderr = new Capture();
    reportError(thrown(() => writeFileSync('/dev/full', 'x')), { stderr }, true);
    expect(stderr.text.split('\n')[1]).toBe('Error: ENOSPC: no space left on device, write');
  });

  it('survives a stderr that fails too', async () => {
    const broken = new Writable({ write: (_chunk, _enc, done) => done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })) });
    expect(reportError(new OombotError('io', 'cannot write the output'), { stderr: broken }, false)).toBe(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(broken.destroyed).toBe(true);
  });
});
