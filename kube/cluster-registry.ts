// The clusters the backend may read, by the name the forwarder gives them (OOMBOT_CLUSTER). EKS clusters are read as
// the Lambda's own IAM role (a token made here, see eks-token.ts); others with a ServiceAccount token kept in Secrets
// Manager. Configured once, as JSON, in OOMBOT_CLUSTERS.
import https from 'node:https';
import * as z from 'zod';
import { eksToken, type AwsCredentials } from './eks-token.ts';
import { HttpsTransport, type KubeTransport } from './rest.ts';

const common = {
  name: z.string().min(1),
  server: z.url({ protocol: /^https$/ }),
  /** The cluster's CA, base64 of the PEM (as `certificate-authority-data` in a kubeconfig). */
  caData: z.string().min(1),
};

export const ClusterEntrySchema = z.discriminatedUnion('auth', [
  z.object({ ...common, auth: z.literal('eks'), region: z.string().min(1), eksClusterName: z.string().optional() }),
  z.object({ ...common, auth: z.literal('token'), tokenSecretId: z.string().min(1) }),
]);
export const ClusterRegistrySchema = z.array(ClusterEntrySchema);
export type ClusterEntry = z.infer<typeof ClusterEntrySchema>;

export interface RegistryDeps {
  credentials: () => Promise<AwsCredentials>;
  secret: (secretId: string) => Promise<string>;
  now?: () => number;
}

/** EKS accepts a token for 15 minutes after it was signed; a fresh one every 10 leaves a margin. */
const EKS_TOKEN_REFRESH_MS = 10 * 60_000;

export function clusterRegistry(entries: ClusterEntry[], deps: RegistryDeps): (name: string) => KubeTransport | undefined {
  const readers = new Map<string, KubeTransport>();
  for (const entry of entries) readers.set(entry.name, readerFor(entry, deps));
  return (name) => readers.get(name);
}

function readerFor(entry: ClusterEntry, deps: RegistryDeps): KubeTransport {
  const agent = new https.Agent({ keepAlive: true, ca: Buffer.from(entry.caData, 'base64').toString('utf8') });
  const now = deps.now ?? Date.now;
  let cached: { token: Promise<string>; at: number } | undefined;
  const token = (): Promise<string> => {
    if (entry.auth === 'token') {
      cached ??= { token: deps.secret(entry.tokenSecretId).then((t) => t.trim()), at: now() };
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
