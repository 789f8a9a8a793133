// Bolt's logger (and its receivers' and Web API client's), written through our logger port (shared/log.ts): what Bolt
// says joins the JSON lines of the invocation or request — the Lambda's request id on each — instead of its console
// logger's text with stack traces on stdout, which in local mode is the person's terminal.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Level, Logger, LogFields } from '#shared/log.ts';

const ORDER: Level[] = ['debug', 'info', 'warn', 'error'];

/** `current` is asked on each line: in a Lambda, the logger of the invocation under way (bot/failures.ts). */
export function boltLogger(current: () => Logger, level: LogLevel = LogLevel.WARN): BoltLogger {
  let threshold = level as Level;
  let name = 'bolt';
  const at =
    (lineLevel: Level) =>
    (...args: unknown[]): void => {
      if (ORDER.indexOf(lineLevel) < ORDER.indexOf(threshold)) return;
      const errors = args.filter((a): a is Error => a instanceof Error);
      const words = args.filter((a) => !(a instanceof Error)).map((a) => (typeof a === 'string' ? a : safeJson(a)));
      const fields: LogFields = { component: name, ...(errors[0] ? { error: errors[0] } : {}) };
      current()[lineLevel](words.join(' ') || (errors[0] ? 'error' : ''), fields);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l) => (threshold = l as Level),
    getLevel: () => threshold as LogLevel,
    setName: (n) => (name = n),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
