// Language runtimes that die of their own memory limit before the cgroup's (docs/domain.md §5, §8). Recognised by the
// text the runtime prints, which reaches `terminated.message` with `terminationMessagePolicy: FallbackToLogsOnError` —
// not by exit codes, which a runtime running as PID 1 may turn into 139 or 133.
import type * as z from 'zod';
import { clipText } from './clip-text.ts';
// The schema lives with the verdict that carries it: the forwarder recognises runtimes too and loads no zod
// (docs/architecture.md, "Budgets").
import type { RuntimeSchema } from './verdict.ts';

export type Runtime = z.infer<typeof RuntimeSchema>;

export interface RuntimeOom {
  runtime: Runtime;
  /**
   * What ran out. `threads`: the runtime could not start a thread — a PID/thread limit (pids.max, ulimit -u, the
   * kubelet's podPidsLimit), not memory, even where the runtime words it as an OutOfMemoryError (docs/domain.md §8).
   */
  resource: 'memory' | 'threads';
  /** What ran out, in the runtime's words: "Java heap space", "Metaspace", "JavaScript heap out of memory", ... */
  detail: string;
  /** The line that says so, trimmed for display. */
  line: string;
  /** The cap the message itself states: PHP's memory_limit ("Allowed memory size of N bytes"). */
  capBytes?: number;
  /** The one allocation that failed, where the message says: Rust's "memory allocation of N bytes failed". */
  allocationBytes?: number;
  /**
   * Where the words were read when not in the termination message: the dead container's log (shared/last-words.ts),
   * with the lines quoted from it — only lines this recogniser matched, at most a few, secrets redacted.
   */
  fromLog?: { run: 'previous' | 'current'; lines: string[] };
}

interface Recogniser {
  runtime: Runtime;
  resource?: 'threads';
  pattern: RegExp;
  detail: (m: RegExpExecArray) => string;
  sizes?: (m: RegExpExecArray) => Pick<RuntimeOom, 'capBytes' | 'allocationBytes'>;
}

const RECOGNISERS: Recogniser[] = [
  // Threads first: the JVM reports a refused pthread_create as an OutOfMemoryError, which the heap rule would take.
  // "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits
  // reached" (JDK 11+; "unable to create new native thread" before).
  { runtime: 'jvm', resource: 'threads', pattern: /java\.lang\.OutOfMemoryError: unable to create (?:new )?native thread/, detail: () => 'unable to create native thread' },
  // HotSpot's unified log line before it: "[warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: ..."
  { runtime: 'jvm', resource: 'threads', pattern: /\[os,thread\][^\n]*pthread_create failed \(EAGAIN\)/, detail: () => 'pthread_create failed (EAGAIN)' },
  // Go: "runtime: failed to create new OS thread (have 8191 already; errno=11)", "runtime/cgo: pthread_create failed: Resource temporarily unavailable"
  { runtime: 'go', resource: 'threads', pattern: /runtime: failed to create new OS thread|runtime\/cgo: pthread_create failed/, detail: () => 'failed to create new OS thread' },
  // Python: "RuntimeError: can't start new thread"
  { runtime: 'python', resource: 'threads', pattern: /RuntimeError: can't start new thread/, detail: () => "can't start new thread" },
  // Rust: "failed to spawn thread: Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }"
  { runtime: 'rust', resource: 'threads', pattern: /failed to spawn thread[^\n]*(?:WouldBlock|Resource temporarily unavailable)/, detail: () => 'failed to spawn thread (EAGAIN)' },

  // "java.lang.OutOfMemoryError: Java heap space", "Terminating due to java.lang.OutOfMemoryError: Metaspace"
  { runtime: 'jvm', pattern: /java\.lang\.OutOfMemoryError(?::\s*([^\n\r]+))?/, detail: (m) => m[1]?.trim() || 'OutOfMemoryError' },
  // "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
  { runtime: 'node', pattern: /(?:Allocation failed - )?JavaScript heap out of memory/, detail: () => 'JavaScript heap out of memory' },
  // "Unhandled exception. System.OutOfMemoryException: ...", or the bare "Out of memory." the runtime prints
  { runtime: 'dotnet', pattern: /System\.OutOfMemoryException|^Out of memory\.\s*$/m, detail: () => 'System.OutOfMemoryException' },
  // "fatal error: runtime: out of memory", "runtime: out of memory: cannot allocate 8192-byte block"
  { runtime: 'go', pattern: /(?:fatal error: )?runtime: out of memory(?:: cannot allocate[^\n]*)?/, detail: () => 'runtime: out of memory' },
  // the last traceback line: "MemoryError" (optionally with a message)
  { runtime: 'python', pattern: /^MemoryError\b[^\n]*$/m, detail: () => 'MemoryError' },
  // PHP's memory_limit (php.net, "memory_limit"): "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted
  // (tried to allocate 20480 bytes) in /app/x.php on line 12"; the CLI then exits 255.
  {
    runtime: 'php',
    pattern: /Allowed memory size of (\d+) bytes exhausted(?: \(tried to allocate (\d+) bytes\))?/,
    detail: () => 'memory_limit exhausted',
    sizes: (m) => ({ capBytes: Number(m[1]), ...(m[2] ? { allocationBytes: Number(m[2]) } : {}) }),
  },
  // PHP's allocator refused by the system before memory_limit: "PHP Fatal error:  Out of memory (allocated 2097152) (tried to allocate 4096 bytes)"
  { runtime: 'php', pattern: /PHP Fatal error: +Out of memory \(allocated \d+\)(?: \(tried to allocate (\d+) bytes\))?/, detail: () => 'Out of memory', sizes: (m) => (m[1] ? { allocationBytes: Number(m[1]) } : {}) },
  // Rust's default alloc error handler (std::alloc::handle_alloc_error), then abort (exit 134): "memory allocation of 1073741824 bytes failed"
  { runtime: 'rust', pattern: /memory allocation of (\d+) bytes failed/, detail: () => 'memory allocation failed', sizes: (m) => ({ allocationBytes: Number(m[1]) }) },
];

/**
 * The same recognisers over separate lines (a log's tail, oldest first), each line on its own: every pattern above
 * matches within one line. The first recogniser that matches any line decides, as in a message; its last match is the
 * one the runtime died on, and up to `max` distinct matching lines, the latest, are kept with it.
 */
export function recogniseRuntimeOomLines(lines: readonly string[], max: number): (RuntimeOom & { matched: string[] }) | undefined {
  for (const { runtime, resource, pattern, detail, sizes } of RECOGNISERS) {
    let last: RegExpExecArray | undefined;
    const matched: string[] = [];
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = pattern.exec(lines[i]!);
      if (!m) continue;
      last ??= m;
      const line = clipText(lines[i]!.trim(), 200, '...');
      if (matched.length < max && !matched.includes(line)) matched.unshift(line);
    }
    if (last) return { runtime, resource: resource ?? 'memory', detail: detail(last), line: matched[matched.length - 1]!, ...sizes?.(last), matched };
  }
  return undefined;
}

export function recogniseRuntimeOom(message: string | undefined): RuntimeOom | undefined {
  if (!message) return undefined;
  for (const { runtime, resource, pattern, detail, sizes } of RECOGNISERS) {
    const m = pattern.exec(message);
    if (m) return { runtime, resource: resource ?? 'memory', detail: detail(m), line: lineAround(message, m.index), ...sizes?.(m) };
  }
  return undefined;
}

function lineAround(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return clipText(line, 200, '...');
}
