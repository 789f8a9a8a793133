// `oombot explain <namespace>/<pod> [--container NAME] [--from-file FILE]... [--output text|json]`
// (docs/architecture.md's contract): offline from files, or live from a kubeconfig context chosen as kubectl chooses
// it (--kubeconfig, --context, -n; cli/kubeconfig.ts). A pod given without a namespace is looked for across
// namespaces when it is not in the context's (kube/find-pod.ts).
import { parseArgs } from 'node:util';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { OombotError } from '#shared/errors.ts';
import { enrichPod, PodNotFoundError } from '../kube/collect.ts';
import { findPod, namespaceList } from '../kube/find-pod.ts';
import { kubeConfigTransport } from '../kube/rest.ts';
import { inputFromDump, readDump } from './dump-input.ts';
import { firstSentence } from './errors.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { renderText, styleFor } from './render-text.ts';
import { writeOutput, type Io } from './io.ts';

export const EXPLAIN_USAGE = `usage: oombot explain [<namespace>/]<pod> [-n NS|-A] [--context NAME] [--kubeconfig PATH] [-c NAME] [-f FILE]... [-o text|json]

Explains why a container died of memory trouble (or why it was not memory).
  -n, --namespace NS      the pod's namespace. Without it: the context's namespace (or default), and if the pod
                          is not there, the one namespace that has a pod of that name
  -A, --all-namespaces    look for the pod in every namespace at once
  --context NAME          the kubeconfig context to use (default: its current-context)
  --kubeconfig PATH       this kubeconfig file only (default: the files KUBECONFIG lists, else ~/.kube/config,
                          else the pod's ServiceAccount when run in a pod)
  -f, --from-file FILE    diagnose offline from kubectl JSON: a Pod, a List (kubectl get pods,events,nodes -o json),
                          a kubelet Summary or configz response; repeat for several files
  -c, --container NAME    the container to explain (default: the most recent memory-related termination)
  -o, --output text|json  text for a terminal (default), json for machines

exit codes: 0 explained · 2 bad usage, an input file, or a pod name in several namespaces ·
            3 pod, container or memory termination not found · 4 the cluster could not be asked (no kubeconfig
            or an invalid one, an unknown context, unreachable, 401, 403 on the pod, or 5xx) ·
            5 the output could not be written (disk full, no permission) · 1 a bug`;

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(args);
  if (values.help) {
    await writeOutput(io.stdout, `${EXPLAIN_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new OombotError('bad-usage', positionals.length ? `expected one pod, got ${positionals.length}: ${positionals.join(' ')}` : 'which pod? give <namespace>/<pod>');
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new OombotError('bad-usage', `--output must be text or json, not "${output}"`);
  const [namespace, name] = splitPodRef(positionals[0]!, values.namespace);
  const allNamespaces = values['all-namespaces'] === true;
  if (allNamespaces && namespace) throw new OombotError('bad-usage', `--all-namespaces and a namespace (${namespace}) disagree: give one`);

  const files = values['from-file'] ?? [];
  const kubeconfig = { kubeconfig: values.kubeconfig, context: values.context };
  const input = files.length ? inputFromDump(await readDump(files), namespace, name) : await liveInput({ namespace, name, allNamespaces, ...kubeconfig }, io);

  // A DiagnosisError (no such container, no memory-related termination) is `not-found` at the edge (cli/errors.ts).
  const verdict = diagnose(input, values.container ? { container: values.container } : {});
  await writeOutput(io.stdout, output === 'json' ? `${JSON.stringify(verdict, null, 2)}\n` : renderText(verdict, styleFor(io.stdout)));
  return 0;
}

function parseArgsOrUsage(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        container: { type: 'string', short: 'c' },
        'from-file': { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A' },
        context: { type: 'string' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // node:util's messages name the flag: "Unknown option '--bogus'".
    throw new OombotError('bad-usage', `${firstSentence(error)}; see oombot explain --help`, { cause: error });
  }
}

function splitPodRef(ref: string, namespaceFlag: string | undefined): [string | undefined, string] {
  const parts = ref.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) {
    if (namespaceFlag && namespaceFlag !== parts[0]) throw new OombotError('bad-usage', `pod ${ref} and --namespace ${namespaceFlag} disagree`);
    return [parts[0], parts[1]];
  }
  if (parts.length === 1 && parts[0]) return [namespaceFlag, parts[0]];
  throw new OombotError('bad-usage', `"${ref}" is not a pod reference: give <namespace>/<pod>`);
}

/** Bad usage (exit 2) whose line says what to add, so cli/main.ts prints no usage after it. */
class AmbiguousPodError extends OombotError {
  override name = 'AmbiguousPodError';
  constructor(message: string) {
    super('bad-usage', message);
  }
}

interface LiveTarget {
  namespace: string | undefined;
  name: string;
  allNamespaces: boolean;
  kubeconfig: string | undefined;
  context: string | undefined;
}

async function liveInput(target: LiveTarget, io: Io): Promise<DiagnosisInput> {
  const { kc, namespace: contextNamespace } = await loadKubeConfig({ kubeconfig: target.kubeconfig, context: target.context });
  const api = kubeConfigTransport(kc);
  const { name } = target;
  // Its errors carry their codes: no connection `unreachable`, 401/403 on the pod `forbidden`.
  const search = await findPod(api, name, { namespace: target.namespace ?? contextNamespace, given: target.namespace !== undefined, allNamespaces: target.allNamespaces });
  switch (search.kind) {
    case 'found':
      // On stderr, so that --output json stays the verdict alone.
      if (search.elsewhere) await writeOutput(io.stderr, `oombot: pod ${name} is not in namespace ${target.namespace ?? contextNamespace}; found in namespace ${search.namespace}\n`);
      return enrichPod(api, search.pod);
    case 'not-in-namespace':
      throw new PodNotFoundError(`pod ${name} not found in namespace ${search.namespace} of ${api.description}`);
    case 'not-listable':
      throw new PodNotFoundError(`pod ${name} not found in namespace ${search.namespace} of ${api.description}, and you may not list pods across namespaces to look elsewhere (${search.reason}); add -n NAMESPACE`);
    case 'nowhere':
      throw new PodNotFoundError(`pod ${name} not found in any namespace of ${api.description}`);
    case 'ambiguous':
      throw new AmbiguousPodError(`pod ${name} is in ${search.namespaces.length}${search.more ? '+' : ''} namespaces: ${namespaceList(search.namespaces, search.more)}; add -n NAMESPACE`);
  }
}
