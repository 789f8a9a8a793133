// Who is asking an aggregated API server, and may they: what k8s.io/apiserver does for metrics-server. The
// kube-apiserver authenticates the caller, authorizes the request against its own RBAC, then proxies it with its
// front-proxy client certificate and the caller's identity in X-Remote-* headers. The aggregated server believes those
// headers only from a client certificate that chains to the request-header CA and carries an allowed common name
// (pkg/authentication/request/headerrequest), and asks the kube-apiserver again whether that user may do this
// (delegated authorization: a SubjectAccessReview per request; members of system:masters are always allowed).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { apiRequest, type ApiTarget } from './api-request.ts';

/** The front proxy's settings as the kube-apiserver publishes them for aggregated servers. */
export interface RequestHeaderConfig {
  caPem: string;
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export interface Identity {
  user: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

const jsonList = z
  .string()
  .optional()
  .transform((text) => z.array(z.string()).parse(text ? JSON.parse(text) : []));

const AuthenticationConfigMapSchema = z.object({
  data: z.object({
    'requestheader-client-ca-file': z.string().min(1),
    'requestheader-allowed-names': jsonList,
    'requestheader-username-headers': jsonList,
    'requestheader-uid-headers': jsonList,
    'requestheader-group-headers': jsonList,
    'requestheader-extra-headers-prefix': jsonList,
  }),
});

/**
 * Reads `kube-system/extension-apiserver-authentication`, which the kube-apiserver writes from its --requestheader-*
 * flags (pkg/controlplane/controller/clusterauthenticationtrust) and every aggregated server reads at start. Undefined
 * until it holds a request-header CA.
 */
export async function readRequestHeaderConfig(api: ApiTarget): Promise<RequestHeaderConfig | undefined> {
  const res = await apiRequest(api, 'GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`reading extension-apiserver-authentication: HTTP ${res.status} ${res.body}`);
  const parsed = AuthenticationConfigMapSchema.safeParse(JSON.parse(res.body));
  if (!parsed.success) return undefined;
  const data = parsed.data.data;
  return {
    caPem: data['requestheader-client-ca-file'],
    allowedNames: data['requestheader-allowed-names'],
    usernameHeaders: data['requestheader-username-headers'],
    uidHeaders: data['requestheader-uid-headers'],
    groupHeaders: data['requestheader-group-headers'],
    extraHeaderPrefixes: data['requestheader-extra-headers-prefix'],
  };
}

/**
 * The identity the front proxy asserts, or why there is none. The TLS server verified the client certificate against
 * the request-header CA, with the TLS client purpose (the `ca` and `requestCert` options); this checks that it did,
 * and the certificate's common name.
 */
export function authenticate(req: IncomingMessage, config: RequestHeaderConfig): Identity | { refused: string } {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) {
    const reason = socket.authorizationError ? String(socket.authorizationError) : 'no client certificate';
    return { refused: `client certificate not verified by the request-header CA: ${reason}` };
  }
  const commonName = socket.getPeerCertificate().subject?.CN;
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(String(commonName))) {
    return { refused: `client certificate common name ${JSON.stringify(commonName)} is not an allowed front proxy` };
  }
  const values = (name: string) => req.headersDistinct[name.toLowerCase()] ?? [];
  const user = config.usernameHeaders.map((h) => values(h).find((v) => v.length > 0)).find((v) => v !== undefined);
  if (!user) return { refused: 'no user in the request headers' };
  const uid = config.uidHeaders.map((h) => values(h).find((v) => v.length > 0)).find((v) => v !== undefined);
  // One group per header line: a comma inside a value is part of the group's name.
  const groups = config.groupHeaders.flatMap(values);
  const extra: Record<string, string[]> = {};
  for (const [name, lines] of Object.entries(req.headersDistinct)) {
    const prefix = config.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()));
    if (!prefix || !lines) continue;
    const key = decodeURIComponent(name.slice(prefix.length)); // keys are lower case and percent-encoded
    extra[key] = [...(extra[key] ?? []), ...lines];
  }
  return { user, ...(uid ? { uid } : {}), groups, extra };
}

export type Attributes =
  | { verb: string; resource: string; namespace?: string; name?: string; group: string; version: string }
  | { verb: string; path: string };

/** k8s.io/apiserver's DelegatingAuthorizationOptions: these groups skip the SubjectAccessReview. */
const alwaysAllowGroups = ['system:masters'];

const SubjectAccessReviewSchema = z.object({
  status: z.object({ allowed: z.boolean(), reason: z.string().optional() }),
});

export async function authorize(
  api: ApiTarget,
  who: Identity,
  attributes: Attributes,
): Promise<{ allowed: boolean; reason?: string }> {
  if (who.groups.some((g) => alwaysAllowGroups.includes(g))) return { allowed: true };
  const spec = {
    user: who.user,
    ...(who.uid ? { uid: who.uid } : {}),
    groups: who.groups,
    extra: who.extra,
    ...('path' in attributes ? { nonResourceAttributes: attributes } : { resourceAttributes: attributes }),
  };
  const res = await apiRequest(api, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec,
  });
  if (res.status !== 201) throw new Error(`SubjectAccessReview: HTTP ${res.status} ${res.body}`);
  const { status } = SubjectAccessReviewSchema.parse(JSON.parse(res.body));
  return status;
}
