// A kubelet's container-log endpoint on loopback, for one test file: the control plane runs no kubelet, so nothing
// would answer the kube-apiserver when it serves pods/log. It reaches this one as it reaches any kubelet — through a
// Node whose status lists an address and a kubelet port (`nodeStatus()`), over TLS verified against the CA its
// `--kubelet-certificate-authority` names (`apiserverFlags`) — and forwards the caller's query to
// `/containerLogs/{namespace}/{pod}/{container}`.
//
// Answered as the kubelet answers: the last `tailLines` lines are picked first, then the output is cut at `limitBytes`
// from their start, the timestamps counting in those bytes (pkg/kubelet/kuberuntime/logs/logs.go ReadLogs and its
// byte-limited writer); a run it does not keep is a 400 whose body is the error's text (pkg/kubelet/server/server.go,
// pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { issueCert } from '../../sandbox/x509.ts';

type Run = 'previous' | 'current';
type Answer = { lines: { at: Date; text: string }[] } | { status: number; body: string } | { hang: true };

export interface KubeletLogs {
  /** kube-apiserver flags that make it verify this kubelet's serving certificate. */
  readonly apiserverFlags: string[];
  /** The status of a Node this kubelet serves (addresses and daemonEndpoints); a node's other fields are the test's. */
  nodeStatus(): { addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
  /** What the kube-apiserver asked for, in order. */
  readonly requests: URL[];
  /** The log of one run of a container, each line with the time the runtime received it. */
  setLog(namespace: string, pod: string, container: string, run: Run, lines: { at: Date; text: string }[]): void;
  /** Any other answer: an error, or none at all. */
  answer(namespace: string, pod: string, container: string, run: Run, answer: { status: number; body: string } | { hang: true }): void;
}

/** Call at the top level of the file, before useControlPlane, and pass `apiserverFlags` to it. */
export function useKubeletLogs(): KubeletLogs {
  // Synchronous, at collection: the control plane's flags name the CA file before any hook runs.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oombot-kubelet-'));
  const ca = issueCert({ commonName: 'kubelet-ca', ca: true, days: 1 });
  const serving = issueCert({ commonName: 'kubelet', usage: ['server'], ips: ['127.0.0.1'], days: 1 }, ca);
  const caFile = path.join(dir, 'kubelet-ca.crt');
  writeFileSync(caFile, ca.certPem);
  const answers = new Map<string, Answer>();
  const requests: URL[] = [];
  const key = (namespace: string, pod: string, container: string, run: Run) => `${namespace}/${pod}/${container}/${run}`;

  const server = https.createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push(url);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const q = url.searchParams;
    const run: Run = q.get('previous') === 'true' ? 'previous' : 'current';
    const answer = m ? answers.get(key(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), decodeURIComponent(m[3]!), run)) : undefined;
    if (!answer) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(run === 'previous' ? `previous terminated container "${m?.[3] ?? ''}" in pod "${m?.[2] ?? ''}" not found` : `container "${m?.[3] ?? ''}" in pod "${m?.[2] ?? ''}" is not available`);
      return;
    }
    if ('hang' in answer) return; // held open until close
    if ('status' in answer) {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
      res.end(answer.body);
      return;
    }
    const tail = q.has('tailLines') ? Number(q.get('tailLines')) : answer.lines.length;
    const stamped = q.get('timestamps') === 'true';
    let out = Buffer.from(answer.lines.slice(Math.max(0, answer.lines.length - tail)).map((l) => `${stamped ? `${rfc3339Nano(l.at)} ` : ''}${l.text}\n`).join(''));
    if (q.has('limitBytes')) out = out.subarray(0, Number(q.get('limitBytes')));
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(out);
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    apiserverFlags: [`--kubelet-certificate-authority=${caFile}`],
    nodeStatus: () => {
      if (!port) throw new Error('useKubeletLogs(): the kubelet listens only inside tests and hooks');
      return { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } };
    },
    requests,
    setLog: (namespace, pod, container, run, lines) => answers.set(key(namespace, pod, container, run), { lines }),
    answer: (namespace, pod, container, run, answer) => answers.set(key(namespace, pod, container, run), answer),
  };
}

/** The kubelet's timestamp format, RFC 3339 with nanoseconds (time.RFC3339Nano, trailing zeros kept by its writer). */
function rfc3339Nano(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
