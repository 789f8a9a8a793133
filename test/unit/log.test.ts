// The logger port (shared/log.ts) and its implementations: the Lambdas' (functions/log.ts), local mode's
// (local/log.ts), the forwarder's (forwarder/log.ts), and Bolt's logger over it (bot/bolt-logger.ts). Lines are read
// back as JSON, as CloudWatch Logs Insights or `jq` would.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boltLogger } from '../../bot/bolt-logger.ts';
import { currentLogger, logFailure, withLogger } from '../../bot/failures.ts';
import { forwarderLogger } from '../../forwarder/log.ts';
import { invocationLogger } from '../../functions/log.ts';
import { localLogger } from '../../local/log.ts';
import { OombotError } from '#shared/errors.ts';
import { jsonLines, levelFrom, type LogFields } from '#shared/log.ts';

/** A `write` that keeps the lines, parsed. */
function sink(): { write: (line: string) => void; lines: LogFields[]; raw: string[] } {
  const lines: LogFields[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as LogFields);
    },
  };
}

const FIXED = () => new Date('2026-11-27T10:14:03.000Z');

describe('jsonLines', () => {
  it('writes one JSON object per line: time, level, msg, then the fields', () => {
    const out = sink();
    jsonLines({ write: out.write, now: FIXED }).info('occurrence handled', { occurrenceId: 'o-1', status: 'posted' });
    expect(out.raw).toEqual(['{"time":"2026-11-27T10:14:03.000Z","level":"info","msg":"occurrence handled","occurrenceId":"o-1","status":"posted"}\n']);
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('at %s, writes only that level and above', (level, written) => {
    const out = sink();
    const log = jsonLines({ write: out.write, level });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(out.lines.map((l) => l['level'])).toEqual(written);
    expect(log.enabled('debug')).toBe(level === 'debug');
  });

  it('a child adds its fields to every line; the call’s own fields win', () => {
    const out = sink();
    const log = jsonLines({ write: out.write, fields: { service: 'oombot' } }).child({ requestId: 'r-1', kind: 'why' });
    log.info('a');
    log.child({ step: 2 }).warn('b', { kind: 'raise' });
    expect(out.lines.map(({ time: _time, ...rest }) => rest)).toEqual([
      { level: 'info', msg: 'a', service: 'oombot', requestId: 'r-1', kind: 'why' },
      { level: 'warn', msg: 'b', service: 'oombot', requestId: 'r-1', kind: 'raise', step: 2 },
    ]);
  });

  it('redacts any field named like a secret, at any depth, and keeps the others', () => {
    const out = sink();
    jsonLines({ write: out.write }).info('request', {
      token: 'xoxb-1',
      signingSecret: 's3cret',
      'X-Slack-Signature': 'v0=abc',
      headers: { Authorization: 'Bearer eyJ', cookie: 'c', accept: 'application/json' },
      clusters: [{ name: 'prod', tokenSecretId: 'oombot/clusters/prod', password: 'p' }],
      reference: 'r-1',
      reason: 'bad signature',
    });
    const line = out.lines[0]!;
    expect(line).toMatchObject({
      token: '[redacted]',
      signingSecret: '[redacted]',
      'X-Slack-Signature': '[redacted]',
      headers: { Authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' },
      clusters: [{ name: 'prod', tokenSecretId: '[redacted]', password: '[redacted]' }],
      reference: 'r-1',
      reason: 'bad signature',
    });
    expect(out.raw[0]).not.toMatch(/xoxb-1|s3cret|v0=abc|eyJ|"p"/);
  });

  it('writes an error as its stable code and one-line message, with the stack only at debug', () => {
    const failure = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const info = sink();
    jsonLines({ write: info.write }).error('could not save', { error: failure });
    expect(info.lines[0]).toMatchObject({ error: 'no space left on the device: free some space, or write somewhere else', errorCode: 'io' });
    expect(info.raw[0]).not.toContain(' at ');
    const debug = sink();
    jsonLines({ write: debug.write, level: 'debug' }).error('could not save', { error: failure });
    expect(debug.lines[0]!['errorStack']).toMatch(/^Error: ENOSPC: no space left on device, write\n\s+at /);
  });

  it('never throws for a field JSON cannot write', () => {
    const out = sink();
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    const log = jsonLines({ write: out.write });
    log.info('big', { count: 10n });
    log.info('cycle', { cycle });
    expect(out.lines[0]).toMatchObject({ msg: 'big', count: '10' });
    expect(out.lines[1]).toMatchObject({ msg: 'cycle', logError: expect.stringMatching(/^the fields could not be written: /) });
  });

  it('reads a level from a setting, any case, with a fallback', () => {
    expect([levelFrom('DEBUG', 'info'), levelFrom(' warn ', 'info'), levelFrom('verbose', 'info'), levelFrom(undefined, 'warn')]).toEqual(['debug', 'warn', 'info', 'warn']);
  });
});

describe('the Lambdas’ logger (functions/log.ts)', () => {
  it('puts the request id and the cold-start flag on every line of an invocation, the first one cold', () => {
    const out = sink();
    const first = invocationLogger({ awsRequestId: 'req-1' }, { write: out.write, env: {} });
    first.info('started');
    first.child({ occurrenceId: 'o-1' }).error('failed', { error: new OombotError('aws', 'AWS refused the request (ThrottlingException)') });
    const second = invocationLogger({ awsRequestId: 'req-2' }, { write: out.write, env: {} });
    second.info('started');
    expect(out.lines.map((l) => [l['requestId'], l['coldStart'], l['msg']])).toEqual([
      ['req-1', true, 'started'],
      ['req-1', true, 'failed'],
      ['req-2', false, 'started'],
    ]);
    expect(out.lines[1]).toMatchObject({ occurrenceId: 'o-1', errorCode: 'aws' });
  });

  it('takes its level from OOMBOT_LOG_LEVEL', () => {
    const out = sink();
    const log = invocationLogger({ awsRequestId: 'req-3' }, { write: out.write, env: { OOMBOT_LOG_LEVEL: 'warn' } });
    log.info('quiet');
    log.warn('said');
    expect(out.lines.map((l) => l['msg'])).toEqual(['said']);
  });

  it('is the logger of what bot/ logs inside the invocation, however asynchronous', async () => {
    const out = sink();
    const log = invocationLogger({ awsRequestId: 'req-4' }, { write: out.write, env: {} });
    const reference = await withLogger(log, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return logFailure('raise failed', new Error('boom'), { incidentId: 'i-1' }, 'req-4');
    });
    expect(reference).toBe('req-4');
    expect(out.lines).toEqual([expect.objectContaining({ level: 'error', msg: 'raise failed', requestId: 'req-4', coldStart: false, reference: 'req-4', incidentId: 'i-1', error: 'boom', errorCode: 'internal' })]);
    expect(currentLogger()).not.toBe(log); // outside the scope, the process's default again
  });
});

describe('local mode’s logger (local/log.ts)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oombot-log-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every line at its level to OOMBOT_LOG_FILE and nothing to stderr', async () => {
    const file = path.join(dir, 'oombot.log');
    const stderr: string[] = [];
    const log = localLogger({ OOMBOT_LOG_FILE: file }, (line) => stderr.push(line));
    log.debug('not at info');
    log.info('forwarding', { cluster: 'sandbox' });
    log.child({ component: 'console' }).error('console request failed', { error: new Error('boom') });
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LogFields);
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      ['info', 'forwarding'],
      ['error', 'console request failed'],
    ]);
    expect(lines[1]).toMatchObject({ component: 'console', error: 'boom', errorCode: 'internal' });
    expect(stderr).toEqual([]);
  });

  it('without a file, writes only warnings and errors, on stderr', () => {
    const stderr: string[] = [];
    const log = localLogger({}, (line) => stderr.push(line));
    log.info('forwarding');
    log.warn('watch failed; retrying');
    expect(stderr.map((l) => (JSON.parse(l) as LogFields)['msg'])).toEqual(['watch failed; retrying']);
  });

  it('says once that the file cannot be written (a full disk), then puts warnings and errors on stderr', () => {
    const stderr: string[] = [];
    const log = localLogger({ OOMBOT_LOG_FILE: '/dev/full' }, (line) => stderr.push(line));
    log.info('lost');
    log.info('lost too');
    log.error('kept', { reference: 'r-1' });
    expect(stderr[0]).toBe('oombot: cannot write the log file /dev/full: no space left on the device: free some space, or write somewhere else; warnings and errors go to stderr from now on\n');
    expect(stderr.slice(1).map((l) => (JSON.parse(l) as LogFields)['msg'])).toEqual(['kept']);
  });
});

describe('the forwarder’s logger (forwarder/log.ts)', () => {
  it('writes JSON lines at OOMBOT_LOG_LEVEL', () => {
    const out = sink();
    const log = forwarderLogger(out.write, { OOMBOT_LOG_LEVEL: 'debug' });
    log.debug('watch event', { path: '/api/v1/pods' });
    expect(out.lines[0]).toMatchObject({ level: 'debug', msg: 'watch event', path: '/api/v1/pods' });
  });
});

describe('Bolt’s logger over the port (bot/bolt-logger.ts)', () => {
  it('writes what Bolt says at its level and above, with the component and the error as code and message', () => {
    const out = sink();
    const log = jsonLines({ write: out.write, level: 'debug' });
    const bolt = boltLogger(() => log, LogLevel.WARN);
    bolt.setName('bolt-app');
    bolt.info('not at warn');
    bolt.warn('Authorization of incoming event did not succeed.', { team: 'T1' });
    bolt.error(Object.assign(new Error('An API error occurred: invalid_auth'), { code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_auth' } }));
    expect(bolt.getLevel()).toBe(LogLevel.WARN);
    expect(out.lines.map(({ time: _time, errorStack: _stack, ...rest }) => rest)).toEqual([
      { level: 'warn', msg: 'Authorization of incoming event did not succeed. {"team":"T1"}', component: 'bolt-app' },
      { level: 'error', msg: 'error', component: 'bolt-app', error: "Slack refused the token (invalid_auth): check the bot token and the app's scopes", errorCode: 'forbidden' },
    ]);
  });
});
