// What the forwarder keeps of a pod or event in an envelope: what the diagnosis reads, nothing else. Dropping
// managedFields and last-applied-configuration alone makes a pod several times smaller. Environment variables and
// command lines may hold secrets: only heap settings leave the cluster, and anything that looks like a credential in
// a command line is redacted.
import type { Container, KubeEvent, Pod } from '#shared/k8s-objects.ts';

const RUNTIME_ENV = new Set(['NODE_OPTIONS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'JAVA_OPTS', 'GOMEMLIMIT', 'DOTNET_GCHeapHardLimit', 'DOTNET_GCHeapHardLimitPercent', 'PHP_MEMORY_LIMIT']);
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

type Meta = Pod['metadata'];

function trimMeta(m: Meta): Meta {
  const annotations = m.annotations && Object.fromEntries(Object.entries(m.annotations).filter(([k]) => !DROPPED_ANNOTATIONS.includes(k)));
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    ...(m.labels ? { labels: m.labels } : {}),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
    ...(m.ownerReferences ? { ownerReferences: m.ownerReferences.map(({ kind, name, uid, controller }) => ({ kind, name, ...(uid ? { uid } : {}), ...(controller ? { controller } : {}) })) } : {}),
    ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
  };
}

/**
 * Heap and OOM flags the diagnosis reads (docs/domain.md §5, §8): JVM and V8 heap flags, Redis's `--maxmemory=<size>`
 * (its two-word form passes as two plain words), PHP's `memory_limit=<size>` (`-d memory_limit=…`), and bare sizes
 * (GOMEMLIMIT, PHP_MEMORY_LIMIT). Nothing else of a runtime's options leaves the cluster.
 */
const HEAP_FLAG = /^(-Xm[xs]\d+[kKmMgG]?|-XX:(Max|Initial|Min)RAMPercentage=[\d.]+|-XX:Max(Metaspace|DirectMemory)Size=\d+[kKmMgG]?|-XX:[+-]ExitOnOutOfMemoryError|-XX:[+-]CrashOnOutOfMemoryError|--max[-_]old[-_]space[-_]size[= ]?\d*|--max[-_]semi[-_]space[-_]size[= ]?\d*|--maxmemory=\d+([kKmMgG][bB]?)?|(-d)?memory_limit=-?\d+[kKmMgG]?|\d+([kKmMgG]|B|KiB|MiB|GiB|TiB)?|0x[0-9a-fA-F]+)$/;
const SECRETISH = /pass|secret|token|key|credential|auth|pwd/i;

/** Keeps heap flags only: `-Xmx1g -Dsecret=x` → `-Xmx1g`. */
function heapFlagsOnly(value: string): string {
  return value.split(/\s+/).filter((w) => HEAP_FLAG.test(w)).join(' ');
}

/**
 * Command lines may carry credentials (`--password=...`, `-Ddb.password=...`). Kept: words without `=` that are not
 * the value of a secret-looking flag (the program and paths, which tell whose process a kernel OOM line names), and
 * heap flags; every other word becomes `<redacted>`.
 */
export function redactArgs(words: string[]): string[] {
  return words.map((w, i) => {
    // The value of a secret-looking flag goes whatever it looks like: `--password 12345` would pass as a bare size.
    const previous = words[i - 1] ?? '';
    if (previous.startsWith('-') && SECRETISH.test(previous) && !previous.includes('=')) return '<redacted>';
    if (HEAP_FLAG.test(w)) return w;
    if (w.includes('=') || SECRETISH.test(w)) return '<redacted>';
    return w;
  });
}

function trimContainer(c: Container, memoryVolumes: Set<string>): Container {
  // Mounts of memory-backed volumes, and whatever is mounted at /dev/shm: a memory kill or a bus error reads them.
  const mounts = c.volumeMounts?.filter((m) => memoryVolumes.has(m.name) || m.mountPath.replace(/\/+$/, '') === '/dev/shm').map(({ name, mountPath }) => ({ name, mountPath }));
  const env = c.env
    ?.filter((e) => RUNTIME_ENV.has(e.name) && e.value !== undefined)
    .map(({ name, value }) => ({ name, value: heapFlagsOnly(value!) }))
    .filter((e) => e.value);
  return {
    name: c.name,
    ...(c.image ? { image: c.image } : {}),
    ...(c.command ? { command: redactArgs(c.command) } : {}),
    ...(c.args ? { args: redactArgs(c.args) } : {}),
    ...(env?.length ? { env } : {}),
    ...(c.resources ? { resources: { ...(c.resources.limits ? { limits: c.resources.limits } : {}), ...(c.resources.requests ? { requests: c.resources.requests } : {}) } } : {}),
    ...(c.terminationMessagePolicy ? { terminationMessagePolicy: c.terminationMessagePolicy } : {}),
    ...(c.livenessProbe?.timeoutSeconds !== undefined ? { livenessProbe: { timeoutSeconds: c.livenessProbe.timeoutSeconds } } : {}),
    ...(mounts?.length ? { volumeMounts: mounts } : {}),
  };
}

/**
 * Volumes the diagnosis reads: memory-backed emptyDirs (medium and sizeLimit; docs/domain.md §8), and by name only any
 * other volume a container mounts at /dev/shm. Other volumes (Secrets, ConfigMaps, host paths) stay in the cluster.
 */
function trimVolumes(spec: Pod['spec']): { volumes: NonNullable<Pod['spec']['volumes']>; memory: Set<string> } {
  const memory = new Set((spec.volumes ?? []).filter((v) => v.emptyDir?.medium === 'Memory').map((v) => v.name));
  const shm = new Set(
    [...spec.containers, ...(spec.initContainers ?? [])].flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.mountPath.replace(/\/+$/, '') === '/dev/shm').map((m) => m.name)),
  );
  const volumes = (spec.volumes ?? [])
    .filter((v) => memory.has(v.name) || shm.has(v.name))
    .map((v) =>
      memory.has(v.name) ? { name: v.name, emptyDir: { medium: 'Memory', ...(v.emptyDir?.sizeLimit !== undefined ? { sizeLimit: v.emptyDir.sizeLimit } : {}) } } : { name: v.name },
    );
  return { volumes, memory };
}

export function trimPod(pod: Pod): Pod {
  const { spec, status } = pod;
  const { volumes, memory } = trimVolumes(spec);
  const trim = (c: Container) => trimContainer(c, memory);
  const podResources = spec.resources && { ...(spec.resources.limits ? { limits: spec.resources.limits } : {}), ...(spec.resources.requests ? { requests: spec.resources.requests } : {}) };
  return {
    kind: 'Pod',
    metadata: trimMeta(pod.metadata),
    spec: {
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      // Pod-level resources (KEP-2837) bound every container: the verdict and Raise limit read them.
      ...(podResources && Object.keys(podResources).length ? { resources: podResources } : {}),
      containers: spec.containers.map(trim),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(trim) } : {}),
      ...(spec.ephemeralContainers ? { ephemeralContainers: spec.ephemeralContainers.map(trim) } : {}),
      ...(volumes.length ? { volumes } : {}),
    },
    status: {
      ...(status.phase ? { phase: status.phase } : {}),
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.message ? { message: status.message } : {}),
      ...(status.qosClass ? { qosClass: status.qosClass } : {}),
      ...(status.conditions ? { conditions: status.conditions.map(({ type, status: s, reason, message, lastTransitionTime }) => ({ type, status: s, ...(reason ? { reason } : {}), ...(message ? { message } : {}), ...(lastTransitionTime ? { lastTransitionTime } : {}) })) } : {}),
      ...(status.containerStatuses ? { containerStatuses: status.containerStatuses.map(trimStatus) } : {}),
      ...(status.initContainerStatuses ? { initContainerStatuses: status.initContainerStatuses.map(trimStatus) } : {}),
      ...(status.ephemeralContainerStatuses ? { ephemeralContainerStatuses: status.ephemeralContainerStatuses.map(trimStatus) } : {}),
    },
  };
}

function trimStatus(s: NonNullable<Pod['status']['containerStatuses']>[number]) {
  return {
    name: s.name,
    restartCount: s.restartCount ?? 0,
    ...(s.state ? { state: s.state } : {}),
    ...(s.lastState ? { lastState: s.lastState } : {}),
    ...(s.resources ? { resources: s.resources } : {}),
  };
}

export function trimEvent(e: KubeEvent): KubeEvent {
  const { metadata, involvedObject, reason, message, type, count, firstTimestamp, lastTimestamp, eventTime, series, source, reportingComponent } = e;
  return {
    kind: 'Event',
    metadata: trimMeta(metadata),
    involvedObject,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    ...(type ? { type } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(firstTimestamp ? { firstTimestamp } : {}),
    ...(lastTimestamp ? { lastTimestamp } : {}),
    ...(eventTime ? { eventTime } : {}),
    ...(series ? { series } : {}),
    ...(source ? { source } : {}),
    ...(reportingComponent ? { reportingComponent } : {}),
  };
}
