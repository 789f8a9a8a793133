// A plain GET through the API server as a KubeConfig's identity (the admin, or another by impersonation), answering
// the status and the parsed body whatever the status: RBAC and aggregation tests need the 403's and 404's Status too,
// which client-node's typed clients and its Metrics class turn into an exception without the body.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeReply {
  status: number;
  body: unknown;
}

export async function kubeGet(kc: KubeConfig, path: string, headers: Record<string, string> = {}): Promise<KubeReply> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the KubeConfig has no current cluster');
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json', ...headers } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, server), opts, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
