// Memory-backed volumes (docs/domain.md §8). An emptyDir with `medium: Memory` is a tmpfs: its pages are charged to the
// memory cgroup of the process that wrote them, so they count toward the container's (and the pod's) memory limit, and
// they outlive container restarts — a full tmpfs can keep killing a container that itself uses little. Its size is
// the smaller of `sizeLimit` and the sum of the pod's memory limits (core/v1 EmptyDirVolumeSource.sizeLimit).
// `/dev/shm` is the usual case (databases, PyTorch DataLoader workers, Chrome).
import type { Pod } from './k8s-objects.ts';
import { findContainerSpec } from './pod-facts.ts';
import { displayQuantity, formatBytes, MiB, tryParseQuantity } from './quantity.ts';

export const SHM_PATH = '/dev/shm';
/** containerd's and CRI-O's /dev/shm for a pod sandbox when nothing is mounted there: 64Mi (defaultShmSize, shm_size). */
export const RUNTIME_DEFAULT_SHM_BYTES = 64 * MiB;

export interface MemoryVolume {
  name: string;
  mountPath: string;
  sizeLimitBytes?: number;
  /** As the manifest wrote it. */
  sizeLimitText?: string;
}

/** The memory-backed emptyDirs this container mounts, with where it mounts them. */
export function memoryVolumes(pod: Pod, container: string): MemoryVolume[] {
  const volumes = new Map((pod.spec.volumes ?? []).filter((v) => v.emptyDir?.medium === 'Memory').map((v) => [v.name, v.emptyDir!]));
  return (findContainerSpec(pod, container)?.volumeMounts ?? []).flatMap((m) => {
    const emptyDir = volumes.get(m.name);
    if (!emptyDir) return [];
    const bytes = tryParseQuantity(emptyDir.sizeLimit);
    return [{ name: m.name, mountPath: m.mountPath, ...(bytes !== undefined ? { sizeLimitBytes: bytes, sizeLimitText: displayQuantity(emptyDir.sizeLimit, bytes) } : {}) }];
  });
}

/** What backs the container's /dev/shm: a memory-backed emptyDir, another volume, or the runtime's 64Mi default. */
export type Shm = { kind: 'memory-volume'; volume: MemoryVolume } | { kind: 'other-volume'; name: string } | { kind: 'runtime-default' };

export function shmOf(pod: Pod, container: string): Shm {
  const mount = findContainerSpec(pod, container)?.volumeMounts?.find((m) => m.mountPath.replace(/\/+$/, '') === SHM_PATH);
  if (!mount) return { kind: 'runtime-default' };
  const volume = memoryVolumes(pod, container).find((v) => v.name === mount.name);
  return volume ? { kind: 'memory-volume', volume } : { kind: 'other-volume', name: mount.name };
}

/** `volume dshm (emptyDir, medium Memory) at /dev/shm, sizeLimit 1Gi` */
export function describeVolume(v: MemoryVolume): string {
  return `volume ${v.name} (emptyDir, medium Memory) at ${v.mountPath}, ${v.sizeLimitText ? `sizeLimit ${v.sizeLimitText}` : 'no sizeLimit'}`;
}

/** One evidence line per memory-backed volume the container mounts, saying why it matters to a memory kill. */
export function memoryVolumeEvidence(pod: Pod, container: string, limitText: string | undefined): string[] {
  return memoryVolumes(pod, container).map(
    (v) =>
      `${describeVolume(v)}: files written there are tmpfs pages charged to this container's memory${limitText ? ` (its ${limitText} limit)` : ''} and survive restarts${v.sizeLimitText ? '' : '; without a sizeLimit it may grow to the pod\'s memory limit'}`,
  );
}

/** "dshm (/dev/shm, no sizeLimit)", for a sentence. */
export function volumeShort(v: MemoryVolume): string {
  return `${v.name} (${v.mountPath}, ${v.sizeLimitText ? `sizeLimit ${v.sizeLimitText}` : 'no sizeLimit'})`;
}

export function shmSizeText(shm: Shm): string {
  if (shm.kind === 'runtime-default') return `the container runtime's default ${formatBytes(RUNTIME_DEFAULT_SHM_BYTES)}`;
  if (shm.kind === 'other-volume') return `volume ${shm.name}`;
  return shm.volume.sizeLimitText ? `volume ${shm.volume.name}, sizeLimit ${shm.volume.sizeLimitText}` : `volume ${shm.volume.name}, no sizeLimit`;
}
