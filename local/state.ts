// Where local mode keeps what must survive a restart (incidents, mutes, the audit log, the console's messages): the
// XDG state directory (~/.local/state/oombot), or OOMBOT_STATE_DIR.
import os from 'node:os';
import path from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['OOMBOT_STATE_DIR']) return path.resolve(env['OOMBOT_STATE_DIR']);
  const base = env['XDG_STATE_HOME'] && path.isAbsolute(env['XDG_STATE_HOME']) ? env['XDG_STATE_HOME'] : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'oombot');
}
