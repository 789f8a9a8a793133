// What a click on Raise would change, decided from the stored verdict, the workload as the API server returns it and
// the policy: the exact patch, or the exact refusal. No cluster here: planPatch reads nothing (bot/plan-patch.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPatch, type LiveObject, type PatchPlan, type RaiseSubject } from '../../../bot/plan-patch.ts';
import type { Refusal } from '../../../bot/raise-outcome.ts';
import { diagnose } from '#shared/diagnose.ts';
import { formatBytes, GiB, MiB, tryParseQuantity } from '#shared/quantity.ts';
import type { Verdict } from '#shared/verdict.ts';
import { container, node, pod, restartedStatus } from '../../support/k8s-factories.ts';
import { limitVerdict } from '../../support/verdicts.ts';

type Resources = { limits?: Record<string, string>; requests?: Record<string, string> };

/** A Deployment as the API server returns it: its pod template's containers, resources and metadata as given. */
function deployment(containers: { name: string; resources?: Resources }[], o: { metadata?: LiveObject['metadata']; podResources?: Resources; initContainers?: { name: string; resources?: Resources }[] } = {}): LiveObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '4711', ...o.metadata },
    spec: {
      selector: { matchLabels: { app: 'checkout' } },
      template: { metadata: { labels: { app: 'checkout' } }, spec: { containers, ...(o.initContainers ? { initContainers: o.initContainers } : {}), ...(o.podResources ? { resources: o.podResources } : {}) } },
    },
  };
}

const api = (limit?: string, request?: string) => ({ name: 'api', resources: { ...(limit ? { limits: { memory: limit } } : {}), ...(request ? { requests: { memory: request } } : {}) } });
const subject = (verdict: Verdict, workload = 'Deployment/checkout'): RaiseSubject => ({ namespace: 'shop', workload, verdict });
const policy = { maxFactor: 2 };

/** The limit OOM of checkout › api at 512Mi (request 256Mi) on a node with 14Gi allocatable; the button says 640Mi. */
const limitOom = limitVerdict();
const evicted = (request: string): Verdict => ({ ...limitOom, cause: 'node-pressure', kind: 'eviction', recommendation: { memoryRequest: request, capped: false, rationale: 'usage at eviction' } });
const recommending = (v: Verdict, memoryLimit: string): Verdict => ({ ...v, recommendation: { ...v.recommendation!, memoryLimit } });
const refused = (reason: string): Refusal => ({ status: 'refused', reason, audience: 'thread' });

describe('planPatch: the plans', () => {
  it("raises that one container's limit, on the resourceVersion it read, and says what the caps rested on", () => {
    expect(planPatch({ incident: subject(limitOom), live: deployment([api('512Mi', '256Mi'), { name: 'sidecar' }]), policy })).toEqual({
      status: 'planned',
      field: 'limit',
      container: 'api',
      what: 'limit',
      how: 'workload',
      path: '/apis/apps/v1/namespaces/shop/deployments/checkout',
      patch: { metadata: { resourceVersion: '4711' }, spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '640Mi' } } }] } } } },
      before: '512Mi',
      after: '640Mi',
      basis: { currentBytes: 512 * MiB, newBytes: 640 * MiB, factorCapBytes: 1024 * MiB, nodeAllocatableBytes: 14 * GiB, nodeAllocatableFrom: 'bytes', resourceVersion: '4711' },
      next: 'Its pods roll out with the new value now.',
    } satisfies PatchPlan);
  });

  it('keeps a Guaranteed container Guaranteed: the request follows the limit when they were equal', () => {
    const plan = planPatch({ incident: subject(limitOom), live: deployment([api('512Mi', '512Mi')]), policy });
    expect(plan).toMatchObject({ status: 'planned', patch: { spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '640Mi' }, requests: { memory: '640Mi' } } }] } } } } });
  });

  it('never leaves a request above the new limit: it follows the limit when it would be', () => {
    // The template sets only a request; the limit in force (a LimitRange's) is the diagnosed pod's 512Mi.
    const plan = planPatch({ incident: subject(limitOom), live: deployment([api(undefined, '700Mi')]), policy }) as PatchPlan;
    expect(plan.patch).toEqual({ metadata: { resourceVersion: '4711' }, spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '640Mi' }, requests: { memory: '640Mi' } } }] } } } });
  });

  it('reads the limit in force off the diagnosed pod when the template sets none (a LimitRange applied it)', () => {
    expect(planPatch({ incident: subject(limitOom), live: deployment([{ name: 'api' }]), policy })).toMatchObject({ status: 'planned', before: '512Mi', after: '640Mi', basis: { currentBytes: 512 * MiB, factorCapBytes: 1024 * MiB } });
  });

  it('says "none" and has no factor cap when no limit was in force anywhere', () => {
    const v: Verdict = { ...limitOom, memory: { ...limitOom.memory, limit: undefined, request: undefined } };
    const plan = planPatch({ incident: subject(v), live: deployment([{ name: 'api' }]), policy }) as PatchPlan;
    expect(plan).toMatchObject({ status: 'planned', before: 'none', after: '640Mi' });
    expect(plan.basis).toEqual({ newBytes: 640 * MiB, nodeAllocatableBytes: 14 * GiB, nodeAllocatableFrom: 'bytes', resourceVersion: '4711' });
  });

  it('sets a realistic request for an eviction, leaving the limit alone; its caps are the limit and the node, not the factor', () => {
    expect(planPatch({ incident: subject(evicted('1000Mi')), live: deployment([api('1Gi', '256Mi')]), policy })).toMatchObject({
      status: 'planned',
      field: 'request',
      what: 'request',
      before: '256Mi',
      after: '1000Mi',
      patch: { metadata: { resourceVersion: '4711' }, spec: { template: { spec: { containers: [{ name: 'api', resources: { requests: { memory: '1000Mi' } } }] } } } },
      basis: { currentBytes: 256 * MiB, newBytes: 1000 * MiB, limitBytes: 1024 * MiB, nodeAllocatableBytes: 14 * GiB },
    });
    expect((planPatch({ incident: subject(evicted('1000Mi')), live: deployment([api('1Gi', '256Mi')]), policy }) as PatchPlan).basis.factorCapBytes).toBeUndefined();
  });

  it("raises the pod-level limit in the pod spec's own resources, no container's (KEP-2837)", () => {
    const p = pod({ deployment: 'checkout', containers: [container({ name: 'api', request: '1Gi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    p.spec.resources = { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } };
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v).toMatchObject({ kind: 'pod-limit', recommendation: { memoryLimit: '3840Mi' } });
    expect(planPatch({ incident: subject(v), live: deployment([{ name: 'api', resources: { requests: { memory: '1Gi' } } }], { podResources: { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } } }), policy })).toMatchObject({
      status: 'planned',
      field: 'pod-limit',
      what: 'pod-level limit',
      container: 'api',
      before: '3Gi',
      after: '3840Mi',
      patch: { metadata: { resourceVersion: '4711' }, spec: { template: { spec: { resources: { limits: { memory: '3840Mi' } } } } } },
      basis: { currentBytes: 3 * GiB, factorCapBytes: 6 * GiB },
    });
  });

  it('patches an init container in its own list', () => {
    const v: Verdict = { ...limitOom, container: 'mesh', containerType: 'init' };
    const plan = planPatch({ incident: subject(v), live: deployment([api('512Mi', '256Mi')], { initContainers: [{ name: 'mesh', resources: { limits: { memory: '512Mi' } } }] }), policy }) as PatchPlan;
    expect(plan.patch).toEqual({ metadata: { resourceVersion: '4711' }, spec: { template: { spec: { initContainers: [{ name: 'mesh', resources: { limits: { memory: '640Mi' } } }] } } } });
  });

  it("resizes a bare pod in place, through its resize subresource, and says it will not survive the pod's recreation", () => {
    const bare: LiveObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', namespace: 'shop', resourceVersion: '99' }, spec: { containers: [api('512Mi', '256Mi')] } };
    expect(planPatch({ incident: subject(limitOom, 'Pod/solo'), live: bare, policy })).toMatchObject({
      status: 'planned',
      how: 'resize',
      path: '/api/v1/namespaces/shop/pods/solo/resize',
      patch: { metadata: { resourceVersion: '99' }, spec: { containers: [{ name: 'api', resources: { limits: { memory: '640Mi' } } }] } },
      next: expect.stringMatching(/^Resize requested: the kubelet applies it in place .* It does not survive a rollout or the pod being recreated: change its manifest too\.$/),
    });
  });
});

describe('planPatch: the refusals, word for word', () => {
  const cases: { name: string; verdict: Verdict; live?: LiveObject; workload?: string; maxFactor?: number; want: Refusal }[] = [
    {
      name: 'an injected sidecar: its injector would overwrite the change',
      verdict: { ...limitOom, kind: 'injected-sidecar', container: 'istio-proxy' },
      want: refused("istio-proxy is injected by a webhook that sets its resources in every new pod: a change to the workload's template would not stick. Use the injector's annotation named in the alert: nothing was changed."),
    },
    {
      name: 'an incident a memory change does not fix',
      verdict: { ...limitOom, cause: 'not-oom', kind: 'other-eviction', recommendation: undefined },
      want: refused('Raising memory is not the fix for this incident (it did not die at its own limit, nor was it evicted below its usage): nothing was changed.'),
    },
    {
      name: "a kind whose pod template cannot be edited (a ReplicaSet's owner holds it)",
      verdict: limitOom,
      workload: 'ReplicaSet/checkout-7d9f8b6c5',
      want: refused("ReplicaSet/checkout-7d9f8b6c5 is not something I can change (a ReplicaSet's pod template cannot be edited); change its owner's template instead."),
    },
    {
      name: 'a workload Argo CD labels',
      verdict: limitOom,
      live: deployment([api('512Mi')], { metadata: { labels: { 'argocd.argoproj.io/instance': 'shop' } } }),
      want: refused('Deployment/checkout is managed by Argo CD (label argocd.argoproj.io/instance): change the limit in Git, or Argo CD will revert it.'),
    },
    {
      name: 'a workload Argo CD tracks by annotation',
      verdict: limitOom,
      live: deployment([api('512Mi')], { metadata: { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/checkout' } } }),
      want: refused('Deployment/checkout is managed by Argo CD (annotation argocd.argoproj.io/tracking-id): change the limit in Git, or Argo CD will revert it.'),
    },
    {
      name: "a workload Flux's controller applied, by its field manager alone, for a request",
      verdict: evicted('400Mi'),
      live: deployment([api('512Mi', '256Mi')], { metadata: { managedFields: [{ manager: 'kubectl' }, { manager: 'kustomize-controller' }] } }),
      want: refused('Deployment/checkout is managed by Flux (field manager kustomize-controller): change the request in Git, or Flux will revert it.'),
    },
    {
      name: 'a container that is gone from the template',
      verdict: limitOom,
      live: deployment([{ name: 'web', resources: { limits: { memory: '512Mi' } } }]),
      want: refused('Deployment/checkout has no container api any more: nothing was changed.'),
    },
    {
      name: 'a pod-level limit that is gone from the template',
      verdict: { ...limitOom, kind: 'pod-limit' },
      live: deployment([api(undefined, '256Mi')]),
      want: refused('Deployment/checkout no longer sets a pod-level memory limit: nothing was changed.'),
    },
    {
      name: 'a limit someone raised already',
      verdict: limitOom,
      live: deployment([api('640Mi', '256Mi')]),
      want: refused('The limit is already 640Mi (someone raised it): nothing was changed.'),
    },
    {
      name: 'a pod-level limit someone raised past the proposal',
      verdict: { ...limitOom, kind: 'pod-limit', recommendation: { ...limitOom.recommendation!, memoryLimit: '3840Mi' } },
      live: deployment([api()], { podResources: { limits: { memory: '4Gi' } } }),
      want: refused('The pod-level limit is already 4Gi (someone raised it): nothing was changed.'),
    },
    {
      name: 'a request already at the proposal',
      verdict: evicted('400Mi'),
      live: deployment([api('1Gi', '400Mi')]),
      want: refused('The request is already 400Mi (someone raised it): nothing was changed.'),
    },
    {
      name: 'more than the factor over the current limit',
      verdict: recommending(limitOom, '4Gi'),
      live: deployment([api('512Mi', '256Mi')]),
      want: refused('4Gi is more than 2× the current 512Mi: change it by hand if you mean it.'),
    },
    {
      name: 'more than a factor the policy set lower',
      verdict: limitOom,
      live: deployment([api('512Mi', '256Mi')]),
      maxFactor: 1.2,
      want: refused('640Mi is more than 1.2× the current 512Mi: change it by hand if you mean it.'),
    },
    {
      name: 'a request above the limit',
      verdict: evicted('1Gi'),
      live: deployment([api('512Mi', '256Mi')]),
      want: refused('A request of 1Gi is above the limit 512Mi: raise the limit first, by hand.'),
    },
    {
      name: 'more than the node can give',
      verdict: recommending(limitOom, '15Gi'),
      live: deployment([api('8Gi', '256Mi')]),
      want: refused('15Gi is more than node ip-10-0-12-7 can give (14Gi allocatable): nothing was changed.'),
    },
    {
      name: 'a request more than the node can give, with no limit in the way',
      verdict: { ...evicted('15Gi'), memory: { ...limitOom.memory, limit: undefined } },
      live: deployment([api(undefined, '256Mi')]),
      want: refused('15Gi is more than node ip-10-0-12-7 can give (14Gi allocatable): nothing was changed.'),
    },
    {
      name: 'a stored recommendation that is not a quantity',
      verdict: recommending(limitOom, 'lots'),
      live: deployment([api('512Mi', '256Mi')]),
      want: refused('The recommended limit lots is not a quantity I can read: nothing was changed.'),
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      expect(planPatch({ incident: subject(c.verdict, c.workload), live: c.live ?? deployment([api('512Mi', '256Mi')]), policy: { maxFactor: c.maxFactor ?? 2 } })).toEqual(c.want);
    });
  }

  it('escapes what came from the cluster: a refusal is posted to Slack as it is', () => {
    const v: Verdict = { ...limitOom, container: 'api<!channel>' };
    expect(planPatch({ incident: subject(v), live: deployment([api('512Mi')]), policy })).toEqual(refused('Deployment/checkout has no container api&lt;!channel&gt; any more: nothing was changed.'));
  });
});

describe('planPatch: the node cap', () => {
  // 15319Mi is 14.96Gi: shown as "15Gi", one decimal. 15Gi fits the display text, not the node.
  const onNode = (allocatable: string) => diagnose({ pod: pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '8Gi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] }), node: node({ allocatable, capacity: '16Gi' }), events: [] });
  const live = deployment([api('8Gi', '256Mi')]);

  it('caps by the exact bytes the diagnosis read off the node, where the rounded display text would let it through', () => {
    const v = recommending(onNode('15319Mi'), '15Gi');
    expect(v.memory).toMatchObject({ nodeAllocatable: '15Gi', nodeAllocatableBytes: 15319 * MiB });
    expect(tryParseQuantity(v.memory.nodeAllocatable)).toBeGreaterThanOrEqual(15 * GiB);
    // The refusal shows whole MiB here: "15Gi … (15Gi allocatable)" would contradict itself.
    expect(planPatch({ incident: subject(v), live, policy })).toEqual(refused('15Gi is more than node ip-10-0-12-7 can give (15319Mi allocatable): nothing was changed.'));
    expect(planPatch({ incident: subject(recommending(v, '15319Mi')), live, policy })).toMatchObject({ status: 'planned', basis: { nodeAllocatableBytes: 15319 * MiB, nodeAllocatableFrom: 'bytes' } });
  });

  it('reads the display text only for an incident stored before the verdict carried the bytes', () => {
    const fresh = recommending(onNode('15319Mi'), '15Gi');
    const memory = { ...fresh.memory, nodeAllocatableBytes: undefined };
    const stored: Verdict = { ...fresh, memory };
    expect(planPatch({ incident: subject(stored), live, policy })).toMatchObject({ status: 'planned', after: '15Gi', basis: { nodeAllocatableBytes: 15 * GiB, nodeAllocatableFrom: 'display text' } });
    const older: Verdict = { ...stored, memory: { ...memory, nodeAllocatable: '14Gi' } };
    expect(planPatch({ incident: subject(older), live, policy })).toEqual(refused('15Gi is more than node ip-10-0-12-7 can give (14Gi allocatable): nothing was changed.'));
  });

  it('has no node cap when the diagnosis could not read the node', () => {
    const memory = { ...limitOom.memory, nodeAllocatableBytes: undefined, nodeAllocatable: undefined };
    const plan = planPatch({ incident: subject({ ...recommending(limitOom, '1Gi'), memory }), live: deployment([api('512Mi')]), policy }) as PatchPlan;
    expect(plan).toMatchObject({ status: 'planned', after: '1Gi' });
    expect(plan.basis.nodeAllocatableBytes).toBeUndefined();
  });
});

describe('planPatch: a property of every plan', () => {
  it('never plans above maxFactor × the current limit, above the limit for a request, above the node, nor at or below the current value', () => {
    const mib = (max: number) => fc.integer({ min: 1, max });
    let planned = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('limit', 'pod-limit', 'request'),
        fc.option(mib(64 * 1024), { nil: undefined }), // the current limit, MiB (none: no limit anywhere)
        fc.option(mib(64 * 1024), { nil: undefined }), // the current request
        mib(128 * 1024), // the proposed value
        // Node allocatable in exact bytes: none, anywhere, or within a few MiB of the proposal, where rounding would tell.
        fc.oneof(fc.constant(undefined), fc.record({ at: fc.integer({ min: 1, max: 512 * GiB }) }), fc.record({ near: fc.integer({ min: -8 * MiB, max: 8 * MiB }) })),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (field, limitMi, requestMi, proposedMi, node, maxFactor) => {
          const allocatable = node === undefined ? undefined : 'at' in node ? node.at : Math.max(1, proposedMi * MiB + node.near);
          const value = `${proposedMi}Mi`;
          const memory = { ...limitOom.memory, limit: undefined, request: undefined, nodeAllocatable: allocatable === undefined ? undefined : formatBytes(allocatable), nodeAllocatableBytes: allocatable };
          const verdict: Verdict =
            field === 'request'
              ? { ...limitOom, cause: 'node-pressure', kind: 'eviction', memory, recommendation: { memoryRequest: value, capped: false, rationale: 'usage' } }
              : { ...limitOom, kind: field === 'pod-limit' ? 'pod-limit' : 'container-limit', memory, recommendation: { memoryLimit: value, capped: false, rationale: 'limit' } };
          const resources: Resources = { ...(limitMi ? { limits: { memory: `${limitMi}Mi` } } : {}), ...(requestMi ? { requests: { memory: `${requestMi}Mi` } } : {}) };
          if (field === 'pod-limit' && !limitMi) return; // no pod-level limit to raise: refused, nothing to check
          const live = field === 'pod-limit' ? deployment([{ name: 'api' }], { podResources: resources }) : deployment([{ name: 'api', resources }]);
          const plan = planPatch({ incident: subject(verdict), live, policy: { maxFactor } });
          if (plan.status !== 'planned') return;
          planned++;
          const newBytes = proposedMi * MiB;
          const current = (field === 'request' ? requestMi : limitMi) ?? 0;
          // Each bound where it applies, Infinity where it does not (no limit, a request's factor, an unread node).
          const factorCap = field !== 'request' && limitMi !== undefined ? limitMi * MiB * maxFactor : Infinity;
          const limitCap = field === 'request' && limitMi !== undefined ? limitMi * MiB : Infinity;
          expect(plan.basis.newBytes).toBe(newBytes);
          expect(plan.after).toBe(value);
          expect(newBytes).toBeGreaterThan(current * MiB);
          expect(newBytes).toBeLessThanOrEqual(factorCap);
          expect(newBytes).toBeLessThanOrEqual(limitCap);
          expect(newBytes).toBeLessThanOrEqual(allocatable ?? Infinity);
        },
      ),
      { numRuns: 2000 },
    );
    // Not a property of nothing: a good share of the cases are plans.
    expect(planned).toBeGreaterThan(100);
  });
});
