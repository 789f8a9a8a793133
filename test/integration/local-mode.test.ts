// `oombot start` end to end, as a newcomer runs it: no kubeconfig, no Slack. It starts the local control plane (with
// its metrics server), plays the demo, and serves the console; a headless Chromium (Debian's, driven by
// playwright-core) waits for the demo's limit OOM, the leak's warning and then its kill, both alerts with a memory
// chart, presses Raise limit, confirms, and the Deployment in that API server gets the new limit while the thread
// shows the audit line; `/oom why` from the command box answers. Then a restart keeps incidents and mutes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../store/file.ts';

const root = path.join(import.meta.dirname, '../..');
const output = path.join(root, 'test-output');
let state: string;
let browser: Browser;

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

/**
 * Starts `oombot start` as `npm start` would, with no kubeconfig and no Slack tokens; resolves once it says ready. The
 * demo plays 4× faster, its 6 min leak 16× (22 s): too short for a curve, so the leak's alerts here rest on §6's rule.
 */
async function start(): Promise<Running> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: path.join(state, 'no-kubeconfig'), OOMBOT_STATE_DIR: path.join(state, 'oombot'), OOMBOT_LOG_FILE: path.join(state, 'oombot.log'), OOMBOT_DEMO_SPEED: '4', OOMBOT_DEMO_LEAK_SPEED: '16', NODE_NO_WARNINGS: '1' };
  const child = spawn(process.execPath, [path.join(root, 'bin/oombot.js'), 'start', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const ready = /^ready +(http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (ready) {
        clearInterval(timer);
        resolve(ready[1]!);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`oombot start exited ${code} before it was ready:\n${out}`));
    });
  });
  return { child, url, stdout: () => out };
}

async function stop(r: Running): Promise<number | null> {
  if (r.child.exitCode !== null) return r.child.exitCode;
  const exited = new Promise<number | null>((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGINT');
  return exited;
}

async function command(page: Page, text: string): Promise<void> {
  await page.getByLabel('/oom command').fill(text);
  await page.getByLabel('/oom command').press('Enter');
}

beforeAll(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'oombot-local-'));
  await mkdir(output, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'] });
});
afterAll(async () => {
  await browser?.close();
  await rm(state, { recursive: true, force: true });
});

describe('oombot start, with nothing configured', () => {
  let first: Running;
  afterAll(async () => {
    if (first) await stop(first);
  });

  it('shows the demo in the console; Raise limit patches the Deployment and the thread says who changed what; /oom why answers', async () => {
    first = await start();
    // It says first what it is connected to and how to stop.
    expect(first.stdout()).toMatch(/console +http:\/\/127\.0\.0\.1:\d+[\s\S]*cluster +sandbox \(https:\/\/127\.0\.0\.1:\d+\), the local control plane[\s\S]*stop +Ctrl-C/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(first.url);

    const alert = page.locator('article[data-testid="message"]', { hasText: 'checkout › api was OOMKilled at its 512Mi memory limit' }).first();
    const raise = alert.getByRole('button', { name: 'Raise limit to 640Mi' });
    await raise.waitFor({ timeout: 90_000 });
    // The whole demo: one alert per cause.
    for (const headline of ['was evicted: node demo-node-2 ran low on memory', 'was killed by a node-wide OOM', 'died of a JVM memory limit', 'the liveness probe killed it']) {
      await page.getByText(headline).first().waitFor({ timeout: 90_000 });
    }
    // The leak, sampled through the local metrics server: warned before the kill, then killed, with its memory chart;
    // the limit OOM's alert has one too (an uploaded PNG, drawn by the console from its own file store).
    const warning = page.locator('article[data-testid="message"]', { hasText: /cart › worker will reach its 512Mi limit in ~\d+ min/ }).first();
    await warning.waitFor({ timeout: 90_000 });
    // The warning carries the alert's buttons, Raise limit first, even with too few samples for a curve.
    await warning.getByRole('button', { name: 'Raise limit to 640Mi' }).waitFor({ timeout: 5_000 });
    expect(await warning.getByRole('button').allTextContents()).toEqual(expect.arrayContaining(['Mute 1 h', 'Why?']));
    const chart = (headline: string) => page.locator('article[data-testid="message"]', { hasText: headline }).locator('img[data-testid="image"]').first();
    await chart('cart › worker was OOMKilled at its 512Mi memory limit').waitFor({ timeout: 90_000 });
    await chart('checkout › api was OOMKilled at its 512Mi memory limit').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(output, 'console-demo.png'), fullPage: false });

    await raise.click();
    const dialog = page.getByTestId('confirm-dialog');
    await expect.poll(() => dialog.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await dialog.textContent()).toContain('Container api of Deployment/checkout (demo): memory limit 512Mi → 640Mi.');
    await dialog.getByRole('button', { name: 'Yes, 640Mi' }).click();

    await page.getByText(/changed the memory limit of api in demo\/Deployment\/checkout: 512Mi → 640Mi/).first().waitFor({ timeout: 30_000 });
    await alert.getByText(/Handled: memory limit 512Mi → 640Mi/).waitFor({ timeout: 30_000 });
    expect(await alert.getByRole('button', { name: /Raise limit/ }).count()).toBe(0);

    const kc = new KubeConfig();
    kc.loadFromFile(path.join(state, 'oombot', 'sandbox.kubeconfig'));
    const deployment = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'checkout', namespace: 'demo' });
    const containers = deployment.spec!.template.spec!.containers;
    expect(containers.find((c) => c.name === 'api')!.resources!.limits!['memory']).toBe('640Mi');
    expect(deployment.metadata!.managedFields!.some((f) => f.manager === 'oombot')).toBe(true);

    // The other buttons: Why? answers with the evidence, only to the clicker; Mute 1 h mutes that workload.
    await alert.getByRole('button', { name: 'Why?' }).click();
    await page.getByText(/checkout › api was OOMKilled at its 512Mi memory limit — limit \/ container-limit, confidence high/).first().waitFor({ timeout: 30_000 });
    const ledger = page.locator('article[data-testid="message"]', { hasText: 'ledger › ledger died of a JVM memory limit' }).first();
    await ledger.getByRole('button', { name: 'Mute 1 h' }).click();
    await page.getByText(/Muted Deployment\/ledger in demo \(sandbox\) for 1 h/).first().waitFor({ timeout: 30_000 });

    await command(page, 'why checkout-94mxlzqwtf-vq789 -n demo');
    await page.locator('[data-testid="message"]', { has: page.getByTestId('ephemeral-note') }).filter({ hasText: 'checkout › api was OOMKilled at its 512Mi memory limit' }).first().waitFor({ timeout: 30_000 });

    await command(page, 'mute deploy/checkout 24h -n demo');
    await page.getByText(/Muted Deployment\/checkout in demo \(sandbox\) for 24h/).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(output, 'console-after-raise.png'), fullPage: false });
    await page.close();
    expect(await stop(first)).toBe(0);
  }, 240_000);

  it('keeps incidents, mutes and the audit log across a restart', async () => {
    const store = await FileStore.open(path.join(state, 'oombot', 'store.json'));
    const before = await store.recentIncidents('sandbox', { limit: 50 });
    expect(before.length).toBeGreaterThanOrEqual(5);
    expect(await store.muteUntil('sandbox/demo/Deployment/checkout', Date.now())).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    // The button was on the root alert: the first of checkout's incidents (the list is newest first).
    const raised = before.findLast((i) => i.workload === 'Deployment/checkout')!;

    const second = await start();
    try {
      const page = await browser.newPage();
      await page.goto(second.url);
      // What the first run posted is still shown, and `recent` answers from the incidents it recorded.
      await page.getByText('checkout › api was OOMKilled at its 512Mi memory limit').first().waitFor({ timeout: 30_000 });
      await command(page, 'recent demo');
      await page.getByText(/Last incidents in demo · sandbox:/).waitFor({ timeout: 30_000 });
      expect(await page.getByText(raised.incidentId).count()).toBeGreaterThan(0);
      await page.close();
    } finally {
      expect(await stop(second)).toBe(0);
    }
    const after = await FileStore.open(path.join(state, 'oombot', 'store.json'));
    expect(await after.muteUntil('sandbox/demo/Deployment/checkout', Date.now())).toBeGreaterThan(Date.now());
    expect((await after.auditTrail(raised.incidentId)).map((a) => a.action)).toContain('raise-memory-limit');
  }, 120_000);
});
