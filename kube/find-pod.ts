// Finding a pod by name when nobody said in which namespace — `oombot explain <pod>`, `kubectl oom why <pod>`, `/oom why
// <pod>`: first the namespace it would be in (the context's, or `default`), then, when it is not there, every namespace
// at once with a field selector on the name (one request, which the API server answers from its own index). A pod name
// found in one namespace is taken from there; in several, the caller is told which, since guessing could explain the
// wrong team's pod. Callers word the outcome for their medium (a terminal line, a Slack message).
import * as z from 'zod';
import { PodSchema, type Pod } from '#shared/k8s-objects.ts';
import { accessError, readPod } from './collect.ts';
import { statusMessage, type KubeReader } from './rest.ts';

/** Where to look: `namespace` first; `given` (by -n or <namespace>/<pod>) means there only; `allNamespaces` skips it. */
export interface PodWhere {
  namespace: string;
  given: boolean;
  allNamespaces?: boolean;
}

export type PodSearch =
  /** `elsewhere`: not in the namespace looked at first, but alone of its name in the cluster. */
  | { kind: 'found'; pod: Pod; namespace: string; elsewhere: boolean }
  /** Not in `namespace`, and not looked for elsewhere: the namespace was given. */
  | { kind: 'not-in-namespace'; namespace: string }
  /** Not in `namespace`, and the caller may not list pods across namespaces (403): `reason` is the API server's. */
  | { kind: 'not-listable'; namespace: string; reason: string }
  | { kind: 'nowhere' }
  /** In several namespaces, sorted; `more` when the list was cut at LIST_LIMIT. */
  | { kind: 'ambiguous'; namespaces: string[]; more: boolean };

/** One page is enough to say "several": a name is unique within a namespace, so this is namespaces, not pods. */
const LIST_LIMIT = 100;

const PodListSchema = z.looseObject({ items: z.array(PodSchema), metadata: z.looseObject({ continue: z.string().optional() }).optional() });

export async function findPod(api: KubeReader, name: string, where: PodWhere): Promise<PodSearch> {
  if (!where.allNamespaces) {
    const pod = await readPod(api, where.namespace, name);
    if (pod) return { kind: 'found', pod, namespace: where.namespace, elsewhere: false };
    if (where.given) return { kind: 'not-in-namespace', namespace: where.namespace };
  }
  const selector = encodeURIComponent(`metadata.name=${name}`);
  // resourceVersion=0: answered from the API server's watch cache, filtered there; an API server too old to serve
  // consistent lists from its cache would otherwise read every pod of the cluster from etcd. A pod a few milliseconds
  // stale is as good to find it by (the test control plane: 17.6 ms at the median with 10,000 pods, either way).
  const res = await api.get(`/api/v1/pods?fieldSelector=${selector}&limit=${LIST_LIMIT}&resourceVersion=0`);
  // Listing pods cluster-wide is a permission of its own (the oombot:readers ClusterRole has it; a namespaced role does not).
  if (res.status === 403) return { kind: 'not-listable', namespace: where.namespace, reason: statusMessage(res) };
  if (res.status !== 200) throw accessError(api, res, `cannot list pods named ${name} across namespaces`);
  const list = PodListSchema.parse(res.body);
  const more = Boolean(list.metadata?.continue);
  if (list.items.length === 1 && !more) {
    const pod = list.items[0]!;
    return { kind: 'found', pod, namespace: pod.metadata.namespace ?? where.namespace, elsewhere: !where.allNamespaces };
  }
  if (!list.items.length) return { kind: 'nowhere' };
  return { kind: 'ambiguous', namespaces: list.items.map((p) => p.metadata.namespace ?? '').sort(), more };
}

/** "a, b, c" with at most `max` names, and how many more. */
export function namespaceList(namespaces: string[], more: boolean, max = 10): string {
  const shown = namespaces.slice(0, max).join(', ');
  const rest = namespaces.length - Math.min(namespaces.length, max);
  return rest > 0 || more ? `${shown} and ${more ? 'more' : `${rest} more`}` : shown;
}
