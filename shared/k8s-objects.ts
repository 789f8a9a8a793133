// The parts of Kubernetes objects the diagnosis reads, as they appear on the wire (`kubectl get -o json`, the REST
// API, a kubelet). Loose on purpose: unknown fields pass through, and every field Kubernetes may omit is optional.
// Times stay strings (RFC 3339), as in JSON; @kubernetes/client-node's model classes turn them into Dates, which is
// why the engine takes wire objects, not client-node models.
import * as z from 'zod';

const quantities = z.record(z.string(), z.union([z.string(), z.number()])).optional();
const labels = z.record(z.string(), z.string()).optional();

export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels,
  annotations: labels,
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  ownerReferences: z
    .array(z.looseObject({ kind: z.string(), name: z.string(), uid: z.string().optional(), controller: z.boolean().optional() }))
    .optional(),
});

export const ContainerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  resources: z.looseObject({ limits: quantities, requests: quantities }).optional(),
  terminationMessagePolicy: z.string().optional(),
  livenessProbe: z.looseObject({ timeoutSeconds: z.number().optional() }).optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).optional(),
});
export type Container = z.infer<typeof ContainerSchema>;

export const TerminatedSchema = z.looseObject({
  exitCode: z.number(),
  signal: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().nullish(),
  finishedAt: z.string().nullish(),
  containerID: z.string().optional(),
});
export type Terminated = z.infer<typeof TerminatedSchema>;

const ContainerStateSchema = z.looseObject({ terminated: TerminatedSchema.optional() }).optional();

export const ContainerStatusSchema = z.looseObject({
  name: z.string(),
  restartCount: z.number().optional(),
  state: ContainerStateSchema,
  lastState: ContainerStateSchema,
  resources: z.looseObject({ limits: quantities, requests: quantities }).optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

const ConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().nullish(),
});

export const PodSchema = z.looseObject({
  kind: z.literal('Pod').optional(),
  metadata: ObjectMetaSchema,
  spec: z
    .looseObject({
      nodeName: z.string().optional(),
      priority: z.number().optional(),
      containers: z.array(ContainerSchema).default([]),
      initContainers: z.array(ContainerSchema).optional(),
      ephemeralContainers: z.array(ContainerSchema).optional(),
      /** Pod-level resources (KEP-2837; beta and on by default since Kubernetes 1.34): they bound all containers. */
      resources: z.looseObject({ limits: quantities, requests: quantities }).optional(),
      /** Volumes; the diagnosis reads memory-backed emptyDirs (tmpfs), which count against memory limits. */
      volumes: z
        .array(z.looseObject({ name: z.string(), emptyDir: z.looseObject({ medium: z.string().optional(), sizeLimit: z.union([z.string(), z.number()]).optional() }).nullish() }))
        .optional(),
    })
    .default({ containers: [] }),
  status: z
    .looseObject({
      phase: z.string().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      qosClass: z.string().optional(),
      conditions: z.array(ConditionSchema).optional(),
      containerStatuses: z.array(ContainerStatusSchema).optional(),
      initContainerStatuses: z.array(ContainerStatusSchema).optional(),
      ephemeralContainerStatuses: z.array(ContainerStatusSchema).optional(),
    })
    .default({}),
});
export type Pod = z.infer<typeof PodSchema>;

/** core/v1 Event; events.k8s.io/v1 objects read through the core API look the same. */
export const EventSchema = z.looseObject({
  kind: z.literal('Event').optional(),
  metadata: ObjectMetaSchema.default({}),
  involvedObject: z
    .looseObject({
      kind: z.string().optional(),
      name: z.string().optional(),
      namespace: z.string().optional(),
      uid: z.string().optional(),
      fieldPath: z.string().optional(),
    })
    .default({}),
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  count: z.number().optional(),
  firstTimestamp: z.string().nullish(),
  lastTimestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
  series: z.looseObject({ count: z.number().optional(), lastObservedTime: z.string().optional() }).nullish(),
  source: z.looseObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  reportingComponent: z.string().optional(),
});
export type KubeEvent = z.infer<typeof EventSchema>;

export const NodeSchema = z.looseObject({
  kind: z.literal('Node').optional(),
  metadata: ObjectMetaSchema,
  status: z
    .looseObject({
      capacity: quantities,
      allocatable: quantities,
      conditions: z.array(ConditionSchema).optional(),
      nodeInfo: z
        .looseObject({
          containerRuntimeVersion: z.string().optional(),
          kubeletVersion: z.string().optional(),
          kernelVersion: z.string().optional(),
        })
        .optional(),
    })
    .default({}),
});
export type Node = z.infer<typeof NodeSchema>;

/** The kubelet Summary API (`/api/v1/nodes/<n>/proxy/stats/summary`), memory parts only. */
const MemoryStatsSchema = z
  .looseObject({
    time: z.string().optional(),
    availableBytes: z.number().optional(),
    usageBytes: z.number().optional(),
    workingSetBytes: z.number().optional(),
    rssBytes: z.number().optional(),
  })
  .optional();
export const KubeletSummarySchema = z.looseObject({
  node: z.looseObject({ nodeName: z.string(), memory: MemoryStatsSchema }),
  pods: z
    .array(
      z.looseObject({
        podRef: z.looseObject({ name: z.string(), namespace: z.string(), uid: z.string().optional() }),
        memory: MemoryStatsSchema,
        containers: z.array(z.looseObject({ name: z.string(), memory: MemoryStatsSchema })).optional(),
      }),
    )
    .default([]),
});
export type KubeletSummary = z.infer<typeof KubeletSummarySchema>;

/** The kubelet's `/configz` response, fields the diagnosis uses. */
export const KubeletConfigzSchema = z.looseObject({
  kubeletconfig: z.looseObject({
    evictionHard: z.record(z.string(), z.string()).optional(),
    kubeReserved: z.record(z.string(), z.string()).optional(),
    systemReserved: z.record(z.string(), z.string()).optional(),
    singleProcessOOMKill: z.boolean().optional(),
  }),
});
export type KubeletConfigz = z.infer<typeof KubeletConfigzSchema>;

/** metrics.k8s.io/v1beta1 PodMetrics. */
export const PodMetricsSchema = z.looseObject({
  kind: z.literal('PodMetrics').optional(),
  metadata: ObjectMetaSchema,
  timestamp: z.string().optional(),
  containers: z.array(z.looseObject({ name: z.string(), usage: quantities })).default([]),
});
export type PodMetrics = z.infer<typeof PodMetricsSchema>;

// Kept apart, without zod, for the forwarder's bundle (docs/architecture.md, "Budgets").
export { eventTime } from './event-time.ts';
