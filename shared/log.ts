// The logger port: what every part of oombot logs through — the Lambdas, the Slack app, the forwarder, local mode, the
// console. Structured (one JSON object per line: time, level, msg, then fields), four levels, and `child` to carry
// fields (a request id, an occurrence id) on every line below it. Where the lines go is the caller's choice: stdout in
// Lambda (functions/log.ts), stderr for the forwarder, a file in local mode (local/log.ts); tests pass their own
// `write`. Two rules hold whatever the destination:
// - No secrets: a field whose name says token, secret, signature, password, authorization, cookie, credential or key
//   is written as "[redacted]", at any depth.
// - No stack traces except at debug: an Error in a field is written as its stable code and one-line message
//   (shared/errors.ts); its stack is added only when the logger writes debug lines.
import { toOombotError } from './errors.ts';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (the call's own fields win). */
  child(fields: LogFields): Logger;
  /** Whether lines at this level are written. */
  enabled(level: Level): boolean;
}

export interface JsonLinesOptions {
  /** Takes one line, newline included. */
  write: (line: string) => void;
  /** The lowest level written (default info). */
  level?: Level;
  /** Fields on every line. */
  fields?: LogFields;
  /** The clock for `time` (default: now). */
  now?: () => Date;
}

const SECRET_NAME = /token|secret|signature|password|passwd|authori[sz]ation|cookie|credential|api_?key|private_?key/i;
const REDACTED = '[redacted]';

/** A logger writing one JSON object per line. */
export function jsonLines(o: JsonLinesOptions): Logger {
  const threshold = LEVELS.indexOf(o.level ?? 'info');
  const now = o.now ?? (() => new Date());
  const base = o.fields ?? {};
  const enabled = (level: Level) => LEVELS.indexOf(level) >= threshold;
  const line = (level: Level) => (msg: string, fields: LogFields = {}) => {
    if (!enabled(level)) return;
    const record = { time: now().toISOString(), level, msg, ...clean({ ...base, ...fields }, threshold === 0) };
    o.write(`${stringify(record)}\n`);
  };
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (fields) => jsonLines({ ...o, fields: { ...base, ...fields } }),
    enabled,
  };
}

/** Writes nothing (tests, and parts whose caller wants no logs). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  enabled: () => false,
};

/** A level from a setting such as OOMBOT_LOG_LEVEL (any case), or `fallback` when unset or unknown. */
export function levelFrom(text: string | undefined, fallback: Level): Level {
  const level = text?.trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(level ?? '') ? (level as Level) : fallback;
}

/** Fields as they may be written: secrets redacted, errors as code and message (and stack when debugging). */
function clean(fields: LogFields, debug: boolean): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (SECRET_NAME.test(key)) {
      out[key] = REDACTED;
    } else if (value instanceof Error) {
      const e = toOombotError(value);
      out[key] = e.message;
      out[`${key}Code`] = e.code;
      const original = e.cause instanceof Error ? e.cause : e;
      if (debug && original.stack) out[`${key}Stack`] = original.stack;
    } else {
      out[key] = redact(value, 0);
    }
  }
  return out;
}

function redact(value: unknown, depth: number): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return toOombotError(value).message;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1)]));
}

/** JSON.stringify that never throws: a BigInt or a cycle must not turn a log line into an exception. */
function stringify(record: LogFields): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } catch (error) {
    return JSON.stringify({ time: record['time'], level: record['level'], msg: record['msg'], logError: `the fields could not be written: ${toOombotError(error).message}` });
  }
}
