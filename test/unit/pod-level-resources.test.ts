// Pod-level resources (spec.resources, KEP-2837; beta and on by default since Kubernetes 1.34): the pod's limit bounds
// containers without their own, decides the QoS class when set, and is what Raise limit patches.
import { describe, expect, it } from 'vitest';
import { proposedChange } from '../../bot/raise-limit.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { memoryResources, podMemoryRequests, qosClass } from '#shared/pod-facts.ts';
import { GiB } from '#shared/quantity.ts';
import { container, event, node, pod, restartedStatus } from '../support/k8s-factories.ts';

type Resources = { limits?: Record<string, string>; requests?: Record<string, string> };

function withPodResources(p: Pod, resources: Resources, qos?: string): Pod {
  const status = { ...p.status };
  delete status.qosClass;
  return { ...p, spec: { ...p.spec, resources }, status: qos ? { ...status, qosClass: qos } : status };
}

const bare = (...containers: ReturnType<typeof container>[]) => pod({ containers, statuses: [] });
const noResources = (name: string) => ({ ...container({ name }), resources: {} });
const cpuMem = (cpu: string, memory: string, request?: { cpu?: string; memory?: string }) => ({ name: 'app', image: 'app:1', resources: { limits: { cpu, memory }, ...(request ? { requests: request } : {}) } });

describe('qosClass', () => {
  it('takes the class the API server recorded', () => {
    expect(qosClass(withPodResources(bare(noResources('a')), { limits: { memory: '1Gi' } }, 'Burstable'))).toBe('Burstable');
  });

  // KEP-2837 "QoS Changes", ComputePodQOS: pod-level cpu or memory decides alone when set.
  it.each<[string, Resources, ReturnType<typeof container>[], string]>([
    ['pod-level cpu and memory limits only (requests default to them)', { limits: { cpu: '2', memory: '4Gi' } }, [noResources('a')], 'Guaranteed'],
    ['pod-level requests equal to limits, containers unsized', { limits: { cpu: '2', memory: '4Gi' }, requests: { cpu: '2', memory: '4Gi' } }, [noResources('a'), noResources('b')], 'Guaranteed'],
    ['pod-level memory limit only: no cpu limit, so not Guaranteed', { limits: { memory: '4Gi' } }, [noResources('a')], 'Burstable'],
    ['pod-level limits over Guaranteed containers, but a pod request below them', { limits: { cpu: '2', memory: '4Gi' }, requests: { cpu: '1', memory: '2Gi' } }, [container({ name: 'a', limit: '1Gi' })], 'Burstable'],
    ['pod-level limits, containers with requests: the pod request is theirs, below the limit', { limits: { cpu: '2', memory: '4Gi' } }, [container({ name: 'a', request: '1Gi' })], 'Burstable'],
    ['pod-level hugepages only: containers decide', { limits: { 'hugepages-2Mi': '128Mi' } }, [], 'BestEffort'],
  ])('%s → %s', (_name, resources, containers, want) => {
    expect(qosClass(withPodResources(bare(...containers), resources))).toBe(want);
  });

  it('counts init containers and ignores zero quantities, as the API server does', () => {
    const p = { metadata: {}, spec: { containers: [cpuMem('1', '1Gi')], initContainers: [{ name: 'init', image: 'i', resources: { limits: { memory: '64Mi' } } }] }, status: {} } as Pod;
    expect(qosClass(p)).toBe('Burstable');
    expect(qosClass({ ...p, spec: { containers: [cpuMem('1', '1Gi')] } })).toBe('Guaranteed');
    const zero = { spec: { containers: [{ name: 'a', resources: { requests: { memory: '0' } } }] }, metadata: {}, status: {} } as Pod;
    expect(qosClass(zero)).toBe('BestEffort');
  });
});

describe('memoryResources and podMemoryRequests', () => {
  it('a container without a limit of its own is bounded by the pod-level limit', () => {
    const p = withPodResources(bare(container({ name: 'api', request: '1Gi' })), { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } });
    expect(memoryResources(p, 'api')).toEqual({
      limitBytes: 3 * GiB,
      limitText: '3Gi',
      limitScope: 'pod',
      requestBytes: GiB,
      requestText: '1Gi',
      pod: { limitBytes: 3 * GiB, limitText: '3Gi', requestBytes: 2 * GiB, requestText: '2Gi' },
    });
  });

  it('the scheduler counts the pod-level request for the whole pod', () => {
    const p = withPodResources(bare(container({ name: 'a', request: '256Mi' }), noResources('b')), { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } });
    expect(podMemoryRequests(p)).toBe(2 * GiB);
  });
});

describe('diagnose with pod-level resources', () => {
  const shared = (extra: Partial<Pod['status']> = {}) =>
    withPodResources(
      pod({ deployment: 'search', containers: [container({ name: 'api', request: '1Gi' }), noResources('envoy')], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)], status: extra }),
      { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } },
      'Burstable',
    );

  it('is a pod-limit kill, not node pressure, sized against the pod-level limit with the whole pod inside it', () => {
    const v = diagnose({ pod: shared(), node: node(), events: [] });
    expect(v).toMatchObject({
      cause: 'limit',
      kind: 'pod-limit',
      confidence: 'high',
      headline: "search › api was OOM-killed at the pod's 3Gi memory limit",
      memory: { limit: '3Gi', limitScope: 'pod', podLimit: '3Gi', podRequest: '2Gi', request: '1Gi', qosClass: 'Burstable' },
      recommendation: { memoryLimit: '3840Mi', capped: false },
    });
    expect(v.evidence).toContain("no memory limit of its own, request 1Gi (pod spec); the pod-level memory limit 3Gi, request 2Gi (spec.resources) bounds it and the pod's other containers together");
    expect(v.recommendation!.rationale).toContain("fits node ip-10-0-12-7's 14Gi allocatable (other pods' requests not seen)");
    expect(proposedChange(v)).toEqual({ field: 'pod-limit', value: '3840Mi', label: 'Raise pod limit to 3840Mi' });
  });

  it("a kill below the container's own limit, in the pod's cgroup by the kernel's oom_memcg, is the pod's limit", () => {
    const uid = '0b6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c30';
    const slice = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice`;
    const line = `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-9f2.scope,mems_allowed=0,oom_memcg=${slice},task_memcg=${slice}/cri-containerd-9f2.scope,task=java,pid=4321,uid=1000 Memory cgroup out of memory: Killed process 4321 (java) total-vm:6123456kB, anon-rss:1048576kB, file-rss:2048kB, shmem-rss:0kB, UID:1000 pgtables:4096kB oom_score_adj:969`;
    const p = withPodResources(pod({ deployment: 'search', containers: [container({ name: 'api', limit: '4Gi', request: '2Gi' }), container({ name: 'cache', limit: '4Gi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 1)] }), { limits: { memory: '5Gi' } }, 'Burstable');
    const v = diagnose({ pod: p, node: node(), events: [event({ reason: 'OOMKilling', message: line })] });
    expect(v).toMatchObject({ cause: 'limit', kind: 'pod-limit', confidence: 'high', memory: { limit: '4Gi', podLimit: '5Gi' }, recommendation: { memoryLimit: '6400Mi' } });
    expect(v.headline).toBe("search › api was OOM-killed at the pod's 5Gi memory limit, below its own 4Gi limit");
  });

  it("a container's own limit cannot be raised past the pod-level one: capped there, and said why", () => {
    const p = withPodResources(pod({ deployment: 'kafka', containers: [container({ name: 'kafka', limit: '5Gi', request: '4Gi' })], statuses: [restartedStatus('kafka', { reason: 'OOMKilled', exitCode: 137 }, 1)] }), { limits: { memory: '6Gi' } }, 'Burstable');
    const v = diagnose({ pod: p, node: node({ allocatable: '30Gi', capacity: '32Gi' }), events: [] });
    expect(v).toMatchObject({ kind: 'container-limit', recommendation: { memoryLimit: '6Gi', capped: true } });
    expect(v.action).toContain('raise the limit to 6Gi (capped at the pod-level limit; raise that first for more (6400Mi wanted))');
  });

  it('without a pod-level limit a container with none is still node pressure', () => {
    const p = pod({ deployment: 'r', containers: [container({ name: 'r', request: '256Mi' })], statuses: [restartedStatus('r', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    expect(diagnose({ pod: p, node: node(), events: [] })).toMatchObject({ cause: 'node-pressure', kind: 'kubepods-oom' });
    expect(memoryResources(p, 'r').limitScope).toBeUndefined();
  });
});
