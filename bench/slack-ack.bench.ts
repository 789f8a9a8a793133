// `npm run bench:slack`: how fast the `slack` function acknowledges Slack (which gives up after 3 s), as deployed — the
// esbuild bundle, Bolt's AwsLambdaReceiver, requests signed as Slack signs them — with its AWS parts on loopback
// (SSM and DynamoDB behind the real SDK, a Lambda Invoke endpoint for the hand-over to `actions`). Prints figures;
// asserts nothing. Cold = a fresh Node.js process: module import, then the first request (SSM read, App set-up).
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startAwsJsonDouble } from '../test/support/aws-json-double.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { startLambdaDouble } from '../test/support/lambda-double.ts';

const root = path.join(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const SECRET = 'bench-signing-secret';

execFileSync('npm', ['run', '--silent', 'build:functions'], { cwd: root, stdio: 'ignore' });
const bundle = path.join(root, 'dist/functions/slack/index.mjs');
log(`slack bundle                   ${(statSync(bundle).size / 1024 / 1024).toFixed(2)} MiB (esbuild, minified; Bolt, the AWS SDK clients included)`);

const inits: number[] = [];
for (let i = 0; i < 5; i++) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(String(performance.now() - t));`], { env: { PATH: process.env['PATH'] ?? '', NODE_NO_WARNINGS: '1' } });
  inits.push(Number(out.toString()));
}
log(`cold init (import), 5 runs     median ${pct(inits, 50).toFixed(0)} ms · min ${Math.min(...inits).toFixed(0)} · max ${Math.max(...inits).toFixed(0)}`);

const dynamo = await startDynalite();
await dynamo.createTable('oombot');
const aws = await startAwsJsonDouble({ 'AmazonSSM.GetParameter': (input) => ({ Parameter: { Name: input['Name'], Type: 'SecureString', Value: SECRET } }) });
let handedOver = 0;
const lambda = await startLambdaDouble({ 'oombot-bench-actions': async () => void (handedOver += 1) });
Object.assign(process.env, {
  AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SSM: aws.url, AWS_ENDPOINT_URL_LAMBDA: lambda.url,
  OOMBOT_TABLE: 'oombot', OOMBOT_SLACK_SIGNING_SECRET_PARAMETER: '/oombot/slack/signing-secret', OOMBOT_ACTIONS_FUNCTION: 'oombot-bench-actions',
  OOMBOT_CLUSTERS: JSON.stringify([{ name: 'prod-eu', server: 'https://127.0.0.1:1', caData: 'LS0tLS1CRUdJTg==', auth: 'token', tokenSecretId: 'oombot/clusters/prod-eu' }]),
});
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: (event: unknown, context: unknown) => Promise<{ statusCode: number }> };

function signed(body: string) {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { version: '2.0', routeKey: 'POST /slack/events', rawPath: '/slack/events', rawQueryString: '', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': String(ts) }, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/slack/events' }, requestId: randomUUID() } };
}
const command = (text: string) => signed(new URLSearchParams({ team_id: 'T0', channel_id: 'C1', user_id: 'U0ALICE', command: '/oom', text, response_url: 'https://hooks.slack.invalid/x', trigger_id: '1' }).toString());
const click = (actionId: string) => signed(new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, team: { id: 'T0' }, api_app_id: 'A0', token: 'x', trigger_id: '1', container: { type: 'message', message_ts: '1.1', channel_id: 'C1' }, channel: { id: 'C1' }, message: { ts: '1.1', text: 'alert', blocks: [] }, response_url: 'https://hooks.slack.invalid/x', actions: [{ type: 'button', action_id: actionId, block_id: 'oombot-actions', value: 'inc-bench', action_ts: '1' }] }) }).toString());

async function timed(event: unknown): Promise<number> {
  const t = performance.now();
  const res = await handler(event, {});
  if (res.statusCode !== 200) throw new Error(`the slack handler answered ${res.statusCode}`);
  return performance.now() - t;
}

try {
  log(`first request (SSM read, Bolt set-up, /oom help)  ${(await timed(command('help'))).toFixed(0)} ms`);
  const cases: [string, () => unknown][] = [
    ['/oom help (answered in the ack)', () => command('help')],
    ['/oom mute (a DynamoDB write)', () => command('mute deploy/checkout 1h -n shop')],
    ['/oom why (ack + hand-over to actions)', () => command('why checkout-7d9f8b6c5-m4tzr -n shop')],
    ['Raise limit click (ack + hand-over)', () => click('oombot_raise')],
  ];
  log('warm, 200 requests each         p50 · p99 · max (ms)');
  for (const [name, make] of cases) {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) times.push(await timed(make()));
    log(`  ${name.padEnd(38)} ${pct(times, 50).toFixed(1)} · ${pct(times, 99).toFixed(1)} · ${Math.max(...times).toFixed(1)}`);
  }
  await lambda.idle();
  log(`jobs handed to actions           ${handedOver} (expected 400)`);
} finally {
  await Promise.all([lambda.close(), aws.close(), dynamo.close()]);
}
