// From an occurrence to the PutEvents entry: the envelope (shared/envelope.ts) as Detail, DetailType per kind, Time =
// when it happened. An entry over the request limit is shrunk, never dropped: first the buffered events go, then the
// long texts (termination messages hold up to 2 KB of log each), then the spec's command lines.
import { DETAIL_TYPES, ENVELOPE_VERSION, EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { KubeEvent, Pod } from '#shared/k8s-objects.ts';
import { INJECTOR_MARKS } from '#shared/injected-sidecar.ts';
import type { Occurrence } from '#shared/occurrences.ts';
import { entrySize, MAX_REQUEST_BYTES, type OutboundEntry } from './delivery.ts';
import { tailOf } from '#shared/clip-text.ts';

export function buildEnvelope(cluster: string, o: Occurrence, pod: Pod | undefined, events: KubeEvent[], observedAt: Date): Envelope {
  const base = {
    version: ENVELOPE_VERSION,
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
  }
}

export function toEntry(envelope: Envelope, source: string, limit = MAX_REQUEST_BYTES): OutboundEntry {
  const make = (e: Envelope): OutboundEntry => ({
    id: e.occurrenceId,
    occurredAtMs: Date.parse(e.occurredAt),
    source,
    detailType: DETAIL_TYPES[e.kind],
    detail: JSON.stringify(EnvelopeSchema.parse(e)),
    time: new Date(e.occurredAt),
  });
  let entry = make(envelope);
  for (const shrink of SHRINKS) {
    if (entrySize(entry) <= limit) return entry;
    envelope = shrink(envelope);
    entry = make(envelope);
  }
  if (entrySize(entry) > limit) throw new Error(`occurrence ${envelope.occurrenceId} does not fit a PutEvents entry even shrunk (${entrySize(entry)} bytes)`);
  return entry;
}

const clip = (text: string | undefined, max: number) => (text && text.length > max ? `…${tailOf(text, max)}` : text);

function mapPod(e: Envelope, f: (pod: Pod) => Pod): Envelope {
  return 'pod' in e ? { ...e, pod: f(e.pod) } : e;
}

const SHRINKS: ((e: Envelope) => Envelope)[] = [
  (e) => ({ ...e, events: [] }),
  (e) =>
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
  (e) => mapPod(e, (pod) => ({ ...pod, spec: { ...pod.spec, containers: pod.spec.containers.map(({ command: _c, args: _a, ...c }) => c) } })),
  // Last resort, always small: the pod's identity, containers' names and resources, and statuses — with what changes
  // whose limit it was: pod-level resources, memory-backed volumes and their mounts, and injectors' marks.
  (e) =>
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
];
