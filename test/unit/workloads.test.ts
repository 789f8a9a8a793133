import { describe, expect, it } from 'vitest';
import { kindFacts, muteKey, WORKLOAD_KINDS, WorkloadRef } from '../../kube/workloads.ts';

describe('WorkloadRef.key', () => {
  it.each([
    [{ kind: 'Deployment', name: 'checkout' }, 'Deployment/checkout'],
    [{ kind: 'StatefulSet', name: 'redis' }, 'StatefulSet/redis'],
    [{ kind: 'Pod', name: 'api-0' }, 'Pod/api-0'],
    // Above a checked owner, a controller oombot does not read is named as its reference says.
    [{ kind: 'Rollout', name: 'checkout' }, 'Rollout/checkout'],
  ])('writes %j as %s, the form existing stores hold', (w, key) => {
    expect(WorkloadRef.key(w)).toBe(key);
  });
});

describe('WorkloadRef.fromKey', () => {
  it.each([
    ['Deployment/checkout', { kind: 'Deployment', namespace: 'shop', name: 'checkout' }],
    ['Pod/api-0', { kind: 'Pod', namespace: 'shop', name: 'api-0' }],
    ['Rollout/checkout', { kind: 'Rollout', namespace: 'shop', name: 'checkout' }],
    // An ownerReference's name is any string the API server accepts: everything after the first "/" is the name.
    ['Rollout/<!channel> checkout & co', { kind: 'Rollout', namespace: 'shop', name: '<!channel> checkout & co' }],
    ['Rollout/a/b', { kind: 'Rollout', namespace: 'shop', name: 'a/b' }],
    [`Deployment/${'w'.repeat(3000)}`, { kind: 'Deployment', namespace: 'shop', name: 'w'.repeat(3000) }],
  ])('reads %s back', (key, ref) => {
    expect(WorkloadRef.fromKey(key, 'shop')).toEqual(ref);
  });

  it.each(['', 'checkout', '/checkout', 'Deployment/'])('finds no workload in %j', (key) => {
    expect(WorkloadRef.fromKey(key, 'shop')).toBeUndefined();
  });

  it.each([
    { kind: 'Deployment', namespace: 'shop', name: 'checkout' },
    { kind: 'CronJob', namespace: 'batch', name: 'nightly.report' },
    { kind: 'Pod', namespace: 'default', name: 'api-0' },
    { kind: 'Rollout', namespace: 'shop', name: '<!channel> checkout & co' },
    { kind: 'constructor', namespace: 'shop', name: '__proto__' },
  ])('round-trips %j through its key', (ref) => {
    expect(WorkloadRef.fromKey(WorkloadRef.key(ref), ref.namespace)).toEqual(ref);
  });
});

describe('WorkloadRef.parse', () => {
  it.each([
    ['deploy/checkout', 'Deployment/checkout'],
    ['deployment/checkout', 'Deployment/checkout'],
    ['checkout', 'Deployment/checkout'],
    ['sts/redis', 'StatefulSet/redis'],
    ['statefulset/redis', 'StatefulSet/redis'],
    ['ds/node-agent', 'DaemonSet/node-agent'],
    ['daemonset/node-agent', 'DaemonSet/node-agent'],
    ['cronjob/nightly', 'CronJob/nightly'],
    ['job/migrate-42', 'Job/migrate-42'],
    ['pod/api-0', 'Pod/api-0'],
    // A key, as alerts and answers print it, and kinds in any case.
    ['Deployment/checkout', 'Deployment/checkout'],
    ['STS/redis', 'StatefulSet/redis'],
    ['deploy/web.v2', 'Deployment/web.v2'],
  ])('reads %s as %s', (text, key) => {
    const ref = WorkloadRef.parse(text, 'shop');
    expect(ref && { namespace: ref.namespace, key: WorkloadRef.key(ref) }).toEqual({ namespace: 'shop', key });
  });

  it.each([
    ['', 'nothing'],
    ['widget/x', 'a kind oombot does not know'],
    ['rs/checkout-7d9f8b6c5', 'a kind people do not type'],
    ['rollout/checkout', 'a kind oombot does not read'],
    ['constructor/x', "an Object property's name, not a kind"],
    ['__proto__/x', "an Object property's name, not a kind"],
    ['deploy/', 'no name'],
    ['/checkout', 'no kind'],
    ['deploy/a/b', 'a name with a "/"'],
    ['deploy/Checkout', 'a name with capitals'],
    ['deploy/check_out', 'a name with "_"'],
    ['deploy/-checkout', 'a name starting with "-"'],
    ['deploy/<!channel>', 'a name with Slack control characters'],
    ['Not_A_Name', 'a bare name Kubernetes would refuse'],
  ])('refuses %j (%s)', (text) => {
    expect(WorkloadRef.parse(text, 'shop')).toBeUndefined();
  });

  it('reads back the short form of every kind people may type', () => {
    for (const [kind, facts] of Object.entries(WORKLOAD_KINDS)) {
      if (!facts.aliases.length) continue;
      const ref = { kind, namespace: 'shop', name: 'checkout' };
      expect(WorkloadRef.parse(WorkloadRef.short(ref), 'shop')).toEqual(ref);
    }
  });

  it('gives every alias to one kind only', () => {
    const aliases = Object.values(WORKLOAD_KINDS).flatMap((f) => f.aliases);
    expect(new Set(aliases).size).toBe(aliases.length);
  });
});

describe('WorkloadRef.short', () => {
  it.each([
    [{ kind: 'Deployment', name: 'checkout' }, 'deploy/checkout'],
    [{ kind: 'StatefulSet', name: 'redis' }, 'sts/redis'],
    [{ kind: 'DaemonSet', name: 'node-agent' }, 'ds/node-agent'],
    [{ kind: 'ReplicaSet', name: 'checkout-7d9f8b6c5' }, 'rs/checkout-7d9f8b6c5'],
    [{ kind: 'CronJob', name: 'nightly' }, 'cronjob/nightly'],
    [{ kind: 'Job', name: 'migrate-42' }, 'job/migrate-42'],
    [{ kind: 'Pod', name: 'api-0' }, 'pod/api-0'],
    [{ kind: 'Rollout', name: '<!channel> checkout & co' }, 'rollout/<!channel> checkout & co'],
    [{ kind: 'constructor', name: 'x' }, 'constructor/x'],
  ])('writes %j as %s', (w, short) => {
    expect(WorkloadRef.short(w)).toBe(short);
  });
});

describe('WorkloadRef.of', () => {
  it('names the workload of a verdict that has one, in its pod namespace', () => {
    expect(WorkloadRef.of({ workload: { kind: 'Deployment', name: 'checkout' }, pod: { namespace: 'shop', name: 'checkout-7d9f8b6c5-m4tzr' } })).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'checkout' });
  });

  it('names the pod itself for a bare pod', () => {
    expect(WorkloadRef.of({ pod: { namespace: 'shop', name: 'debug' } })).toEqual({ kind: 'Pod', namespace: 'shop', name: 'debug' });
  });
});

describe('WorkloadRef.apiPath', () => {
  it.each([
    [{ kind: 'Deployment', namespace: 'shop', name: 'checkout' }, '/apis/apps/v1/namespaces/shop/deployments/checkout'],
    [{ kind: 'StatefulSet', namespace: 'shop', name: 'redis' }, '/apis/apps/v1/namespaces/shop/statefulsets/redis'],
    [{ kind: 'DaemonSet', namespace: 'kube-system', name: 'agent' }, '/apis/apps/v1/namespaces/kube-system/daemonsets/agent'],
    [{ kind: 'ReplicaSet', namespace: 'shop', name: 'checkout-7d9f8b6c5' }, '/apis/apps/v1/namespaces/shop/replicasets/checkout-7d9f8b6c5'],
    [{ kind: 'Job', namespace: 'batch', name: 'migrate' }, '/apis/batch/v1/namespaces/batch/jobs/migrate'],
    [{ kind: 'CronJob', namespace: 'batch', name: 'nightly' }, '/apis/batch/v1/namespaces/batch/cronjobs/nightly'],
    [{ kind: 'Pod', namespace: 'shop', name: 'api-0' }, '/api/v1/namespaces/shop/pods/api-0'],
    // Names are one path segment each, whatever they hold ("%ns" and "$&" included: nothing is substituted twice).
    [{ kind: 'Deployment', namespace: 'a/b', name: '<!channel> & %ns $& ?x' }, '/apis/apps/v1/namespaces/a%2Fb/deployments/%3C!channel%3E%20%26%20%25ns%20%24%26%20%3Fx'],
  ])('serves %j at %s', (ref, path) => {
    expect(WorkloadRef.apiPath(ref)).toBe(path);
  });

  it.each(['Rollout', 'constructor', 'toString', 'deployment'])('has no path for %s, a kind oombot does not know', (kind) => {
    expect(WorkloadRef.apiPath({ kind, namespace: 'shop', name: 'x' })).toBeUndefined();
    expect(kindFacts(kind)).toBeUndefined();
  });
});

describe('the kinds', () => {
  it.each([
    ['Deployment', ['spec', 'template', 'spec'], 'template'],
    ['StatefulSet', ['spec', 'template', 'spec'], 'template'],
    ['DaemonSet', ['spec', 'template', 'spec'], 'template'],
    ['CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec'], 'template'],
    ['Job', ['spec', 'template', 'spec'], undefined],
    ['ReplicaSet', ['spec', 'template', 'spec'], undefined],
    ['Pod', ['spec'], 'resize'],
  ])('%s keeps its pod spec at %j; Raise changes it by %s', (kind, podSpec, raise) => {
    expect(kindFacts(kind)).toMatchObject({ podSpec });
    expect(kindFacts(kind)?.raise).toBe(raise);
  });

  it('reads annotations of the workloads people annotate, not of a ReplicaSet or a Pod', () => {
    expect(Object.entries(WORKLOAD_KINDS).filter(([, f]) => f.annotations).map(([k]) => k)).toEqual(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job']);
  });
});

describe('muteKey', () => {
  it('is cluster, namespace and workload key, as the stores hold mutes', () => {
    expect(muteKey('prod-eu', 'shop', WorkloadRef.key({ kind: 'Deployment', name: 'checkout' }))).toBe('prod-eu/shop/Deployment/checkout');
    expect(muteKey('prod-eu', 'shop', 'Pod/debug')).toBe('prod-eu/shop/Pod/debug');
  });
});
