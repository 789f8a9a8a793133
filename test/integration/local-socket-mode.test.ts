// `oombot start` with Slack tokens: the same parts, with the Slack app in Socket Mode — the real Bolt App and
// @slack/socket-mode client against a loopback Socket Mode server and Slack Web API double (OOMBOT_SLACK_API_URL).
// The demo's alerts are posted to the channel; `/oom why` and Raise limit arrive as Socket Mode envelopes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type LocalMode } from '../../local/start.ts';
import { silentLogger } from '#shared/log.ts';
import { startSlackApi, type SlackApiServer } from '../../console/slack-api.ts';
import { startSocketModeDouble, type SocketModeDouble } from '../support/socket-mode-double.ts';
import { until } from './forwarder-testbed.ts';

let slack: SlackApiServer;
let socket: SocketModeDouble;
let local: LocalMode;
let state: string;

beforeAll(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'oombot-socket-'));
  slack = await startSlackApi({ token: 'xoxb-test-token' });
  slack.perChannelRateLimit = false; // the demo posts a dozen alerts; Slack's 1/s per channel is tested elsewhere
  socket = await startSocketModeDouble();
  slack.socketMode = { appToken: 'xapp-1-test', url: socket.url };
  local = await startLocal({
    port: 0,
    stateDir: state,
    sandbox: true,
    demoSpeed: 10,
    env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_APP_TOKEN: 'xapp-1-test', OOMBOT_DEFAULT_CHANNEL: 'C0ALERTS', OOMBOT_SLACK_API_URL: slack.apiUrl, OOMBOT_RAISE_POLICY: '{"allowed":{"demo":["U0ALICE"]}}' },
    say: () => {},
    log: silentLogger,
  });
  await socket.connected;
});
afterAll(async () => {
  await local?.stop();
  await Promise.all([socket?.close(), slack?.close()]);
  await rm(state, { recursive: true, force: true });
});

const root = () => slack.messages.find((m) => m.channel === 'C0ALERTS' && !m.threadTs && m.text?.startsWith('checkout › api was OOMKilled'));

describe('oombot start in Socket Mode', () => {
  it('posts the demo’s alerts to the channel, and answers /oom why through the socket and the response_url', async () => {
    await until('the demo’s limit alert in the channel', () => root(), 60_000);
    expect(local.consoleUrl).toBeUndefined();
    const before = slack.responses.length;
    const ack = await socket.send('slash_commands', { command: '/oom', text: 'why checkout-94mxlzqwtf-vq789 -n demo', user_id: 'U0ALICE', user_name: 'alice', channel_id: 'C0ALERTS', team_id: 'T0TEAM', api_app_id: 'A0OOMBOT', response_url: `${slack.url}/respond/why-1`, trigger_id: '1.1', token: 'unused' });
    expect(ack).toEqual({ response_type: 'ephemeral', text: '🔎 Looking at pod checkout-94mxlzqwtf-vq789 in demo…' });
    await local.idle();
    const answer = slack.responses.slice(before)[0]?.body as { blocks?: { text?: { text: string } }[] } | undefined;
    expect(answer?.blocks?.[0]?.text?.text).toBe('🔴 checkout › api was OOMKilled at its 512Mi memory limit');
  });

  it('raises the limit from a Raise limit click, with the audit line in the thread', async () => {
    const alert = root()!;
    const actions = (alert.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!;
    const raise = actions.elements!.find((e) => e.action_id === 'oombot_raise')!;
    await socket.send('interactive', {
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEAM' },
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OOMBOT',
      token: 'unused',
      trigger_id: '1.2',
      container: { type: 'message', message_ts: alert.ts, channel_id: 'C0ALERTS' },
      channel: { id: 'C0ALERTS' },
      message: { ts: alert.ts, type: 'message', text: alert.text, blocks: alert.blocks },
      response_url: `${slack.url}/respond/raise-1`,
      actions: [{ type: 'button', action_id: 'oombot_raise', block_id: 'oombot-actions', value: raise.value, action_ts: (Date.now() / 1000).toFixed(6) }],
    });
    await local.idle();
    expect(slack.messages.filter((m) => m.threadTs === alert.ts).map((m) => m.text).at(-1)).toMatch(/^✅ <@U0ALICE> changed the memory limit of api in demo\/Deployment\/checkout: 512Mi → 640Mi/);
    const deployment = await local.sandboxKubeConfig!.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'checkout', namespace: 'demo' });
    expect(deployment.spec!.template.spec!.containers.find((c) => c.name === 'api')!.resources!.limits!['memory']).toBe('640Mi');
  });
});
