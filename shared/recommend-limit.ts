// Sizing a new memory limit or request (docs/domain.md §6).
//  - VPA's OOM rule: new = max(basis + 100Mi, basis × 1.2), basis = max(request, observed peak);
//  - krr's floor: max(peak working set × 1.15, OOM-killed limit × 1.25);
//  - never more than the node can give, and say so when capped; never below what the container has now.
import { displayQuantity, formatBytes, GiB, MiB, toMemoryQuantity } from './quantity.ts';

export interface Sizing {
  bytes: number;
  quantity: string;
  /** The same for people: the largest unit when exact ("24.5Gi" for 25088Mi; displayQuantity). */
  display: string;
  capped: boolean;
  /** Why this size, in full: the rule and the cap. */
  rationale: string;
  /** The same in a few words, for a sentence: "+25 %; fits the node". */
  short: string;
}

export interface LimitInput {
  /** The limit the container died at, if it had one. */
  currentLimitBytes: number | undefined;
  requestBytes: number | undefined;
  /** The highest memory use anything recorded (usage at death, kernel anon-rss, working set). */
  peakBytes: number | undefined;
  /** What the node can give this container; undefined when the node was not seen. */
  capBytes: number | undefined;
  /** How the cap was worked out, for the rationale: "node ip-10-0-12-7's 14Gi allocatable". */
  capSource?: string;
  /** The cap in a few words, when it is not the node: "the pod-level limit". */
  capShort?: string;
  /** A size the limit must reach, and why: a heap cap kept at 75 % of the limit (limit-settings.ts). */
  floor?: { bytes: number; why: string };
}

const VPA_MARGIN_BYTES = 100 * MiB;

/** Rounds up to a step a person would write: 32Mi under 1Gi, 128Mi under 8Gi, 512Mi above. */
export function roundUpToStep(bytes: number): number {
  const step = stepFor(bytes);
  return Math.ceil(bytes / step) * step;
}

/** Rounds down to the same steps as roundUpToStep: what fits under a cap. */
export function roundDownToStep(bytes: number): number {
  const step = stepFor(bytes);
  return Math.floor(bytes / step) * step;
}

function stepFor(bytes: number): number {
  return bytes < GiB ? 32 * MiB : bytes < 8 * GiB ? 128 * MiB : 512 * MiB;
}

export function recommendLimit(input: LimitInput): Sizing {
  const current = input.currentLimitBytes ?? 0;
  const peak = Math.max(input.peakBytes ?? 0, current);
  const basis = Math.max(input.requestBytes ?? 0, peak);
  const vpa = Math.max(basis + VPA_MARGIN_BYTES, basis * 1.2);
  const krr = Math.max(peak * 1.15, current * 1.25);
  const byRule = roundUpToStep(Math.max(vpa, krr));
  const wanted = Math.max(byRule, roundUpToStep(input.floor?.bytes ?? 0));
  const growth = current > 0 ? `+${Math.round((wanted / current - 1) * 100)} % over the ${formatBytes(current)} limit it died at` : `the ${formatBytes(basis)} it was seen using plus headroom`;
  const rule = wanted > byRule ? `${growth} (${input.floor!.why})` : `${growth} (VPA adds 20 % or 100Mi after an OOM, krr 25 %)`;
  return cap(wanted, current, input, rule, current > 0 ? `+${Math.round((wanted / current - 1) * 100)} %` : 'from what it was using');
}

export interface RequestInput {
  currentRequestBytes: number | undefined;
  /** The working set the kubelet measured when it evicted the pod. */
  usageBytes: number;
  capBytes: number | undefined;
  capSource?: string;
}

/** A request close to real use, so the scheduler stops over-packing the node: usage + 10 %, rounded up. */
export function recommendRequest(input: RequestInput): Sizing {
  const current = input.currentRequestBytes ?? 0;
  const wanted = roundUpToStep(Math.max(input.usageBytes * 1.1, current));
  return cap(wanted, current, input, `the ${formatBytes(input.usageBytes)} it was using at eviction plus 10 %`, 'usage + 10 %');
}

function cap(wanted: number, current: number, input: { capBytes: number | undefined; capSource?: string; capShort?: string }, rule: string, short: string): Sizing {
  const source = input.capSource ?? 'what the node can give';
  const sizing = (bytes: number, capped: boolean, rationale: string, note: string): Sizing => ({ bytes, quantity: toMemoryQuantity(bytes), display: forPeople(bytes), capped, rationale, short: `${short}; ${note}` });
  if (input.capBytes === undefined) return sizing(wanted, false, `${rule}; the node was not seen, so check it fits`, 'check it fits the node');
  if (wanted <= input.capBytes) return sizing(wanted, false, `${rule}; fits ${source}`, 'fits the node');
  const bytes = Math.max(roundDownToStep(input.capBytes), current);
  if (bytes <= current) {
    return { ...sizing(bytes, true, `the node cannot give more than the current ${formatBytes(current)} (${source}): move it to a larger node or shrink its use`, ''), short: 'the node has no room to give more' };
  }
  return { ...sizing(bytes, true, `capped at ${source} (${forPeople(wanted)} wanted: ${rule})`, ''), short: `capped at ${input.capShort ?? 'what the node can give'} (${forPeople(wanted)} wanted)` };
}

function forPeople(bytes: number): string {
  return displayQuantity(toMemoryQuantity(bytes), bytes);
}
