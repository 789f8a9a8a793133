// A real kube-apiserver and etcd on loopback, as controller-runtime's envtest runs them: no controller-manager,
// scheduler or kubelet. Tests and `oombot sandbox` write what those components would write (pod status, events).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { apiRequest, type ApiTarget } from './api-request.ts';
import { controlPlaneBinaries, type BuildReporter, type ControlPlaneBinaries } from './binaries.ts';
import { aggregateClusterRoles } from './clusterrole-aggregation.ts';
import { signal, startDaemon, stopDaemon, waitFor, type Daemon } from './daemon.ts';
import { ControlPlaneError } from './errors.ts';
import { ImpersonatingKubeConfig, kubeconfigJson, type Identity } from './kubeconfig.ts';
import { issueCert } from './x509.ts';

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** PEM of the serving certificate the apiserver generated, followed by the CA that signed it. */
  readonly caData: string;
  /** Bearer token of `oombot-admin`, in group system:masters. */
  readonly adminToken: string;
  readonly pids: { etcd: number; apiserver: number };
  /**
   * The aggregation layer's front proxy: the CA the apiserver's `--requestheader-client-ca-file` names, and the client
   * certificate it presents when it proxies a request to an aggregated API server (sandbox/metrics-server.ts). An
   * aggregated server learns the same facts from the `kube-system/extension-apiserver-authentication` ConfigMap.
   */
  readonly frontProxy: FrontProxy;
  /** Temporary folder holding etcd's data, certificates and the two processes' logs (etcd.log, kube-apiserver.log). */
  readonly dir: string;
  /** The admin kubeconfig. It is JSON, which is valid YAML and read as such by kubectl and client-node. */
  kubeconfigYaml(opts?: { context?: string }): string;
  /** Writes the admin kubeconfig with mode 0600 (it holds the admin token). */
  writeKubeconfig(file: string): Promise<void>;
  adminKubeConfig(): KubeConfig;
  /** A KubeConfig that acts as `identity` through impersonation by the admin. */
  kubeConfigAs(identity: Identity): KubeConfig;
  /**
   * Fills aggregated ClusterRoles (view, edit, admin, and any with an aggregationRule) from the roles their selectors
   * match, as kube-controller-manager would. Done once at start; call again after adding a role labelled e.g.
   * `rbac.authorization.k8s.io/aggregate-to-view: "true"`.
   */
  aggregateClusterRoles(): Promise<void>;
  /**
   * Resolves when etcd or the apiserver exits, whether by stop() or not (but not by stopApiserver()): a sandbox should
   * stop when either dies.
   */
  readonly exited: Promise<{ name: string; reason: string }>;
  /**
   * Stops the kube-apiserver alone (SIGTERM, as a rolling restart or a crash-looping static pod would) and resolves once
   * it has exited; etcd keeps the data. Clients meanwhile get "connection refused", as from a server that is away.
   */
  stopApiserver(): Promise<void>;
  /** Starts it again on the same port with the same certificates and etcd, and resolves once it answers /readyz. */
  startApiserver(): Promise<void>;
  /** Stops the apiserver, then etcd (SIGTERM, SIGKILL after 5 s), and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface FrontProxy {
  caPem: string;
  /** Common names of client certificates allowed to assert an identity in `X-Remote-*` headers. */
  allowedNames: string[];
  clientCertPem: string;
  clientKeyPem: string;
}

const etcdReadyMs = 30_000;
const apiserverReadyMs = 60_000;

export interface ControlPlaneOptions {
  log?: (line: string) => void;
  /** More kube-apiserver flags, e.g. to make watches expire sooner in a test (`--etcd-compaction-interval=2s`). */
  apiserverFlags?: string[];
  /** Hears about a first build of the binaries (sandbox/build-progress.ts shows it in a terminal). */
  reporter?: BuildReporter;
  /** Stops a build of the binaries under way. */
  signal?: AbortSignal;
  /** The binaries, when the caller started finding (or building) them earlier (local/start.ts). */
  binaries?: Promise<ControlPlaneBinaries>;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const bins = await (opts.binaries ?? controlPlaneBinaries({ log, ...(opts.reporter ? { reporter: opts.reporter } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oombot-cp-'));
  const adminToken = randomBytes(32).toString('hex');
  const started: Daemon[] = [];
  // Children die with us even if the caller forgets stop(): 'exit' handlers must be synchronous, hence kill + rmSync.
  const onExit = () => {
    for (const d of started) if (!d.hasExited()) signal(d.pid, 'SIGKILL'); // a reaped PID may belong to another
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const stopAll = async (keepFile?: string) => {
    for (const d of [...started].reverse()) await stopDaemon(d);
    process.off('exit', onExit);
    if (!keepFile) return fs.rm(dir, { recursive: true, force: true });
    // After a failed start the error message points at a log file: it stays (a few kB), the rest goes.
    for (const entry of await fs.readdir(dir)) {
      if (path.join(dir, entry) !== keepFile) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
  };

  try {
    const frontProxy = await writeCredentials(dir, adminToken);
    const [clientPort, peerPort, securePort] = await freePorts(3);
    const t0 = Date.now();
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = await spawnChecked('etcd', bins.etcd, dir, [
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      // Throwaway data: skipping fsync makes every write, and so the whole suite, much faster.
      '--unsafe-no-fsync',
      // A single member elects itself after the election timeout (1 s by default); with no peers a short one is safe.
      '--heartbeat-interval=10',
      '--election-timeout=100',
    ]);
    started.push(etcd);
    await waitFor(etcd, 'etcd to answer /health', etcdReadyMs, async () => (await fetch(`${etcdUrl}/health`)).ok);
    log(`etcd ready on ${etcdUrl} after ${Date.now() - t0} ms`);

    const url = `https://127.0.0.1:${securePort}`;
    const certFile = path.join(dir, 'certs', 'apiserver.crt');
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${path.join(dir, 'certs')}`,
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // No controller-manager runs, so nothing would keep the `kubernetes` Service's endpoints; don't try.
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--service-account-issuer=https://oombot.local',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      '--allow-privileged=true',
      // The ServiceAccount admission plugin rejects pods until the token controller (controller-manager) has made
      // the namespace's `default` ServiceAccount; envtest disables it for the same reason.
      '--disable-admission-plugins=ServiceAccount',
      // The aggregation layer, as kubeadm configures it: a request for an APIService backed by a Service is proxied
      // with this client certificate and the caller's identity in X-Remote-* headers, which the aggregated server
      // trusts only from a certificate signed by the front-proxy CA with an allowed name. --enable-aggregator-routing
      // stays off: it routes to an EndpointSlice's addresses, which may not be loopback, while the default (cluster IP)
      // routing also dials an ExternalName Service's name: that is how sandbox/metrics-server.ts is reached.
      `--requestheader-client-ca-file=${path.join(dir, 'front-proxy', 'ca.crt')}`,
      `--requestheader-allowed-names=${frontProxy.allowedNames.join(',')}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${path.join(dir, 'front-proxy', 'client.crt')}`,
      `--proxy-client-key-file=${path.join(dir, 'front-proxy', 'client.key')}`,
      ...(opts.apiserverFlags ?? []),
    ];
    let target: ApiTarget | undefined;
    const launchApiserver = async (): Promise<Daemon> => {
      const daemon = await spawnChecked('kube-apiserver', bins.kubeApiserver, dir, apiserverArgs);
      started.push(daemon);
      await waitFor(daemon, 'kube-apiserver to answer /readyz', apiserverReadyMs, async () => {
        // The apiserver writes its self-signed serving cert followed by its CA (client-go util/cert) before it serves;
        // started again, it keeps the one in --cert-dir, so clients' kubeconfigs stay valid.
        const caPem = await fs.readFile(certFile, 'utf8').catch(() => '');
        if (caPem.split('-----END CERTIFICATE-----').length < 3) return false;
        target = { url, caPem, token: adminToken };
        return (await apiRequest(target, 'GET', '/readyz')).status === 200;
      });
      return daemon;
    };
    let apiserver = await launchApiserver();
    const api = target as ApiTarget;
    // exited reports a daemon's death, unless stopApiserver() asked for it.
    const stoppedOnPurpose = new Set<Daemon>();
    let reportExit: (exit: { name: string; reason: string }) => void = () => {};
    const exited = new Promise<{ name: string; reason: string }>((resolve) => (reportExit = resolve));
    const watchExit = (d: Daemon) => void d.exited.then((reason) => stoppedOnPurpose.has(d) || reportExit({ name: d.name, reason }));
    watchExit(etcd);
    watchExit(apiserver);
    await waitFor(apiserver, 'the RBAC bootstrap roles', apiserverReadyMs, async () => {
      return (await apiRequest(api, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).status === 200;
    });
    await aggregateClusterRoles(api);
    await ensureDefaultNamespace(apiserver, api);
    log(`kube-apiserver ready on ${url} after ${Date.now() - t0} ms`);

    const kubeconfigYaml = ({ context }: { context?: string } = {}) =>
      kubeconfigJson({ url, caPem: api.caPem, token: adminToken, context });
    return {
      url,
      caData: api.caPem,
      adminToken,
      pids: { etcd: etcd.pid, apiserver: apiserver.pid },
      frontProxy,
      dir,
      kubeconfigYaml,
      async writeKubeconfig(file) {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, kubeconfigYaml(), { mode: 0o600 });
        await fs.chmod(file, 0o600); // writeFile's mode only applies when it creates the file
      },
      adminKubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromString(kubeconfigYaml());
        return kc;
      },
      kubeConfigAs(identity) {
        const kc = new ImpersonatingKubeConfig(identity);
        kc.loadFromString(kubeconfigYaml());
        return kc;
      },
      aggregateClusterRoles: () => aggregateClusterRoles(api),
      exited,
      async stopApiserver() {
        stoppedOnPurpose.add(apiserver);
        await stopDaemon(apiserver);
        started.splice(started.indexOf(apiserver), 1);
      },
      async startApiserver() {
        if (!apiserver.hasExited()) throw new ControlPlaneError('CONTROL_PLANE_START_FAILED', 'the kube-apiserver is running: stopApiserver() first');
        apiserver = await launchApiserver();
        watchExit(apiserver);
      },
      stop: () => stopAll(),
    };
  } catch (error) {
    if (error instanceof ControlPlaneError) {
      await stopAll(error.logFile);
      throw error;
    }
    await stopAll();
    const reason = error instanceof Error ? error.message : String(error);
    throw new ControlPlaneError('CONTROL_PLANE_START_FAILED', `starting the control plane failed: ${reason}`, {
      cause: error,
    });
  }
}

async function spawnChecked(name: string, bin: string, dir: string, args: string[]): Promise<Daemon> {
  try {
    return await startDaemon(name, bin, args, path.join(dir, `${name}.log`));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ControlPlaneError('CONTROL_PLANE_START_FAILED', `could not start ${name} (${bin}): ${reason}`, {
      cause: error,
    });
  }
}

async function writeCredentials(dir: string, adminToken: string): Promise<FrontProxy> {
  // The apiserver signs ServiceAccount tokens with the private key and verifies them with the public one.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await fs.writeFile(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  // --token-auth-file is CSV: token,user,uid,"group1,group2". system:masters passes every authorization check.
  await fs.writeFile(path.join(dir, 'tokens.csv'), `${adminToken},oombot-admin,oombot-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  // The front proxy's CA and client certificate, named as kubeadm names them (front-proxy-ca, front-proxy-client).
  const ca = issueCert({ commonName: 'front-proxy-ca', ca: true, days: 3650 });
  const client = issueCert({ commonName: 'front-proxy-client', usage: ['client'] }, ca);
  await fs.mkdir(path.join(dir, 'front-proxy'));
  await fs.writeFile(path.join(dir, 'front-proxy', 'ca.crt'), ca.certPem);
  await fs.writeFile(path.join(dir, 'front-proxy', 'client.crt'), client.certPem);
  await fs.writeFile(path.join(dir, 'front-proxy', 'client.key'), client.keyPem, { mode: 0o600 });
  return {
    caPem: ca.certPem,
    allowedNames: ['front-proxy-client'],
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
  };
}

/** Ports the kernel reports free right now; all are held open together so the three are distinct. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = net.createServer();
      return new Promise<net.Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Pods need their namespace (NamespaceLifecycle admission). The apiserver's own bootstrap controller creates `default`
 * shortly after start even with no controller-manager; create it ourselves if we got there first.
 */
async function ensureDefaultNamespace(apiserver: Daemon, api: ApiTarget): Promise<void> {
  await waitFor(apiserver, 'the default namespace', apiserverReadyMs, async () => {
    if ((await apiRequest(api, 'GET', '/api/v1/namespaces/default')).status === 200) return true;
    const created = await apiRequest(api, 'POST', '/api/v1/namespaces', { metadata: { name: 'default' } });
    return created.status === 201 || created.status === 409;
  });
}
