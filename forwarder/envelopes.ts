// From an occurrence to the PutEvents entry: the envelope (shared/envelope.ts) as Detail, DetailType per kind, Time =
// when it happened. An entry over the request limit is shrunk, never dropped: first the buffered events go, then the
// long texts (termination messages hold up to 2 KB of log each), then the memory curve's resolution, then the spec's
// command lines, then all but the pod's identity, then the memory part (forwarder/memory-trim.ts).
import type { Envelope, OccurrenceMemory } from '#shared/envelope.ts';
import { DETAIL_TYPES, ENVELOPE_VERSION, ENVELOPE_VERSION_WITH_MEMORY } from '#shared/envelope-constants.ts';
import type { KubeEvent, Pod } from '#shared/k8s-objects.ts';
import { INJECTOR_MARKS } from '#shared/injected-sidecar.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { entrySize, MAX_REQUEST_BYTES, type OutboundEntry } from './delivery.ts';
import { dropOldestSamples, dropSmallestTopUser, thinSeries } from './memory-trim.ts';
import { tailOf } from '#shared/clip-text.ts';

/** `memory`: what the sampler kept before the death; with it the envelope is version 2, without it version 1. */
export function buildEnvelope(cluster: string, o: Occurrence, pod: Pod | undefined, events: KubeEvent[], observedAt: Date, memory?: OccurrenceMemory): Envelope {
  const base = {
    ...(memory ? { version: ENVELOPE_VERSION_WITH_MEMORY as 2, memory } : { version: ENVELOPE_VERSION as 1 }),
    occurrenceId: o.occurrenceId,
    cluster,
    occurredAt: o.occurredAt,
    observedAt: observedAt.toISOString(),
    ...(o.node ? { node: o.node } : {}),
    events,
  } as const;
  const withPod = () => {
    if (!pod) throw new Error(`occurrence ${o.occurrenceId} (${o.kind}) reached the envelope without its pod`);
    return pod;
  };
  switch (o.kind) {
    case 'container-termination':
      return { ...base, kind: o.kind, pod: withPod(), container: o.container, terminationIndex: o.terminationIndex };
    case 'pod-eviction':
      return { ...base, kind: o.kind, pod: withPod() };
    case 'node-oom':
      return { ...base, kind: o.kind, event: o.event };
    case 'memory-warning':
      return { ...base, kind: o.kind, pod: withPod(), container: o.container, warning: o.warning };
  }
}

export function toEntry(envelope: Envelope, source: string, limit = MAX_REQUEST_BYTES): OutboundEntry {
  const make = (e: Envelope): OutboundEntry => ({
    id: e.occurrenceId,
    occurredAtMs: Date.parse(e.occurredAt),
    source,
    detailType: DETAIL_TYPES[e.kind],
    // Not parsed again with EnvelopeSchema: that would load zod (docs/architecture.md, "Budgets"). The envelope is
    // typed, and built from objects checked as the schema checks them (forwarder/kube-shapes.ts); the backend parses
    // it on receipt, and test/unit/forwarder/envelopes.test.ts parses what this writes.
    detail: JSON.stringify(e),
    time: new Date(e.occurredAt),
  });
  let entry = make(envelope);
  for (const { shrink, repeat } of SHRINKS) {
    while (entrySize(entry) > limit) {
      const smaller = shrink(envelope);
      if (!smaller) break;
      envelope = smaller;
      entry = make(envelope);
      if (!repeat) break;
    }
  }
  if (entrySize(entry) > limit) throw new Error(`occurrence ${envelope.occurrenceId} does not fit a PutEvents entry even shrunk (${entrySize(entry)} bytes)`);
  return entry;
}

const clip = (text: string | undefined, max: number) => (text && text.length > max ? `…${tailOf(text, max)}` : text);

function mapPod(e: Envelope, f: (pod: Pod) => Pod): Envelope {
  return 'pod' in e ? { ...e, pod: f(e.pod) } : e;
}

/** Each step once, or (`repeat`) again while the entry is still too big and the step has something left to take. */
const SHRINKS: { shrink: (e: Envelope) => Envelope | undefined; repeat?: boolean }[] = [
  { shrink: (e) => ({ ...e, events: [] }) },
  {
    shrink: (e) =>
      mapPod(e, (pod) => {
        type Status = NonNullable<Pod['status']['containerStatuses']>[number];
        type State = Status['state'];
        const t = (x: State): State => (x?.terminated ? { ...x, terminated: { ...x.terminated, message: clip(x.terminated.message, 512) } } : x);
        const clipStatus = (s: Status): Status => ({ ...s, state: t(s.state), lastState: t(s.lastState) });
        return {
          ...pod,
          status: {
            ...pod.status,
            message: clip(pod.status.message, 1024),
            containerStatuses: pod.status.containerStatuses?.map(clipStatus),
            initContainerStatuses: pod.status.initContainerStatuses?.map(clipStatus),
          },
        };
      }),
  },
  // The curve at half its resolution each time, until it holds MIN_THINNED_SAMPLES or fewer: its shape and peak survive.
  { shrink: thinSeries, repeat: true },
  { shrink: (e) => mapPod(e, (pod) => ({ ...pod, spec: { ...pod.spec, containers: pod.spec.containers.map(({ command: _c, args: _a, ...c }) => c) } })) },
  // Always small: the pod's identity, containers' names and resources, and statuses — with what changes whose limit it
  // was: pod-level resources, memory-backed volumes and their mounts, and injectors' marks.
  {
    shrink: (e) =>
      mapPod(e, (pod) => {
        const marks = Object.entries(pod.metadata.annotations ?? {}).filter(([k]) => INJECTOR_MARKS.includes(k));
        return {
          kind: 'Pod',
          metadata: {
            name: pod.metadata.name,
            namespace: pod.metadata.namespace,
            uid: pod.metadata.uid,
            ...(pod.metadata.ownerReferences ? { ownerReferences: pod.metadata.ownerReferences } : {}),
            ...(marks.length ? { annotations: Object.fromEntries(marks) } : {}),
          },
          spec: {
            ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
            ...(pod.spec.resources ? { resources: pod.spec.resources } : {}),
            containers: pod.spec.containers.map((c) => ({ name: c.name, ...(c.resources ? { resources: c.resources } : {}), ...(c.volumeMounts ? { volumeMounts: c.volumeMounts } : {}) })),
            ...(pod.spec.volumes ? { volumes: pod.spec.volumes } : {}),
          },
          status: { ...pod.status, message: clip(pod.status.message, 256), conditions: pod.status.conditions?.map((c) => ({ ...c, message: clip(c.message, 256) })) },
        };
      }),
  },
  // Last resort, the memory: the node's smaller top users one by one, then the curve's older half at a time, then
  // nothing (back to version 1). What happened always travels; what came before it only if it fits.
  { shrink: dropSmallestTopUser, repeat: true },
  { shrink: dropOldestSamples, repeat: true },
];
