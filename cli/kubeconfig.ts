// The kubeconfig of commands that talk to a cluster from outside it, chosen as kubectl chooses it: `--kubeconfig PATH`
// (that file alone; it must exist), else every file KUBECONFIG lists (missing ones skipped), else ~/.kube/config, else
// the pod's own ServiceAccount. Several files merge as kubectl merges them: the first to name a cluster, user or context
// keeps it, and the first current-context wins. client-node's `loadFromDefault` does neither — a missing file or a
// name defined twice throws, and the last current-context wins — and with nothing found it makes up
// http://localhost:8080, which then fails as "HTTP protocol is not allowed". So the files are read one by one here.
//
// Every failure is one line naming the file and what is wrong, code `unreachable` (exit 4: the cluster could not be
// asked). @kubernetes/client-node is imported here, not at the top of a command: its root pulls in the whole generated
// API (~0.7 s and ~60 MiB), which offline use and the in-cluster forwarder never need.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { OombotError } from '#shared/errors.ts';
import { inCluster } from '../kube/in-cluster.ts';

/** What the command line chose, as kubectl's flags of the same names. */
export interface KubeconfigChoice {
  /** --kubeconfig: this file only. */
  kubeconfig?: string | undefined;
  /** --context: this context instead of the current one. */
  context?: string | undefined;
}

export interface LoadedKubeConfig {
  /** Set to the chosen context. */
  kc: KubeConfig;
  /** The chosen context's namespace, or `default` (kubectl's `-n` falls back the same way). */
  namespace: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const fail = (message: string, cause?: unknown) => new OombotError('unreachable', message, cause === undefined ? undefined : { cause });

/** What a command without kubectl's flags says instead (cli/forwarder-command.ts, local mode). */
interface Wording {
  /** The line when the kubeconfig sets no current-context. */
  noContext: string;
  /** What to do when there is no kubeconfig at all. */
  noKubeconfig: string;
}

export async function loadKubeConfig(choice: KubeconfigChoice = {}, env: NodeJS.ProcessEnv = process.env, wording?: Wording): Promise<LoadedKubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { files, lookedAt } = kubeconfigFiles(choice, env);
  const kc = new KubeConfig();
  if (files.length) {
    const merged = { clusters: [] as Cluster[], users: [] as User[], contexts: [] as Context[], currentContext: '' };
    for (const file of files) {
      const one = readKubeconfig(new KubeConfig(), file);
      if (!one) continue;
      // kubectl: "the first file to set a particular map key wins", and the first current-context.
      const add = <T extends { name: string }>(into: T[], items: T[]) => into.push(...items.filter((i) => !into.some((o) => o.name === i.name)));
      add(merged.clusters, one.getClusters());
      add(merged.users, one.getUsers());
      add(merged.contexts, one.getContexts());
      merged.currentContext ||= one.getCurrentContext() ?? '';
    }
    kc.loadFromOptions(merged);
  } else if (inCluster(env) && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    throw fail(`no kubeconfig found (looked at: ${[...lookedAt, 'in-cluster, not in a pod'].join('; ')}); ${wording?.noKubeconfig ?? 'set KUBECONFIG or pass --kubeconfig'}`);
  }

  const where = files.length ? files.join(':') : 'the in-cluster configuration';
  const names = kc.getContexts().map((c) => c.name);
  const listed = names.length ? names.join(', ') : 'none';
  const name = choice.context ?? kc.getCurrentContext();
  if (!name) throw fail(wording?.noContext ?? `the kubeconfig ${where} sets no current-context; pass --context (contexts: ${listed})`);
  const context = kc.getContextObject(name);
  if (!context) throw fail(`${choice.context ? 'no context' : 'the current-context'} "${name}" ${choice.context ? 'in' : 'is not defined in'} the kubeconfig ${where}; contexts: ${listed}`);
  if (!kc.getCluster(context.cluster)) throw fail(`context "${name}" names cluster "${context.cluster}", which the kubeconfig ${where} does not define`);
  kc.setCurrentContext(name);
  return { kc, namespace: context.namespace || 'default' };
}

/**
 * The kubeconfig of the current context, for commands with no flags of their own (the forwarder outside a pod, local
 * mode). `noContext` says what to do when the kubeconfig sets no current-context.
 */
export async function loadCurrentKubeConfig(noContext: string): Promise<KubeConfig> {
  return (await loadKubeConfig({}, process.env, { noContext, noKubeconfig: 'set KUBECONFIG' })).kc;
}

/** The files to read, in kubectl's order, and what was looked at when there is none. */
function kubeconfigFiles(choice: KubeconfigChoice, env: NodeJS.ProcessEnv): { files: string[]; lookedAt: string[] } {
  if (choice.kubeconfig !== undefined) {
    // kubectl: "a missing ExplicitPath file produces an error".
    if (!existsSync(choice.kubeconfig)) throw fail(`the kubeconfig ${choice.kubeconfig} (--kubeconfig) does not exist`);
    return { files: [choice.kubeconfig], lookedAt: [] };
  }
  const listed = (env['KUBECONFIG'] ?? '').split(path.delimiter).filter(Boolean);
  if (listed.length) return { files: listed.filter((f) => existsSync(f)), lookedAt: [`KUBECONFIG=${env['KUBECONFIG']}, no such file${listed.length > 1 ? 's' : ''}`] };
  const home = path.join(env['HOME'] || os.homedir(), '.kube', 'config');
  return { files: existsSync(home) ? [home] : [], lookedAt: ['KUBECONFIG, not set', `${home}, no such file`] };
}

/** One file into `kc`, undefined when it is empty (kubectl reads an empty file as an empty config). */
function readKubeconfig(kc: KubeConfig, file: string): KubeConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(`cannot read the kubeconfig ${file}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : firstLine(error)}`, error);
  }
  if (!text.trim()) return undefined;
  try {
    kc.loadFromString(text);
    kc.makePathsAbsolute(path.dirname(file));
  } catch (error) {
    // js-yaml's errors ("unexpected end of the stream … (2:1)") and client-node's ("contexts[0].context is missing").
    const what = error instanceof TypeError ? 'expected a YAML mapping with clusters, users and contexts' : firstLine(error);
    throw fail(`the kubeconfig ${file} is not valid: ${what}`, error);
  }
  return kc;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
