// The kubelet's eviction message (pod `status.message`, the `Evicted` event, the DisruptionTarget condition).
// Two formats, both in the wild (docs/domain.md §2):
//   since 2022: "The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was
//                using 1800Mi, request is 512Mi, has larger consumption of memory. "
//   before:     "The node was low on resource: memory. Container web was using 1800Mi, which exceeds its request of 512Mi. "
import { tryParseQuantity } from './quantity.ts';

export interface EvictedContainer {
  name: string;
  usageBytes: number | undefined;
  requestBytes: number | undefined;
}

export interface EvictionMessage {
  /** The starved resource: `memory`, `ephemeral-storage`, `pids`, ... */
  resource: string;
  thresholdBytes: number | undefined;
  availableBytes: number | undefined;
  containers: EvictedContainer[];
}

// A quantity followed by the sentence's full stop: quantities may hold a dot themselves ("1.5Gi."), so the stop is the
// dot followed by whitespace or the end.
const Q = String.raw`(\S+?)\.(?:\s|$)`;
const RESOURCE = /The node was low on resource: ([\w.-]+)\./;
const THRESHOLD = new RegExp(String.raw`Threshold quantity: ([^,]+), available: ${Q}`);
const CURRENT = new RegExp(String.raw`Container (\S+) was using ([^,]+), request is ([^,]+), has larger consumption of ${Q}`, 'g');
const OLDER = new RegExp(String.raw`Container (\S+) was using ([^,]+), which exceeds its request of ${Q}`, 'g');

/** Parses a kubelet eviction message; undefined when the text is not one. */
export function parseEvictionMessage(text: string | undefined): EvictionMessage | undefined {
  if (!text) return undefined;
  const resource = RESOURCE.exec(text)?.[1];
  if (!resource) return undefined;
  const threshold = THRESHOLD.exec(text);
  const containers: EvictedContainer[] = [];
  for (const m of text.matchAll(CURRENT)) {
    containers.push({ name: m[1]!, usageBytes: tryParseQuantity(m[2]), requestBytes: tryParseQuantity(m[3]) });
  }
  for (const m of text.matchAll(OLDER)) {
    containers.push({ name: m[1]!, usageBytes: tryParseQuantity(m[2]), requestBytes: tryParseQuantity(m[3]) });
  }
  return {
    resource,
    thresholdBytes: tryParseQuantity(threshold?.[1]),
    availableBytes: tryParseQuantity(threshold?.[2]),
    containers,
  };
}

/**
 * The Evicted event's own annotations (`offending_containers`, `offending_containers_usage`, `starved_resource`),
 * comma-separated; used when the message was truncated or reworded.
 */
export function evictionFromEventAnnotations(annotations: Record<string, string> | undefined): EvictionMessage | undefined {
  const resource = annotations?.['starved_resource'];
  if (!resource) return undefined;
  const names = (annotations['offending_containers'] ?? '').split(',').filter(Boolean);
  const usages = (annotations['offending_containers_usage'] ?? '').split(',');
  return {
    resource,
    thresholdBytes: undefined,
    availableBytes: undefined,
    containers: names.map((name, i) => ({ name, usageBytes: tryParseQuantity(usages[i]), requestBytes: undefined })),
  };
}

/** `Pod was rejected: The node had condition: [MemoryPressure].` — the pod never ran. */
export function isMemoryPressureRejection(text: string | undefined): boolean {
  return !!text && /node had condition: \[[^\]]*MemoryPressure/.test(text);
}

/**
 * An eviction for the pod's own ephemeral-storage limits, not node pressure: the kubelet's local-storage limit checks
 * (pkg/kubelet/eviction/eviction_manager.go: podEphemeralStorageMessageFmt, containerEphemeralStorageMessageFmt,
 * emptyDirMessageFmt), which write no "The node was low on resource" and no threshold:
 *   "Pod ephemeral local storage usage exceeds the total limit of containers 3Gi. "
 *   "Container app exceeded its local ephemeral storage limit "1Gi". "
 *   "Usage of EmptyDir volume "data" exceeds the limit "1Gi". "
 */
export type StorageLimitEviction =
  | { scope: 'pod'; limit: string }
  | { scope: 'container'; limit: string; container: string }
  | { scope: 'emptyDir'; limit: string; volume: string };

export function parseStorageLimitEviction(text: string | undefined): StorageLimitEviction | undefined {
  if (!text) return undefined;
  const pod = new RegExp(String.raw`Pod ephemeral local storage usage exceeds the total limit of containers ${Q}`).exec(text);
  if (pod) return { scope: 'pod', limit: pod[1]! };
  const container = /Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"/.exec(text);
  if (container) return { scope: 'container', limit: container[2]!, container: container[1]! };
  const emptyDir = /Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"/.exec(text);
  if (emptyDir) return { scope: 'emptyDir', limit: emptyDir[2]!, volume: emptyDir[1]! };
  return undefined;
}

/** The node conditions in a kubelet admission rejection: `Pod was rejected: The node had condition: [DiskPressure]. ` */
export function rejectionConditions(text: string | undefined): string[] | undefined {
  const list = /node had condition: \[([^\]]*)\]/.exec(text ?? '')?.[1];
  return list === undefined ? undefined : list.split(/[\s,]+/).filter(Boolean);
}
