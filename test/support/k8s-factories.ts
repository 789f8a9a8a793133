// Small factories for Kubernetes objects as the API server returns them, varied per test by overrides
// (docs/code-style.md: captured shapes plus small factories, not hand-built blobs in every test).
import type { KubeEvent, Node, Pod } from '#shared/k8s-objects.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export const T0 = '2026-11-27T10:14:03Z';
export function at(offsetSeconds: number): string {
  return new Date(Date.parse(T0) + offsetSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export interface ContainerOptions {
  name: string;
  limit?: string;
  request?: string;
  env?: Record<string, string>;
  args?: string[];
  command?: string[];
}

export function container({ name, limit, request, env, args, command }: ContainerOptions) {
  const limits = limit ? { memory: limit } : undefined;
  const requests = request ?? limit ? { memory: request ?? limit! } : undefined;
  return {
    name,
    image: `registry.example/${name}:1.0`,
    resources: { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(env ? { env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) } : {}),
    ...(args ? { args } : {}),
    ...(command ? { command } : {}),
  };
}

export interface TerminatedOptions {
  reason?: string;
  exitCode: number;
  message?: string;
  finishedAt?: string;
}

export function terminated({ reason, exitCode, message, finishedAt = T0 }: TerminatedOptions) {
  return {
    exitCode,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    startedAt: at(-600),
    finishedAt,
    containerID: 'containerd://4f1c2a9e0b7d',
  };
}

/** A container status after a restart: the termination sits in lastState and the container runs again. */
export function restartedStatus(name: string, t: TerminatedOptions, restartCount = 4) {
  return { name, ready: true, restartCount, state: { running: { startedAt: at(5) } }, lastState: { terminated: terminated(t) } };
}

/** A container status while it stays down (CrashLoopBackOff or a finished pod). */
export function downStatus(name: string, t: TerminatedOptions, restartCount = 0) {
  return { name, ready: false, restartCount, state: { terminated: terminated(t) }, lastState: {} };
}

export function runningStatus(name: string) {
  return { name, ready: true, restartCount: 0, state: { running: { startedAt: at(-3600) } }, lastState: {} };
}

export interface PodOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  node?: string;
  containers: ReturnType<typeof container>[];
  initContainers?: ReturnType<typeof container>[];
  statuses: object[];
  initStatuses?: object[];
  deployment?: string;
  /** The uid of the deployment's ReplicaSet (createDeploymentChain's answer, when the chain exists in an API server). */
  rsUid?: string;
  status?: DeepPartial<Pod['status']>;
  metadata?: DeepPartial<Pod['metadata']>;
}

/** The pod-template-hash the factories' Deployment pods and ReplicaSets carry. */
export const TEMPLATE_HASH = '7d9f8b6c5';

export function pod(o: PodOptions): Pod {
  const hash = TEMPLATE_HASH;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? (o.deployment ? `${o.deployment}-${hash}-m4tzr` : 'worker'),
      namespace: o.namespace ?? 'shop',
      uid: o.uid ?? '0b6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c30',
      creationTimestamp: at(-86400),
      ...(o.deployment
        ? {
            labels: { app: o.deployment, 'pod-template-hash': hash },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${o.deployment}-${hash}`, uid: o.rsUid ?? 'rs-uid', controller: true }],
          }
        : {}),
      ...o.metadata,
    },
    spec: {
      nodeName: o.node ?? 'ip-10-0-12-7',
      containers: o.containers,
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
    },
    status: {
      phase: 'Running',
      qosClass: 'Burstable',
      containerStatuses: o.statuses,
      ...(o.initStatuses ? { initContainerStatuses: o.initStatuses } : {}),
      ...o.status,
    },
  } as Pod;
}

export interface NodeOptions {
  name?: string;
  capacity?: string;
  allocatable?: string;
  memoryPressure?: boolean;
  runtime?: string;
}

export function node({ name = 'ip-10-0-12-7', capacity = '16Gi', allocatable = '14Gi', memoryPressure = false, runtime = 'containerd://1.7.27' }: NodeOptions = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: 'node-uid-1' },
    status: {
      capacity: { cpu: '4', memory: capacity, pods: '110' },
      allocatable: { cpu: '3920m', memory: allocatable, pods: '110' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: memoryPressure ? 'True' : 'False',
          reason: memoryPressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
          lastTransitionTime: at(-60),
        },
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
      ],
      nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: 'v1.35.4', kernelVersion: '6.1.0-27-cloud-amd64' },
    },
  } as Node;
}

export interface EventOptions {
  reason: string;
  message: string;
  type?: 'Warning' | 'Normal';
  on?: { kind: 'Pod' | 'Node'; name: string; namespace?: string; uid?: string; fieldPath?: string };
  at?: string;
  firstAt?: string;
  count?: number;
  annotations?: Record<string, string>;
  source?: string;
}

let eventSeq = 0;
export function event(o: EventOptions): KubeEvent {
  eventSeq += 1;
  const target = o.on ?? { kind: 'Node', name: 'ip-10-0-12-7' };
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${target.name}.${eventSeq.toString(16)}`, namespace: target.namespace ?? 'default', uid: `ev-${eventSeq}`, ...(o.annotations ? { annotations: o.annotations } : {}) },
    involvedObject: { apiVersion: 'v1', ...target },
    reason: o.reason,
    message: o.message,
    type: o.type ?? 'Warning',
    count: o.count ?? 1,
    firstTimestamp: o.firstAt ?? o.at ?? T0,
    lastTimestamp: o.at ?? T0,
    // node-problem-detector's kernel monitor writes OOMKilling; the kubelet everything else these tests use.
    source: { component: o.source ?? (o.reason === 'OOMKilling' ? 'kernel-monitor' : 'kubelet'), host: 'ip-10-0-12-7' },
  } as KubeEvent;
}

export function podEvent(p: Pod, o: Omit<EventOptions, 'on'> & { container?: string }): KubeEvent {
  return event({
    ...o,
    on: {
      kind: 'Pod',
      name: p.metadata.name!,
      namespace: p.metadata.namespace!,
      uid: p.metadata.uid!,
      ...(o.container ? { fieldPath: `spec.containers{${o.container}}` } : {}),
    },
  });
}
