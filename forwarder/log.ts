// The forwarder's logs: the logger port (shared/log.ts) as JSON lines on stderr — stdout is the stdout sink's — at
// OOMBOT_LOG_LEVEL (debug, info, warn, error; default info). Fields are whatever the caller passes; the port redacts
// what is named like a secret and writes errors as code and message, never request headers or stacks (except at debug).
import { jsonLines, levelFrom, type Logger } from '#shared/log.ts';

export function forwarderLogger(write: (line: string) => void = (line) => process.stderr.write(line), env: NodeJS.ProcessEnv = process.env): Logger {
  return jsonLines({ write, level: levelFrom(env['OOMBOT_LOG_LEVEL'], 'info') });
}
