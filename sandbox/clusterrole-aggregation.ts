// The built-in ClusterRoles `view`, `edit` and `admin` carry no rules of their own: each has an aggregationRule, and
// kube-controller-manager's clusterrole-aggregation controller (pkg/controller/clusterroleaggregation) fills its rules
// from the ClusterRoles its selectors match (`system:aggregate-to-view`, ...). No controller-manager runs here, so a
// RoleBinding to `view` would grant nothing. This does the controller's work on demand, with the same algorithm:
// matching roles sorted by name, their rules appended once each.
import { apiRequest, type ApiTarget } from './api-request.ts';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface ClusterRole {
  metadata: { name: string; labels?: Record<string, string> };
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
  rules?: Record<string, unknown>[];
}

const path = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
// Aggregation nests (`view` is itself labelled aggregate-to-edit, `edit` aggregate-to-admin): repeat to a fixed point.
const maxPasses = 5;

export async function aggregateClusterRoles(api: ApiTarget): Promise<void> {
  for (let pass = 0; pass < maxPasses; pass++) {
    const listed = await apiRequest(api, 'GET', path);
    if (listed.status !== 200) throw new Error(`listing ClusterRoles: HTTP ${listed.status} ${listed.body}`);
    const roles = (JSON.parse(listed.body) as { items: ClusterRole[] }).items;
    roles.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

    let changed = false;
    for (const role of roles) {
      const selectors = role.aggregationRule?.clusterRoleSelectors;
      if (!selectors) continue;
      const rules: Record<string, unknown>[] = [];
      const seen = new Set<string>();
      for (const selector of selectors) {
        for (const source of roles) {
          if (source.metadata.name === role.metadata.name || !matches(selector, source.metadata.labels ?? {})) continue;
          for (const rule of source.rules ?? []) {
            const key = ruleKey(rule);
            if (!seen.has(key)) rules.push(rule);
            seen.add(key);
          }
        }
      }
      if (rules.map(ruleKey).join('\n') === (role.rules ?? []).map(ruleKey).join('\n')) continue;
      const updated = await apiRequest(api, 'PUT', `${path}/${role.metadata.name}`, { ...role, rules });
      // 409: the apiserver's own RBAC bootstrap updated the role meanwhile; the next pass sees the new version.
      if (updated.status !== 200 && updated.status !== 409) {
        throw new Error(`updating ClusterRole ${role.metadata.name}: HTTP ${updated.status} ${updated.body}`);
      }
      changed = true;
    }
    if (!changed) return;
  }
}

function matches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const has = key in labels;
      if (operator === 'In') return has && values.includes(labels[key] as string);
      if (operator === 'NotIn') return !has || !values.includes(labels[key] as string);
      return operator === 'Exists' ? has : !has;
    })
  );
}

/** Rules compare by content, as the controller's semantic DeepEqual does (absent and empty lists are equal). */
function ruleKey(rule: Record<string, unknown>): string {
  const fields = ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs'];
  return JSON.stringify(fields.map((f) => rule[f] ?? []));
}
