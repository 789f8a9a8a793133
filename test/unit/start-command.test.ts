// `oombot start`'s bad input: a clear one-line answer and exit 2 before anything starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCommand } from '../../cli/start-command.ts';
import { runCli } from '../support/run-cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oombot-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const io = () => ({ stdout: { write: () => true }, stderr: { write: () => true } }) as never;

describe('oombot start, given bad input', () => {
  it.each([
    [['--port', 'eighty'], 'oombot: --port must be a port number from 0 to 65535, not "eighty"'],
    [['--nope'], "oombot: Unknown option '--nope' (see oombot start --help)"],
  ])('%j → exit 2 and one line', async (args, line) => {
    const { code, stderr } = await runCli('start', ...args);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(line);
  });

  it('refuses half a Slack configuration, naming the missing token', async () => {
    await expect(startCommand(['--state-dir', dir, '--port', '0'], io(), { SLACK_BOT_TOKEN: 'xoxb-1' })).rejects.toThrow('Socket Mode needs both SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…, scope connections:write); only SLACK_BOT_TOKEN is set');
  });

  it('refuses a raise policy that is not valid, saying where', async () => {
    await expect(startCommand(['--state-dir', dir, '--port', '0'], io(), { OOMBOT_RAISE_POLICY: '{"allowed":{"shop":["alice"]}}' })).rejects.toThrow(/^invalid configuration: OOMBOT_RAISE_POLICY is not valid: allowed\.shop\.0 must be a Slack user id \(U…, W…\) or user group id \(S…\)$/);
  });

  it('names a corrupt state file and how to start fresh', async () => {
    const broken = path.join(dir, 'broken');
    await rm(broken, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(broken, { recursive: true }));
    await writeFile(path.join(broken, 'store.json'), '{not json');
    await expect(startCommand(['--state-dir', broken, '--port', '0'], io(), {})).rejects.toThrow(/store\.json.*move it away/);
  });
});
