// Structured logs: one JSON object per line on stderr (stdout is the stdout sink's). Fields are whatever the caller
// passes — never tokens or request headers.
export type Level = 'info' | 'warn' | 'error';
export type Log = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

export function jsonLog(write: (line: string) => void = (line) => process.stderr.write(line)): Log {
  return (level, msg, fields = {}) => write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
