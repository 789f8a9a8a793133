// Local mode's logs (docs/architecture.md, "Local mode"): the parts' JSON lines — the forwarder's, the analyze step's,
// the Slack app's and Bolt's, the console's — go to the file OOMBOT_LOG_FILE names, at OOMBOT_LOG_LEVEL (default
// info); without it, only warnings and errors, on stderr, so that the terminal keeps oombot start's own lines. A log
// file that cannot be written (a full disk, no permission) is said once on stderr, and warnings and errors go there
// instead: a log line never stops the part that wrote it.
import { appendFileSync } from 'node:fs';
import { toOombotError } from '#shared/errors.ts';
import { jsonLines, levelFrom, type Level, type Logger, type LogFields } from '#shared/log.ts';

export function localLogger(env: NodeJS.ProcessEnv, stderr: (line: string) => void): Logger {
  const file = env['OOMBOT_LOG_FILE'];
  const level = levelFrom(env['OOMBOT_LOG_LEVEL'], 'info');
  const toStderr = jsonLines({ write: stderr, level: level === 'error' ? 'error' : 'warn' });
  return file ? fileLogger(file, level, toStderr, stderr) : toStderr;
}

/** JSON lines appended to `file`, each written before the call returns (a crash loses none); `fallback` if it fails. */
export function fileLogger(file: string, level: Level, fallback: Logger, stderr: (line: string) => void): Logger {
  const toFile = jsonLines({ write: (line) => appendFileSync(file, line), level });
  const state = {
    broken: false,
    fail(error: unknown) {
      this.broken = true;
      stderr(`oombot: cannot write the log file ${file}: ${toOombotError(error).message}; warnings and errors go to stderr from now on\n`);
    },
  };
  return failover(toFile, fallback, state);
}

function failover(primary: Logger, secondary: Logger, state: { broken: boolean; fail(error: unknown): void }): Logger {
  const at =
    (level: Level) =>
    (msg: string, fields?: LogFields): void => {
      if (!state.broken) {
        try {
          return primary[level](msg, fields);
        } catch (error) {
          state.fail(error);
        }
      }
      secondary[level](msg, fields);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => failover(primary.child(fields), secondary.child(fields), state),
    enabled: (level) => (state.broken ? secondary : primary).enabled(level),
  };
}
