// The pod `/oom why` asks about, in Slack's words: given a namespace (-n, or <namespace>/<pod>), there only; otherwise
// `default`, then the one namespace of the cluster with a pod of that name (kube/find-pod.ts, one more request). The
// backend's readers may list pods cluster-wide (infra/rbac/oombot-reader.yaml); where a cluster's binding does not
// allow it, the answer is the old one with a hint to add -n. Cluster text is escaped here, before Slack sees it.
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { enrichPod } from '../kube/collect.ts';
import { findPod, namespaceList } from '../kube/find-pod.ts';
import type { KubeReader } from '../kube/rest.ts';
import { escapeMrkdwn, slackText, SLACK_LIMITS } from './slack-limits.ts';

/** What to diagnose, and the namespace it was found in when that was not the one looked at first; or the answer. */
export type WhyPod = { input: DiagnosisInput; foundIn?: string } | { answer: string };

export async function whyPod(api: KubeReader, cluster: string, pod: string, namespace: string | undefined): Promise<WhyPod> {
  const first = namespace ?? 'default';
  const search = await findPod(api, pod, { namespace: first, given: namespace !== undefined });
  switch (search.kind) {
    case 'found':
      return { input: await enrichPod(api, search.pod), ...(search.elsewhere ? { foundIn: search.namespace } : {}) };
    case 'not-in-namespace':
      return { answer: escapeMrkdwn(`Pod ${pod} not found in namespace ${search.namespace} of cluster ${cluster}.`) };
    case 'not-listable':
      return { answer: `${escapeMrkdwn(`Pod ${pod} not found in namespace ${first} of cluster ${cluster}, and I may not list pods across its namespaces to look elsewhere:`)} add \`-n &lt;namespace&gt;\`.` };
    case 'nowhere':
      return { answer: escapeMrkdwn(`Pod ${pod} not found in any namespace of cluster ${cluster}.`) };
    case 'ambiguous': {
      const count = `${search.namespaces.length}${search.more ? '+' : ''}`;
      return { answer: `\`${escapeMrkdwn(pod)}\` is in ${count} namespaces of cluster ${escapeMrkdwn(cluster)}: ${escapeMrkdwn(namespaceList(search.namespaces, search.more))} — add \`-n &lt;namespace&gt;\`.` };
    }
  }
}

/** The line above the answer that says where the pod was found, since nobody said. */
export function foundInBlock(pod: string, namespace: string): unknown {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`Found in namespace ${namespace} (no pod ${pod} in default).`, SLACK_LIMITS.contextText) }] };
}
