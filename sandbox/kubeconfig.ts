// Kubeconfigs for the local control plane: the admin one (a static token of a system:masters user), and KubeConfigs
// that act as another identity by impersonation, so tests can check RBAC as a chart's ServiceAccount would meet it.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

export interface KubeconfigInput {
  url: string;
  caPem: string;
  token: string;
  context?: string;
}

export const DEFAULT_CONTEXT = 'oombot-sandbox';

/** A kubeconfig as JSON, which kubectl and client-node read as they read YAML (JSON is a subset of YAML 1.2). */
export function kubeconfigJson({ url, caPem, token, context = DEFAULT_CONTEXT }: KubeconfigInput): string {
  const user = `${context}-admin`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: context, cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: context, context: { cluster: context, user, namespace: 'default' } }],
    'current-context': context,
  };
  return JSON.stringify(config, null, 2) + '\n';
}

export type Identity = { serviceAccount: { namespace: string; name: string } } | { user: string; groups?: string[] };

/**
 * The user and groups the apiserver would authenticate for this identity. A ServiceAccount token authenticates as
 * `system:serviceaccount:<ns>:<name>` in `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
 * `system:authenticated` (k8s.io/apiserver/pkg/authentication/serviceaccount MakeUsername / MakeGroupNames).
 */
export function impersonated(identity: Identity): { user: string; groups: string[] } {
  if ('serviceAccount' in identity) {
    const { namespace, name } = identity.serviceAccount;
    return {
      user: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    };
  }
  return { user: identity.user, groups: identity.groups ?? [] };
}

type HttpsOptions = Parameters<KubeConfig['applyToHTTPSOptions']>[0];

/**
 * A KubeConfig whose requests carry Impersonate-User / Impersonate-Group headers. client-node 1.4 only knows the
 * kubeconfig's `as` (Impersonate-User, in its private applyHTTPSOptions); nothing sends groups. The apiserver reads
 * each group from a separate Impersonate-Group header line (k8s.io/apiserver filters/impersonation ranges over
 * `req.Header[...]`; a comma-joined value would be one group named "a,b"), so both request paths are overridden:
 * - applyToHTTPSOptions (used by node:https, WebSocket and applyToFetchOptions): a header array becomes repeated lines.
 * - applySecurityAuthentication (used by makeApiClient clients): RequestContext keeps headers in a plain
 *   `{name: string}` object, so one name can hold one value. node-fetch v2 builds its Headers by `append`ing each key,
 *   and header names are case-insensitive, so each group goes under a differently-cased spelling of the name and is
 *   sent as its own line.
 */
export class ImpersonatingKubeConfig extends KubeConfig {
  private readonly impersonate: { user: string; groups: string[] };

  constructor(identity: Identity) {
    super();
    this.impersonate = impersonated(identity);
  }

  override async applyToHTTPSOptions(opts: HttpsOptions): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const { user, groups } = this.impersonate;
    // Node's types allow headers as a flat [name, value, ...] array too; client-node always gives an object.
    const current = Array.isArray(opts.headers) ? {} : (opts.headers as Record<string, string | string[]> | undefined);
    const headers: Record<string, string | string[]> = { ...current, 'Impersonate-User': user };
    if (groups.length > 0) headers['Impersonate-Group'] = [...groups];
    (opts as { headers: Record<string, string | string[]> }).headers = headers;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('Impersonate-User', this.impersonate.user);
    this.impersonate.groups.forEach((group, i) => context.setHeaderParam(caseVariant('Impersonate-Group', i), group));
  }
}

/** The n-th spelling of `name` by letter case (n = 0 is `name` itself); distinct for n < 2^letters. */
function caseVariant(name: string, n: number): string {
  let bit = 0;
  return [...name]
    .map((ch) => {
      if (!/[a-z]/i.test(ch)) return ch;
      const flip = (n >> bit++) & 1;
      if (!flip) return ch;
      return ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
    })
    .join('');
}
