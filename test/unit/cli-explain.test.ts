// `oombot explain --from-file`: the offline half of the CLI contract (docs/architecture.md), from kubectl-shaped dumps.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { VerdictSchema } from '#shared/verdict.ts';
import { runCli } from '../support/run-cli.ts';

const fixture = (name: string) => path.join(import.meta.dirname, '../fixtures/kubectl', `${name}.json`);
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'oombot-cli-'));
});

describe('oombot explain --from-file', () => {
  it.each([
    ['limit-oom', 'shop/checkout-7d9f8b6c5-m4tzr', { cause: 'limit', kind: 'container-limit', container: 'api', confidence: 'high' }],
    ['eviction', 'shop/web-5c7d8f6b9-m4tzr', { cause: 'node-pressure', kind: 'eviction', container: 'web' }],
    ['node-heap', 'api/graphql-gateway-7d9f8b6c5-m4tzr', { cause: 'runtime', kind: 'node-heap', container: 'gateway' }],
    ['liveness-probe', 'users/profile-7d9f8b6c5-m4tzr', { cause: 'not-oom', kind: 'liveness-probe', container: 'app' }],
    ['node-oom', 'analytics/reports-28473-x7kq2', { cause: 'node-pressure', kind: 'node-oom', container: 'reports' }],
  ])('%s: prints the verdict as JSON', async (name, ref, want) => {
    const { code, stdout, stderr } = await runCli('explain', ref, '--from-file', fixture(name), '--output', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const verdict = VerdictSchema.parse(JSON.parse(stdout));
    expect(verdict).toMatchObject(want);
    expect(verdict.summary).not.toBe('');
    expect(verdict.evidence.length).toBeGreaterThan(1);
  });

  it('gives a limit verdict a larger recommendation.memoryLimit', async () => {
    const { stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '--from-file', fixture('limit-oom'), '--output', 'json');
    expect(JSON.parse(stdout).recommendation).toMatchObject({ memoryLimit: '640Mi', capped: false });
  });

  it('prints aligned text without colour when not on a TTY', async () => {
    const { code, stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', fixture('limit-oom'));
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b[');
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'LIMIT  checkout › api was OOMKilled at its 512Mi memory limit',
      'The container used all the memory it is allowed; the node was fine (14Gi allocatable, no MemoryPressure).',
    ]);
    expect(stdout).toContain('  recommend  memory limit 640Mi — +25 % over the 512Mi limit it died at');
    expect(stdout).toMatch(/\nEvidence\n {2}• container api: lastState.terminated reason OOMKilled, exit 137 \(SIGKILL\)/);
  });

  it('does not take the owner a pod names when the files hold that owner and it does not own the pod', async () => {
    const list = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(fixture('limit-oom'), 'utf8')));
    const pod = list.items[0];
    const ref = pod.metadata.ownerReferences[0];
    const impostor = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: ref.name, namespace: 'shop', uid: 'not-the-reference-uid', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', uid: 'd', controller: true }] }, spec: { selector: { matchLabels: pod.metadata.labels } } };
    const file = path.join(scratch, 'impostor.json');
    await writeFile(file, JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [...list.items, impostor] }));
    const { code, stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '--from-file', file, '-o', 'json');
    expect(code).toBe(0);
    const verdict = JSON.parse(stdout);
    expect(verdict.workload).toBeUndefined();
    expect(verdict.missing).toContainEqual(expect.stringMatching(new RegExp(`^the owner ReplicaSet/${ref.name} the pod names: exists with another uid`)));
  });

  it('reads a pod, its events and its node from separate files', async () => {
    const list = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(fixture('limit-oom'), 'utf8')));
    const files = await Promise.all(
      [list.items[0], { kind: 'EventList', apiVersion: 'v1', items: list.items.slice(2) }, list.items[1]].map(async (obj, i) => {
        const file = path.join(scratch, `part-${i}.json`);
        await writeFile(file, JSON.stringify(obj));
        return file;
      }),
    );
    const { code, stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', ...files.flatMap((f) => ['--from-file', f]), '-o', 'json');
    expect(code).toBe(0);
    // What was not seen twice over: as sentences (`missing`, the contract of old) and as data (`unseen`).
    expect(JSON.parse(stdout)).toMatchObject({
      cause: 'limit',
      confidence: 'high',
      missing: [
        'other pods on node ip-10-0-12-7 (to size what the node can give): not in the input files (add kubectl get pods -A --field-selector spec.nodeName=ip-10-0-12-7 -o json)',
        'kubelet stats (Summary API): not in the input files',
      ],
      unseen: [
        { source: 'node-pods', reason: 'not-in-input', detail: 'add kubectl get pods -A --field-selector spec.nodeName=ip-10-0-12-7 -o json' },
        { source: 'kubelet-summary', reason: 'not-in-input' },
      ],
    });
    // Without the node's other pods it does not claim the node is empty.
    expect(JSON.parse(stdout).recommendation.rationale).toBe(
      "+25 % over the 512Mi limit it died at (VPA adds 20 % or 100Mi after an OOM, krr 25 %); fits node ip-10-0-12-7's 14Gi allocatable (other pods' requests not seen)",
    );
  });

  it('says what it could not see when the dump holds only the pod', async () => {
    const list = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(fixture('limit-oom'), 'utf8')));
    const file = path.join(scratch, 'pod-only.json');
    await writeFile(file, JSON.stringify(list.items[0]));
    const { stdout } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', file, '-o', 'json');
    const verdict = JSON.parse(stdout);
    expect(verdict.confidence).toBe('medium');
    expect(verdict.missing).toContain('events: not in the input files (add kubectl get events -n shop -o json)');
    expect(verdict.unseen).toContainEqual({ source: 'events', reason: 'not-in-input', detail: 'add kubectl get events -n shop -o json' });
    // The files' reason for events replaces the engine's "events of the pod and its node".
    expect(verdict.unseen).not.toContainEqual({ source: 'events', reason: 'not-given' });
    expect(verdict.missing).not.toContain('events of the pod and its node');
  });
});

describe('oombot explain: bad input gets one line and an exit code', () => {
  const cases: [string, () => Promise<string[]>, number, RegExp][] = [
    ['no pod given', async () => ['explain'], 2, /^oombot: which pod\? give <namespace>\/<pod>\n/],
    ['an unknown flag', async () => ['explain', 'a/b', '--bogus'], 2, /^oombot: Unknown option '--bogus'/],
    ['a bad --output', async () => ['explain', 'a/b', '-f', fixture('limit-oom'), '-o', 'yaml'], 2, /^oombot: --output must be text or json, not "yaml"\n/],
    ['a missing file', async () => ['explain', 'a/b', '-f', path.join(scratch, 'nope.json')], 2, /^oombot: cannot read .*nope\.json: no such file\n$/],
    [
      'a file that is not JSON',
      async () => {
        const f = path.join(scratch, 'bad.json');
        await writeFile(f, 'apiVersion: v1\nkind: Pod\n');
        return ['explain', 'a/b', '-f', f];
      },
      2,
      /^oombot: .*bad\.json is not JSON \(.*\); write it with kubectl get \.\.\. -o json\n$/,
    ],
    [
      'JSON that is no Kubernetes object',
      async () => {
        const f = path.join(scratch, 'other.json');
        await writeFile(f, '{"hello": "world"}');
        return ['explain', 'a/b', '-f', f];
      },
      2,
      /holds no Kubernetes object oombot reads/,
    ],
    ['a pod not in the input', async () => ['explain', 'shop/nope', '-f', fixture('limit-oom')], 3, /^oombot: pod shop\/nope not found in the input files \(pods there: shop\/checkout-7d9f8b6c5-m4tzr\)\n$/],
    ['a container not in the pod', async () => ['explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', fixture('limit-oom'), '--container', 'nope'], 3, /^oombot: container "nope" not found in pod shop\/checkout-7d9f8b6c5-m4tzr; it has: api\n$/],
    ['an unknown command', async () => ['explode'], 2, /^oombot: unknown command "explode"; commands: explain, forwarder, sandbox, start\n$/],
  ];
  it.each(cases)('%s', async (_name, args, exitCode, message) => {
    const { code, stdout, stderr } = await runCli(...(await args()));
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a pod with no memory-related termination: exit 3 and says so', async () => {
    const list = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(fixture('limit-oom'), 'utf8')));
    const pod = list.items[0];
    pod.status.containerStatuses[0].lastState = {};
    const f = path.join(scratch, 'healthy.json');
    await writeFile(f, JSON.stringify(pod));
    const { code, stderr } = await runCli('explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', f);
    expect(code).toBe(3);
    expect(stderr).toBe('oombot: no memory-related termination found in pod shop/checkout-7d9f8b6c5-m4tzr: api has not terminated\n');
  });
});

describe('the oombot bin', () => {
  it('runs from the package with npx-style invocation and exits with the command’s code', async () => {
    const bin = path.join(import.meta.dirname, '../../bin/oombot.js');
    const run = promisify(execFile);
    const ok = await run(process.execPath, [bin, 'explain', 'shop/checkout-7d9f8b6c5-m4tzr', '-f', fixture('limit-oom'), '-o', 'json']);
    expect(JSON.parse(ok.stdout).cause).toBe('limit');
    await expect(run(process.execPath, [bin, 'explain', 'shop/nope', '-f', fixture('limit-oom')])).rejects.toMatchObject({ code: 3, stderr: expect.stringMatching(/^oombot: pod shop\/nope not found/) });
  });
});
