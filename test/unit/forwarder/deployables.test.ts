// What can be checked of the forwarder's image and IAM policy without building the image (no Docker engine here):
// the Dockerfile lints clean and keeps the properties the chart relies on; the policy grants one action on one bus.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '../../..');
const dockerfile = readFileSync(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8');

describe('the forwarder image', () => {
  it('lints clean (dockerfile-utils, the VS Code Docker extension’s linter)', () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it('is multi-stage, runs the bundle as a non-root user, and builds with the npm script the benchmark measures', () => {
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs22-debian12:nonroot@sha256:[0-9a-f]{64}$/m);
    // Every base is pinned by digest beside its tag: a rebuild of one commit gets the same bases.
    for (const from of dockerfile.match(/^FROM \S+/gm) ?? []) expect(from).toMatch(/^FROM [^:@\s]+(?::[\w.-]+)?@sha256:[0-9a-f]{64}$/);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^RUN npm run build:forwarder$/m);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:forwarder']).toContain('--outfile=dist/forwarder.mjs');
    expect(dockerfile).toContain('COPY --from=build /src/dist/forwarder.mjs /app/forwarder.mjs');
  });

  it('logs JSON from its first line when the bundle runs with the ENTRYPOINT’s Node.js flags', async () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // Next to dist/forwarder.mjs, so the bundle's external @kubernetes/client-node resolves as in the image.
    const bundle = path.join(root, 'dist', `forwarder-first-line-${process.pid}.mjs`);
    const build = pkg.scripts['build:forwarder']!.replace('--outfile=dist/forwarder.mjs', `--outfile=${bundle}`);
    await promisify(execFile)('sh', ['-c', build], { cwd: root, env: { ...process.env, PATH: `${path.join(root, 'node_modules/.bin')}${path.delimiter}${process.env['PATH'] ?? ''}` } });
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const flags = entrypoint.filter((a) => a.startsWith('--'));
    expect(flags).toContain('--max-old-space-size=48');
    // A kubeconfig for a server that is not there, and the stdout sink: it starts, serves its probes, and only fails to
    // reach the cluster (on loopback, refused).
    const home = await mkdtemp(path.join(tmpdir(), 'oombot-first-line-'));
    const kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9' } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], 'current-context': 'c' };
    await writeFile(path.join(home, 'kubeconfig'), JSON.stringify(kubeconfig));
    const child = spawn(process.execPath, [...flags, bundle, 'forwarder'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: path.join(home, 'kubeconfig'), OOMBOT_CLUSTER: 'prod-eu', OOMBOT_SINK: 'stdout', OOMBOT_HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const seen = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('\n')) resolve();
        };
        child.stdout.on('data', seen);
        child.stderr.on('data', seen);
        child.once('exit', () => reject(new Error(`exited before a line: ${output}`)));
      });
      const first = output.slice(0, output.indexOf('\n'));
      expect(first).toMatch(/^\{/);
      expect(JSON.parse(first)).toMatchObject({ level: 'info', msg: 'serving probes and metrics' });
    } finally {
      child.kill('SIGKILL');
      await rm(bundle, { force: true });
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('the forwarder IAM policy', () => {
  it('allows PutEvents on the stage’s oombot bus only, from the forwarder source only', () => {
    const policy = JSON.parse(readFileSync(path.join(root, 'infra/iam/forwarder-policy.json'), 'utf8')) as { Statement: { Effect: string; Action: string; Resource: string; Condition: unknown }[] };
    expect(policy.Statement).toEqual([
      {
        Sid: 'PutOccurrencesOnTheOombotBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: 'arn:aws:events:REGION:ACCOUNT_ID:event-bus/oombot-STAGE',
        Condition: { StringEquals: { 'events:source': 'oombot.forwarder' } },
      },
    ]);
  });
});
