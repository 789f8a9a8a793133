// What the forwarder keeps of a pod or event in an envelope: what the diagnosis reads, nothing else. Dropping
// managedFields and last-applied-configuration alone makes a pod several times smaller; environment values are kept
// only for the runtime settings the diagnosis reads (heap flags), because others may hold secrets.
import type { Container, KubeEvent, Pod } from '../shared/k8s-objects.ts';

const RUNTIME_ENV = new Set(['NODE_OPTIONS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'JAVA_OPTS', 'GOMEMLIMIT', 'DOTNET_GCHeapHardLimit', 'DOTNET_GCHeapHardLimitPercent']);
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

function trimContainer(c: Container): Container {
  const env = c.env?.filter((e) => RUNTIME_ENV.has(e.name) && e.value !== undefined).map(({ name, value }) => ({ name, value }));
  return {
    name: c.name,
    ...(c.image ? { image: c.image } : {}),
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(env?.length ? { env } : {}),
    ...(c.resources ? { resources: { ...(c.resources.limits ? { limits: c.resources.limits } : {}), ...(c.resources.requests ? { requests: c.resources.requests } : {}) } } : {}),
    ...(c.terminationMessagePolicy ? { terminationMessagePolicy: c.terminationMessagePolicy } : {}),
    ...(c.livenessProbe?.timeoutSeconds !== undefined ? { livenessProbe: { timeoutSeconds: c.livenessProbe.timeoutSeconds } } : {}),
  };
}

export function trimPod(pod: Pod): Pod {
  const { spec, status } = pod;
  return {
    kind: 'Pod',
    metadata: trimMeta(pod.metadata),
    spec: {
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      containers: spec.containers.map(trimContainer),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(trimContainer) } : {}),
      ...(spec.ephemeralContainers ? { ephemeralContainers: spec.ephemeralContainers.map(trimContainer) } : {}),
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
