// The diagnosis result: a closed vocabulary (docs/code-style.md: causes, kinds and confidence are enums, never free
// text) that the CLI prints, the alert renders and the store keeps. The JSON contract in docs/architecture.md reads
// from this schema.
import * as z from 'zod';
import { CurveSchema } from './memory-curve.ts';
import { EncodedSeriesSchema } from './memory-series.ts';
import { UnseenEntrySchema } from './unseen.ts';

/** The language runtimes shared/runtime-oom.ts recognises by their dying words. */
export const RuntimeSchema = z.enum(['jvm', 'node', 'dotnet', 'go', 'python', 'php', 'rust']);

export const CauseSchema = z.enum(['limit', 'node-pressure', 'runtime', 'not-oom', 'unknown']);
export type Cause = z.infer<typeof CauseSchema>;

export const KindSchema = z.enum([
  // limit
  'container-limit', // the container reached its own memory limit
  'child-process', // a child process was OOM-killed at the limit while PID 1 lived on and exited later
  'pod-limit', // the pod-level memory limit (spec.resources, KEP-2837), which bounds all its containers, ran out
  'injected-sidecar', // a sidecar a webhook injected (istio-proxy, linkerd-proxy) hit the limit its injector set
  // node-pressure
  'eviction', // the kubelet evicted the pod because the node ran low on memory
  'admission-rejected', // the kubelet refused the pod because the node had MemoryPressure
  'node-oom', // the kernel's node-wide OOM killer picked it
  'kubepods-oom', // a parent cgroup (kubepods or the pod) ran out, not the container's own limit
  // runtime
  'jvm-heap',
  'node-heap',
  'dotnet-heap',
  'go-heap',
  'python-heap',
  'php-heap', // PHP's memory_limit
  'rust-alloc', // Rust's allocator got no memory for one allocation and aborted
  // not-oom
  'liveness-probe', // SIGKILL after a failed liveness or startup probe
  'external-kill', // deletion, grace-period timeout, preemption or an API eviction
  'status-unknown', // the kubelet's synthetic ContainerStatusUnknown/137: no signal at all
  'other-eviction', // evicted for disk, inodes or PIDs, not memory
  'storage-limit', // evicted for its own ephemeral-storage limit (pod, container or emptyDir sizeLimit), not memory
  'node-shutdown', // stopped, or refused, by the kubelet for a graceful node shutdown
  'not-admitted', // refused at the kubelet's admission (node allocatable could not fit it, a node condition, a device): it never ran
  'thread-limit', // a thread could not start (PID/thread limit), though the runtime words it as OutOfMemoryError
  'shm-full', // /dev/shm or another memory-backed tmpfs was full: SIGBUS or ENOSPC, not a cgroup OOM
  // unknown
  'unexplained-sigkill',
]);
export type Kind = z.infer<typeof KindSchema>;

export const ConfidenceSchema = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof ConfidenceSchema>;

export const ContainerTypeSchema = z.enum(['container', 'init', 'ephemeral']);

export const RecommendationSchema = z.object({
  /** The new memory limit, a Kubernetes quantity (for `limit`, and where raising it is part of the fix). */
  memoryLimit: z.string().optional(),
  memoryLimitBytes: z.number().optional(),
  /** The new memory request, when the fix is a realistic request (evictions). */
  memoryRequest: z.string().optional(),
  memoryRequestBytes: z.number().optional(),
  /** The runtime setting to change, sized to the container's limit. */
  runtimeSetting: z.object({ name: z.string(), value: z.string() }).optional(),
  /** True when the node could not give more and the value was capped. */
  capped: z.boolean(),
  /** One clause of rationale: "+25 % over the limit it died at; fits the node". */
  rationale: z.string(),
});
export type Recommendation = z.infer<typeof RecommendationSchema>;

export const VerdictSchema = z.object({
  version: z.literal(1),
  cause: CauseSchema,
  kind: KindSchema,
  confidence: ConfidenceSchema,
  pod: z.object({ namespace: z.string(), name: z.string(), uid: z.string().optional() }),
  container: z.string().nullable(),
  containerType: ContainerTypeSchema,
  workload: z.object({ kind: z.string(), name: z.string() }).optional(),
  node: z.string().optional(),
  runtime: RuntimeSchema.optional(),
  termination: z
    .object({
      reason: z.string().optional(),
      exitCode: z.number(),
      signal: z.string().optional(),
      finishedAt: z.string().optional(),
      restartCount: z.number(),
      message: z.string().optional(),
    })
    .optional(),
  memory: z.object({
    limit: z.string().optional(),
    request: z.string().optional(),
    /** `pod`: `limit` is the pod-level one, which bounds this container (it has none of its own). */
    limitScope: z.enum(['container', 'pod']).optional(),
    /** The pod-level memory limit and request (spec.resources), when the pod sets them. */
    podLimit: z.string().optional(),
    podRequest: z.string().optional(),
    /** Memory use at death or eviction, where something recorded it, and what recorded it. */
    usage: z.string().optional(),
    usageSource: z.string().optional(),
    qosClass: z.string().optional(),
    /** For people ("14Gi", rounded to one decimal); what caps a raise is `nodeAllocatableBytes`. */
    nodeAllocatable: z.string().optional(),
    /**
     * The node's allocatable memory, exact, in bytes: the Raise button caps a new value by it.
     * Optional: incidents stored before it existed lack it.
     */
    nodeAllocatableBytes: z.number().optional(),
    nodeCapacity: z.string().optional(),
  }),
  /** The header: the cause in plain words, then the object; under 150 characters. */
  headline: z.string().max(150),
  /** One sentence an on-call engineer understands: what happened and whose problem it is. */
  summary: z.string(),
  /** What to do, specific to the cause. */
  action: z.string(),
  evidence: z.array(z.string()),
  /** What could not be seen, as sentences: `unseen` rendered by shared/unseen.ts, kept for readers of the JSON. */
  missing: z.array(z.string()),
  /**
   * What could not be seen, as data: the source, why, and the words that go with it. Optional: incidents stored
   * before it existed lack it. An entry this version cannot read (a source a newer one added) drops the list, not the
   * verdict: `missing` still says it in words (shared/unseen.ts `notSeen`).
   */
  unseen: z.array(UnseenEntrySchema).optional().catch(undefined),
  recommendation: RecommendationSchema.optional(),
  /**
   * The container's memory before the death, where the forwarder sampled it (docs/domain.md §14): its samples, compact,
   * so the alert and `/oom why` can draw them, and what their curve says. Optional: without samples, or stored before
   * it existed. A trajectory this version cannot read drops itself, not the verdict.
   */
  trajectory: z.object({ series: EncodedSeriesSchema, curve: CurveSchema }).optional().catch(undefined),
});
export type Verdict = z.infer<typeof VerdictSchema>;
