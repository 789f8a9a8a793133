// Sizing a new memory limit from the curve a container drew before it died (docs/domain.md §14), where
// recommend-limit.ts knows only the limit it died at (docs/domain.md §6):
//  - the basis is the highest working set sampled; after an OOM, at least the request (VPA's basis), and after a kill
//    at the limit, at least the limit (usage reached it, however low the last sample);
//  - after a kill, VPA's bump after an OOM on the basis, and krr's floors: the peak + 15 %, the killed limit + 25 %
//    (docs/domain.md §6); a warning is on course to reach its limit, so it is sized as the kill there would be (§14),
//    and the warning and the kill that may follow offer the same size; with neither, VPA's 15 % safety margin and
//    krr's 15 % buffer over the peak (§14);
//  - never below the peak or the current limit, rounded up to the steps recommendLimit uses, and capped by what the
//    node (or the pod-level limit) can give, saying so;
//  - a leak-like curve gets the same size and the warning that a higher limit only buys time: (new − old) / slope.
// Too few samples: undefined, and the caller keeps recommendLimit's rule.
import { minutes, rateText, type Curve } from './memory-curve.ts';
import type { MemorySeries } from './memory-series.ts';
import { displayQuantity, formatBytes, MiB, toMemoryQuantity } from './quantity.ts';
import { roundDownToStep, roundUpToStep, type Sizing } from './recommend-limit.ts';

export interface CurveSizingOptions {
  /** The diagnosis found the kill at the container's own limit: it used all of it, whatever the samples show. */
  killedAtLimit?: boolean | undefined;
  /** What the node (or the pod-level limit) can give this container; undefined when not seen. */
  nodeCap?: number | undefined;
  /** How the cap was worked out: "node ip-10-0-12-7's 14Gi allocatable less 9Gi requested by other containers". */
  capSource?: string | undefined;
  /** The cap in a few words, when it is not the node: "the pod-level limit". */
  capShort?: string | undefined;
  /** A size the limit must reach, and why: a heap cap kept at 75 % of the limit (limit-settings.ts). */
  floor?: { bytes: number; why: string } | undefined;
  /**
   * A warning before the kill: the fitted slope reaches the series' limit in about this many minutes. Sized as the
   * kill at that limit would be, since that is where it is going (docs/domain.md §14), not from the peak seen so far.
   */
  reachesLimitInMinutes?: number | undefined;
}

export interface CurveSizing extends Sizing {
  /** What the size rests on, in numbers. */
  restsOn: {
    peakBytes: number;
    basisBytes: number;
    basis: 'peak' | 'limit' | 'request';
    /** The rule that set the size before rounding and capping. */
    rule: 'vpa-oom-bump' | 'vpa-oom-ratio' | 'krr-oom-limit' | 'krr-peak' | 'margin' | 'floor';
    samples: number;
    windowMinutes: number;
  };
  /** A leak-like curve: how much longer the new limit lasts at the slope seen. */
  buysTime?: { minutes: number; bytesPerMinute: number; text: string };
}

/** VPA's bump after an OOM and its safety margin; krr's buffers (docs/domain.md §6, §14). */
const VPA_OOM_MIN_BUMP = 100 * MiB;
const VPA_OOM_RATIO = 1.2;
const SAFETY_MARGIN = 1.15;
const KRR_OOM_RATIO = 1.25;

export function recommendFromCurve(series: MemorySeries, curve: Curve, options: CurveSizingOptions = {}): CurveSizing | undefined {
  if (curve.kind === 'too-few') return undefined;
  const current = series.limitBytes ?? 0;
  const heading = series.killedAt === undefined && options.reachesLimitInMinutes !== undefined && current > 0;
  // A container on course to reach its limit gets the size of the kill there: the same rules, the limit its basis.
  const oom = series.killedAt !== undefined || heading;
  const atLimit = heading || (oom && options.killedAtLimit === true && current > 0);
  const peak = curve.peakBytes;
  const request = series.requestBytes ?? 0;
  const basisBytes = Math.max(peak, oom ? request : 0, atLimit ? current : 0);
  const basis = basisBytes === peak ? 'peak' : basisBytes === current && atLimit ? 'limit' : 'request';

  type Candidate = [CurveSizing['restsOn']['rule'], number, string];
  const candidates: Candidate[] = oom
    ? [
        ['vpa-oom-bump', basisBytes + VPA_OOM_MIN_BUMP, "+100Mi, VPA's least bump after an OOM"],
        ['vpa-oom-ratio', basisBytes * VPA_OOM_RATIO, "+20 %, VPA's bump after an OOM"],
        ['krr-peak', peak * SAFETY_MARGIN, "the peak + 15 %, krr's buffer"],
        ...(atLimit ? [['krr-oom-limit', current * KRR_OOM_RATIO, heading ? "the limit + 25 %, krr's floor after an OOM there" : "the killed limit + 25 %, krr's floor after an OOM"] satisfies Candidate] : []),
      ]
    : [['margin', basisBytes * SAFETY_MARGIN, "+15 %, VPA's safety margin and krr's buffer"]];
  if (options.floor) candidates.push(['floor', options.floor.bytes, options.floor.why]);
  const [rule, ruleBytes, ruleText] = candidates.reduce((best, c) => (c[1] > best[1] ? c : best));
  const byRule = roundUpToStep(Math.max(ruleBytes, 1));
  const wanted = Math.max(byRule, current);
  const least = Math.max(current, roundUpToStep(peak));

  const span = minutes(curve.spanMinutes);
  const seen = `${curve.samples} samples over ${span}`;
  const restsOnText =
    basis === 'limit'
      ? heading
        ? `it is on course to reach its ${formatBytes(current)} limit in ~${minutes(options.reachesLimitInMinutes!)}, so it is sized as the kill there would be (the highest of ${seen} so far was ${formatBytes(peak)})`
        : `it reached its ${formatBytes(current)} limit when killed (the highest of ${seen} was ${formatBytes(peak)})`
      : basis === 'request'
        ? `its ${formatBytes(request)} request, above the highest of ${seen} (${formatBytes(peak)})`
        : `its working set peaked at ${formatBytes(peak)} (the highest of ${seen})`;
  const covered = current > 0 && byRule <= current;
  const growth = covered
    ? `the current ${formatBytes(current)} limit covers it`
    : current > 0
      ? `+${Math.round((wanted / current - 1) * 100)} %`
      : peak > 0
        ? `peak + ${Math.round((wanted / peak - 1) * 100)} %`
        : 'a first limit';
  const restsOn = { peakBytes: peak, basisBytes, basis, rule, samples: curve.samples, windowMinutes: curve.spanMinutes } as const;

  let bytes = wanted;
  let capped = false;
  let capText: string;
  let capNote: string;
  const source = options.capSource ?? 'what the node can give';
  if (covered) [capText, capNote] = ['', ''];
  else if (options.nodeCap === undefined) [capText, capNote] = ['the node was not seen, so check it fits', 'check it fits the node'];
  else if (wanted <= options.nodeCap) [capText, capNote] = [`fits ${source}`, 'fits the node'];
  else {
    capped = true;
    bytes = Math.max(roundDownToStep(options.nodeCap), least);
    [capText, capNote] =
      bytes <= least
        ? [`the node has no room above the ${formatBytes(bytes)} it already ${current >= roundUpToStep(peak) ? 'has' : 'used'} (${source}): move it to a larger node or shrink its use`, 'the node has no room to give more']
        : [`capped at ${source} (${forPeople(wanted)} wanted)`, `capped at ${options.capShort ?? 'what the node can give'} (${forPeople(wanted)} wanted)`];
  }

  const buysTime = curve.kind === 'leak' && !covered ? timeBought(bytes - (current || peak), curve.slopeBytesPerMinute, forPeople(bytes)) : undefined;
  const sized = covered ? `${ruleText}: ${forPeople(byRule)}, within the current limit` : `${ruleText}: ${forPeople(wanted)}`;
  const rationale = [`${restsOnText}; ${sized}`, capText, buysTime?.text].filter(Boolean).join('; ');
  const short = [covered ? growth : `${growth} from ${seen}`, buysTime && buysTime.minutes > 0 ? `buys ~${minutes(buysTime.minutes)} at ${rateText(buysTime.bytesPerMinute)}` : undefined, capNote].filter(Boolean).join('; ');
  return { bytes, quantity: toMemoryQuantity(bytes), display: forPeople(bytes), capped, rationale, short, restsOn, ...(buysTime ? { buysTime } : {}) };
}

function timeBought(extraBytes: number, bytesPerMinute: number, display: string): CurveSizing['buysTime'] {
  const lasts = Math.max(0, extraBytes) / bytesPerMinute;
  if (!(bytesPerMinute > 0) || !Number.isFinite(lasts)) return undefined;
  const text =
    lasts > 0
      ? `a higher limit only buys time: at ${rateText(bytesPerMinute)}, ${display} lasts ~${minutes(lasts)} longer`
      : `a higher limit would only buy time, and there is no room for one: at ${rateText(bytesPerMinute)} it climbs until it is killed again`;
  return { minutes: Math.round(lasts * 10) / 10, bytesPerMinute, text };
}

function forPeople(bytes: number): string {
  return displayQuantity(toMemoryQuantity(bytes), bytes);
}
