// Pods and Events as the forwarder checks them (forwarder/shape.ts): the same fields, types and defaults as PodSchema
// and EventSchema in shared/k8s-objects.ts, which test/unit/forwarder/shapes.test.ts compares them with. A change to
// those schemas is made here too.
import type { KubeEvent, Pod } from '#shared/k8s-objects.ts';
import { check, type Shape } from './shape.ts';

const string: Shape = { type: 'string' };
const number: Shape = { type: 'number' };
const boolean: Shape = { type: 'boolean' };
const optional = (inner: Shape): Shape => ({ type: 'optional', inner });
const nullish = (inner: Shape): Shape => optional({ type: 'nullable', inner });
const array = (element: Shape): Shape => ({ type: 'array', element });
const record = (value: Shape): Shape => ({ type: 'record', value });
const loose = (fields: Record<string, Shape>): Shape => ({ type: 'object', loose: true, fields });
const literal = (value: string): Shape => ({ type: 'literal', values: [value] });
const withDefault = (inner: Shape, value: unknown): Shape => ({ type: 'default', inner, value });

const quantities = optional(record({ type: 'union', options: [string, number] }));
const labels = optional(record(string));
const resources = optional(loose({ limits: quantities, requests: quantities }));

export const OBJECT_META_SHAPE = loose({
  name: optional(string),
  namespace: optional(string),
  uid: optional(string),
  labels,
  annotations: labels,
  creationTimestamp: optional(string),
  deletionTimestamp: optional(string),
  ownerReferences: optional(array(loose({ kind: string, name: string, uid: optional(string), controller: optional(boolean) }))),
});

const CONTAINER_SHAPE = loose({
  name: string,
  image: optional(string),
  command: optional(array(string)),
  args: optional(array(string)),
  env: optional(array(loose({ name: string, value: optional(string) }))),
  resources,
  terminationMessagePolicy: optional(string),
  livenessProbe: optional(loose({ timeoutSeconds: optional(number) })),
  volumeMounts: optional(array(loose({ name: string, mountPath: string }))),
});

const TERMINATED_SHAPE = loose({
  exitCode: number,
  signal: optional(number),
  reason: optional(string),
  message: optional(string),
  startedAt: nullish(string),
  finishedAt: nullish(string),
  containerID: optional(string),
});

const CONTAINER_STATE_SHAPE = optional(loose({ terminated: optional(TERMINATED_SHAPE) }));

const CONTAINER_STATUS_SHAPE = loose({
  name: string,
  restartCount: optional(number),
  state: CONTAINER_STATE_SHAPE,
  lastState: CONTAINER_STATE_SHAPE,
  resources,
});

const CONDITION_SHAPE = loose({
  type: string,
  status: string,
  reason: optional(string),
  message: optional(string),
  lastTransitionTime: nullish(string),
});

export const POD_SHAPE = loose({
  kind: optional(literal('Pod')),
  metadata: OBJECT_META_SHAPE,
  spec: withDefault(
    loose({
      nodeName: optional(string),
      priority: optional(number),
      containers: withDefault(array(CONTAINER_SHAPE), []),
      initContainers: optional(array(CONTAINER_SHAPE)),
      ephemeralContainers: optional(array(CONTAINER_SHAPE)),
      resources,
      volumes: optional(array(loose({ name: string, emptyDir: nullish(loose({ medium: optional(string), sizeLimit: optional({ type: 'union', options: [string, number] }) })) }))),
    }),
    { containers: [] },
  ),
  status: withDefault(
    loose({
      phase: optional(string),
      reason: optional(string),
      message: optional(string),
      qosClass: optional(string),
      conditions: optional(array(CONDITION_SHAPE)),
      containerStatuses: optional(array(CONTAINER_STATUS_SHAPE)),
      initContainerStatuses: optional(array(CONTAINER_STATUS_SHAPE)),
      ephemeralContainerStatuses: optional(array(CONTAINER_STATUS_SHAPE)),
    }),
    {},
  ),
});

export const EVENT_SHAPE = loose({
  kind: optional(literal('Event')),
  metadata: withDefault(OBJECT_META_SHAPE, {}),
  involvedObject: withDefault(
    loose({ kind: optional(string), name: optional(string), namespace: optional(string), uid: optional(string), fieldPath: optional(string) }),
    {},
  ),
  reason: optional(string),
  message: optional(string),
  type: optional(string),
  count: optional(number),
  firstTimestamp: nullish(string),
  lastTimestamp: nullish(string),
  eventTime: nullish(string),
  series: nullish(loose({ count: optional(number), lastObservedTime: optional(string) })),
  source: optional(loose({ component: optional(string), host: optional(string) })),
  reportingComponent: optional(string),
});

/** A pod as PodSchema would parse it, or undefined where PodSchema would fail. */
export function asPod(raw: unknown): Pod | undefined {
  return check<Pod>(POD_SHAPE, raw);
}

/** An event as EventSchema would parse it, or undefined where EventSchema would fail. */
export function asEvent(raw: unknown): KubeEvent | undefined {
  return check<KubeEvent>(EVENT_SHAPE, raw);
}
