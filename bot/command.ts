// The `/oom` grammar (docs/alert-style.md): a parsed command, or the usage help to answer with. Pure.
//   /oom why <pod> [-n namespace] [--cluster name] [--share]
//   /oom recent [namespace] [--cluster name]
//   /oom mute <workload> <1h|24h|7d> [-n namespace] [--cluster name]
//   /oom unmute <workload> [-n namespace] [--cluster name]
//   /oom help
import { WorkloadRef } from '../kube/workloads.ts';

export type OomCommand =
  | { kind: 'help' }
  /** Without `namespace` (no -n, no <namespace>/<pod>): `default`, then the one namespace with a pod of that name. */
  | { kind: 'why'; pod: string; namespace?: string; cluster?: string; share: boolean }
  | { kind: 'recent'; namespace?: string; cluster?: string }
  | { kind: 'mute'; workload: string; namespace: string; durationMs: number; duration: string; cluster?: string }
  | { kind: 'unmute'; workload: string; namespace: string; cluster?: string };

export type Parsed = { ok: true; command: OomCommand } | { ok: false; error: string };

/** As mrkdwn: `<pod>` would be a link to nowhere and `<1h|24h|7d>` a link labelled 24h, even inside code spans. */
export const USAGE = [
  '`/oom why <pod> [-n namespace] [--cluster name] [--share]` — why did it die? (`--share` posts the answer in the channel)',
  '`/oom recent [namespace]` — the last incidents, a storm as one entry with its groups',
  '`/oom mute <workload> <1h|24h|7d>` · `/oom unmute <workload>`',
]
  .join('\n')
  .replaceAll('<', '&lt;')
  .replaceAll('>', '&gt;');

const DURATIONS: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function parseOomCommand(text: string): Parsed {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const flags: Record<string, string | true> = {};
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--share') flags['share'] = true;
    else if (w === '-n' || w === '--namespace' || w === '--cluster') {
      const value = words[i + 1];
      if (!value || value.startsWith('-')) return fail(`${w} needs a value`);
      flags[w === '--cluster' ? 'cluster' : 'namespace'] = value;
      i++;
    } else if (w.startsWith('-')) return fail(`unknown option ${w}`);
    else args.push(w);
  }
  const namespace = typeof flags['namespace'] === 'string' ? flags['namespace'] : undefined;
  const cluster = typeof flags['cluster'] === 'string' ? { cluster: flags['cluster'] } : {};
  if (namespace !== undefined && !NAME.test(namespace)) return fail(`"${namespace}" is not a namespace name`);
  const [verb, ...rest] = args;
  switch (verb) {
    case undefined:
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'why': {
      if (rest.length !== 1) return fail('which pod? `/oom why <pod> [-n namespace]`');
      const [ns, pod] = rest[0]!.includes('/') ? rest[0]!.split('/', 2) : [namespace, rest[0]!];
      if (!NAME.test(pod!) || (ns !== undefined && !NAME.test(ns))) return fail(`"${rest[0]}" is not a pod name`);
      return { ok: true, command: { kind: 'why', pod: pod!, ...(ns !== undefined ? { namespace: ns } : {}), share: flags['share'] === true, ...cluster } };
    }
    case 'recent': {
      if (rest.length > 1) return fail('`/oom recent [namespace]` takes one namespace at most');
      const ns = rest[0] ?? namespace;
      if (ns !== undefined && !NAME.test(ns)) return fail(`"${ns}" is not a namespace name`);
      return { ok: true, command: { kind: 'recent', ...(ns ? { namespace: ns } : {}), ...cluster } };
    }
    case 'mute': {
      const [target, duration] = rest;
      // "deploy/checkout" or "checkout" (a Deployment): the command carries its key, "Deployment/checkout".
      const workload = target ? WorkloadRef.parse(target, namespace ?? 'default') : undefined;
      if (!workload) return fail('which workload? `/oom mute <workload> <1h|24h|7d>`, e.g. `/oom mute deploy/checkout 1h -n shop`');
      if (!duration || !DURATIONS[duration] || rest.length !== 2) return fail('for how long? 1h, 24h or 7d');
      return { ok: true, command: { kind: 'mute', workload: WorkloadRef.key(workload), namespace: workload.namespace, durationMs: DURATIONS[duration], duration, ...cluster } };
    }
    case 'unmute': {
      const workload = rest.length === 1 ? WorkloadRef.parse(rest[0]!, namespace ?? 'default') : undefined;
      if (!workload) return fail('which workload? `/oom unmute <workload>`, e.g. `/oom unmute deploy/checkout -n shop`');
      return { ok: true, command: { kind: 'unmute', workload: WorkloadRef.key(workload), namespace: workload.namespace, ...cluster } };
    }
    default:
      return fail(`unknown command "${verb}"`);
  }
}

function fail(error: string): Parsed {
  return { ok: false, error };
}
