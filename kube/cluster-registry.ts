// The clusters the backend may read, by the name the forwarder gives them (OOMBOT_CLUSTER). EKS clusters are read as
// the Lambda's own IAM role (a token made here, see eks-token.ts); others with a ServiceAccount token kept in Secrets
// Manager. Configured once, as JSON, in OOMBOT_CLUSTERS.
//
// Reading and patching are two identities wherever oombot holds the credentials itself (docs/architecture.md,
// "Security rules"): a token cluster names a reader token (`tokenSecretId`, under oombot/clusters/, which analyze and
// actions may read) and, only where Raise limit is wanted, a patch token (`patchTokenSecretId`, under
// oombot/cluster-patchers/, which only the actions role may read: serverless.yml). An EKS cluster needs no second
// secret: each function's role is its own identity there, mapped to its own groups by an access entry.
import https from 'node:https';
import * as z from 'zod';
import { eksToken, type AwsCredentials } from './eks-token.ts';
import { HttpsTransport, type KubeTransport } from './rest.ts';

/** Reader tokens: serverless.yml lets the analyze and actions roles read secrets under this prefix. */
export const CLUSTER_SECRET_PREFIX = 'oombot/clusters/';
/** Patch tokens: serverless.yml lets only the actions role read secrets under this prefix. */
export const CLUSTER_PATCHER_SECRET_PREFIX = 'oombot/cluster-patchers/';

const common = {
  name: z.string().min(1),
  server: z.url({ protocol: /^https$/ }),
  /** The cluster's CA, base64 of the PEM (as `certificate-authority-data` in a kubeconfig). */
  caData: z.string().min(1),
};

export const ClusterEntrySchema = z.discriminatedUnion('auth', [
  z.object({
    ...common,
    auth: z.literal('eks'),
    region: z.string().min(1),
    eksClusterName: z.string().optional(),
    patchTokenSecretId: z.undefined({ error: "is for token clusters only: on EKS the actions role patches as itself (its access entry adds oombot:patchers; README, \"Deploy the backend\", step 4)" }).optional(),
  }),
  z
    .object({
      ...common,
      auth: z.literal('token'),
      /** A token bound to oombot-reader: what analyze, `/oom why` and everything else that only reads use. */
      tokenSecretId: z.string().min(1),
      /** A token bound to oombot-reader and oombot-patcher: what Raise limit uses. Without it, Raise limit is refused here. */
      patchTokenSecretId: z.string().min(1).optional(),
    })
    .superRefine((c, ctx) => {
      // The prefixes are what the roles may read (serverless.yml): a reader token elsewhere fails at the first read,
      // inside Lambda; a patch token under the readers' prefix would let analyze, which never patches, read it.
      if (!c.tokenSecretId.startsWith(CLUSTER_SECRET_PREFIX)) {
        ctx.addIssue({ code: 'custom', path: ['tokenSecretId'], message: `must be under ${CLUSTER_SECRET_PREFIX} (e.g. ${CLUSTER_SECRET_PREFIX}${c.name}): the functions' roles may read those secrets only` });
      }
      if (c.patchTokenSecretId !== undefined && !c.patchTokenSecretId.startsWith(CLUSTER_PATCHER_SECRET_PREFIX)) {
        ctx.addIssue({ code: 'custom', path: ['patchTokenSecretId'], message: `must be under ${CLUSTER_PATCHER_SECRET_PREFIX} (e.g. ${CLUSTER_PATCHER_SECRET_PREFIX}${c.name}): only the actions role may read those, so analyze never holds a token that patches` });
      }
    }),
]);
export const ClusterRegistrySchema = z.array(ClusterEntrySchema);
export type ClusterEntry = z.infer<typeof ClusterEntrySchema>;

export interface RegistryDeps {
  credentials: () => Promise<AwsCredentials>;
  secret: (secretId: string) => Promise<string>;
  now?: () => number;
}

/**
 * Who patches a cluster: a transport, `no-patch-token` for a token cluster registered without one (Raise limit is
 * refused there before any call: bot/raise-limit.ts), or undefined for a cluster that is not registered.
 */
export type PatcherLookup = (name: string) => KubeTransport | 'no-patch-token' | undefined;

export interface ClusterRegistry {
  /** The identity that reads: a transport for a cluster by name, or undefined when it is not registered. */
  reader(name: string): KubeTransport | undefined;
  /** The identity that patches (Raise limit): on EKS the function's own role, as `reader`; else the patch token. */
  patcher: PatcherLookup;
}

/** EKS accepts a token for 15 minutes after it was signed; a fresh one every 10 leaves a margin. */
const EKS_TOKEN_REFRESH_MS = 10 * 60_000;

export function clusterRegistry(entries: ClusterEntry[], deps: RegistryDeps): ClusterRegistry {
  const readers = new Map<string, KubeTransport>();
  const patchers = new Map<string, KubeTransport | 'no-patch-token'>();
  for (const entry of entries) {
    const reader = transportFor(entry, deps);
    readers.set(entry.name, reader);
    // Secrets are fetched at the first request, so a function that never patches never asks for the patch token.
    patchers.set(entry.name, entry.auth === 'eks' ? reader : entry.patchTokenSecretId ? transportFor(entry, deps, entry.patchTokenSecretId) : 'no-patch-token');
  }
  return { reader: (name) => readers.get(name), patcher: (name) => patchers.get(name) };
}

/** A transport as the entry's identity: on EKS the function's role; else the token in `secretId` (the reader's by default). */
function transportFor(entry: ClusterEntry, deps: RegistryDeps, secretId?: string): KubeTransport {
  const agent = new https.Agent({ keepAlive: true, ca: Buffer.from(entry.caData, 'base64').toString('utf8') });
  const now = deps.now ?? Date.now;
  let cached: { token: Promise<string>; at: number } | undefined;
  const token = (): Promise<string> => {
    if (entry.auth === 'token') {
      cached ??= { token: deps.secret(secretId ?? entry.tokenSecretId).then((t) => t.trim()), at: now() };
    } else if (!cached || now() - cached.at > EKS_TOKEN_REFRESH_MS) {
      cached = { token: deps.credentials().then((c) => eksToken(entry.eksClusterName ?? entry.name, entry.region, c)), at: now() };
    }
    const current = cached;
    // A failed fetch must not be cached for the life of the Lambda.
    return current.token.catch((error: unknown) => {
      if (cached === current) cached = undefined;
      throw error;
    });
  };
  return new HttpsTransport(async () => ({ server: entry.server, options: { agent, headers: { Authorization: `Bearer ${await token()}` } } }), `cluster ${entry.name} (${entry.server})`);
}
