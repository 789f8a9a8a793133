// Node-level OOM signals (docs/domain.md §2):
//  - the kubelet's `SystemOOM` Warning on the Node: "System OOM encountered, victim process: <name>, pid: <pid>",
//    emitted only for node-wide (root cgroup) OOMs;
//  - node-problem-detector's `OOMKilling` event, which carries the kernel line
//    "... Killed process <pid> (<comm>) total-vm:<n>kB, anon-rss:<n>kB, file-rss:<n>kB, shmem-rss:<n>kB, ...".
//    Its prefix tells the scope: "Memory cgroup out of memory:" (some memcg: container, pod or kubepods) versus
//    "Out of memory:" (node-wide). Newer kernels also log "oom-kill:...,oom_memcg=<path>,task_memcg=<path>,...".

export type OomScope = 'node' | 'memcg' | 'unknown';

export interface KernelOomKill {
  scope: OomScope;
  pid: number | undefined;
  process: string | undefined;
  anonRssBytes: number | undefined;
  /** The memcg that ran out (`oom_memcg=`), when the line carries it. */
  oomMemcg: string | undefined;
  /** The victim's memcg (`task_memcg=`), when the line carries it. */
  taskMemcg: string | undefined;
  /** The victim's oom_score_adj, which the kubelet sets from the container's QoS and request (docs/domain.md §3). */
  oomScoreAdj: number | undefined;
}

const KILLED = /Killed process (\d+) \(([^)]*)\)(?:.*?anon-rss:\s*(\d+)kB)?/;

export function parseKernelOomLine(text: string | undefined): KernelOomKill | undefined {
  if (!text) return undefined;
  const killed = KILLED.exec(text);
  const oomKill = /oom-kill:/.test(text);
  if (!killed && !oomKill) return undefined;
  const scope: OomScope = /Memory cgroup out of memory/i.test(text)
    ? 'memcg'
    : /Out of memory:/.test(text)
      ? 'node'
      : /constraint=CONSTRAINT_MEMCG/.test(text)
        ? 'memcg'
        : /constraint=CONSTRAINT_NONE/.test(text)
          ? 'node'
          : 'unknown';
  return {
    scope,
    pid: killed ? Number(killed[1]) : numberAfter(text, 'pid='),
    process: killed?.[2] ?? /task=([^,\s]+)/.exec(text)?.[1],
    anonRssBytes: killed?.[3] ? Number(killed[3]) * 1024 : undefined,
    oomMemcg: /oom_memcg=([^,\s]+)/.exec(text)?.[1],
    taskMemcg: /task_memcg=([^,\s]+)/.exec(text)?.[1],
    oomScoreAdj: (() => {
      const m = /oom_score_adj:(-?\d+)/.exec(text);
      return m ? Number(m[1]) : undefined;
    })(),
  };
}

function numberAfter(text: string, key: string): number | undefined {
  const m = new RegExp(`${key}(\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** True when a cgroup path names this pod: `pod<uid>` (cgroupfs) or `pod<uid_with_underscores>` (systemd slices). */
export function memcgNamesPod(path: string | undefined, podUid: string | undefined): boolean {
  if (!path || !podUid) return false;
  return path.includes(`pod${podUid}`) || path.includes(`pod${podUid.replaceAll('-', '_')}`);
}

export interface SystemOom {
  victimProcess: string | undefined;
  pid: number | undefined;
}

export function parseSystemOom(text: string | undefined): SystemOom | undefined {
  if (!text || !text.startsWith('System OOM encountered')) return undefined;
  const m = /victim process: (.+?), pid: (\d+)/.exec(text);
  return { victimProcess: m?.[1], pid: m ? Number(m[2]) : undefined };
}

/**
 * The oom_score_adj the kubelet gives a container (pkg/kubelet/qos/policy.go, docs/domain.md §3): Guaranteed −997,
 * BestEffort 1000, Burstable 1000 − 1000·request/capacity clamped to [3, 999].
 */
export function expectedOomScoreAdj(qosClass: string, requestBytes: number | undefined, capacityBytes: number | undefined): number | undefined {
  if (qosClass === 'Guaranteed') return -997;
  if (qosClass === 'BestEffort') return 1000;
  if (requestBytes === undefined || !capacityBytes) return undefined;
  const adj = 1000 - Math.floor((1000 * requestBytes) / capacityBytes);
  return Math.min(999, Math.max(3, adj));
}
