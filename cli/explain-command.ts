// `oombot explain <namespace>/<pod> [--container NAME] [--from-file FILE]... [--output text|json]`
// (docs/architecture.md's contract): offline from files, or live from the current kubeconfig context.
import { parseArgs } from 'node:util';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { OombotError } from '#shared/errors.ts';
import { collectDiagnosisInput } from '../kube/collect.ts';
import { kubeConfigTransport } from '../kube/rest.ts';
import { inputFromDump, readDump } from './dump-input.ts';
import { firstSentence } from './errors.ts';
import { loadCurrentKubeConfig } from './kubeconfig.ts';
import { renderText, styleFor } from './render-text.ts';
import { writeOutput, type Io } from './io.ts';

export const EXPLAIN_USAGE = `usage: oombot explain <namespace>/<pod> [--container NAME] [--from-file FILE]... [--output text|json]

Explains why a container died of memory trouble (or why it was not memory).
  --from-file FILE   diagnose offline from kubectl JSON: a Pod, a List (kubectl get pods,events,nodes -o json),
                     a kubelet Summary or configz response; repeat for several files. Without it, reads the
                     current kubeconfig context (KUBECONFIG, ~/.kube/config or in-cluster).
  --container NAME   the container to explain (default: the most recent memory-related termination)
  --output text|json text for a terminal (default), json for machines
  -n, --namespace NS the namespace when <pod> is given without one

exit codes: 0 explained · 2 bad usage or input file · 3 pod, container or memory termination not found ·
            4 the cluster could not be asked (unreachable, 401, 403 on the pod, or 5xx) ·
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

  const files = values['from-file'] ?? [];
  const input = files.length ? inputFromDump(await readDump(files), namespace, name) : await liveInput(namespace, name);

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

async function liveInput(namespace: string | undefined, name: string): Promise<DiagnosisInput> {
  const kc = await loadCurrentKubeConfig('no cluster to read: set KUBECONFIG or a current context, or use --from-file with kubectl JSON');
  // Its errors carry their codes: a missing pod is `not-found`, no connection `unreachable`, 401/403 `forbidden`.
  return collectDiagnosisInput(kubeConfigTransport(kc), namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default', name);
}
