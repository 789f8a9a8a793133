// Injected sidecars (docs/domain.md §8): recognised by the injector's marks on the pod, never by the container's name
// alone; their fix is the injector's annotation, and Raise limit is not offered (a template patch would not stick).
import { describe, expect, it } from 'vitest';
import { proposedChange } from '../../bot/raise-limit.ts';
import { diagnose } from '#shared/diagnose.ts';
import { injectedSidecar } from '#shared/injected-sidecar.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { container, node, pod, restartedStatus, runningStatus } from '../support/k8s-factories.ts';

const ISTIO_STATUS = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}';

const meshed = (proxy: string, annotations: Record<string, string> | undefined): Pod =>
  pod({
    deployment: 'reviews',
    containers: [container({ name: 'reviews', limit: '1Gi' }), container({ name: proxy, limit: '256Mi', request: '128Mi' })],
    statuses: [runningStatus('reviews'), restartedStatus(proxy, { reason: 'OOMKilled', exitCode: 137 }, 3)],
    ...(annotations ? { metadata: { annotations } } : {}),
  });

describe('injectedSidecar', () => {
  it.each([
    ['Istio, listed in sidecar.istio.io/status', meshed('istio-proxy', { 'sidecar.istio.io/status': ISTIO_STATUS }), 'istio-proxy', { injector: 'Istio', mark: 'annotation sidecar.istio.io/status lists istio-proxy', limitAnnotation: 'sidecar.istio.io/proxyMemoryLimit' }],
    ['Istio, status annotation unreadable: its known container names', meshed('istio-proxy', { 'sidecar.istio.io/status': '{broken' }), 'istio-proxy', { injector: 'Istio', mark: 'annotation sidecar.istio.io/status and its container name istio-proxy' }],
    ['Linkerd, by linkerd.io/proxy-version and linkerd-proxy', meshed('linkerd-proxy', { 'linkerd.io/proxy-version': 'stable-2.14.10' }), 'linkerd-proxy', { injector: 'Linkerd', limitAnnotation: 'config.linkerd.io/proxy-memory-limit' }],
    ['Vault Agent, by agent-inject-status', meshed('vault-agent', { 'vault.hashicorp.com/agent-inject-status': 'injected' }), 'vault-agent', { injector: 'Vault Agent', limitAnnotation: 'vault.hashicorp.com/agent-limits-mem' }],
  ])('%s', (_name, p, name, want) => {
    expect(injectedSidecar(p, name)).toMatchObject(want);
  });

  it.each([
    ['a container named istio-proxy in a pod Istio never marked', meshed('istio-proxy', { 'sidecar.istio.io/inject': 'false' }), 'istio-proxy'],
    ['a pod with no annotations at all', meshed('istio-proxy', undefined), 'istio-proxy'],
    ['a container the status annotation does not list', meshed('istio-proxy', { 'sidecar.istio.io/status': ISTIO_STATUS }), 'reviews'],
    ['linkerd-proxy without Linkerd’s mark', meshed('linkerd-proxy', { 'linkerd.io/inject': 'enabled' }), 'linkerd-proxy'],
  ])('none for %s', (_name, p, name) => {
    expect(injectedSidecar(p, name)).toBeUndefined();
  });
});

describe('diagnose an injected sidecar', () => {
  it("names the injector's annotation with the sized value, and offers no Raise limit", () => {
    const v = diagnose({ pod: meshed('istio-proxy', { 'sidecar.istio.io/status': ISTIO_STATUS }), node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'limit', kind: 'injected-sidecar', confidence: 'high', container: 'istio-proxy', recommendation: { memoryLimit: '384Mi' } });
    expect(v.headline).toBe("reviews › istio-proxy, Istio's injected sidecar, was OOMKilled at its 256Mi memory limit");
    expect(v.action).toMatch(/^Set annotation `sidecar\.istio\.io\/proxyMemoryLimit: "384Mi"` on the workload's pod template \(\+50 %; fits the node\), or global\.proxy\.resources in Istio's install values .*; a patch to the container in the template does not stick\./);
    expect(v.evidence).toContain('istio-proxy was injected by Istio (annotation sidecar.istio.io/status lists istio-proxy): the injector sets its resources in every new pod');
    expect(proposedChange(v)).toBeUndefined();
  });

  it('a same-named container Istio did not inject keeps its Raise limit', () => {
    const v = diagnose({ pod: meshed('istio-proxy', { 'sidecar.istio.io/inject': 'false' }), node: node(), events: [] });
    expect(v).toMatchObject({ kind: 'container-limit' });
    expect(proposedChange(v)).toEqual({ field: 'limit', value: '384Mi', label: 'Raise limit to 384Mi' });
  });
});

describe('proposedChange for the new classes', () => {
  it('offers nothing where memory is not the fix: a full /dev/shm, a thread limit', () => {
    const shm = pod({ deployment: 'w', containers: [container({ name: 'w', limit: '1Gi' })], statuses: [restartedStatus('w', { reason: 'Error', exitCode: 135 }, 1)] });
    const threads = pod({ deployment: 'j', containers: [container({ name: 'j', limit: '1Gi' })], statuses: [restartedStatus('j', { reason: 'Error', exitCode: 1, message: 'java.lang.OutOfMemoryError: unable to create native thread' }, 1)] });
    for (const p of [shm, threads]) expect(proposedChange(diagnose({ pod: p, node: node(), events: [] }))).toBeUndefined();
  });
});
