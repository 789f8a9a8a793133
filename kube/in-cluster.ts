// The in-cluster transport: the ServiceAccount token, CA and API address the kubelet gives every pod. The token is
// re-read before each request because projected tokens rotate (the kubelet refreshes them at 80 % of their life).
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { HttpsTransport } from './rest.ts';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env['KUBERNETES_SERVICE_HOST'] && !!env['KUBERNETES_SERVICE_PORT'];
}

/** OOMBOT_SERVICEACCOUNT_DIR runs the in-cluster path outside a pod (the forwarder benchmark does). */
export function inClusterTransport(env: NodeJS.ProcessEnv = process.env, dir = env['OOMBOT_SERVICEACCOUNT_DIR'] ?? SA_DIR): HttpsTransport {
  const host = env['KUBERNETES_SERVICE_HOST']!;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env['KUBERNETES_SERVICE_PORT']}`;
  let agent: Promise<https.Agent> | undefined;
  return new HttpsTransport(async () => {
    // An agent of our own: Node's global agent closes sockets idle for 5 s, which would cut every quiet watch.
    agent ??= readFile(`${dir}/ca.crt`, 'utf8').then((ca) => new https.Agent({ keepAlive: true, ca }));
    const token = (await readFile(`${dir}/token`, 'utf8')).trim();
    return { server, options: { agent: await agent, headers: { Authorization: `Bearer ${token}` } } };
  }, `in-cluster (${server})`);
}
