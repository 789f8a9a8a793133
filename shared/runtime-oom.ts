// Language runtimes that die of their own heap limit before the cgroup's (DOMAIN.md §5). Recognised by the text the
// runtime prints, which reaches `terminated.message` with `terminationMessagePolicy: FallbackToLogsOnError` — not by
// exit codes, which a runtime running as PID 1 may turn into 139 or 133.
import * as z from 'zod';

export const RuntimeSchema = z.enum(['jvm', 'node', 'dotnet', 'go', 'python']);
export type Runtime = z.infer<typeof RuntimeSchema>;

export interface RuntimeOom {
  runtime: Runtime;
  /** What ran out, in the runtime's words: "Java heap space", "Metaspace", "JavaScript heap out of memory", ... */
  detail: string;
  /** The line that says so, trimmed for display. */
  line: string;
}

interface Recogniser {
  runtime: Runtime;
  pattern: RegExp;
  detail: (m: RegExpExecArray) => string;
}

const RECOGNISERS: Recogniser[] = [
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
];

export function recogniseRuntimeOom(message: string | undefined): RuntimeOom | undefined {
  if (!message) return undefined;
  for (const { runtime, pattern, detail } of RECOGNISERS) {
    const m = pattern.exec(message);
    if (m) return { runtime, detail: detail(m), line: lineAround(message, m.index) };
  }
  return undefined;
}

function lineAround(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
