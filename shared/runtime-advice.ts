// The runtime knob to change after a runtime OOM, sized to the container's limit (docs/domain.md §5): the fix for a
// heap death is the runtime's flag, not (only) the container limit.
import { formatBytes, MiB } from './quantity.ts';
import type { RuntimeOom, Runtime } from './runtime-oom.ts';
import { DEFAULT_HEAP_FRACTION, type HeapSetting } from './runtime-settings.ts';

export const RUNTIME_NAMES: Record<Runtime, string> = { jvm: 'JVM', node: 'Node.js', dotnet: '.NET', go: 'Go', python: 'Python', php: 'PHP', rust: 'Rust' };

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
    case 'php':
      return phpAdvice(oom, heap, limitBytes, newLimitBytes);
    case 'rust': {
      const n = oom.allocationBytes;
      if (n !== undefined && limitBytes !== undefined && n > limitBytes) {
        return {
          setting: undefined,
          raiseLimit: false,
          heapInForce: undefined,
          action: `One allocation asked for ${formatBytes(n)}, more than the whole ${formatBytes(limitBytes)} limit: a size computed from bad or unbounded input, not a limit to raise. Bound it (check sizes before allocating; Vec::try_reserve returns an error instead of aborting).`,
        };
      }
      // Inside a cgroup the kernel overcommits and the OOM killer acts first, so a refused allocation points at
      // something that refuses memory earlier (Rust's handle_alloc_error aborts on a null from the allocator).
      return {
        setting: undefined,
        raiseLimit: false,
        heapInForce: undefined,
        action: `The allocator refused ${n !== undefined ? `${formatBytes(n)}` : 'an allocation'} before the memory cgroup ran out: look for what refuses memory first (ulimit -v / RLIMIT_AS in the image, vm.overcommit_memory=2 on the node, an allocator with its own cap), or process the data in smaller pieces.`,
      };
    }
  }
}

/** PHP's memory_limit: the cap the error message states (and where the spec sets it), sized to 75 % of the limit. */
function phpAdvice(oom: RuntimeOom, heap: HeapSetting | undefined, limitBytes: number | undefined, newLimitBytes: number | undefined): RuntimeAdvice {
  const cap = oom.capBytes ?? heap?.bytes;
  const heapInForce = cap !== undefined ? `memory_limit = ${phpSize(cap)} (${oom.capBytes !== undefined ? 'from the error message' : `${heap!.text} from ${heap!.source}`})` : heap ? `${heap.text} (from ${heap.source})` : undefined;
  if (oom.detail === 'Out of memory') {
    return {
      setting: undefined,
      raiseLimit: true,
      heapInForce,
      action: `PHP's allocator got no memory from the system before memory_limit stopped it: ${newLimitBytes ? `raise the container limit to ${formatBytes(newLimitBytes)}` : 'raise the container limit'}, keep memory_limit below it, or process the data in smaller pieces.`,
    };
  }
  const full = cap !== undefined && limitBytes !== undefined && cap / limitBytes >= FULL_SHARE;
  const sizeFor = full ? newLimitBytes : limitBytes;
  const value = sizeFor ? phpSize(Math.floor((sizeFor * HEAP_SHARE) / MiB) * MiB) : undefined;
  const grow = full && newLimitBytes ? `Raise the container limit to ${formatBytes(newLimitBytes)} and ` : '';
  const now = cap !== undefined ? ` (now ${phpSize(cap)})` : '';
  return {
    setting: value ? { name: 'memory_limit', value } : undefined,
    raiseLimit: full,
    heapInForce,
    action: value
      ? `${grow}${grow ? 'raise' : 'Raise'} PHP's memory_limit${now} to about 75 % of the ${formatBytes(sizeFor!)} limit (\`memory_limit=${value}\` in php.ini, or \`php -d memory_limit=${value}\`), or find what fills it (a whole result set or file read at once). Under PHP-FPM every worker may use that much: pm.max_children × memory_limit must fit the limit.`
      : `Give the container a memory limit and set PHP's memory_limit${now} to about 75 % of it.`,
  };
}

/** PHP's shorthand for a size: 384M, 1G (1024 multiples). */
export function phpSize(bytes: number): string {
  if (bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)}G`;
  if (bytes % MiB === 0) return `${bytes / MiB}M`;
  return String(bytes);
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
