// Memory-backed volumes and full tmpfs mounts (docs/domain.md §8): named in a limit kill's evidence and advice, and a
// bus error or ENOSPC on /dev/shm recognised as memory trouble that is not a cgroup OOM — by the same recogniser the
// forwarder uses, so it is forwarded.
import { describe, expect, it } from 'vitest';
import { recogniseBusError } from '#shared/bus-error.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { memoryVolumes, shmOf } from '#shared/memory-volumes.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { memoryTerminations } from '#shared/terminations.ts';
import { container, downStatus, node, pod, restartedStatus } from '../support/k8s-factories.ts';

type Volume = NonNullable<Pod['spec']['volumes']>[number];

function withVolumes(p: Pod, volumes: Volume[], mounts: Record<string, { name: string; mountPath: string }[]>): Pod {
  return { ...p, spec: { ...p.spec, volumes, containers: p.spec.containers.map((c) => ({ ...c, volumeMounts: mounts[c.name] ?? [] })) } };
}

const dshm = (sizeLimit?: string): Volume => ({ name: 'dshm', emptyDir: { medium: 'Memory', ...(sizeLimit ? { sizeLimit } : {}) } });

describe('memoryVolumes and shmOf', () => {
  const base = pod({ containers: [container({ name: 'db', limit: '2Gi' }), container({ name: 'exporter', limit: '128Mi' })], statuses: [] });
  const p = withVolumes(base, [dshm('1Gi'), { name: 'scratch', emptyDir: {} }, { name: 'cache', emptyDir: { medium: 'Memory' } }], {
    db: [{ name: 'dshm', mountPath: '/dev/shm' }, { name: 'scratch', mountPath: '/scratch' }],
    exporter: [{ name: 'cache', mountPath: '/cache' }],
  });

  it("lists only the memory-backed emptyDirs the container mounts, with sizeLimit as written", () => {
    expect(memoryVolumes(p, 'db')).toEqual([{ name: 'dshm', mountPath: '/dev/shm', sizeLimitBytes: 2 ** 30, sizeLimitText: '1Gi' }]);
    expect(memoryVolumes(p, 'exporter')).toEqual([{ name: 'cache', mountPath: '/cache' }]);
  });

  it("tells what backs /dev/shm: a memory volume, another volume, or the runtime's 64Mi default", () => {
    expect(shmOf(p, 'db')).toMatchObject({ kind: 'memory-volume', volume: { name: 'dshm' } });
    expect(shmOf(p, 'exporter')).toEqual({ kind: 'runtime-default' });
    const hostShm = withVolumes(base, [{ name: 'host-shm' }], { db: [{ name: 'host-shm', mountPath: '/dev/shm/' }] });
    expect(shmOf(hostShm, 'db')).toEqual({ kind: 'other-volume', name: 'host-shm' });
  });
});

describe('recogniseBusError', () => {
  const t = (exitCode: number, message?: string) => ({ exitCode, reason: 'Error', ...(message ? { message } : {}) });
  it.each([
    ['PostgreSQL cannot grow a segment', t(1, 'ERROR:  could not resize shared memory segment "/PostgreSQL.2058389254" to 12615680 bytes: No space left on device'), [], { how: 'message', path: '/dev/shm' }],
    ['PyTorch DataLoader', t(1, 'ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).'), [], { how: 'message', path: '/dev/shm' }],
    ['ENOSPC on /dev/shm', t(1, "OSError: [Errno 28] No space left on device: '/dev/shm/joblib_memmapping_folder_1/a.pkl'"), [], { how: 'message', path: '/dev/shm' }],
    ['ENOSPC on another memory-backed mount', t(1, 'write /cache/blob-17: No space left on device'), ['/cache'], { how: 'message', path: '/cache' }],
    ['exit 135 alone', t(135), [], { how: 'sigbus', path: '/dev/shm' }],
    ['a shell reporting a bus error', t(135, '/entrypoint.sh: line 12:    41 Bus error               (core dumped) ./render'), [], { how: 'sigbus' }],
  ])('%s', (_name, terminated, mounts, want) => {
    expect(recogniseBusError(terminated, mounts)).toMatchObject(want);
  });

  it('leaves a full disk alone: ENOSPC on a path that is not memory-backed', () => {
    expect(recogniseBusError(t(1, "OSError: [Errno 28] No space left on device: '/var/lib/data/x.parquet'"), ['/cache'])).toBeUndefined();
    expect(recogniseBusError(t(1, 'write /cache-disk/x: No space left on device'), ['/cache'])).toBeUndefined();
    expect(recogniseBusError({ exitCode: 0, reason: 'Completed', message: 'worker 3: Bus error' }, [])).toBeUndefined();
  });
});

describe('bus errors are forwarded, and diagnosed as not an OOM', () => {
  const busPod = (status: object, volumes: Volume[] = [], mounts: { name: string; mountPath: string }[] = []) =>
    withVolumes(pod({ deployment: 'render', containers: [container({ name: 'chrome', limit: '2Gi', request: '1Gi' })], statuses: [status] }), volumes, { chrome: mounts });

  it('the forwarder sees exit 135 as a memory-related termination', () => {
    const p = busPod(restartedStatus('chrome', { reason: 'Error', exitCode: 135 }, 2));
    expect(memoryTerminations(p)).toEqual([expect.objectContaining({ container: 'chrome', busError: { how: 'sigbus', path: '/dev/shm' } })]);
    expect(podOccurrences('prod', p)).toHaveLength(1);
  });

  it('exit 135 alone: a likely full /dev/shm at medium confidence, asking for the log lines', () => {
    const p = busPod(restartedStatus('chrome', { reason: 'Error', exitCode: 135 }, 2));
    p.spec.containers[0]!.terminationMessagePolicy = 'File';
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'not-oom', kind: 'shm-full', confidence: 'medium', termination: { exitCode: 135, signal: 'SIGBUS' } });
    expect(v.headline).toBe('render › chrome hit a bus error: most likely a full /dev/shm, not an OOM kill');
    expect(v.action).toBe("Mount a memory-backed emptyDir at /dev/shm with a sizeLimit (e.g. 256Mi, over the runtime's default 64Mi) and leave room for it in the memory limit (2Gi): its pages count against it.");
    expect(v.missing).toContain("the container's last log lines (terminationMessagePolicy: FallbackToLogsOnError puts them in the termination message)");
    expect(v.recommendation).toBeUndefined();
  });

  it('a full sized /dev/shm volume: raise its sizeLimit and leave room for it in the limit', () => {
    const p = busPod(downStatus('chrome', { reason: 'Error', exitCode: 1, message: 'could not resize shared memory segment "/PostgreSQL.1" to 8388608 bytes: No space left on device' }), [dshm('256Mi')], [{ name: 'dshm', mountPath: '/dev/shm' }]);
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'not-oom', kind: 'shm-full', confidence: 'high' });
    expect(v.evidence).toContain("volume dshm (emptyDir, medium Memory) at /dev/shm, sizeLimit 256Mi: files written there are tmpfs pages charged to this container's memory (its 2Gi limit) and survive restarts");
    expect(v.action).toBe('Raise the sizeLimit of volume dshm (now 256Mi, e.g. to 512Mi) and leave room for it in the memory limit (2Gi): its pages count against it; or write those files to disk.');
  });

  it('an OOM kill stays an OOM kill even when the message mentions shared memory, and names the volume', () => {
    const p = busPod(restartedStatus('chrome', { reason: 'OOMKilled', exitCode: 137 }, 4), [dshm()], [{ name: 'dshm', mountPath: '/dev/shm' }]);
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'limit', kind: 'container-limit', recommendation: { memoryLimit: '2560Mi' } });
    expect(v.action).toMatch(/^Files in memory-backed volume dshm \(\/dev\/shm, no sizeLimit\) count against this limit and survive restarts: give it a sizeLimit or move those files to disk\. If load grew, raise the limit to /);
  });
});
