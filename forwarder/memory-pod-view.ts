// What the sampler reads of a pod from the watch, straight from the wire object: every pod passes through here, and
// validating each whole with zod (as occurrences are) would cost more than the sampling itself.
import { tryParseQuantity } from '#shared/quantity.ts';
import type { ContainerSpec, PodSpecView } from './memory-pods.ts';

type Raw = Record<string, unknown>;

const obj = (v: unknown): Raw | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const arr = (v: unknown): Raw[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Raw => !!x) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const memory = (resources: unknown, kind: 'limits' | 'requests'): number | undefined => {
  const bytes = tryParseQuantity(obj(obj(resources)?.[kind])?.['memory'] as string | undefined);
  return bytes !== undefined && bytes > 0 ? bytes : undefined;
};

export function podRef(raw: Raw): { namespace: string; name: string; uid: string | undefined } | undefined {
  const m = obj(raw['metadata']);
  const namespace = str(m?.['namespace']);
  const name = str(m?.['name']);
  return namespace && name ? { namespace, name, uid: str(m?.['uid']) } : undefined;
}

/** A pod that has finished gets no more samples (metrics-server reports Running pods only). */
export function hasFinished(raw: Raw): boolean {
  const phase = obj(raw['status'])?.['phase'];
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * The pod as the sampler keeps it, or undefined for one not on a node yet. Its containers are the regular ones and the
 * sidecars (init containers with `restartPolicy: Always`, which run beside them); the others have ended before it runs.
 */
export function podSpecView(raw: Raw): PodSpecView | undefined {
  const ref = podRef(raw);
  const spec = obj(raw['spec']);
  const node = str(spec?.['nodeName']);
  if (!ref?.uid || !spec || !node) return undefined;
  const status = obj(raw['status']);
  const restarts = new Map<string, number>();
  for (const s of [...arr(status?.['containerStatuses']), ...arr(status?.['initContainerStatuses'])]) {
    const name = str(s['name']);
    if (name) restarts.set(name, typeof s['restartCount'] === 'number' ? s['restartCount'] : 0);
  }
  // A pod-level limit (KEP-2837) bounds every container: each can die of it.
  const podLimitBytes = memory(spec['resources'], 'limits');
  const containers: ContainerSpec[] = [];
  const sidecars = arr(spec['initContainers']).filter((c) => c['restartPolicy'] === 'Always');
  for (const c of [...arr(spec['containers']), ...sidecars]) {
    const name = str(c['name']);
    if (!name) continue;
    const limitBytes = memory(c['resources'], 'limits') ?? podLimitBytes;
    containers.push({
      name,
      requestBytes: memory(c['resources'], 'requests'),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
      restarts: restarts.get(name) ?? 0,
      sampled: limitBytes !== undefined,
    });
  }
  return { namespace: ref.namespace, name: ref.name, uid: ref.uid, node, containers };
}
