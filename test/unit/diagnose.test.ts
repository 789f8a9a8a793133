// Table tests: Kubernetes objects as a kubelet and the API server would write them → the exact verdict
// (docs/code-style.md: Obj + Want, as kube-state-metrics' pod_test.go). One row per scenario in docs/domain.md.
import { describe, expect, it } from 'vitest';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { DiagnosisError } from '#shared/errors.ts';
import { VerdictSchema, type Verdict } from '#shared/verdict.ts';
import { at, container, downStatus, event, node, pod, podEvent, restartedStatus, runningStatus, T0 } from '../support/k8s-factories.ts';

type Want = Partial<Omit<Verdict, 'recommendation' | 'memory'>> & {
  recommendation?: Partial<NonNullable<Verdict['recommendation']>> | undefined;
  memory?: Partial<Verdict['memory']>;
  evidenceIncludes?: string[];
  missingIncludes?: string[];
};

interface Row {
  name: string;
  input: DiagnosisInput;
  container?: string;
  want: Want;
}

const api = (limit = '512Mi', request = '256Mi') => container({ name: 'api', limit, request });
const oomKilled = { reason: 'OOMKilled', exitCode: 137 };

const limitPod = pod({ deployment: 'checkout', containers: [api()], statuses: [restartedStatus('api', oomKilled, 4)] });
const sidecarPod = pod({
  deployment: 'checkout',
  containers: [api(), container({ name: 'istio-proxy', limit: '256Mi', request: '128Mi' })],
  statuses: [runningStatus('api'), restartedStatus('istio-proxy', oomKilled, 2)],
});
const initPod = pod({
  name: 'migrate-x2k9d',
  containers: [api()],
  initContainers: [container({ name: 'migrate', limit: '128Mi' })],
  statuses: [{ name: 'api', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  initStatuses: [downStatus('migrate', oomKilled, 3)],
  status: { phase: 'Pending' },
});

const EVICTION_NOW =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using 1.8Gi, request is 512Mi, has larger consumption of memory. ';
const EVICTION_OLD = 'The node was low on resource: memory. Container web was using 1843Mi, which exceeds its request of 512Mi. ';
const evictedPod = (message: string, statuses: object[] = [downStatus('web', { reason: 'Error', exitCode: 137 })]) =>
  pod({
    name: 'web-5c7d8f6b9-m4tzr',
    containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })],
    statuses,
    status: { phase: 'Failed', reason: 'Evicted', message },
  });

const noLimitPod = pod({ name: 'reports', namespace: 'analytics', containers: [container({ name: 'reports', request: '256Mi', command: ['python3', '/app/reports.py'] })], statuses: [restartedStatus('reports', oomKilled, 1)], status: { qosClass: 'Burstable' } });

const bigLimitPod = pod({ deployment: 'search', containers: [container({ name: 'search', limit: '4Gi', request: '2Gi' })], statuses: [restartedStatus('search', oomKilled, 1)] });
const KERNEL_LOW =
  'Memory cgroup out of memory: Killed process 4321 (java) total-vm:6123456kB, anon-rss:1048576kB, file-rss:2048kB, shmem-rss:0kB, UID:1000 pgtables:4096kB oom_score_adj:969';
// The same kill as a newer kernel logs it, naming the victim's cgroup (this pod) and the cgroup that ran out (kubepods).
const KERNEL_LOW_NAMED =
  'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-9f2.scope,mems_allowed=0,oom_memcg=/kubepods.slice,task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6a1c8e_3f4d_4c7a_9a51_2d8e6f1b9c30.slice/cri-containerd-9f2.scope,task=java,pid=4321,uid=1000 ' +
  KERNEL_LOW;

const runtimePod = (name: string, exitCode: number, message: string, extra: Partial<Parameters<typeof container>[0]> = {}, limit = '512Mi') =>
  pod({ deployment: name, containers: [container({ name, limit, ...extra })], statuses: [restartedStatus(name, { reason: 'Error', exitCode, message }, 2)] });

const profilePod = pod({ deployment: 'profile', containers: [container({ name: 'app', limit: '1Gi' })], statuses: [restartedStatus('app', { reason: 'Error', exitCode: 137 }, 6)] });
const bare137 = pod({ name: 'memtest', containers: [container({ name: 'memtest', limit: '10Mi' })], statuses: [restartedStatus('memtest', { reason: 'Error', exitCode: 137 }, 1)] });

const rows: Row[] = [
  {
    name: 'limit OOM in a Deployment: the container hit its own limit, the node was fine',
    input: { pod: limitPod, node: node(), events: [] },
    want: {
      cause: 'limit',
      kind: 'container-limit',
      confidence: 'high',
      container: 'api',
      containerType: 'container',
      workload: { kind: 'Deployment', name: 'checkout' },
      node: 'ip-10-0-12-7',
      headline: 'checkout › api was OOMKilled at its 512Mi memory limit',
      memory: { limit: '512Mi', request: '256Mi', qosClass: 'Burstable', nodeAllocatable: '14Gi' },
      recommendation: { memoryLimit: '640Mi', capped: false },
      termination: { reason: 'OOMKilled', exitCode: 137, signal: 'SIGKILL', finishedAt: T0, restartCount: 4 },
    },
  },
  {
    name: 'limit OOM seen without the node or events is only medium confidence and says what it lacked',
    input: { pod: limitPod },
    want: {
      cause: 'limit',
      kind: 'container-limit',
      confidence: 'medium',
      recommendation: { memoryLimit: '640Mi', capped: false },
      missingIncludes: ['the node object (allocatable, MemoryPressure)', 'events of the pod and its node'],
    },
  },
  {
    name: 'a sidecar pod where only the sidecar died picks the sidecar',
    input: { pod: sidecarPod, node: node(), events: [] },
    want: { cause: 'limit', kind: 'container-limit', container: 'istio-proxy', recommendation: { memoryLimit: '384Mi' } },
  },
  {
    name: 'an init container OOMKilled at its limit',
    input: { pod: initPod, node: node(), events: [] },
    want: { cause: 'limit', kind: 'container-limit', container: 'migrate', containerType: 'init', recommendation: { memoryLimit: '256Mi' } },
  },
  {
    name: 'eviction, current message format: node pressure, names the offender and sizes its request',
    input: { pod: evictedPod(EVICTION_NOW), node: node({ memoryPressure: true }), events: [] },
    want: {
      cause: 'node-pressure',
      kind: 'eviction',
      confidence: 'high',
      container: 'web',
      headline: 'web-5c7d8f6b9-m4tzr was evicted: node ip-10-0-12-7 ran low on memory',
      memory: { usage: '1.8Gi', usageSource: 'the kubelet at eviction', limit: '4Gi', request: '512Mi' },
      recommendation: { memoryRequest: '2Gi', capped: false },
      evidenceIncludes: ['node memory.available 89Mi fell below the 100Mi eviction threshold'],
    },
  },
  {
    name: 'eviction, older message format',
    input: { pod: evictedPod(EVICTION_OLD), node: node({ memoryPressure: true }), events: [] },
    want: { cause: 'node-pressure', kind: 'eviction', confidence: 'high', container: 'web', memory: { usage: '1.8Gi' }, recommendation: { memoryRequest: '2Gi' } },
  },
  {
    name: 'ContainerStatusUnknown/137 on an evicted pod is the eviction, not a kill',
    input: {
      pod: evictedPod(EVICTION_NOW, [
        downStatus('web', { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' }),
      ]),
      events: [],
    },
    want: { cause: 'node-pressure', kind: 'eviction', container: 'web', termination: { reason: 'ContainerStatusUnknown', exitCode: 137, finishedAt: T0, restartCount: 0, message: 'The container could not be located when the pod was terminated' } },
  },
  {
    name: 'an eviction known only from the DisruptionTarget condition',
    input: {
      pod: pod({
        name: 'web-1',
        containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })],
        statuses: [downStatus('web', { reason: 'Error', exitCode: 137 })],
        status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: EVICTION_NOW }] },
      }),
    },
    want: { cause: 'node-pressure', kind: 'eviction', confidence: 'high', container: 'web' },
  },
  {
    name: 'an eviction for disk is not memory',
    input: { pod: evictedPod('The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. '), events: [] },
    want: { cause: 'not-oom', kind: 'other-eviction', confidence: 'high' },
  },
  {
    name: 'a pod rejected at admission because of MemoryPressure',
    input: {
      pod: pod({ name: 'batch-1', containers: [api()], statuses: [], status: { phase: 'Failed', reason: 'Evicted', message: 'Pod was rejected: The node had condition: [MemoryPressure]. ' } }),
      node: node({ memoryPressure: true }),
      events: [],
    },
    want: { cause: 'node-pressure', kind: 'admission-rejected', confidence: 'high' },
  },
  {
    name: 'no limit + SystemOOM: a node-wide OOM, and it needs a limit',
    input: {
      pod: noLimitPod,
      node: node(),
      events: [event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: python3, pid: 31337', at: at(2) })],
    },
    want: {
      cause: 'node-pressure',
      kind: 'node-oom',
      confidence: 'high',
      container: 'reports',
      headline: 'reports › reports was killed by a node-wide OOM, not by its own limit',
      recommendation: { memoryLimit: '384Mi', capped: false },
    },
  },
  {
    name: 'a SystemOOM an hour away does not explain the kill',
    input: { pod: limitPod, node: node(), events: [event({ reason: 'SystemOOM', message: 'System OOM encountered', at: at(3600) })] },
    want: { cause: 'limit', kind: 'container-limit' },
  },
  {
    name: 'no limit and no node event: a parent cgroup ran out, medium confidence',
    input: { pod: noLimitPod, node: node(), events: [] },
    want: { cause: 'node-pressure', kind: 'kubepods-oom', confidence: 'medium' },
  },
  {
    name: 'OOMKilled far below the limit per a kernel line naming the pod: a parent cgroup ran out, not its limit',
    input: { pod: bigLimitPod, node: node(), events: [event({ reason: 'OOMKilling', message: KERNEL_LOW_NAMED, source: 'kernel-monitor', at: at(1) })] },
    want: { cause: 'node-pressure', kind: 'kubepods-oom', confidence: 'high', memory: { usage: '1Gi', usageSource: 'kernel OOM line (anon-rss of java)' }, recommendation: undefined },
  },
  {
    name: 'an unnamed kernel line whose oom_score_adj is this container’s (2Gi request on 16Gi: 875) and far below the limit: a parent cgroup ran out',
    input: { pod: bigLimitPod, node: node(), events: [event({ reason: 'OOMKilling', message: KERNEL_LOW.replace('oom_score_adj:969', 'oom_score_adj:875'), source: 'kernel-monitor', at: at(1) })] },
    want: { cause: 'node-pressure', kind: 'kubepods-oom', confidence: 'medium', recommendation: undefined },
  },
  {
    name: "a kernel line that names neither the pod nor a size near the limit is another process's kill, not evidence",
    input: { pod: bigLimitPod, node: node(), events: [event({ reason: 'OOMKilling', message: KERNEL_LOW.replace('(java)', '(fluent-bit)'), source: 'kernel-monitor', at: at(-40) })] },
    want: { cause: 'limit', kind: 'container-limit', confidence: 'high', recommendation: { memoryLimit: '5Gi' } },
  },
  {
    name: 'an aggregated SystemOOM whose first and last times are far from the kill does not explain it',
    input: {
      pod: limitPod,
      node: node(),
      events: [event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 4242', firstAt: at(-2 * 86400), at: at(7 * 3600), count: 12 })],
    },
    want: { cause: 'limit', kind: 'container-limit', confidence: 'high' },
  },
  {
    name: "a node OOM near the kill whose victim is another process is still node pressure, with less confidence",
    input: { pod: noLimitPod, node: node(), events: [event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: java, pid: 4242', at: at(1) })] },
    want: { cause: 'node-pressure', kind: 'node-oom', confidence: 'medium' },
  },
  {
    name: 'a kernel line at the limit confirms a limit OOM',
    input: {
      pod: limitPod,
      node: node(),
      events: [event({ reason: 'OOMKilling', message: 'Memory cgroup out of memory: Killed process 77 (node) total-vm:1200000kB, anon-rss:522000kB, file-rss:0kB, shmem-rss:0kB', at: at(1) })],
    },
    want: { cause: 'limit', kind: 'container-limit', confidence: 'high', memory: { usage: '509.8Mi' } },
  },
  {
    name: 'a node under MemoryPressure lowers a limit verdict to medium',
    input: { pod: limitPod, node: node({ memoryPressure: true }), events: [] },
    want: { cause: 'limit', kind: 'container-limit', confidence: 'medium' },
  },
  {
    name: 'OOMKilled with exit 1: a child process was killed at the limit',
    input: { pod: pod({ deployment: 'render', containers: [api('1Gi', '1Gi')], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 1 }, 3)] }), node: node(), events: [] },
    want: { cause: 'limit', kind: 'child-process', confidence: 'high', recommendation: { memoryLimit: '1280Mi' } },
  },
  {
    name: 'JVM exit 3 with ExitOnOutOfMemoryError: the heap, sized to the limit',
    input: {
      pod: runtimePod('billing', 3, 'Terminating due to java.lang.OutOfMemoryError: Java heap space', {}, '2Gi'),
      node: node(),
      events: [],
    },
    want: { cause: 'runtime', kind: 'jvm-heap', runtime: 'jvm', confidence: 'high', recommendation: { runtimeSetting: { name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75' } } },
  },
  {
    name: 'Node.js 134 with --max-old-space-size from NODE_OPTIONS: raise the heap, not the limit',
    input: {
      pod: runtimePod(
        'graphql-gateway',
        134,
        '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n 1: 0xb090e0 node::Abort() [node]',
        { env: { NODE_OPTIONS: '--max-old-space-size=2048' } },
        '4Gi',
      ),
      events: [],
    },
    want: {
      cause: 'runtime',
      kind: 'node-heap',
      runtime: 'node',
      headline: 'graphql-gateway › graphql-gateway died of a Node.js memory limit, not the container limit (4Gi)',
      recommendation: { runtimeSetting: { name: 'NODE_OPTIONS', value: '--max-old-space-size=3072' } },
    },
  },
  {
    name: '.NET exiting 139 as PID 1 is recognised by its text',
    input: { pod: runtimePod('orders', 139, 'Unhandled exception. System.OutOfMemoryException: Exception of type \'System.OutOfMemoryException\' was thrown.'), events: [] },
    want: { cause: 'runtime', kind: 'dotnet-heap', runtime: 'dotnet', recommendation: { memoryLimit: '640Mi' } },
  },
  {
    name: 'Go exit 2: runtime out of memory, GOMEMLIMIT at 90 % of the limit',
    input: { pod: runtimePod('ingest', 2, 'fatal error: runtime: out of memory\n\ngoroutine 1 [running]:'), events: [] },
    want: { cause: 'runtime', kind: 'go-heap', runtime: 'go', recommendation: { runtimeSetting: { name: 'GOMEMLIMIT', value: '460MiB' } } },
  },
  {
    name: 'Python MemoryError, exit 1',
    input: { pod: runtimePod('etl', 1, 'Traceback (most recent call last):\n  File "/app/etl.py", line 12, in <module>\n    rows = load()\nMemoryError'), events: [] },
    want: { cause: 'runtime', kind: 'python-heap', runtime: 'python', recommendation: { memoryLimit: '640Mi' } },
  },
  {
    name: 'liveness-probe 137: not memory',
    input: {
      pod: profilePod,
      node: node(),
      events: [
        podEvent(profilePod, { reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.0.3.7:8080/healthz": context deadline exceeded', container: 'app', count: 18, firstAt: at(-3000), at: at(-5) }),
        podEvent(profilePod, { reason: 'Killing', message: 'Container app failed liveness probe, will be restarted', type: 'Normal', container: 'app', count: 6, firstAt: at(-3000), at: at(-2) }),
      ],
    },
    want: { cause: 'not-oom', kind: 'liveness-probe', confidence: 'high', container: 'app', headline: 'profile › app exited 137, but not from memory: the liveness probe killed it', recommendation: undefined },
  },
  {
    name: 'a bare Error/137 with nothing else is unknown, never a confident limit',
    input: { pod: bare137, node: node(), events: [] },
    want: {
      cause: 'unknown',
      kind: 'unexplained-sigkill',
      confidence: 'low',
      headline: 'memtest › memtest exited 137 with reason "Error" — memory unproven',
      recommendation: undefined,
      missingIncludes: [`node-problem-detector OOMKilling events or the node's kernel log around ${T0}`],
    },
  },
  {
    name: 'Error/137 with a kernel line naming the pod cgroup: an under-reported limit OOM',
    input: {
      pod: bare137,
      node: node({ runtime: 'docker://1.10.3' }),
      events: [
        event({
          reason: 'OOMKilling',
          message:
            'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0,oom_memcg=/kubepods/burstable/pod0b6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c30/abc,task_memcg=/kubepods/burstable/pod0b6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c30/abc,task=memtest,pid=999,uid=0',
          at: at(1),
        }),
      ],
    },
    want: { cause: 'limit', kind: 'container-limit', confidence: 'medium' },
  },
  {
    name: 'Error/137 on a pod being deleted: SIGKILL after the grace period',
    input: {
      pod: pod({ name: 'api-old', containers: [api()], statuses: [downStatus('api', { reason: 'Error', exitCode: 137 })], metadata: { deletionTimestamp: at(-30) } }),
      events: [],
    },
    want: { cause: 'not-oom', kind: 'external-kill', confidence: 'high' },
  },
  {
    name: 'ContainerStatusUnknown/137 on a deleted pod is the kubelet placeholder',
    input: {
      pod: pod({
        name: 'api-gone',
        containers: [api()],
        statuses: [downStatus('api', { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was deleted.  The container used to be Running' })],
      }),
      events: [],
    },
    want: { cause: 'not-oom', kind: 'status-unknown', confidence: 'high' },
  },
  {
    name: 'a recommendation is capped at what the node can give, and says so',
    input: {
      pod: pod({ deployment: 'cache', containers: [container({ name: 'redis', limit: '7Gi', request: '7Gi' })], statuses: [restartedStatus('redis', oomKilled, 1)] }),
      node: node({ allocatable: '7.5Gi' }),
      events: [],
    },
    want: { cause: 'limit', recommendation: { memoryLimit: '7680Mi', capped: true } },
  },
  {
    name: 'the recommendation leaves room for the other pods on the node',
    input: {
      pod: limitPod,
      node: node({ allocatable: '1Gi' }),
      nodePods: [pod({ name: 'other', uid: 'other-uid', containers: [container({ name: 'x', limit: '512Mi', request: '512Mi' })], statuses: [runningStatus('x')] })],
      events: [],
    },
    want: { cause: 'limit', recommendation: { memoryLimit: '512Mi', capped: true } },
  },
  {
    name: '--container picks that container even when another died more recently',
    input: {
      pod: pod({
        deployment: 'checkout',
        containers: [api(), container({ name: 'sidecar', limit: '128Mi' })],
        statuses: [restartedStatus('api', { ...oomKilled, finishedAt: at(-600) }, 1), restartedStatus('sidecar', oomKilled, 1)],
      }),
      events: [],
    },
    container: 'api',
    want: { container: 'api', cause: 'limit' },
  },
  // Stopped or refused for what is not memory (docs/domain.md §7 rule 1), as kubelets of several versions write it.
  {
    name: "an eviction for a container's ephemeral-storage limit known only from the Evicted event",
    input: (() => {
      const p = pod({ name: 'web-1', containers: [container({ name: 'web', limit: '1Gi' })], statuses: [downStatus('web', { reason: 'Error', exitCode: 137 })], status: { phase: 'Failed', reason: 'Evicted' } });
      return { pod: p, events: [podEvent(p, { reason: 'Evicted', message: 'Container web exceeded its local ephemeral storage limit "1Gi". ' })] };
    })(),
    want: { cause: 'not-oom', kind: 'storage-limit', confidence: 'high', container: 'web', headline: 'web-1 was evicted: web passed its 1Gi ephemeral-storage limit, not memory', recommendation: undefined },
  },
  {
    name: 'an eviction for an emptyDir sizeLimit in the DisruptionTarget condition',
    input: {
      pod: pod({
        name: 'etl-1',
        containers: [container({ name: 'etl', limit: '2Gi' })],
        statuses: [downStatus('etl', { reason: 'Error', exitCode: 137 })],
        status: { phase: 'Failed', reason: 'Evicted', message: 'Usage of EmptyDir volume "data" exceeds the limit "1Gi". ', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'Usage of EmptyDir volume "data" exceeds the limit "1Gi". ' }] },
      }),
      events: [],
    },
    want: { cause: 'not-oom', kind: 'storage-limit', headline: 'etl-1 was evicted: emptyDir data passed its 1Gi sizeLimit, not memory' },
  },
  {
    name: 'an eviction for PIDs names the resource, not memory pressure',
    input: { pod: evictedPod('The node was low on resource: pids. '), events: [] },
    want: { cause: 'not-oom', kind: 'other-eviction', confidence: 'high', headline: 'web-5c7d8f6b9-m4tzr was evicted: node ip-10-0-12-7 ran low on process IDs (PIDs), not memory' },
  },
  {
    name: 'a node shutdown known only from the DisruptionTarget condition',
    input: {
      pod: pod({
        name: 'api-1',
        containers: [api()],
        statuses: [downStatus('api', { reason: 'Error', exitCode: 137 })],
        status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'Pod was terminated in response to imminent node shutdown.' }] },
      }),
      node: node(),
      events: [],
    },
    want: { cause: 'not-oom', kind: 'node-shutdown', confidence: 'high', container: 'api', headline: 'api-1 was stopped for a node shutdown, not memory' },
  },
  {
    name: 'preempted by the kubelet for a critical pod is not an eviction',
    input: {
      pod: pod({
        name: 'batch-7',
        containers: [api()],
        statuses: [downStatus('api', { reason: 'Error', exitCode: 137 })],
        status: { phase: 'Failed', reason: 'Preempting', message: 'Preempted in order to admit critical pod', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'Pod was preempted by Kubelet to accommodate a critical pod.' }] },
      }),
      events: [],
    },
    want: { cause: 'not-oom', kind: 'external-kill', confidence: 'high', headline: 'batch-7 › api exited 137, but not from memory: it was preempted by the kubelet to admit a critical pod' },
  },
  {
    name: 'OutOfpods at admission: nothing ran, no memory-related termination needed',
    input: { pod: pod({ name: 'job-1', containers: [api()], statuses: [], status: { phase: 'Failed', reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 110, capacity: 110" } }), events: [] },
    want: { cause: 'not-oom', kind: 'not-admitted', confidence: 'high', container: 'api', summary: "The pod never ran: the kubelet on node ip-10-0-12-7 refused it because the node's allocatable pod slots could not fit its request (1 requested, 110 already requested by other pods, 110 allocatable): a scheduling or node problem, not an OOM." },
  },
  {
    name: 'rejected at admission for DiskPressure: not memory pressure',
    input: { pod: pod({ name: 'batch-2', containers: [api()], statuses: [], status: { phase: 'Failed', reason: 'Evicted', message: 'Pod was rejected: The node had condition: [DiskPressure]. ' } }), events: [] },
    want: { cause: 'not-oom', kind: 'not-admitted', confidence: 'high', headline: 'batch-2 never ran: node ip-10-0-12-7 had DiskPressure, not memory' },
  },
  {
    name: 'OOMKilled with exit 143 and no probe kill stays a memory kill of a child process',
    input: { pod: pod({ deployment: 'render', containers: [api('1Gi', '1Gi')], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 143 }, 3)] }), node: node(), events: [] },
    want: { cause: 'limit', kind: 'child-process', confidence: 'high' },
  },
  {
    name: 'OOMKilled with exit 143 right after a liveness-probe kill is the probe',
    input: {
      pod: pod({ deployment: 'profile', containers: [container({ name: 'app', limit: '1Gi' })], statuses: [restartedStatus('app', { reason: 'OOMKilled', exitCode: 143 }, 6)] }),
      node: node(),
      events: [podEvent(profilePod, { reason: 'Killing', message: 'Container app failed liveness probe, will be restarted', type: 'Normal', container: 'app', at: at(-3) })],
    },
    want: { cause: 'not-oom', kind: 'liveness-probe', confidence: 'high', headline: 'profile › app exited 143, but not from memory: the liveness probe killed it', recommendation: undefined },
  },
];

/** The fields of `actual` that `wanted` names; all of `actual` when nothing is wanted (so an unwanted value shows). */
function pickKeys<T extends object>(actual: T | undefined, wanted: Partial<T> | undefined): Partial<T> | undefined {
  if (!actual || !wanted) return actual;
  return Object.fromEntries(Object.keys(wanted).map((k) => [k, actual[k as keyof T]])) as Partial<T>;
}

describe('diagnose', () => {
  it.each(rows)('$name', ({ input, container: c, want }) => {
    const verdict = diagnose(input, c ? { container: c } : {});
    expect(VerdictSchema.parse(verdict)).toEqual(verdict);
    const { evidenceIncludes, missingIncludes, recommendation, ...fields } = want;
    expect(verdict).toMatchObject(fields);
    // A row that names no recommendation does not care; one that names `undefined` wants none.
    const got = 'recommendation' in want ? pickKeys(verdict.recommendation, recommendation) : undefined;
    expect(got).toEqual(recommendation);
    for (const line of evidenceIncludes ?? []) expect(verdict.evidence).toContain(line);
    for (const line of missingIncludes ?? []) expect(verdict.missing).toContain(line);
    expect(verdict.headline.length).toBeLessThanOrEqual(150);
    expect(verdict.summary).toMatch(/\.$/);
    expect(verdict.evidence.length).toBeGreaterThan(0);
  });

  it('picks the container with the most recent memory-related termination', () => {
    const p = pod({
      containers: [api(), container({ name: 'worker', limit: '256Mi' })],
      statuses: [restartedStatus('api', { ...oomKilled, finishedAt: at(-600) }, 1), restartedStatus('worker', oomKilled, 1)],
    });
    expect(diagnose({ pod: p }).container).toBe('worker');
  });

  it('says "no memory-related termination found" for a pod that only exited cleanly', () => {
    const p = pod({ containers: [api()], statuses: [restartedStatus('api', { reason: 'Completed', exitCode: 0 })] });
    expect(() => diagnose({ pod: p })).toThrow(expect.objectContaining({ code: 'NO_MEMORY_TERMINATION', message: expect.stringMatching(/^no memory-related termination found in pod shop\/worker: api last exited 0 \(Completed\)/) }));
  });

  it('names the containers it has when asked for one it does not', () => {
    expect(() => diagnose({ pod: limitPod }, { container: 'nope' })).toThrow(DiagnosisError);
    expect(() => diagnose({ pod: limitPod }, { container: 'nope' })).toThrow('container "nope" not found in pod shop/checkout-7d9f8b6c5-m4tzr; it has: api');
  });

  it('does not call the kubelet placeholder 137 a signal', () => {
    const p = pod({ name: 'api-gone', containers: [api()], statuses: [downStatus('api', { reason: 'ContainerStatusUnknown', exitCode: 137 })] });
    const verdict = diagnose({ pod: p, events: [] });
    expect(verdict.termination).not.toHaveProperty('signal');
    expect(verdict.evidence[0]).toBe(`container api: state.terminated reason ContainerStatusUnknown, exit 137 at ${T0}, 0 restarts`);
  });

  it('shows a decimal quantity as the manifest wrote it, not a rounded binary one', () => {
    const p = pod({ name: 'redis-0', containers: [container({ name: 'redis', limit: '2G' })], statuses: [restartedStatus('redis', oomKilled, 1)] });
    const verdict = diagnose({ pod: p, node: node(), events: [] });
    expect(verdict.memory).toMatchObject({ limit: '2G', request: '2G' });
    expect(verdict.headline).toBe('worker › redis was OOMKilled at its 2G memory limit'.replace('worker', 'redis-0'));
  });

  it("lists a source it could not read once, in the caller's words", () => {
    const offline = diagnose({
      pod: limitPod,
      unavailable: [
        { source: 'events', reason: 'not-in-input', detail: 'add kubectl get events -n shop -o json' },
        { source: 'node', reason: 'not-in-input' },
      ],
    });
    expect(offline.unseen).toEqual([
      { source: 'events', reason: 'not-in-input', detail: 'add kubectl get events -n shop -o json' },
      { source: 'node', reason: 'not-in-input' },
    ]);
    expect(offline.missing).toEqual(['events: not in the input files (add kubectl get events -n shop -o json)', 'the node object (ip-10-0-12-7): not in the input files']);
    // Events of the pod are part of "events of the pod and its node": the caller's reason replaces the engine's line.
    const live = diagnose({ pod: limitPod, unavailable: [{ source: 'pod-events', reason: 'not-permitted', detail: 'events is forbidden' }] });
    expect(live.unseen).toEqual([
      { source: 'pod-events', reason: 'not-permitted', detail: 'events is forbidden' },
      { source: 'node', reason: 'not-given' },
    ]);
    expect(live.missing).toEqual(['events of the pod: forbidden (events is forbidden)', 'the node object (allocatable, MemoryPressure)']);
  });

  it("keeps the engine's own entry where the caller spoke of another source", () => {
    const verdict = diagnose({ pod: limitPod, unavailable: [{ source: 'metrics', reason: 'not-found' }] });
    expect(verdict.unseen).toEqual([
      { source: 'metrics', reason: 'not-found' },
      { source: 'node', reason: 'not-given' },
      { source: 'events', reason: 'not-given' },
    ]);
    expect(verdict.missing).toEqual(['metrics.k8s.io (current working set): not served by this cluster', 'the node object (allocatable, MemoryPressure)', 'events of the pod and its node']);
  });

  it('asks for a memory limit of a size, not "a limit to" one', () => {
    const v = diagnose({ pod: noLimitPod, node: node(), events: [event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: python3, pid: 31337', at: at(2) })] });
    expect(v.action).toBe('Give it a memory limit of 384Mi (from what it was using; fits the node) and a realistic request; check what else on ip-10-0-12-7 grew.');
  });

  it('does not repeat a runtime setting in its own rationale', () => {
    const v = diagnose({ pod: runtimePod('gw', 134, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', { env: { NODE_OPTIONS: '--max-old-space-size=2048' } }, '4Gi'), events: [] });
    expect(v.recommendation).toMatchObject({ runtimeSetting: { name: 'NODE_OPTIONS', value: '--max-old-space-size=3072' }, rationale: 'NODE_OPTIONS sized to the 4Gi container limit' });
  });

  it('says a recommended size in the largest unit where it is exact, and keeps the manifest quantity', () => {
    const p = pod({ deployment: 'olap', containers: [container({ name: 'db', limit: '19968Mi', request: '16Gi' })], statuses: [restartedStatus('db', oomKilled, 1)] });
    const v = diagnose({ pod: p, node: node({ capacity: '64Gi', allocatable: '62Gi' }), events: [] });
    expect(v.memory.limit).toBe('19.5Gi');
    expect(v.recommendation?.memoryLimit).toBe('25088Mi');
    expect(v.action).toContain('raise the limit to 24.5Gi (+26 %; fits the node)');
  });

  it('fits a headline by shortening the names in it, never the clause', () => {
    const long = 'tenant-analytics-streaming-aggregation-worker-with-a-very-long-name';
    const p = evictedPod(EVICTION_NOW);
    p.metadata.name = `${long}-5c7d8f6b9-m4tzr`;
    p.spec.nodeName = `ip-10-0-12-7.${'x'.repeat(60)}.compute.internal`;
    const v = diagnose({ pod: p, events: [] });
    expect(v.headline.length).toBeLessThanOrEqual(150);
    // The longest name (the node's) gives way first, and only as much as needed.
    expect(v.headline).toBe(`${long}-5c7d8f6b9-m4tzr was evicted: node ip-10-0-12-7.${'x'.repeat(16)}… ran low on memory`);
  });

  it('offers Set request only where the evicted container used far more than its request', () => {
    const evictedUsing = (usage: string) => evictedPod(`The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using ${usage}, request is 512Mi, has larger consumption of memory. `);
    const near = diagnose({ pod: evictedUsing('560Mi'), node: node({ memoryPressure: true }), events: [] });
    expect(near).toMatchObject({ cause: 'node-pressure', kind: 'eviction' });
    expect(near.recommendation?.memoryRequest).toBeUndefined();
    expect(near.action).toMatch(/^Set memory requests close to real usage on the pods of this node/);
    const far = diagnose({ pod: evictedUsing('620Mi'), node: node({ memoryPressure: true }), events: [] });
    expect(far.recommendation?.memoryRequest).toBe('704Mi');
  });

  it('passes what the caller could not read into unseen and missing', () => {
    const verdict = diagnose({ pod: limitPod, unavailable: [{ source: 'node', reason: 'not-permitted', detail: 'get nodes' }] });
    expect(verdict.unseen).toContainEqual({ source: 'node', reason: 'not-permitted', detail: 'get nodes' });
    expect(verdict.unseen).not.toContainEqual({ source: 'node', reason: 'not-given' });
    expect(verdict.missing).toContain('the node object (ip-10-0-12-7): forbidden (get nodes)');
  });
});

describe('diagnose with kubelet and metrics data', () => {
  const summary = {
    node: { nodeName: 'ip-10-0-12-7', memory: { availableBytes: 3.1 * 2 ** 30, workingSetBytes: 11 * 2 ** 30 } },
    pods: [{ podRef: { name: 'reports', namespace: 'analytics' }, containers: [{ name: 'reports', memory: { workingSetBytes: 700 * 2 ** 20 } }] }],
  };
  const configz = { kubeletconfig: { evictionHard: { 'memory.available': '100Mi' }, singleProcessOOMKill: false } };

  it('adds what the container and node use now and the kubelet settings as context, and sizes a missing limit from it', () => {
    const verdict = diagnose({ pod: noLimitPod, node: node(), events: [], kubeletSummary: summary, kubeletConfig: configz });
    expect(verdict.evidence).toEqual(
      expect.arrayContaining([
        'container reports uses 700Mi now, since its last start (kubelet Summary API, working set)',
        'node ip-10-0-12-7 has 3.1Gi available now (kubelet Summary API)',
        'kubelet evicts when memory.available < 100Mi (configz)',
        'kubelet singleProcessOOMKill=false: the whole container is killed together (memory.oom.group) (configz)',
      ]),
    );
    expect(verdict.recommendation?.memoryLimit).toBe('864Mi') // 700Mi × 1.2 = 840Mi, rounded up to a 32Mi step;
  });

  it('reads the working set from metrics.k8s.io when the kubelet is not reachable', () => {
    const podMetrics = { kind: 'PodMetrics' as const, metadata: { name: 'checkout-7d9f8b6c5-m4tzr', namespace: 'shop' }, containers: [{ name: 'api', usage: { cpu: '12m', memory: '300Mi' } }] };
    const verdict = diagnose({ pod: limitPod, node: node(), events: [], podMetrics });
    expect(verdict.evidence).toContain('container api uses 300Mi now (59 % of its limit), since its last start (metrics.k8s.io, working set)');
  });

  it('leaves out a metrics.k8s.io sample taken before the kill: it is the dead instance, not what the container uses now', () => {
    const finishedAt = '2026-11-27T10:00:30Z';
    const killed = pod({ deployment: 'checkout', containers: [api()], statuses: [restartedStatus('api', { ...oomKilled, finishedAt }, 1)] });
    const sampled = (timestamp: string) => ({ kind: 'PodMetrics' as const, metadata: { name: 'checkout-7d9f8b6c5-m4tzr', namespace: 'shop' }, timestamp, containers: [{ name: 'api', usage: { cpu: '12m', memory: '508Mi' } }] });
    const usage = (timestamp: string) => diagnose({ pod: killed, node: node(), events: [], podMetrics: sampled(timestamp) }).evidence.filter((e) => e.includes(' now'));
    expect(usage('2026-11-27T10:00:29Z')).toEqual([]);
    expect(usage(finishedAt)).toEqual([]);
    expect(usage('2026-11-27T10:00:45Z')).toEqual(['container api uses 508Mi now (99 % of its limit), since its last start (metrics.k8s.io, working set)']);
  });
});
