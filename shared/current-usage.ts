// What the container and its node use now, from metrics.k8s.io or the kubelet's Summary API, and what the kubelet is
// configured to do (configz). Both describe the present, not the moment of death: Summary and metrics cover only the
// current container instance (docs/domain.md §4), so these are context lines, never the usage at death.
import type { KubeletConfigz, KubeletSummary, PodMetrics, Pod } from './k8s-objects.ts';
import { formatBytes, tryParseQuantity } from './quantity.ts';

export interface CurrentUsage {
  bytes: number;
  source: string;
}

/**
 * `diedAt` (RFC 3339): when the container instance being explained ended. metrics-server serves its last scrape until
 * the next one (docs/domain.md §4, §14), so right after a kill its sample may still be the dead instance's, taken at or
 * before the death: that is not what the container uses now, and is left out.
 */
export function currentContainerUsage(pod: Pod, container: string, metrics: PodMetrics | undefined, summary: KubeletSummary | undefined, diedAt?: string): CurrentUsage | undefined {
  const fromSummary = summary?.pods
    .find((p) => p.podRef.name === pod.metadata.name && p.podRef.namespace === pod.metadata.namespace)
    ?.containers?.find((c) => c.name === container)?.memory?.workingSetBytes;
  if (fromSummary !== undefined) return { bytes: fromSummary, source: 'kubelet Summary API, working set' };
  const sampledAt = metrics?.timestamp ? Date.parse(metrics.timestamp) : NaN;
  const died = diedAt ? Date.parse(diedAt) : NaN;
  if (sampledAt <= died) return undefined;
  const fromMetrics = tryParseQuantity(metrics?.containers.find((c) => c.name === container)?.usage?.['memory']);
  return fromMetrics !== undefined ? { bytes: fromMetrics, source: 'metrics.k8s.io, working set' } : undefined;
}

/** Context lines for the evidence: current use since the restart, the node's available memory, kubelet settings. */
export function contextEvidence(
  container: string,
  usage: CurrentUsage | undefined,
  limitBytes: number | undefined,
  summary: KubeletSummary | undefined,
  configz: KubeletConfigz | undefined,
): string[] {
  const lines: string[] = [];
  if (usage) {
    const share = limitBytes ? ` (${Math.round((usage.bytes / limitBytes) * 100)} % of its limit)` : '';
    lines.push(`container ${container} uses ${formatBytes(usage.bytes)} now${share}, since its last start (${usage.source})`);
  }
  const available = summary?.node.memory?.availableBytes;
  if (available !== undefined) lines.push(`node ${summary!.node.nodeName} has ${formatBytes(available)} available now (kubelet Summary API)`);
  const k = configz?.kubeletconfig;
  if (k?.evictionHard?.['memory.available']) lines.push(`kubelet evicts when memory.available < ${k.evictionHard['memory.available']} (configz)`);
  if (k?.singleProcessOOMKill !== undefined) {
    lines.push(`kubelet singleProcessOOMKill=${k.singleProcessOOMKill}: ${k.singleProcessOOMKill ? 'the OOM killer takes single processes, so PID 1 may outlive a killed child' : 'the whole container is killed together (memory.oom.group)'} (configz)`);
  }
  return lines;
}
