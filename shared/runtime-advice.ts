// The runtime knob to change after a runtime OOM, sized to the container's limit (DOMAIN.md §5): the fix for a heap
// death is the runtime's flag, not (only) the container limit.
import { formatBytes, MiB } from './quantity.ts';
import type { RuntimeOom, Runtime } from './runtime-oom.ts';
import { DEFAULT_HEAP_FRACTION, type HeapSetting } from './runtime-settings.ts';

export const RUNTIME_NAMES: Record<Runtime, string> = { jvm: 'JVM', node: 'Node.js', dotnet: '.NET', go: 'Go', python: 'Python' };

/** A heap at 75 % of the limit leaves room for stacks, code, buffers and native memory. */
const HEAP_SHARE = 0.75;
/** At or above this share of the limit, the heap already has what the container can give: raise the limit too. */
const FULL_SHARE = 0.7;

export interface RuntimeAdvice {
  setting: { name: string; value: string } | undefined;
  /** True when the container limit must grow as well (the heap already had most of it). */
  raiseLimit: boolean;
  /** The heap cap in force, for the explanation: "--max-old-space-size=2048 (from NODE_OPTIONS)". */
  heapInForce: string | undefined;
  action: string;
}

export function runtimeAdvice(oom: RuntimeOom, heap: HeapSetting | undefined, limitBytes: number | undefined, newLimitBytes: number | undefined): RuntimeAdvice {
  const fraction = heap?.fraction ?? (heap?.bytes !== undefined && limitBytes ? heap.bytes / limitBytes : undefined) ?? DEFAULT_HEAP_FRACTION[oom.runtime];
  const heapInForce = heap ? `${heap.text} (from ${heap.source})` : defaultHeapText(oom.runtime, limitBytes);
  const full = fraction !== undefined && fraction >= FULL_SHARE;
  const sizeFor = full ? newLimitBytes : limitBytes;
  const heapMiB = sizeFor ? Math.floor((sizeFor * HEAP_SHARE) / MiB) : undefined;
  const limitText = limitBytes ? ` of the ${formatBytes(limitBytes)} limit` : '';
  const grow = full && newLimitBytes ? `raise the container limit to ${formatBytes(newLimitBytes)} and ` : '';

  switch (oom.runtime) {
    case 'node': {
      const value = heapMiB ? `--max-old-space-size=${heapMiB}` : undefined;
      return {
        setting: value ? { name: 'NODE_OPTIONS', value } : undefined,
        raiseLimit: full,
        heapInForce,
        action: value
          ? `${capitalize(grow)}${grow ? 'set' : 'Raise'} the V8 heap to about 75 %${limitText} (\`${value}\` in NODE_OPTIONS), or find what fills the heap.${full ? '' : ' Raising the container limit alone will not help.'}`
          : 'Give the container a memory limit and set --max-old-space-size to about 75 % of it.',
      };
    }
    case 'jvm': {
      if (/Metaspace/i.test(oom.detail)) {
        return { setting: undefined, raiseLimit: false, heapInForce, action: 'Metaspace ran out, not the heap: raise -XX:MaxMetaspaceSize, or look for a class-loader leak (redeploys, dynamic proxies).' };
      }
      if (/native thread/i.test(oom.detail)) {
        return { setting: undefined, raiseLimit: false, heapInForce, action: 'The JVM could not start a thread (a PID or thread limit, not the heap): check pids limits and thread pools; the memory limit is not the fix.' };
      }
      if (/Direct buffer/i.test(oom.detail)) {
        return { setting: undefined, raiseLimit: false, heapInForce, action: 'Direct (off-heap) buffers ran out: raise -XX:MaxDirectMemorySize or release buffers; the heap size is not the fix.' };
      }
      const value = heapMiB ? (heap?.bytes !== undefined ? `-Xmx${heapMiB}m` : '-XX:MaxRAMPercentage=75') : undefined;
      const size = heapMiB ? ` (≈${formatBytes(heapMiB * MiB)})` : '';
      return {
        setting: value ? { name: 'JAVA_TOOL_OPTIONS', value } : undefined,
        raiseLimit: full,
        heapInForce,
        action: value
          ? `${capitalize(grow)}${grow ? 'set' : 'Give'} the heap about 75 %${limitText}: \`${value}\`${size} in JAVA_TOOL_OPTIONS, or find what fills the heap (a heap dump with -XX:+HeapDumpOnOutOfMemoryError).`
          : 'Give the container a memory limit and size the heap with -XX:MaxRAMPercentage=75.',
      };
    }
    case 'dotnet': {
      const lowered = heap?.fraction !== undefined && heap.fraction < FULL_SHARE;
      return {
        setting: lowered ? { name: 'DOTNET_GCHeapHardLimitPercent', value: '0x4B' } : undefined,
        raiseLimit: !lowered,
        heapInForce,
        action: lowered
          ? 'Let the GC use 75 % of the limit (DOTNET_GCHeapHardLimitPercent=0x4B; the value is hexadecimal), or find what fills the heap.'
          : `.NET already uses 75 % of the limit for its heap: ${grow || 'raise the container limit, '}or find what fills the heap (dotnet-gcdump).`,
      };
    }
    case 'go': {
      const value = limitBytes ? `${Math.floor((limitBytes * 0.9) / MiB)}MiB` : undefined;
      return {
        setting: value ? { name: 'GOMEMLIMIT', value } : undefined,
        raiseLimit: false,
        heapInForce,
        action: `The Go runtime could not get memory from the OS (often a ulimit -v or overcommit setting, not the cgroup): ${value ? `set GOMEMLIMIT=${value} (90 %${limitText}) so the GC works harder before that point, ` : ''}check ulimits, or find what allocates.`,
      };
    }
    case 'python':
      return {
        setting: undefined,
        raiseLimit: true,
        heapInForce,
        action: `Python's malloc failed (MemoryError): check for a ulimit -v / resource.setrlimit cap, ${newLimitBytes ? `raise the container limit to ${formatBytes(newLimitBytes)}` : 'raise the container limit'}, or process the data in smaller pieces.`,
      };
  }
}

function defaultHeapText(runtime: Runtime, limitBytes: number | undefined): string | undefined {
  const fraction = DEFAULT_HEAP_FRACTION[runtime];
  if (fraction === undefined) return undefined;
  const size = limitBytes ? ` = ${formatBytes(limitBytes * fraction)}` : '';
  return `the ${RUNTIME_NAMES[runtime]} default, ${fraction * 100} % of the limit${size}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
