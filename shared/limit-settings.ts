// Settings that decided a limit kill (docs/domain.md §5, §8): a heap cap near the container limit leaves too little for
// everything outside the heap, so the container reaches its limit before the runtime's own limit can stop it with a
// clear error; a cap well below it says memory outside the heap filled the rest; GOMEMLIMIT is a soft target that
// cannot stop a growing heap; Redis's maxmemory near the limit leaves no room for fragmentation, buffers and forks.
import { MiB } from './quantity.ts';
import type { MemorySetting } from './runtime-settings.ts';

/** At or above this share of the limit, a cap is "near" it: what lives outside the cap has too little room. */
const NEAR = 0.8;
/** The share to suggest instead, as for runtime deaths (runtime-advice.ts). */
const SHARE = 0.75;

export interface SettingAtLimit {
  evidence: string;
  /** A sentence for the action, when the setting is part of the fix. */
  advice?: string;
  /** The value to set instead. */
  setting?: { name: string; value: string };
  /** What the value was sized to, for the rationale: "75 % of the current 2Gi limit". */
  sizedTo?: string;
  /** A limit at least this large keeps the setting's cap at 75 % of it, when the setting is kept. */
  floorBytes?: number;
}

const WHAT: Record<string, { cap: string; outside: string }> = {
  jvm: { cap: 'the heap', outside: 'metaspace, thread stacks, code cache, direct buffers' },
  node: { cap: "V8's heap", outside: 'buffers, native addons, other processes' },
  dotnet: { cap: 'the GC heap', outside: 'native memory, other processes' },
  php: { cap: 'each PHP process', outside: 'under PHP-FPM, pm.max_children processes share the limit' },
};

export function settingsAtLimit(settings: MemorySetting[], limitBytes: number, limitText: string): SettingAtLimit[] {
  return settings.flatMap((s) => {
    const from = `${s.text} (from ${s.source})`;
    const share = s.fraction ?? (s.bytes !== undefined ? s.bytes / limitBytes : undefined);
    if (share === undefined) return [];
    const pct = `${Math.round(share * 100)} %`;
    const where = s.source === 'args' || s.source === 'command' ? `the container's ${s.source}` : s.source;
    switch (s.program) {
      case 'go': {
        const soft = 'GOMEMLIMIT is soft: the GC works harder near it but does not stop the heap from passing it';
        if (share < 0.95) return [{ evidence: `${from} is ${pct} of the ${limitText} limit; ${soft}, so the live heap outgrew it and then the limit` }];
        const value = `${Math.floor((limitBytes * 0.9) / MiB)}MiB`;
        return [
          {
            evidence: `${from} is ${pct} of the ${limitText} limit: the GC never worked harder before the kill (${soft})`,
            advice: `Set GOMEMLIMIT to about 90 % of the limit (\`GOMEMLIMIT=${value}\`) so the GC works harder before it is reached.`,
            setting: { name: 'GOMEMLIMIT', value },
            sizedTo: `90 % of the current ${limitText} limit`,
          },
        ];
      }
      case 'redis': {
        if (share < NEAR) return [{ evidence: `Redis ${from} is ${pct} of the ${limitText} limit: its data stays under it, so fragmentation, client or replication buffers or a fork's copy-on-write took the rest` }];
        const value = `${Math.floor((limitBytes * SHARE) / MiB)}mb`;
        return [
          {
            evidence: `Redis ${from} is ${pct} of the ${limitText} limit: no room for fragmentation, client and replication buffers, or the copy-on-write of a fork (BGSAVE, AOF rewrite)`,
            advice: `Set maxmemory to about 75 % of the limit (\`--maxmemory ${value}\` in ${where}), less if it forks for persistence under heavy writes.`,
            setting: { name: 'maxmemory', value },
            sizedTo: `75 % of the current ${limitText} limit`,
            ...(s.bytes !== undefined ? { floorBytes: s.bytes / SHARE } : {}),
          },
        ];
      }
      case 'php':
        return [{ evidence: `${from} lets each PHP process take ${pct} of the ${limitText} limit; ${WHAT['php']!.outside}` }];
      case 'jvm':
      case 'node':
      case 'dotnet': {
        const { cap, outside } = WHAT[s.program]!;
        if (share < NEAR) return [{ evidence: `${from} caps ${cap} at ${pct} of the ${limitText} limit: memory outside it (${outside}) filled the rest` }];
        const value = suggested(s, limitBytes);
        return [
          {
            evidence: `${from} lets ${cap} take ${pct} of the ${limitText} limit: ${cap} and what lives outside it (${outside}) passed the limit before ${cap} was full`,
            ...(value ? { advice: `Lower ${cap} to about 75 % of the limit (\`${value}\` in ${where}): ${cap} and everything outside it must fit the limit together.`, setting: { name: s.source, value }, sizedTo: `75 % of the current ${limitText} limit` } : {}),
            ...(s.bytes !== undefined ? { floorBytes: s.bytes / SHARE } : {}),
          },
        ];
      }
      default:
        return [];
    }
  });
}

function suggested(s: MemorySetting, limitBytes: number): string | undefined {
  const mib = Math.floor((limitBytes * SHARE) / MiB);
  if (s.program === 'node') return `--max-old-space-size=${mib}`;
  if (s.program === 'jvm') return s.fraction !== undefined ? '-XX:MaxRAMPercentage=75' : `-Xmx${mib}m`;
  if (s.program === 'dotnet') return s.fraction !== undefined ? 'DOTNET_GCHeapHardLimitPercent=0x4B' : `DOTNET_GCHeapHardLimit=0x${Math.floor(limitBytes * SHARE).toString(16)}`;
  return undefined;
}
