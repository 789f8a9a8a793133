// The heap settings a container starts its runtime with, read from its spec (env and command line), so an explanation
// can say "V8 stopped at --max-old-space-size=2048 (from NODE_OPTIONS)" and size the fix to the container's limit.
// Redis's maxmemory is read the same way: it decides how much of the limit the data may take (docs/domain.md §8).
import type { Container } from './k8s-objects.ts';
import type { Runtime } from './runtime-oom.ts';
import { MiB, tryParseQuantity } from './quantity.ts';

export interface HeapSetting {
  /** The flag or variable as written: `--max-old-space-size=2048`, `-Xmx1g`, `-XX:MaxRAMPercentage=50`. */
  text: string;
  /** Where it came from: an env var name, or `args`/`command`. */
  source: string;
  /** The heap cap in bytes, when it is absolute. */
  bytes?: number;
  /** The heap cap as a fraction of the container limit, when it is relative. */
  fraction?: number;
}

const ENV_BY_RUNTIME: Record<Runtime, string[]> = {
  jvm: ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'JAVA_OPTS'],
  node: ['NODE_OPTIONS'],
  dotnet: ['DOTNET_GCHeapHardLimit', 'DOTNET_GCHeapHardLimitPercent'],
  go: ['GOMEMLIMIT'],
  python: [],
  // Not read by PHP itself: the official image takes php.ini or `-d`; many images map this variable into php.ini.
  php: ['PHP_MEMORY_LIMIT'],
  rust: [],
};

/** The heap setting the container passes its runtime, or undefined when it relies on the runtime's default. */
export function findHeapSetting(container: Container | undefined, runtime: Runtime): HeapSetting | undefined {
  if (!container) return undefined;
  const sources: [string, string][] = [];
  for (const e of container.env ?? []) {
    if (e.value !== undefined && ENV_BY_RUNTIME[runtime].includes(e.name)) sources.push([e.name, e.value]);
  }
  sources.push(['command', (container.command ?? []).join(' ')], ['args', (container.args ?? []).join(' ')]);
  for (const [source, text] of sources) {
    const found = readSetting(runtime, source, text);
    if (found) return found;
  }
  return undefined;
}

function readSetting(runtime: Runtime, source: string, text: string): HeapSetting | undefined {
  switch (runtime) {
    case 'node': {
      const m = /--max[-_]old[-_]space[-_]size[= ](\d+)/.exec(text);
      return m ? { text: m[0].replace(' ', '='), source, bytes: Number(m[1]) * MiB } : undefined;
    }
    case 'jvm': {
      const xmx = /-Xmx(\d+)([kKmMgG]?)\b/.exec(text);
      if (xmx) return { text: xmx[0], source, bytes: Number(xmx[1]) * jvmUnit(xmx[2]) };
      const pct = /-XX:MaxRAMPercentage=([\d.]+)/.exec(text);
      return pct ? { text: pct[0], source, fraction: Number(pct[1]) / 100 } : undefined;
    }
    case 'dotnet': {
      // Both variables are hexadecimal (learn.microsoft.com, "Runtime configuration options for garbage collection").
      if (source === 'DOTNET_GCHeapHardLimit') return { text: `${source}=${text}`, source, bytes: parseInt(text, 16) };
      if (source === 'DOTNET_GCHeapHardLimitPercent') return { text: `${source}=${text}`, source, fraction: parseInt(text, 16) / 100 };
      return undefined;
    }
    case 'go': {
      if (source !== 'GOMEMLIMIT') return undefined;
      // GOMEMLIMIT takes B, KiB, MiB, GiB, TiB suffixes.
      const bytes = tryParseQuantity(text.replace(/iB$/, 'i').replace(/B$/, ''));
      return { text: `GOMEMLIMIT=${text}`, source, ...(bytes === undefined ? {} : { bytes }) };
    }
    case 'php': {
      if (source === 'PHP_MEMORY_LIMIT') return phpSetting(`${source}=${text}`, source, text);
      const m = /-d\s*memory_limit=(\S+)/.exec(text);
      return m ? phpSetting(`-d memory_limit=${m[1]}`, source, m[1]!) : undefined;
    }
    case 'python':
    case 'rust':
      return undefined;
  }
}

/** PHP's shorthand (php.net, "Using shorthand byte values"): K, M, G are 1024 multiples; -1 is no limit. */
function phpSetting(text: string, source: string, value: string): HeapSetting {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value.trim());
  return { text, source, ...(m ? { bytes: Number(m[1]) * jvmUnit(m[2]) } : {}) };
}

export type Program = Runtime | 'redis';
export interface MemorySetting extends HeapSetting {
  program: Program;
}

/** Every memory setting the container's spec gives a runtime or Redis: what a limit kill's evidence names. */
export function findMemorySettings(container: Container | undefined): MemorySetting[] {
  if (!container) return [];
  const found: MemorySetting[] = [];
  for (const program of ['jvm', 'node', 'dotnet', 'go', 'php'] as const) {
    const setting = findHeapSetting(container, program);
    if (setting) found.push({ ...setting, program });
  }
  const redis = findRedisMaxmemory(container);
  return redis ? [...found, redis] : found;
}

/** True when the container runs Redis (or Valkey, KeyDB: same flags), by its image or command line. */
export function runsRedis(container: Container | undefined): boolean {
  if (!container) return false;
  return /\b(redis|valkey|keydb)/i.test([container.image?.split('/').pop() ?? '', ...(container.command ?? []), ...(container.args ?? [])].join(' '));
}

/** `--maxmemory 2gb` (or `--maxmemory=2gb`) on a Redis command line; a config file's value is not visible here. */
export function findRedisMaxmemory(container: Container): MemorySetting | undefined {
  if (!runsRedis(container)) return undefined;
  for (const [source, words] of [['args', container.args], ['command', container.command]] as const) {
    const m = /--maxmemory(?:=|\s+)(\d+(?:[kKmMgG][bB]?)?)(?=\s|$)/.exec((words ?? []).join(' '));
    if (m) return { program: 'redis', text: `--maxmemory ${m[1]}`, source, bytes: redisBytes(m[1]!) };
  }
  return undefined;
}

/** redis.conf units: 1k = 1000, 1kb = 1024, 1m = 1000000, 1mb = 1024², 1g = 10⁹, 1gb = 1024³; case-insensitive. */
function redisBytes(value: string): number {
  const m = /^(\d+)([kmg]?)(b?)$/i.exec(value)!;
  const power = { '': 0, k: 1, m: 2, g: 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** power;
}

function jvmUnit(unit: string | undefined): number {
  switch (unit?.toLowerCase()) {
    case 'k':
      return 1024;
    case 'm':
      return MiB;
    case 'g':
      return 1024 * MiB;
    default:
      return 1;
  }
}

/** The runtime's default heap cap as a fraction of the container limit, where it has one (docs/domain.md §5). */
export const DEFAULT_HEAP_FRACTION: Partial<Record<Runtime, number>> = { jvm: 0.25, dotnet: 0.75 };
