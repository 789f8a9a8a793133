// The in-cluster transport: the ServiceAccount token, CA and API address the kubelet gives every pod. The token is
// re-read before each request because projected tokens rotate (the kubelet refreshes them at 80 % of their life).
import { readFile } from 'node:fs/promises';
import { HttpsTransport } from './rest.ts';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env['KUBERNETES_SERVICE_HOST'] && !!env['KUBERNETES_SERVICE_PORT'];
}

export function inClusterTransport(env: NodeJS.ProcessEnv = process.env, dir = SA_DIR): HttpsTransport {
  const host = env['KUBERNETES_SERVICE_HOST']!;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env['KUBERNETES_SERVICE_PORT']}`;
  let ca: Promise<string> | undefined;
  return new HttpsTransport(async () => {
    ca ??= readFile(`${dir}/ca.crt`, 'utf8');
    const token = (await readFile(`${dir}/token`, 'utf8')).trim();
    return { server, options: { ca: await ca, headers: { Authorization: `Bearer ${token}` } } };
  }, `in-cluster (${server})`);
}
