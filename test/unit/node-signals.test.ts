// Which node events count as the node's word (issue 10, item 1: a tenant can fake a node OOM), and how much a genuine
// one weighs against a limit kill (docs/domain.md §7 rule 3). Events are shaped as the kubelet's and
// node-problem-detector's recorders write them (client-go tools/record: namespace default for a Node, source copied
// into reportingComponent).
import { describe, expect, it } from 'vitest';
import { diagnose } from '#shared/diagnose.ts';
import type { KubeEvent } from '#shared/k8s-objects.ts';
import { ignoredNodeOomEvents, nodeOomSignals, untrustedBecause, whoseKill, type ContainerIdentity } from '#shared/node-signals.ts';
import { nodeEventOccurrence } from '#shared/occurrences.ts';
import { at, container, event, node, pod, restartedStatus } from '../support/k8s-factories.ts';

const NODE = 'ip-10-0-12-7';
const here = { name: NODE, uid: 'node-uid-1' };

/** An event as a given writer files it; `over` changes what a forger would change. */
function nodeEvent(reason: 'SystemOOM' | 'OOMKilling', message: string, over: { namespace?: string; component?: string; reporting?: string; host?: string; uid?: string; name?: string; at?: string } = {}): KubeEvent {
  const e = event({ reason, message, at: over.at ?? at(1), ...(over.component ? { source: over.component } : {}) });
  return {
    ...e,
    metadata: { ...e.metadata, namespace: over.namespace ?? 'default' },
    involvedObject: { kind: 'Node', name: over.name ?? NODE, uid: over.uid ?? NODE },
    source: { component: e.source!.component, host: over.host ?? NODE },
    ...(over.reporting !== undefined ? { reportingComponent: over.reporting } : {}),
  };
}

const SYSTEM_OOM = 'System OOM encountered, victim process: api, pid: 4242';
const KERNEL_OOM = 'Out of memory: Killed process 4242 (api) total-vm:912340kB, anon-rss:522000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1200kB oom_score_adj:969';

describe('which node events count', () => {
  it.each([
    ['the kubelet’s SystemOOM in default', nodeEvent('SystemOOM', SYSTEM_OOM)],
    ['the kubelet’s SystemOOM with reportingComponent set, as client-go writes it now', nodeEvent('SystemOOM', SYSTEM_OOM, { reporting: 'kubelet' })],
    ['node-problem-detector’s OOMKilling from its kernel monitor', nodeEvent('OOMKilling', KERNEL_OOM)],
    ['a node ref carrying the Node object’s uid', nodeEvent('SystemOOM', SYSTEM_OOM, { uid: 'node-uid-1' })],
  ])('counts %s', (_name, e) => {
    expect(untrustedBecause(e, here)).toBeUndefined();
    expect(nodeOomSignals([e], here, undefined, at(0))).toHaveLength(1);
  });

  it.each([
    ['written in a tenant namespace', nodeEvent('SystemOOM', SYSTEM_OOM, { namespace: 'shop' }), 'it was written in namespace shop, where node components do not write'],
    ['in default but from another component', nodeEvent('SystemOOM', SYSTEM_OOM, { component: 'my-operator' }), 'it was not reported by the kubelet'],
    ['a SystemOOM claiming node-problem-detector', nodeEvent('SystemOOM', SYSTEM_OOM, { component: 'kernel-monitor' }), 'it was not reported by the kubelet'],
    ['an OOMKilling claiming the kubelet', nodeEvent('OOMKilling', KERNEL_OOM, { component: 'kubelet' }), "it was not reported by node-problem-detector's kernel monitor"],
    ['a source that says kubelet and a reporting component that does not', nodeEvent('SystemOOM', SYSTEM_OOM, { reporting: 'tenant-bot' }), 'it was not reported by the kubelet'],
    ['reported from another host', nodeEvent('SystemOOM', SYSTEM_OOM, { host: 'ip-10-0-99-1' }), 'its source host is another node'],
    ['with another node’s uid', nodeEvent('SystemOOM', SYSTEM_OOM, { uid: 'ip-10-0-99-1' }), "its node uid is not this node's"],
    ['about another node', nodeEvent('SystemOOM', SYSTEM_OOM, { name: 'ip-10-0-99-1', uid: 'ip-10-0-99-1', host: 'ip-10-0-99-1' }), 'it is about another node'],
  ])('does not count an event %s', (_name, e, why) => {
    expect(untrustedBecause(e, here)).toBe(why);
    expect(nodeOomSignals([e], here, undefined, at(0))).toEqual([]);
  });

  it('does not count an event without a namespace (an object literal, or a dump that dropped it)', () => {
    const e = nodeEvent('SystemOOM', SYSTEM_OOM);
    expect(untrustedBecause({ ...e, metadata: { ...e.metadata, namespace: undefined } }, here)).toBe('it was written in namespace (none), where node components do not write');
  });

  it('lists look-alikes about this node near the kill, and only those', () => {
    const forged = nodeEvent('SystemOOM', SYSTEM_OOM, { namespace: 'shop' });
    const elsewhere = nodeEvent('SystemOOM', SYSTEM_OOM, { namespace: 'shop', name: 'ip-10-0-99-1' });
    const stale = nodeEvent('SystemOOM', SYSTEM_OOM, { namespace: 'shop', at: at(3600) });
    expect(ignoredNodeOomEvents([forged, elsewhere, stale, nodeEvent('SystemOOM', SYSTEM_OOM)], here, at(0))).toEqual([{ event: forged, why: 'it was written in namespace shop, where node components do not write' }]);
  });

  it('the forwarder publishes a node OOM only from the kubelet or node-problem-detector in default', () => {
    expect(nodeEventOccurrence('prod', nodeEvent('SystemOOM', SYSTEM_OOM))).toMatchObject({ kind: 'node-oom', node: NODE });
    expect(nodeEventOccurrence('prod', nodeEvent('OOMKilling', KERNEL_OOM))).toMatchObject({ kind: 'node-oom', node: NODE });
    expect(nodeEventOccurrence('prod', nodeEvent('SystemOOM', SYSTEM_OOM, { namespace: 'shop' }))).toBeUndefined();
    expect(nodeEventOccurrence('prod', nodeEvent('SystemOOM', SYSTEM_OOM, { component: 'my-operator' }))).toBeUndefined();
    expect(nodeEventOccurrence('prod', nodeEvent('SystemOOM', SYSTEM_OOM, { host: 'ip-10-0-99-1' }))).toBeUndefined();
    expect(nodeEventOccurrence('prod', nodeEvent('SystemOOM', SYSTEM_OOM, { uid: 'somebody-else' }))).toBeUndefined();
  });
});

describe('whose process a node-wide kill took', () => {
  const me: ContainerIdentity = { podUid: '0b6a1c8e-3f4d-4c7a-9a51-2d8e6f1b9c30', processes: ['api', 'node'], oomScoreAdj: 969, limitBytes: 512 * 2 ** 20 };
  const judge = (...events: KubeEvent[]) => {
    const signals = nodeOomSignals(events, here, me.podUid, at(0));
    return whoseKill(signals[0]!, signals, me);
  };

  it('this container’s, when the victim is named in its command and the kernel’s oom_score_adj agrees', () => {
    expect(judge(nodeEvent('SystemOOM', SYSTEM_OOM), nodeEvent('OOMKilling', KERNEL_OOM))).toMatchObject({ whose: 'this', victim: 'api' });
  });

  it('another’s, when the kernel line of the same pid has another oom_score_adj, whatever the name says', () => {
    expect(judge(nodeEvent('SystemOOM', SYSTEM_OOM), nodeEvent('OOMKilling', KERNEL_OOM.replace('oom_score_adj:969', 'oom_score_adj:-997')))).toMatchObject({
      whose: 'other',
      why: "the victim's oom_score_adj -997 is not this container's 969",
    });
  });

  it('another’s, when the victim held more than this container’s limit allows', () => {
    const big = KERNEL_OOM.replace('anon-rss:522000kB', 'anon-rss:4194304kB').replace(' oom_score_adj:969', '');
    expect(judge(nodeEvent('OOMKilling', big))).toMatchObject({ whose: 'other', why: "the victim held 4Gi, more than this container's limit allows" });
  });

  it('another’s, when the kernel names another pod’s cgroup', () => {
    const line = `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/kubepods/burstable/pod7777aaaa-0000-4000-8000-000000000000/abc,task=api,pid=4242,uid=0 ${KERNEL_OOM}`;
    expect(judge(nodeEvent('OOMKilling', line))).toMatchObject({ whose: 'other', why: "the victim's cgroup is another pod's" });
  });

  it('not known, when the kubelet names a victim this container’s command does not and no kernel line tells', () => {
    expect(judge(nodeEvent('SystemOOM', 'System OOM encountered, victim process: java, pid: 7'))).toMatchObject({ whose: 'unknown', victim: 'java' });
  });
});

describe('diagnose with node events of a given strength', () => {
  const limitPod = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi', command: ['node', 'server.js'] })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] });

  it('a SystemOOM a tenant wrote about the node in its namespace leaves a limit kill high, says it was not counted and quotes none of it', () => {
    const forged = nodeEvent('SystemOOM', 'System OOM encountered, victim process: node, pid: 1 <!channel> call +1-555', { namespace: 'shop' });
    const v = diagnose({ pod: limitPod, node: node(), events: [forged] });
    expect(v).toMatchObject({ cause: 'limit', kind: 'container-limit', confidence: 'high', recommendation: { memoryLimit: '640Mi' } });
    expect(v.evidence).toContain(
      "not counted: a SystemOOM event about node ip-10-0-12-7, because it was written in namespace shop, where node components do not write (only the kubelet's and node-problem-detector's own events in namespace default count)",
    );
    expect(JSON.stringify(v)).not.toContain('<!channel>');
  });

  it('the same event from the kubelet in default makes it a node OOM', () => {
    const v = diagnose({ pod: limitPod, node: node(), events: [nodeEvent('SystemOOM', 'System OOM encountered, victim process: node, pid: 1')] });
    expect(v).toMatchObject({ cause: 'node-pressure', kind: 'node-oom', confidence: 'high' });
  });

  it('a genuine node OOM whose kernel numbers point at another container leaves a limit kill, at medium', () => {
    const events = [nodeEvent('SystemOOM', 'System OOM encountered, victim process: postgres, pid: 99'), nodeEvent('OOMKilling', 'Out of memory: Killed process 99 (postgres) total-vm:9000000kB, anon-rss:7340032kB, file-rss:0kB, shmem-rss:0kB, UID:999 pgtables:15000kB oom_score_adj:900')];
    const v = diagnose({ pod: limitPod, node: node(), events });
    expect(v).toMatchObject({ cause: 'limit', kind: 'container-limit', confidence: 'medium' });
    // 256Mi of 16Gi: 1000 − ⌊1000·256Mi/16Gi⌋ = 985 (pkg/kubelet/qos/policy.go)
    expect(v.evidence).toContain("it took another container's process: the victim's oom_score_adj 900 is not this container's 985");
  });

  it('a genuine node OOM of another container is still the likely killer of a container without a limit, at medium', () => {
    const noLimit = pod({ name: 'reports', containers: [container({ name: 'reports', request: '256Mi' })], statuses: [restartedStatus('reports', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    const events = [nodeEvent('OOMKilling', 'Out of memory: Killed process 99 (postgres) total-vm:9000000kB, anon-rss:7340032kB, file-rss:0kB, shmem-rss:0kB, UID:999 pgtables:15000kB oom_score_adj:900')];
    expect(diagnose({ pod: noLimit, node: node(), events })).toMatchObject({ cause: 'node-pressure', kind: 'node-oom', confidence: 'medium' });
  });

  it('an Error/137 beside another container’s node OOM stays unexplained, naming that kill', () => {
    const bare = pod({ name: 'memtest', containers: [container({ name: 'memtest', limit: '512Mi' })], statuses: [restartedStatus('memtest', { reason: 'Error', exitCode: 137 }, 1)] });
    const events = [nodeEvent('OOMKilling', 'Out of memory: Killed process 99 (postgres) total-vm:9000000kB, anon-rss:7340032kB, file-rss:0kB, shmem-rss:0kB, UID:999 pgtables:15000kB oom_score_adj:900')];
    const v = diagnose({ pod: bare, node: node(), events });
    expect(v).toMatchObject({ cause: 'unknown', kind: 'unexplained-sigkill' });
    expect(v.evidence).toContain("it took another container's process: the victim's oom_score_adj 900 is not this container's 969");
  });
});
