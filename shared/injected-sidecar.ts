// Sidecars a mutating webhook injects at pod creation (docs/domain.md §8): the injector writes their resources into
// each new pod from its own annotations and defaults, so a patch to the workload template's container does not stick
// (the template usually has no such container at all). Recognised by the marks each injector leaves on the pod, never
// by the container's name alone: anyone may name a container `istio-proxy`.
import type { Pod } from './k8s-objects.ts';

export interface InjectedSidecar {
  injector: 'Istio' | 'Linkerd' | 'Vault Agent';
  /** What marks it as injected, for the evidence. */
  mark: string;
  /** The pod-template annotation that sets the injected container's memory limit. */
  limitAnnotation: string;
  requestAnnotation: string;
  /** Where the default for every injected container is set. */
  defaults: string;
}

interface Injector {
  injector: InjectedSidecar['injector'];
  /** The pod annotation the injector writes on every pod it injects. */
  statusAnnotation: string;
  /** The containers it injects, when the status annotation does not list them. */
  names: string[];
  listed?: (status: string) => string[] | undefined;
  limitAnnotation: string;
  requestAnnotation: string;
  defaults: string;
}

const INJECTORS: Injector[] = [
  {
    injector: 'Istio',
    // istio/pkg/kube/inject: sidecar.istio.io/status is JSON naming what was injected, e.g.
    // {"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":[...],"revision":"default"}; with native
    // sidecars istio-proxy is listed under initContainers.
    statusAnnotation: 'sidecar.istio.io/status',
    names: ['istio-proxy', 'istio-init', 'istio-validation'],
    listed: (status) => {
      try {
        const parsed = JSON.parse(status) as { containers?: unknown; initContainers?: unknown };
        const names = [parsed.containers, parsed.initContainers].flatMap((l) => (Array.isArray(l) ? l.filter((n): n is string => typeof n === 'string') : []));
        return names.length ? names : undefined;
      } catch {
        return undefined;
      }
    },
    // Istio's resource annotations (istio.io, "Resource Annotations"): sidecar.istio.io/proxyMemoryLimit, proxyMemory.
    limitAnnotation: 'sidecar.istio.io/proxyMemoryLimit',
    requestAnnotation: 'sidecar.istio.io/proxyMemory',
    defaults: "global.proxy.resources in Istio's install values (IstioOperator or Helm) for every sidecar",
  },
  {
    injector: 'Linkerd',
    // linkerd2's proxy injector writes linkerd.io/proxy-version on each pod it injects, and names the containers
    // linkerd-proxy (in initContainers with native sidecars) and linkerd-init.
    statusAnnotation: 'linkerd.io/proxy-version',
    names: ['linkerd-proxy', 'linkerd-init'],
    // Linkerd's proxy configuration annotations (linkerd.io, "Proxy Configuration"), on the pod template or namespace.
    limitAnnotation: 'config.linkerd.io/proxy-memory-limit',
    requestAnnotation: 'config.linkerd.io/proxy-memory-request',
    defaults: "proxy.resources.memory.limit in Linkerd's Helm values (or the namespace's config.linkerd.io annotations)",
  },
  {
    injector: 'Vault Agent',
    // vault-k8s writes vault.hashicorp.com/agent-inject-status: injected, and names its containers vault-agent and
    // vault-agent-init.
    statusAnnotation: 'vault.hashicorp.com/agent-inject-status',
    names: ['vault-agent', 'vault-agent-init'],
    limitAnnotation: 'vault.hashicorp.com/agent-limits-mem',
    requestAnnotation: 'vault.hashicorp.com/agent-requests-mem',
    defaults: "injector.agentDefaults.memLimit in the Vault Helm chart's values",
  },
];

/** The pod annotations that mark an injection: small, and what tells an injected sidecar from a declared one. */
export const INJECTOR_MARKS = INJECTORS.map((i) => i.statusAnnotation);

/** The injector that put this container into the pod, when the pod carries its mark; undefined otherwise. */
export function injectedSidecar(pod: Pod, container: string): InjectedSidecar | undefined {
  const annotations = pod.metadata.annotations ?? {};
  for (const i of INJECTORS) {
    const status = annotations[i.statusAnnotation];
    if (status === undefined) continue;
    const listed = i.listed?.(status);
    const injected = listed ? listed.includes(container) : i.names.includes(container);
    if (!injected) continue;
    const mark = listed ? `annotation ${i.statusAnnotation} lists ${container}` : `annotation ${i.statusAnnotation} and its container name ${container}`;
    return { injector: i.injector, mark, limitAnnotation: i.limitAnnotation, requestAnnotation: i.requestAnnotation, defaults: i.defaults };
  }
  return undefined;
}
