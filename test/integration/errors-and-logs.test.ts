// Errors and logs at the edges, as a person and an operator meet them: the `oombot` bin in a process of its own whose
// output goes to a full disk (/dev/full), and a Lambda bundle in a process of its own, as Lambda runs it, whose log
// lines carry the invocation's request id and the cold-start flag.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaProcess, type LambdaProcess } from '../support/lambda-process.ts';

const BIN = path.join(import.meta.dirname, '../../bin/oombot.js');
const FIXTURE = path.join(import.meta.dirname, '../fixtures/kubectl/limit-oom.json');

/** Runs the bin with stdout on `stdoutPath`, stderr captured. */
function runBin(args: string[], stdoutPath: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const out = openSync(stdoutPath, 'w');
  try {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', out, 'pipe'], env: { PATH: process.env['PATH'], HOME: process.env['HOME'], NODE_NO_WARNINGS: '1', ...env } });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  } finally {
    closeSync(out);
  }
}

describe('the oombot bin on a full disk', () => {
  it.each([['json'], ['text']])('explain --output %s to /dev/full: exit 5 and one line, no stack trace', async (output) => {
    const { code, stderr } = await runBin(['explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', FIXTURE, '--output', output], '/dev/full');
    expect(stderr).toBe('oombot: cannot write the output: no space left on the device: free some space, or write somewhere else\n');
    expect(code).toBe(5);
  });

  it('the same with OOMBOT_DEBUG adds the stack of the failed write', async () => {
    const { code, stderr } = await runBin(['explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', FIXTURE, '-o', 'json'], '/dev/full', { OOMBOT_DEBUG: '1' });
    expect(code).toBe(5);
    expect(stderr).toMatch(/^oombot: cannot write the output: no space left on the device[^\n]*\nError: ENOSPC: no space left on device, write\n\s+at /);
  });

  it('oombot start with a state directory that cannot be made: exit 5 (not "bad usage"), one line', async () => {
    const { code, stderr } = await runBin(['start', '--state-dir', '/dev/full/oombot', '--port', '0'], '/dev/null');
    expect(stderr).toBe('oombot: a part of the path is not a directory (mkdir /dev/full/oombot): use another path\n');
    expect(code).toBe(5);
  });
});

describe('a Lambda bundle’s log lines', () => {
  let actions: LambdaProcess;
  beforeAll(async () => {
    actions = await startLambdaProcess('actions', { functionName: 'oombot-actions', env: {} });
  });
  afterAll(async () => {
    await actions?.stop();
  });

  it('carry the request id on every line of an invocation, and the cold start on the first invocation only', async () => {
    // A job that does not parse is dropped before anything is configured: the log line is all it does.
    expect(await actions.invoke({ kind: 'nonsense' }, { awsRequestId: 'req-cold' })).toEqual({ status: 'rejected' });
    expect(await actions.invoke({ kind: 'raise' }, { awsRequestId: 'req-warm' })).toEqual({ status: 'rejected' });
    const lines = actions.logs.filter((l) => l['msg'] === 'malformed action job dropped');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', requestId: 'req-cold', coldStart: true, reference: 'req-cold', time: expect.any(String) }),
      expect.objectContaining({ level: 'error', requestId: 'req-warm', coldStart: false, reference: 'req-warm' }),
    ]);
    expect(actions.logs.every((l) => 'requestId' in l)).toBe(true); // nothing written outside an invocation's logger
  });
});
