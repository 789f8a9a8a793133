// Where the Slack app logs a failure: to the logger it is given (local mode's file), with the failure's stable code
// under the reference the user is shown — not to stdout (the process's default), and never the error itself in Slack. The store is the real
// FileStore, made to fail as a full or vanished state directory does: its directory replaced by a file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Receiver } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boltLogger } from '../../../bot/bolt-logger.ts';
import { registerOombot } from '../../../bot/slack-app.ts';
import { FileStore } from '../../../store/file.ts';
import { jsonLines, type LogFields } from '#shared/log.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oombot-slack-log-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A receiver that only hands the app the events the test gives it. */
const receiver: Receiver = { init: () => {}, start: async () => undefined, stop: async () => undefined };

describe('the Slack app with a logger', () => {
  it('logs a failed /oom to that logger with its code and reference, and answers with the reference only', async () => {
    const stateDir = path.join(dir, 'state');
    const store = await FileStore.open(path.join(stateDir, 'store.json'));
    await rm(stateDir, { recursive: true, force: true });
    await writeFile(stateDir, 'not a directory'); // every write of the store now fails (ENOTDIR)

    const lines: LogFields[] = [];
    const log = jsonLines({ write: (line) => lines.push(JSON.parse(line) as LogFields) });
    const app = new App({ receiver, authorize: async () => ({}), logger: boltLogger(() => log) });
    registerOombot(app, { store, cluster: () => undefined, clusters: ['prod'], dispatch: async () => {}, log });

    let answer: { text?: string } | undefined;
    await app.processEvent({
      body: { command: '/oom', text: 'mute deploy/checkout 1h -n shop', user_id: 'U0ALICE', team_id: 'T0', channel_id: 'C0', response_url: 'https://hooks.slack.com/commands/T0/1/x', trigger_id: '1.2.x' },
      ack: async (response) => {
        answer = response as { text?: string };
      },
    });

    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: '/oom failed', errorCode: 'io', error: expect.stringContaining('cannot write the local store') })]);
    const reference = lines[0]!['reference'] as string;
    expect(answer?.text).toBe(`That failed on my side; try again in a minute. If it keeps failing, give your oombot operator this reference: \`${reference}\`.`);
  });

  it('logs what escapes a listener to that logger too, and throws it on as Bolt would', async () => {
    const store = await FileStore.open(path.join(dir, 'ok', 'store.json'));
    const lines: LogFields[] = [];
    const log = jsonLines({ write: (line) => lines.push(JSON.parse(line) as LogFields) });
    const app = new App({ receiver, authorize: async () => ({}), logger: boltLogger(() => log) });
    registerOombot(app, { store, cluster: () => undefined, clusters: ['prod'], dispatch: async () => {}, log });
    const event = {
      body: { command: '/oom', text: 'help', user_id: 'U0ALICE', team_id: 'T0', channel_id: 'C0', response_url: 'https://hooks.slack.com/commands/T0/1/x', trigger_id: '1.2.x' },
      ack: async () => {
        throw new Error('the acknowledgement could not be sent');
      },
    };
    await expect(app.processEvent(event)).rejects.toThrow('the acknowledgement could not be sent');
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'the Slack app failed', errorCode: 'internal', error: 'the acknowledgement could not be sent', reference: expect.any(String) }));
  });
});
