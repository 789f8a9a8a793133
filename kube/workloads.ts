// One model of the workloads oombot names, reads and changes: the kinds it knows (where the API serves each, where its
// pod spec sits, what people type for it) and the forms a workload is written in — the key stored in incident records,
// mute keys and repeat groups ("Deployment/checkout"), and the short form people read and type back
// ("deploy/checkout"). Pure: paths are built here, read elsewhere.

/** How the Raise limit button changes a kind (bot/raise-limit.ts): its pod template, or the pod in place. */
export type RaiseBy = 'template' | 'resize';

export interface KindFacts {
  /** The API group's path: `/apis/apps/v1`, or `/api/v1` for the core group. */
  api: string;
  /** The resource's name in that group: `deployments`. */
  resource: string;
  /** Where the pod spec sits in an object of this kind: spec.template.spec for most. */
  podSpec: readonly string[];
  /** What people read: "deploy" in "deploy/checkout" (kubectl's short names where they are well known). */
  short: string;
  /** What people may type for it in `/oom mute` and `/oom unmute`, lowercase; none where they cannot. */
  aliases: readonly string[];
  /** Whether its `oombot.io/*` annotations count for its pods' alerts (bot/post-occurrence.ts). */
  annotations: boolean;
  /** Absent where Raise limit refuses the kind. */
  raise?: RaiseBy;
}

const TEMPLATE = ['spec', 'template', 'spec'] as const;

/** Every kind oombot knows, and nothing else: a kind not here is named, never read or changed. */
export const WORKLOAD_KINDS = {
  Deployment: { api: '/apis/apps/v1', resource: 'deployments', podSpec: TEMPLATE, short: 'deploy', aliases: ['deploy', 'deployment'], annotations: true, raise: 'template' },
  StatefulSet: { api: '/apis/apps/v1', resource: 'statefulsets', podSpec: TEMPLATE, short: 'sts', aliases: ['sts', 'statefulset'], annotations: true, raise: 'template' },
  DaemonSet: { api: '/apis/apps/v1', resource: 'daemonsets', podSpec: TEMPLATE, short: 'ds', aliases: ['ds', 'daemonset'], annotations: true, raise: 'template' },
  CronJob: { api: '/apis/batch/v1', resource: 'cronjobs', podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'], short: 'cronjob', aliases: ['cronjob'], annotations: true, raise: 'template' },
  // No Raise: a Job's pod template cannot change once the Job exists (the API server refuses the update).
  Job: { api: '/apis/batch/v1', resource: 'jobs', podSpec: TEMPLATE, short: 'job', aliases: ['job'], annotations: true },
  // Read to check a pod's owner (kube/owners.ts); a workload only when the Deployment above it does not check out.
  // No Raise: a ReplicaSet does not roll its pods when its template changes. Its annotations and aliases were never
  // part of oombot's surface and are not here either.
  ReplicaSet: { api: '/apis/apps/v1', resource: 'replicasets', podSpec: TEMPLATE, short: 'rs', aliases: [], annotations: false },
  // A bare pod: resized in place through the pods/resize subresource (KEP-1287; beta and on by default since 1.33).
  // Its annotations are the pod's own, read from the pod itself.
  Pod: { api: '/api/v1', resource: 'pods', podSpec: ['spec'], short: 'pod', aliases: ['pod'], annotations: false, raise: 'resize' },
} as const satisfies Record<string, KindFacts>;

export type WorkloadKind = keyof typeof WORKLOAD_KINDS;

/** A bare name typed alone ("checkout") is a Deployment's, the kind most workloads are. */
const DEFAULT_KIND: WorkloadKind = 'Deployment';

const KIND_BY_ALIAS = new Map<string, WorkloadKind>(Object.entries(WORKLOAD_KINDS).flatMap(([kind, facts]) => facts.aliases.map((a): [string, WorkloadKind] => [a, kind as WorkloadKind])));

/** The facts of a kind oombot knows; undefined for any other (own keys only: a kind named "constructor" is unknown). */
export function kindFacts(kind: string): KindFacts | undefined {
  return Object.hasOwn(WORKLOAD_KINDS, kind) ? WORKLOAD_KINDS[kind as WorkloadKind] : undefined;
}

/**
 * A workload, or the pod itself for a bare pod. `kind` is open: above a checked owner a controller oombot does not
 * read (an Argo Rollout) is named as its reference says (kube/owners.ts).
 */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Kubernetes object names as people type them: a DNS-1123 subdomain (Deployments, StatefulSets, Pods … all are). */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const WorkloadRef = {
  /**
   * "Deployment/checkout", or "Pod/<name>" for a bare pod: the one form stored in incident records, mute keys and
   * repeat groups, and written in texts. Stores hold it: it does not change.
   */
  key(w: Pick<WorkloadRef, 'kind' | 'name'>): string {
    return `${w.kind}/${w.name}`;
  },

  /**
   * Back from a key: the kind up to the first "/", the name after it. Any kind, as keys hold kinds oombot does not
   * know; undefined when there is no kind or no name.
   */
  fromKey(key: string, namespace: string): WorkloadRef | undefined {
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) return undefined;
    return { kind: key.slice(0, slash), namespace, name: key.slice(slash + 1) };
  },

  /**
   * What a person typed: "deploy/checkout", "sts/redis", a key ("Deployment/checkout"), or a bare name (a
   * Deployment). Only kinds with aliases and names Kubernetes accepts; undefined for anything else.
   */
  parse(text: string, namespace: string): WorkloadRef | undefined {
    const slash = text.indexOf('/');
    const [alias, name] = slash < 0 ? [undefined, text] : [text.slice(0, slash), text.slice(slash + 1)];
    const kind = alias === undefined ? DEFAULT_KIND : KIND_BY_ALIAS.get(alias.toLowerCase());
    return kind && NAME.test(name) ? { kind, namespace, name } : undefined;
  },

  /** "deploy/checkout", "sts/redis", "pod/api-0": what people read; a kind oombot does not know is lowercased. */
  short(w: Pick<WorkloadRef, 'kind' | 'name'>): string {
    return `${kindFacts(w.kind)?.short ?? w.kind.toLowerCase()}/${w.name}`;
  },

  /** Who a verdict is about: its workload, or the pod itself when it has none. */
  of(v: { workload?: { kind: string; name: string } | undefined; pod: { namespace: string; name: string } }): WorkloadRef {
    return v.workload ? { kind: v.workload.kind, namespace: v.pod.namespace, name: v.workload.name } : { kind: 'Pod', namespace: v.pod.namespace, name: v.pod.name };
  },

  /** Where the API serves it; undefined for a kind oombot does not know. */
  apiPath(w: WorkloadRef): string | undefined {
    const facts = kindFacts(w.kind);
    return facts && `${facts.api}/namespaces/${encodeURIComponent(w.namespace)}/${facts.resource}/${encodeURIComponent(w.name)}`;
  },
};

/**
 * The key a mute is stored under and looked up by: `<cluster>/<namespace>/<workload key>`, as the stores hold it
 * ("prod-eu/shop/Deployment/checkout").
 */
export function muteKey(cluster: string, namespace: string, workloadKey: string): string {
  return `${cluster}/${namespace}/${workloadKey}`;
}
