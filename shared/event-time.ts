// When an event last happened, apart from the schemas in shared/k8s-objects.ts so that the forwarder, which checks
// Kubernetes objects without zod, loads no schema to read it (docs/architecture.md, "Budgets").
import type { KubeEvent } from './k8s-objects.ts';

/** The time an event last happened: aggregated events carry lastTimestamp, new-style ones eventTime/series. */
export function eventTime(event: KubeEvent): string | undefined {
  return event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? undefined;
}
