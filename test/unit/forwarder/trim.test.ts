// What the forwarder keeps of a pod must be what the diagnosis reads (docs/domain.md §8): memory-backed volumes and
// their mounts, pod-level resources, the memory settings on command lines, injectors' marks — and nothing secret.
import { describe, expect, it } from 'vitest';
import { entrySize } from '../../../forwarder/delivery.ts';
import { buildEnvelope, toEntry } from '../../../forwarder/envelopes.ts';
import { redactArgs, trimPod } from '../../../forwarder/trim.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { container, node, pod, restartedStatus } from '../../support/k8s-factories.ts';

const ISTIO_STATUS = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"revision":"default"}';

function full(): Pod {
  const p = pod({
    deployment: 'cache',
    containers: [
      { ...container({ name: 'redis', limit: '2Gi', command: ['redis-server'], args: ['--maxmemory', '2gb', '--requirepass', '12345', '--maxmemory-policy', 'allkeys-lru'] }), image: 'redis:7.2' },
      { ...container({ name: 'php', env: { PHP_MEMORY_LIMIT: '512M', DB_PASSWORD: 'hunter2' }, command: ['php', '-d', 'memory_limit=256M', 'worker.php', '--token=abc'] }) },
      container({ name: 'istio-proxy', limit: '256Mi' }),
    ],
    statuses: [restartedStatus('redis', { reason: 'OOMKilled', exitCode: 137 }, 2)],
    metadata: { annotations: { 'sidecar.istio.io/status': ISTIO_STATUS } },
  });
  p.spec.resources = { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } };
  p.spec.volumes = [
    { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } },
    { name: 'host-shm', hostPath: { path: '/dev/shm' } } as never,
    { name: 'creds', secret: { secretName: 'db-creds' } } as never,
    { name: 'scratch', emptyDir: {} },
  ];
  p.spec.containers[0]!.volumeMounts = [{ name: 'dshm', mountPath: '/data/tmpfs' }, { name: 'creds', mountPath: '/etc/creds' }, { name: 'scratch', mountPath: '/scratch' }];
  p.spec.containers[1]!.volumeMounts = [{ name: 'host-shm', mountPath: '/dev/shm' }];
  return p;
}

describe('trimPod', () => {
  const trimmed = trimPod(full());

  it('keeps memory-backed emptyDirs with their sizeLimit and mounts, and by name only another volume at /dev/shm', () => {
    expect(trimmed.spec.volumes).toEqual([{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } }, { name: 'host-shm' }]);
    expect(trimmed.spec.containers[0]!.volumeMounts).toEqual([{ name: 'dshm', mountPath: '/data/tmpfs' }]);
    expect(trimmed.spec.containers[1]!.volumeMounts).toEqual([{ name: 'host-shm', mountPath: '/dev/shm' }]);
    expect(JSON.stringify(trimmed)).not.toContain('db-creds');
  });

  it('keeps pod-level resources', () => {
    expect(trimmed.spec.resources).toEqual({ limits: { memory: '3Gi' }, requests: { memory: '2Gi' } });
  });

  it("keeps Redis's maxmemory and PHP's memory_limit, and redacts the secret-looking values next to them", () => {
    // "allkeys-lru" goes too: it looks like a key. Redaction errs on the safe side; the diagnosis does not read it.
    expect(trimmed.spec.containers[0]!.args).toEqual(['--maxmemory', '2gb', '<redacted>', '<redacted>', '--maxmemory-policy', '<redacted>']);
    expect(trimmed.spec.containers[1]!.command).toEqual(['php', '-d', 'memory_limit=256M', 'worker.php', '<redacted>']);
    expect(trimmed.spec.containers[1]!.env).toEqual([{ name: 'PHP_MEMORY_LIMIT', value: '512M' }]);
    expect(JSON.stringify(trimmed)).not.toMatch(/hunter2|12345|abc/);
  });

  it('the trimmed pod diagnoses as the full one does', () => {
    const pick = (p: Pod) => {
      const v = diagnose({ pod: p, node: node(), events: [] });
      return { kind: v.kind, memory: v.memory, recommendation: v.recommendation, evidence: v.evidence, action: v.action };
    };
    expect(pick(trimmed)).toEqual(pick(full()));
  });
});

describe('redactArgs', () => {
  it('keeps --maxmemory in either form, and never a bare number after a secret-looking flag', () => {
    expect(redactArgs(['--maxmemory=1536mb', '--port', '6379', '--password', '12345', '--auth-token', '777k'])).toEqual(['--maxmemory=1536mb', '--port', '6379', '<redacted>', '<redacted>', '<redacted>', '<redacted>']);
  });
});

describe("the envelope's last-resort shrink", () => {
  it('still carries pod-level resources, memory-backed volumes and their mounts, and the injector marks', () => {
    const p = full();
    p.metadata.annotations = { ...p.metadata.annotations, big: 'z'.repeat(300_000) };
    const o = podOccurrences('prod', p)[0]!;
    const entry = toEntry(buildEnvelope('prod', o, trimPod(p), [], new Date()), 's');
    expect(entrySize(entry)).toBeLessThan(256 * 1024);
    const shrunk = JSON.parse(entry.detail).pod as Pod;
    expect(shrunk.metadata.annotations).toEqual({ 'sidecar.istio.io/status': ISTIO_STATUS });
    expect(shrunk.spec.resources).toEqual({ limits: { memory: '3Gi' }, requests: { memory: '2Gi' } });
    expect(shrunk.spec.volumes).toEqual([{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } }, { name: 'host-shm' }]);
    expect(shrunk.spec.containers[0]!.volumeMounts).toEqual([{ name: 'dshm', mountPath: '/data/tmpfs' }]);
  });
});
