// The forwarder's Prometheus metrics (forwarder/prometheus.ts), in a registry of its own so tests and local mode can
// run several forwarders in one process.
import { Counter, Gauge, Histogram, Registry, processMetrics } from './prometheus.ts';

export function forwarderMetrics() {
  const registry = new Registry();
  processMetrics(registry, 'oombot_forwarder_');
  const m = {
    registry,
    occurrences: new Counter({ name: 'oombot_occurrences_total', help: 'Occurrences recognised, by kind', labelNames: ['kind'], registers: [registry] }),
    entries: new Counter({ name: 'oombot_putevents_entries_total', help: 'PutEvents entries by result: sent, failed (each failed attempt), retried, abandoned', labelNames: ['result'], registers: [registry] }),
    queueDepth: new Gauge({ name: 'oombot_delivery_queue_depth', help: 'Entries waiting to be delivered (including retries)', registers: [registry] }),
    watchRestarts: new Counter({ name: 'oombot_watch_restarts_total', help: 'Watches restarted, by resource and reason (idle, error)', labelNames: ['resource', 'reason'], registers: [registry] }),
    watchGone: new Counter({ name: 'oombot_watch_gone_total', help: 'Watches expired with 410 Gone (followed by a relist)', labelNames: ['resource'], registers: [registry] }),
    lag: new Histogram({
      name: 'oombot_delivery_lag_seconds',
      help: 'From when an occurrence happened to when its entry was accepted by the sink',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    leader: new Gauge({ name: 'oombot_forwarder_leader', help: '1 while this replica holds the Lease', registers: [registry] }),
    trackedPods: new Gauge({ name: 'oombot_tracked_pods', help: 'Pods the forwarder keeps state for (those with memory trouble)', registers: [registry] }),
    memorySampling: new Gauge({
      name: 'oombot_memory_sampling',
      help: 'Whether the leader keeps containers\' memory from metrics.k8s.io: 1 for the current state (sampling; absent: not served by the cluster; forbidden: not allowed; failing; starting)',
      labelNames: ['state'],
      registers: [registry],
    }),
    memoryPolls: new Counter({ name: 'oombot_memory_polls_total', help: 'Polls of metrics.k8s.io pod metrics, by result: ok, absent (404), forbidden (403), failed', labelNames: ['result'], registers: [registry] }),
    memoryPollCpu: new Counter({ name: 'oombot_memory_poll_cpu_seconds_total', help: 'CPU time (user and system) the process spent while polling metrics.k8s.io', registers: [registry] }),
    memoryWarnCpu: new Counter({ name: 'oombot_memory_warn_cpu_seconds_total', help: 'CPU time (user and system) the process spent after each poll judging the containers near their limits for a warning before the kill', registers: [registry] }),
    memoryPollDuration: new Histogram({ name: 'oombot_memory_poll_duration_seconds', help: 'Wall time of one poll of metrics.k8s.io pod metrics, every page', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [registry] }),
    memoryRings: new Gauge({ name: 'oombot_memory_rings', help: 'Containers whose recent memory is kept (a memory limit, or a death of memory before)', registers: [registry] }),
  };
  return m;
}

export type ForwarderMetrics = ReturnType<typeof forwarderMetrics>;
