// A dead container's last words, from its log. Most containers keep the default `terminationMessagePolicy: File`, so a
// runtime's dying words ("java.lang.OutOfMemoryError: Java heap space") reach `terminated.message` only with
// FallbackToLogsOnError (docs/domain.md §5); otherwise they are only in the log of the run that died. Where the caller
// may read that log (the opt-in `pods/log`, docs/domain.md §4; kube/last-words.ts), its tail comes in here and goes
// through the same recognisers as a termination message (shared/runtime-oom.ts) — only when the message did not
// already say it, and never for a kill the kernel reported (OOMKilled: the runtime did not die of its own words).
//
// The tail never leaves the diagnosis: the verdict quotes only the lines a recogniser matched, at most a few, each
// through shared/redact-text.ts.
import type { Terminated } from './k8s-objects.ts';
import type { LastWords } from './last-words-schema.ts';
import { redactSecrets } from './redact-text.ts';
import { recogniseRuntimeOom, recogniseRuntimeOomLines, type RuntimeOom } from './runtime-oom.ts';
import type { UnseenEntry } from './unseen.ts';

/** The most of a tail a caller may hand in (kube/last-words.ts reads at most two answers of 8 KiB). */
export const LAST_WORDS_MAX_CHARS = 32_768;
/** Lines quoted from a log at most. */
export const LAST_WORDS_QUOTED = 3;

// Its schema is in shared/last-words-schema.ts, for the diagnosis input: the forwarder reads terminations with this
// file and loads no zod (docs/architecture.md, "Budgets").
export type { LastWords };

/**
 * Whether a termination's log could still tell what its message did not: a failed exit that the kernel did not report
 * as OOMKilled, whose message names no runtime running out. The caller reads logs for these only.
 */
export function wantsLastWords(t: Terminated): boolean {
  return t.exitCode !== 0 && t.reason !== 'OOMKilled' && !recogniseRuntimeOom(t.message);
}

/** What the log of one termination says: a runtime's death, why it could not be read, or nothing either way. */
export type LastWordsReading = { oom: RuntimeOom } | { unseen: Omit<UnseenEntry, 'source'> } | undefined;

/**
 * The log of the run that ended in `t`, read for a runtime's dying words. A line is that run's when its time falls
 * between the run's start and its end (finishedAt has whole seconds, and the runtime's last line comes just before
 * the exit: two seconds of slack); a tail holding only later lines is a later run's (the container ran again since).
 */
export function readLastWords(logs: readonly LastWords[] | undefined, container: string, state: 'current' | 'last', t: Terminated): LastWordsReading {
  if (!logs || !wantsLastWords(t)) return undefined;
  const run = state === 'last' ? 'previous' : 'current';
  const log = logs.find((l) => l.container === container && l.run === run);
  if (!log) return undefined;
  if (log.unread) return { unseen: log.unread };
  const lines = linesOfRun(log.tail ?? '', t);
  if (lines === 'later-run') return { unseen: { reason: 'superseded' } };
  const found = recogniseRuntimeOomLines(lines.map(redactSecrets), LAST_WORDS_QUOTED);
  if (!found) return undefined;
  const { matched, ...oom } = found;
  return { oom: { ...oom, fromLog: { run, lines: matched } } };
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/;
const SLACK_MS = 2_000;

/** The lines of the run that ended in `t`, without their times; `later-run` when every dated line is after its end. */
function linesOfRun(tail: string, t: Terminated): string[] | 'later-run' {
  const from = Date.parse(t.startedAt ?? '') - SLACK_MS;
  const to = Date.parse(t.finishedAt ?? '') + SLACK_MS;
  const kept: string[] = [];
  let dated = 0;
  let later = 0;
  for (const raw of tail.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line) continue;
    const m = STAMPED.exec(line);
    // A line without a time (an answer without timestamps) cannot be placed: it is taken as the run's.
    if (!m) {
      kept.push(line);
      continue;
    }
    dated++;
    const at = Date.parse(m[1]!);
    if (at > to) later++;
    else if (!(at < from)) kept.push(m[2]!);
  }
  return dated > 0 && later === dated ? 'later-run' : kept;
}
