// The demo `oombot start` plays on the local control plane when there is no cluster: one Deployment per cause of
// docs/domain.md §7, whose pods die the way a kubelet reports it, so that the forwarder, the engine and the Slack
// alert all work on real API objects and a newcomer sees one real alert per cause (docs/alert-style.md). Nothing runs
// here: this file writes what the Deployment and ReplicaSet controllers would, and sandbox/kubelet.ts what the kubelet
// would (pod and node status through their status subresources, Events). A replay clears the previous run first.
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  type V1Container,
  type V1ContainerStateTerminated,
  type V1ContainerStatus,
  type V1Node,
  type V1NodeCondition,
  type V1ObjectReference,
  type V1OwnerReference,
  type V1Pod,
  type V1PodCondition,
  type V1PodStatus,
} from '@kubernetes/client-node';
import type { Cause, Kind } from '#shared/verdict.ts';
import { DEFAULT_KUBERNETES_VERSION } from './binaries.ts'; // the demo's kubelets match the control plane
import { createEvent, createNode, createPodAsKubelet, repeatEvent, updateNodeStatus, updatePodStatus } from './kubelet.ts';

export type DemoScenarioName = 'limit' | 'leak' | 'eviction' | 'node-oom' | 'runtime' | 'liveness' | 'storm' | 'node-evictions';

export interface DemoScenario {
  name: DemoScenarioName;
  /** One line for the person watching: what happens and what the alert will say. */
  story: string;
  /** The verdict the engine should reach for each of its pods. */
  cause: Cause;
  kind: Kind;
  /**
   * The Deployments its pods belong to (Deployment → ReplicaSet → Pod, with controller owner references), each with
   * its pods: one for most scenarios, many for a storm.
   */
  workloads: readonly DemoWorkload[];
  node: string;
  /** Every pod of the scenario, its workloads' in turn. */
  pods: readonly string[];
  /** What the forwarder publishes for it: one per container termination, per eviction, per node OOM event. */
  occurrences: number;
}

export interface DemoWorkload {
  name: string;
  pods: readonly string[];
}

export interface DemoOptions {
  /** Where the demo's workloads live (default `demo`); reused, and emptied, when it exists from a previous run. */
  namespace?: string;
  /** Stops the timeline between steps; `finished` then resolves with 'stopped'. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Plays this many times faster (default 1: about 75 s in all, and the leak's 6 min climb beside them). */
  speed?: number;
  /**
   * Plays the leak this many times faster (default: `speed`). Its curve is read against the clock (docs/domain.md §14:
   * 8 samples over 4 min before a curve is classified), so the demo a person watches plays it in real time; a test may
   * compress it alone, and keep the other scenarios slow enough for the forwarder's 1 s sampling to see their memory.
   */
  leakSpeed?: number;
  /**
   * The local metrics server (sandbox/metrics-server.ts): the demo sets its containers' working sets there, once per
   * sample tick, so metrics.k8s.io reports the leak's climb and the limit OOM's spike. Without it the demo plays the
   * same deaths with no memory to sample.
   */
  metrics?: DemoMetrics;
}

/** What the demo drives of the metrics server. */
export interface DemoMetrics {
  setWorkingSet(namespace: string, pod: string, container: string, bytes: number): void;
}

export interface DemoHandle {
  readonly namespace: string;
  readonly scenarios: readonly DemoScenario[];
  /** Resolves once every scenario has played, or the signal stopped it; rejects when the API server refused a write. */
  readonly finished: Promise<'played' | 'stopped'>;
}

// Names as the controllers make them, but fixed, so a replay writes the same objects and DEMO_SCENARIOS can list them.
// The alphabet is apimachinery's rand.SafeEncodeString (no vowels, no 0, 1 or 3).
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

const DEMO_LABELS = { 'app.kubernetes.io/part-of': 'oombot-demo' };

// How long each step waits at speed 1, in ms. The kubelet's own rhythm is slower (back-offs of 10 s, 20 s, ...; one
// eviction per 10 s housekeeping pass, docs/domain.md §2): the demo keeps the order and shortens the waits.
const PAUSE = { betweenScenarios: 2_000, running: 3_000, restart: 1_000, backOff: 2_500, eviction: 700, probe: 1_000, grace: 1_000 };

// The working sets the demo reports: each one again every tick (a metrics-server sample per kubelet scrape, faster
// here), so a flat stretch is many samples and not one. The leak climbs steadily from LEAK_FROM_MI to just under its
// limit in LEAK_TICKS ticks, wobbling by a page or two as a real working set does: 6 min at speed 1, so that the
// samples before its warning already span the 4 min a curve needs (docs/domain.md §14) — the warning is sized from the
// curve, the kill is read as a climb — and past 90 % of the limit (where it is warned, docs/domain.md §14) for its
// last ~2 min, the time the warning gives.
const TICK_MS = 1_000;
const LEAK_FROM_MI = 320;
const LEAK_TOP_MI = 509;
const LEAK_LIMIT_MI = 512;
const LEAK_TICKS = 360;

/** The leak's working set at tick `t`: a straight climb, ±2 MiB, that never reaches the limit before the kill. */
function leakMi(t: number): number {
  return LEAK_FROM_MI + ((LEAK_TOP_MI - LEAK_FROM_MI) * t) / LEAK_TICKS + (((t * 7) % 5) - 2);
}
const MI = 1024 * 1024;

interface NodeSpec {
  name: string;
  ip: string;
  podCidr: string;
  capacityMi: number;
  allocatableMi: number;
}

// allocatable = capacity − kubeReserved − systemReserved − evictionHard (docs/domain.md §3). demo-node-3 reserves
// almost nothing for the system, so pods can use nearly all of it and a fast allocation reaches the kernel's OOM killer
// before the kubelet's 10 s eviction check (docs/domain.md §2).
const NODES: readonly NodeSpec[] = [
  { name: 'demo-node-1', ip: '10.0.1.11', podCidr: '10.244.1', capacityMi: 16 * 1024, allocatableMi: 14 * 1024 },
  { name: 'demo-node-2', ip: '10.0.1.12', podCidr: '10.244.2', capacityMi: 8 * 1024, allocatableMi: 7 * 1024 },
  { name: 'demo-node-3', ip: '10.0.1.13', podCidr: '10.244.3', capacityMi: 8 * 1024, allocatableMi: 8 * 1024 - 356 },
  { name: 'demo-node-4', ip: '10.0.1.14', podCidr: '10.244.4', capacityMi: 8 * 1024, allocatableMi: 7 * 1024 },
];
const [NODE_1, NODE_2, NODE_3, NODE_4] = NODES.map((n) => n.name) as [string, string, string, string];

interface Stage {
  kc: KubeConfig;
  namespace: string;
  log(line: string): void;
  /** Waits `ms` divided by the speed; throws when the demo is stopped. */
  pause(ms: number): Promise<void>;
  /** Events already written, by key, so a repeat raises their count as the kubelet's correlator does. */
  events: Map<string, CoreV1Event>;
  /** Sets a container's working set, in MiB: reported from now on, sample tick after sample tick (`undefined`: none). */
  memory(pod: V1Pod, container: string, mi: number | undefined): void;
}

interface Scenario extends DemoScenario {
  /** Each Deployment's containers. */
  containers: V1Container[] | ((workload: string) => V1Container[]);
  /** The Deployment's annotations. */
  annotations?: Record<string, string>;
  /** Plays beside the others from the start instead of in turn (the leak, which takes longer than all of them). */
  background?: boolean;
  play(stage: Stage, pods: V1Pod[]): Promise<void>;
}

/** The kubelet's terminated reasons come from the runtime: `OOMKilled` or `Error` (docs/domain.md §1). */
type Death = Pick<V1ContainerStateTerminated, 'reason' | 'exitCode' | 'message'>;

// The kubelet's eviction order: usage above request first (docs/domain.md §2), so the biggest offenders go first.
const EVICTED_USAGE_MI = [1843, 1702, 1610, 1536, 1434, 1331];

// A storm across many workloads (one release breaks them all at once): each Deployment's one pod is OOMKilled at its
// limit, the kills spread over STORM_OVER_MS.
const STORM = deployments(...['search', 'pricing', 'reviews', 'inventory', 'shipping', 'payments', 'recommendations', 'notifications', 'accounts', 'orders', 'catalog', 'wishlist'].map((w): [string, number] => [w, 1]));
const STORM_OVER_MS = 20_000;

// One node's evictions across several Deployments: the kubelet picks by usage above request (docs/domain.md §2), which
// mixes workloads; here they take turns, the biggest offenders first.
const NODE_EVICTIONS = deployments(['thumbnails', 3], ['exporter', 3], ['indexer', 2]);
const NODE_EVICTIONS_USAGE_MI = [1690, 1587, 1485, 1382, 1280, 1178, 1075, 973];

// What a JVM started with -XX:+ExitOnOutOfMemoryError prints before it exits 3 (docs/domain.md §5); with
// terminationMessagePolicy FallbackToLogsOnError the kubelet puts this log tail in terminated.message.
const JVM_LOG_TAIL = [
  'Picked up JAVA_TOOL_OPTIONS: -Xmx512m -XX:+ExitOnOutOfMemoryError',
  'INFO  [main] c.e.ledger.LedgerApplication : Started LedgerApplication in 7.412 seconds',
  'INFO  [reconcile-1] c.e.ledger.Reconciler : loading 2,418,113 entries for period 2025-12',
  'Terminating due to java.lang.OutOfMemoryError: Java heap space',
].join('\n');

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'limit',
    story: 'checkout › api reaches its 512Mi limit and is OOMKilled three times: raise the limit (the button patches the Deployment)',
    cause: 'limit',
    kind: 'container-limit',
    ...deployments(['checkout', 1]),
    node: NODE_1,
    occurrences: 3,
    containers: [
      container('api', 'registry.example/checkout/api:2.3.1', { limit: '512Mi', request: '256Mi' }),
      container('proxy', 'envoyproxy/envoy:v1.31.2', { limit: '128Mi', request: '64Mi' }),
    ],
    async play(stage, [pod]) {
      for (let i = 1; i <= 3; i++) {
        // Flat at ~280Mi, then a burst (one oversized request) jumps to the limit just before the kill: a spike.
        for (let t = 0; t < PAUSE.running / TICK_MS; t++) {
          stage.memory(pod!, 'api', 276 + ((t * 7) % 9));
          await stage.pause(TICK_MS);
        }
        stage.memory(pod!, 'api', 508);
        await stage.pause(TICK_MS);
        // A container-limit OOM: the runtime reports OOMKilled/137 and no SystemOOM is emitted (docs/domain.md §2).
        stage.memory(pod!, 'api', undefined);
        await crash(stage, pod!, 'api', { reason: 'OOMKilled', exitCode: 137 }, `OOMKilled at its limit (${i} of 3)`);
      }
    },
  },
  {
    name: 'leak',
    story: `cart › worker leaks: its memory climbs for ${(LEAK_TICKS * TICK_MS) / 60_000} min towards its ${LEAK_LIMIT_MI}Mi limit, oombot warns before the kill (oombot.io/warn is on), and the OOM kill lands in the warning's thread`,
    cause: 'limit',
    kind: 'container-limit',
    ...deployments(['cart', 1]),
    node: NODE_1,
    occurrences: 1,
    annotations: { 'oombot.io/warn': 'on' },
    background: true,
    containers: [container('worker', 'registry.example/cart/worker:1.4.2', { limit: `${LEAK_LIMIT_MI}Mi`, request: '256Mi' })],
    async play(stage, [pod]) {
      for (let t = 0; t <= LEAK_TICKS; t++) {
        stage.memory(pod!, 'worker', leakMi(t));
        await stage.pause(TICK_MS);
      }
      stage.memory(pod!, 'worker', undefined);
      await crash(stage, pod!, 'worker', { reason: 'OOMKilled', exitCode: 137 }, `OOMKilled at its ${LEAK_LIMIT_MI}Mi limit after climbing for ${(LEAK_TICKS * TICK_MS) / 60_000} min`);
      stage.memory(pod!, 'worker', LEAK_FROM_MI);
    },
  },
  {
    name: 'eviction',
    story: `demo-node-2 runs low on memory and the kubelet evicts the 6 web pods one by one (a thread per node)`,
    cause: 'node-pressure',
    kind: 'eviction',
    ...deployments(['web', EVICTED_USAGE_MI.length]),
    node: NODE_2,
    occurrences: EVICTED_USAGE_MI.length,
    containers: [container('web', 'registry.example/web:4.0.7', { limit: '2Gi', request: '512Mi' })],
    async play(stage, pods) {
      await evictUnderPressure(stage, NODE_2, pods, EVICTED_USAGE_MI);
    },
  },
  {
    name: 'node-oom',
    story: 'demo-node-3 runs out of memory as a whole and the kernel kills reports, far below its 2Gi limit',
    cause: 'node-pressure',
    kind: 'node-oom',
    ...deployments(['reports', 1]),
    node: NODE_3,
    occurrences: 2,
    containers: [container('reports', 'registry.example/reports:1.9.0', { limit: '2Gi', request: '256Mi' }, { command: ['python3', '/app/reports.py'] })],
    async play(stage, [pod]) {
      await stage.pause(PAUSE.running);
      // The kubelet's SystemOOM is emitted only for a node-wide (root cgroup) OOM, with the victim's process name
      // (docs/domain.md §2); its UID in the Node reference is the node's name, as the kubelet's nodeRef has it. A 256Mi
      // request on 8Gi gives an oom_score_adj of 969 (docs/domain.md §3): an early victim, whatever else grew.
      await emit(stage, 'system-oom', nodeEvent(NODE_3, 'Warning', 'SystemOOM', 'System OOM encountered, victim process: python3, pid: 48213', clock()));
      await crash(stage, pod!, 'reports', { reason: 'OOMKilled', exitCode: 137 }, 'OOMKilled by the node-wide OOM killer');
    },
  },
  {
    name: 'runtime',
    story: 'ledger dies of java.lang.OutOfMemoryError at -Xmx512m with three quarters of its 2Gi limit unused',
    cause: 'runtime',
    kind: 'jvm-heap',
    ...deployments(['ledger', 1]),
    node: NODE_1,
    occurrences: 1,
    containers: [
      container('ledger', 'registry.example/ledger:5.2.0', { limit: '2Gi', request: '1Gi' }, {
        env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m -XX:+ExitOnOutOfMemoryError' }],
        // Without it the log tail, and its OutOfMemoryError line, never reaches terminated.message (docs/domain.md §5).
        terminationMessagePolicy: 'FallbackToLogsOnError',
      }),
    ],
    async play(stage, [pod]) {
      await stage.pause(PAUSE.running);
      await crash(stage, pod!, 'ledger', { reason: 'Error', exitCode: 3, message: JVM_LOG_TAIL }, 'exited 3: java.lang.OutOfMemoryError: Java heap space');
    },
  },
  {
    name: 'liveness',
    story: 'profile › app stops answering /healthz, the kubelet kills it (exit 137) after 3 failed liveness probes: not memory',
    cause: 'not-oom',
    kind: 'liveness-probe',
    ...deployments(['profile', 1]),
    node: NODE_1,
    occurrences: 1,
    containers: [
      container('app', 'registry.example/profile:3.1.4', { limit: '1Gi', request: '512Mi' }, {
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 },
      }),
    ],
    async play(stage, [pod]) {
      const p = pod!;
      const probe = `Liveness probe failed: Get "http://${p.status?.podIP}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
      for (let i = 0; i < 3; i++) {
        await stage.pause(PAUSE.probe);
        await emit(stage, 'unhealthy', podEvent(p, 'app', 'Warning', 'Unhealthy', probe, clock()));
      }
      // pkg/kubelet/kuberuntime: the probe kill's Killing event; the app ignores SIGTERM, so the runtime SIGKILLs it
      // when the grace period ends: Error/137 (docs/domain.md §1, "137 is SIGKILL, not OOM").
      await emit(stage, 'killing', podEvent(p, 'app', 'Normal', 'Killing', 'Container app failed liveness probe, will be restarted', clock()));
      await stage.pause(PAUSE.grace);
      await crash(stage, p, 'app', { reason: 'Error', exitCode: 137 }, 'killed by the kubelet after failed liveness probes');
    },
  },
  {
    name: 'storm',
    story: `a release of a shared client library doubles every service's buffers: ${STORM.workloads.length} Deployments are OOMKilled at their 256Mi limits within ${STORM_OVER_MS / 1000} s, a storm across many workloads`,
    cause: 'limit',
    kind: 'container-limit',
    ...STORM,
    node: NODE_1,
    occurrences: STORM.pods.length,
    containers: (workload) => [container('api', `registry.example/${workload}:3.0.0`, { limit: '256Mi', request: '128Mi' })],
    async play(stage, pods) {
      // One kill after another, each pod's restart overlapping the next kills (so only a few wait on the signal at once).
      const kills: Promise<void>[] = [];
      for (const pod of pods) {
        const kill = crash(stage, pod, 'api', { reason: 'OOMKilled', exitCode: 137 }, 'OOMKilled at its 256Mi limit');
        kill.catch(() => {}); // awaited below; a stop rejects it before then
        kills.push(kill);
        await stage.pause(STORM_OVER_MS / pods.length);
      }
      await Promise.all(kills);
    },
  },
  {
    name: 'node-evictions',
    story: `demo-node-4 runs low on memory and the kubelet evicts ${NODE_EVICTIONS.pods.length} pods of ${NODE_EVICTIONS.workloads.map((w) => w.name).join(', ')}: one node's evictions, one thread`,
    cause: 'node-pressure',
    kind: 'eviction',
    ...NODE_EVICTIONS,
    node: NODE_4,
    occurrences: NODE_EVICTIONS.pods.length,
    containers: (workload) => [container('job', `registry.example/${workload}:2.1.0`, { limit: '2Gi', request: '256Mi' })],
    async play(stage, pods) {
      // Round the Deployments, so the thread mixes them as the kubelet's order does.
      const turns = Math.max(...NODE_EVICTIONS.workloads.map((w) => w.pods.length));
      const order = Array.from({ length: turns }, (_, t) => NODE_EVICTIONS.workloads.flatMap((w) => (w.pods[t] ? [w.pods[t]] : []))).flat();
      await evictUnderPressure(stage, NODE_4, order.map((name) => pods.find((p) => p.metadata!.name === name)!), NODE_EVICTIONS_USAGE_MI);
    },
  },
];

/** The scenarios, in the order they play. */
export const DEMO_SCENARIOS: readonly DemoScenario[] = SCENARIOS.map(({ name, story, cause, kind, workloads, node, pods, occurrences }) => ({ name, story, cause, kind, workloads, node, pods, occurrences }));

/**
 * Sets the stage (namespace, nodes, Deployments with their ReplicaSets and running pods), then plays the scenarios
 * one after the other in the background. Resolves once the stage is set; a failure to set it rejects.
 */
export async function playDemo(kc: KubeConfig, options: DemoOptions = {}): Promise<DemoHandle> {
  const namespace = options.namespace ?? 'demo';
  const speed = options.speed ?? 1;
  const leakSpeed = options.leakSpeed ?? speed;
  for (const [name, value] of [['speed', speed], ['leakSpeed', leakSpeed]] as const) {
    if (!(value > 0)) throw new RangeError(`playDemo: ${name} must be a positive number, not ${value}`);
  }
  const signal = options.signal ?? new AbortController().signal;
  const log = options.log ?? (() => {});
  const workingSets = new Map<string, { pod: string; container: string; bytes: number }>();
  const report = () => {
    for (const w of workingSets.values()) options.metrics?.setWorkingSet(namespace, w.pod, w.container, w.bytes);
  };
  const stage: Stage = {
    kc,
    namespace,
    log,
    events: new Map(),
    pause: (ms) => delay(ms / speed, undefined, { signal }),
    memory(pod, container, mi) {
      const key = `${pod.metadata!.name}/${container}`;
      if (mi === undefined) workingSets.delete(key);
      else workingSets.set(key, { pod: pod.metadata!.name!, container, bytes: Math.round(mi * MI) });
      report();
    },
  };

  await clearStage(kc, namespace, log);
  for (const n of NODES) await createNode(kc, nodeObject(n, clock()));
  const pods = new Map<DemoScenarioName, V1Pod[]>();
  for (const s of SCENARIOS) {
    const ofScenario: V1Pod[] = [];
    for (const w of s.workloads) ofScenario.push(...(await createWorkload(stage, s, w, ofScenario.length)));
    pods.set(s.name, ofScenario);
  }
  log(`demo: ${SCENARIOS.reduce((n, s) => n + s.workloads.length, 0)} Deployments running in namespace ${namespace} on ${NODES.map((n) => n.name).join(', ')}`);

  const ticker = options.metrics ? setInterval(report, TICK_MS / speed) : undefined;
  // The leak keeps its own clock (DemoOptions.leakSpeed); the same stage otherwise.
  const leakStage: Stage = { ...stage, pause: (ms) => delay(ms / leakSpeed, undefined, { signal }) };
  const playOne = async (s: Scenario) => {
    const at = s.name === 'leak' ? leakStage : stage;
    await at.pause(PAUSE.betweenScenarios);
    log(`demo ${s.name}: ${s.story}`);
    await s.play(at, pods.get(s.name)!);
  };
  const finished = (async () => {
    try {
      const background = Promise.all(SCENARIOS.filter((s) => s.background).map(playOne));
      background.catch(() => {}); // awaited below; a stop rejects it before then
      for (const s of SCENARIOS) if (!s.background) await playOne(s);
      await background;
      log('demo: every scenario has played');
      return 'played' as const;
    } catch (error) {
      if (signal.aborted) return 'stopped' as const;
      throw error;
    } finally {
      clearInterval(ticker);
    }
  })();
  // A caller that never awaits `finished` still learns why the demo stopped, and gets no unhandled rejection.
  finished.catch((error: unknown) => log(`demo failed: ${error instanceof Error ? error.message : String(error)}`));
  return { namespace, scenarios: DEMO_SCENARIOS, finished };
}

/**
 * Empties what a previous run left, so a replay starts clean. Without a controller-manager nothing cascades (no
 * garbage collector) and a deleted namespace never finishes terminating (no namespace controller): both are done here.
 */
async function clearStage(kc: KubeConfig, namespace: string, log: (line: string) => void): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const existing = await unlessMissing(core.readNamespace({ name: namespace }));
  if (existing) {
    log(`demo: clearing namespace ${namespace} from a previous run`);
    await apps.deleteCollectionNamespacedDeployment({ namespace });
    await apps.deleteCollectionNamespacedReplicaSet({ namespace });
    // Grace period 0: with no kubelet to confirm, a graceful delete of a pod bound to a node would never complete.
    await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
    await core.deleteCollectionNamespacedEvent({ namespace });
    if (existing.metadata?.deletionTimestamp) {
      // What the namespace controller does once a namespace is empty: drop its finalizer, and the namespace goes.
      await core.replaceNamespaceFinalize({ name: namespace, body: { ...existing, spec: { finalizers: [] } } });
      while (await unlessMissing(core.readNamespace({ name: namespace }))) await delay(100);
    }
  }
  if (!existing || existing.metadata?.deletionTimestamp) {
    await core.createNamespace({ body: { metadata: { name: namespace, labels: DEMO_LABELS } } });
  }
  for (const { name } of NODES) {
    await unlessMissing(core.deleteNode({ name }));
    // Node events live in `default`, where the kubelet records them.
    await core.deleteCollectionNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.kind=Node,involvedObject.name=${name}` });
  }
}

/**
 * One of the scenario's Deployments, the ReplicaSet its controller would make, and its pods, bound to the scenario's
 * node and running. `before`: how many of the scenario's pods came before (their IPs are taken).
 */
async function createWorkload(stage: Stage, s: Scenario, w: DemoWorkload, before: number): Promise<V1Pod[]> {
  const { kc, namespace } = stage;
  const apps = kc.makeApiClient(AppsV1Api);
  const labels = { app: w.name };
  const replicas = w.pods.length;
  const spec = { containers: typeof s.containers === 'function' ? s.containers(w.name) : s.containers };
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: { metadata: { name: w.name, labels: { ...labels, ...DEMO_LABELS }, ...(s.annotations ? { annotations: s.annotations } : {}) }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } } },
  });
  // The Deployment controller names the ReplicaSet `<deployment>-<pod-template-hash>` and labels it and its pods with
  // the hash (shared/pod-facts.ts workloadFromOwners relies on it).
  const rsLabels = { ...labels, 'pod-template-hash': templateHash(w.name) };
  const rs = await apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: { name: rsName(w.name), labels: rsLabels, annotations: { 'deployment.kubernetes.io/revision': '1' }, ownerReferences: [ownerOf('Deployment', deployment)] },
      spec: { replicas, selector: { matchLabels: rsLabels }, template: { metadata: { labels: rsLabels }, spec } },
    },
  });
  const node = NODES.find((n) => n.name === s.node)!;
  const at = clock();
  const pods: V1Pod[] = [];
  for (const [i, name] of w.pods.entries()) {
    const pod: V1Pod = { metadata: { name, namespace, labels: rsLabels, ownerReferences: [ownerOf('ReplicaSet', rs)] }, spec: { ...spec, nodeName: s.node } };
    const ip = `${node.podCidr}.${10 * (SCENARIOS.indexOf(s) + 1) + before + i}`;
    pods.push(await createPodAsKubelet(kc, pod, runningPod(pod, node, ip, at)));
  }
  // What the two controllers would report once the pods run, so `kubectl get deploy` reads as a healthy workload.
  const ready = { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 };
  await apps.replaceNamespacedReplicaSetStatus({ name: rsName(w.name), namespace, body: { ...rs, status: { ...ready, fullyLabeledReplicas: replicas } } });
  await apps.replaceNamespacedDeploymentStatus({ name: w.name, namespace, body: { ...deployment, status: { ...ready, updatedReplicas: replicas } } });
  return pods;
}

/**
 * One death of a container and its restart, in the kubelet's successive views (shared/occurrences.ts,
 * terminationIndex): `state.terminated` with restartCount N; from the second death on, `state.waiting`
 * CrashLoopBackOff with `lastState.terminated` and a BackOff event; then `state.running`, lastState kept, N+1.
 */
async function crash(stage: Stage, pod: V1Pod, container: string, death: Death, what: string): Promise<void> {
  const { kc, namespace } = stage;
  const name = pod.metadata!.name!;
  const ref = `${name}_${namespace}(${pod.metadata!.uid})`; // the kubelet's format.Pod
  const finishedAt = clock();
  let terminated: V1ContainerStateTerminated | undefined;
  let restarts = 0;
  await updatePodStatus(kc, namespace, name, (p) =>
    withContainer(p.status!, container, finishedAt, (cs) => {
      restarts = cs.restartCount;
      terminated = { ...death, startedAt: cs.state?.running?.startedAt, finishedAt, containerID: cs.containerID };
      return { ...cs, ready: false, started: false, state: { terminated }, lastState: cs.lastState ?? {} };
    }),
  );
  stage.log(`  ${name} › ${container} ${what}`);
  if (restarts > 0) {
    const backOff = `back-off ${Math.min(300, 10 * 2 ** (restarts - 1))}s restarting failed container=${container} pod=${ref}`;
    await updatePodStatus(kc, namespace, name, (p) =>
      withContainer(p.status!, container, finishedAt, (cs) => ({ ...cs, state: { waiting: { reason: 'CrashLoopBackOff', message: backOff } }, lastState: { terminated } })),
    );
    await emit(stage, `backoff/${container}`, podEvent(pod, container, 'Warning', 'BackOff', `Back-off restarting failed container ${container} in pod ${ref}`, clock()));
    await stage.pause(PAUSE.backOff);
  } else {
    await stage.pause(PAUSE.restart);
  }
  const startedAt = clock();
  await updatePodStatus(kc, namespace, name, (p) =>
    withContainer(p.status!, container, startedAt, (cs) => ({
      ...cs,
      ready: true,
      started: true,
      restartCount: restarts + 1,
      containerID: containerId(`${pod.metadata!.uid}/${container}/${restarts + 1}`),
      state: { running: { startedAt } },
      lastState: { terminated },
    })),
  );
}

/**
 * A node under memory pressure and the kubelet evicting its pods one by one, each using `usageMi` in turn.
 * docs/domain.md §2: MemoryPressure=True, reason KubeletHasInsufficientMemory; a Normal NodeHasInsufficientMemory and a
 * Warning EvictionThresholdMet ("Attempting to reclaim memory") on the Node.
 */
async function evictUnderPressure(stage: Stage, node: string, pods: V1Pod[], usageMi: readonly number[]): Promise<void> {
  const at = clock();
  await updateNodeStatus(stage.kc, node, (n) => ({
    ...n.status,
    conditions: (n.status?.conditions ?? []).map((c) =>
      c.type === 'MemoryPressure' ? nodeCondition('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available', at) : c,
    ),
  }));
  await emit(stage, 'node-pressure', nodeEvent(node, 'Normal', 'NodeHasInsufficientMemory', `Node ${node} status is now: NodeHasInsufficientMemory`, at));
  for (const [i, pod] of pods.entries()) {
    await emit(stage, 'threshold', nodeEvent(node, 'Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory', clock()));
    await stage.pause(PAUSE.eviction);
    await evict(stage, pod, usageMi[i]!, 96 - 4 * i);
  }
}

/**
 * The kubelet's eviction (docs/domain.md §2): phase Failed, reason Evicted, the message in its current format, the
 * DisruptionTarget condition, and a Warning Evicted event whose annotations name the offending containers. The
 * containers, removed with the pod, get the kubelet's synthetic ContainerStatusUnknown/137 (docs/domain.md §1), which
 * carries no times. The pod's first container is the offender.
 */
async function evict(stage: Stage, pod: V1Pod, usageMi: number, availableMi: number): Promise<void> {
  const at = clock();
  const usage = `${usageMi * 1024}Ki`; // the kubelet prints working sets in Ki
  const offender = pod.spec!.containers[0]!;
  const request = offender.resources?.requests?.['memory'] ?? '0';
  const message = `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${availableMi * 1024}Ki. Container ${offender.name} was using ${usage}, request is ${request}, has larger consumption of memory. `;
  const name = pod.metadata!.name!;
  await updatePodStatus(stage.kc, stage.namespace, name, (p) => ({
    ...p.status,
    phase: 'Failed',
    reason: 'Evicted',
    message,
    conditions: [
      ...readiness(p.status?.conditions ?? [], false, 'PodCompleted', at),
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastTransitionTime: at },
    ],
    containerStatuses: (p.status?.containerStatuses ?? []).map((cs) => ({
      ...cs,
      ready: false,
      started: false,
      state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' } },
    })),
  }));
  await emit(stage, 'evicted', {
    ...podEvent(pod, undefined, 'Warning', 'Evicted', message, at),
    metadata: { namespace: stage.namespace, annotations: { offending_containers: offender.name, offending_containers_usage: usage, starved_resource: 'memory' } },
  });
  stage.log(`  ${name} evicted (${offender.name} was using ${usageMi}Mi against a ${request} request)`);
}

/** Writes an event, or raises the count of the one already written under `key` for this object. */
async function emit(stage: Stage, key: string, event: CoreV1Event): Promise<void> {
  const k = `${event.involvedObject.uid}/${key}`;
  const known = stage.events.get(k);
  stage.events.set(k, known ? await repeatEvent(stage.kc, known, event.lastTimestamp!) : await createEvent(stage.kc, event));
}

function kubeletEvent(on: V1ObjectReference, host: string, type: 'Normal' | 'Warning', reason: string, message: string, at: Date): CoreV1Event {
  return {
    metadata: { namespace: on.namespace ?? 'default' },
    involvedObject: on,
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: 'kubelet', host },
    reportingComponent: 'kubelet',
    reportingInstance: host,
  };
}

function podEvent(pod: V1Pod, container: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string, at: Date): CoreV1Event {
  const { name, namespace, uid } = pod.metadata!;
  const on = { apiVersion: 'v1', kind: 'Pod', name, namespace, uid, ...(container ? { fieldPath: `spec.containers{${container}}` } : {}) };
  return kubeletEvent(on, pod.spec!.nodeName!, type, reason, message, at);
}

function nodeEvent(node: string, type: 'Normal' | 'Warning', reason: string, message: string, at: Date): CoreV1Event {
  return kubeletEvent({ kind: 'Node', name: node, uid: node }, node, type, reason, message, at);
}

function container(name: string, image: string, memory: { limit: string; request: string }, extra: Partial<V1Container> = {}): V1Container {
  return { name, image, resources: { limits: { memory: memory.limit }, requests: { cpu: '100m', memory: memory.request } }, ...extra };
}

function runningPod(pod: V1Pod, node: NodeSpec, ip: string, at: Date): V1PodStatus {
  const uidless = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
  return {
    phase: 'Running',
    hostIP: node.ip,
    hostIPs: [{ ip: node.ip }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: at,
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at },
      { type: 'Initialized', status: 'True', lastTransitionTime: at },
      ...readiness([], true, undefined, at),
      { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
    ],
    containerStatuses: pod.spec!.containers.map((c) => ({
      name: c.name,
      image: c.image!,
      imageID: `${c.image!.split(':')[0]}@sha256:${sha256(c.image!)}`,
      containerID: containerId(`${uidless}/${c.name}/0`),
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: at } },
      lastState: {},
    })),
  };
}

/** Changes one container's status and keeps the pod's Ready and ContainersReady conditions in step with it. */
function withContainer(status: V1PodStatus, name: string, at: Date, change: (cs: V1ContainerStatus) => V1ContainerStatus): V1PodStatus {
  const containerStatuses = (status.containerStatuses ?? []).map((cs) => (cs.name === name ? change(cs) : cs));
  const ready = containerStatuses.every((cs) => cs.ready);
  const unready = containerStatuses.filter((cs) => !cs.ready).map((cs) => cs.name);
  return { ...status, containerStatuses, conditions: readiness(status.conditions ?? [], ready, ready ? undefined : 'ContainersNotReady', at, unready) };
}

function readiness(conditions: V1PodCondition[], ready: boolean, reason: string | undefined, at: Date, unready: string[] = []): V1PodCondition[] {
  const others = conditions.filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady');
  const message = reason === 'ContainersNotReady' ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const make = (type: string): V1PodCondition => ({ type, status: ready ? 'True' : 'False', lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
  return [...others, make('ContainersReady'), make('Ready')];
}

function nodeObject(n: NodeSpec, at: Date): V1Node {
  const resources = (memoryMi: number, cpu: string) => ({ cpu, memory: `${memoryMi * 1024}Ki`, pods: '110', 'ephemeral-storage': '101430960Ki' });
  return {
    metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...DEMO_LABELS } },
    spec: { podCIDR: `${n.podCidr}.0/24` },
    status: {
      capacity: resources(n.capacityMi, '4'),
      allocatable: resources(n.allocatableMi, '3920m'),
      conditions: [
        nodeCondition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', at),
        nodeCondition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', at),
        nodeCondition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', at),
        nodeCondition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', at),
      ],
      // No addresses: the engine asks the API server for kubelet stats through nodes/proxy, which would dial a made-up
      // IP and hang until its timeout; with none the proxy fails at once and the alert says the stats were unavailable.
      nodeInfo: {
        kubeletVersion: DEFAULT_KUBERNETES_VERSION,
        kubeProxyVersion: DEFAULT_KUBERNETES_VERSION,
        containerRuntimeVersion: 'containerd://2.1.4',
        kernelVersion: '6.1.0-37-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: sha256(`${n.name}/machine`).slice(0, 32),
        systemUUID: uuidFrom(`${n.name}/system`),
        bootID: uuidFrom(`${n.name}/boot`),
      },
    },
  };
}

function nodeCondition(type: string, status: 'True' | 'False', reason: string, message: string, at: Date): V1NodeCondition {
  return { type, status, reason, message, lastHeartbeatTime: at, lastTransitionTime: at };
}

function ownerOf(kind: 'Deployment' | 'ReplicaSet', o: { metadata?: { name?: string; uid?: string } }): V1OwnerReference {
  return { apiVersion: 'apps/v1', kind, name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

function safeString(seed: string, length: number): string {
  return Array.from(createHash('sha256').update(seed).digest().subarray(0, length), (b) => SAFE[b % SAFE.length]).join('');
}

function templateHash(deployment: string): string {
  return safeString(`${deployment}/template`, 10);
}

function rsName(deployment: string): string {
  return `${deployment}-${templateHash(deployment)}`;
}

/** A scenario's Deployments, each with this many pods, and all their pods in turn. */
function deployments(...specs: [name: string, pods: number][]): Pick<DemoScenario, 'workloads' | 'pods'> {
  const workloads = specs.map(([name, count]) => ({ name, pods: podNames(name, count) }));
  return { workloads, pods: workloads.flatMap((w) => w.pods) };
}

function podNames(deployment: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${rsName(deployment)}-${safeString(`${deployment}/${i}`, 5)}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function containerId(seed: string): string {
  return `containerd://${sha256(seed)}`;
}

function uuidFrom(seed: string): string {
  const h = sha256(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Now, to the second: API times have no finer resolution, and the engine compares them with event times. */
function clock(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

async function unlessMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}
