// The Slack app manifests ask for exactly the scopes the code uses: every Web API method oombot calls needs one of
// them, and none is unused.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCOPE_OF } from '../../console/slack-rules.ts';

const root = path.join(import.meta.dirname, '../..');
function methodsCalled(): string[] {
  const sources = ['bot/post-occurrence.ts', 'bot/grouping.ts', 'bot/oom-command.ts', 'bot/actions.ts', 'bot/slack-app.ts', 'bot/chart-upload.ts', 'functions/slack/index.ts', 'functions/analyze/index.ts', 'functions/actions/index.ts'].map((f) => readFileSync(path.join(root, f), 'utf8')).join('\n');
  const called = new Set<string>();
  for (const m of sources.matchAll(/\b(?:slack|chat)\.(postMessage|update|postEphemeral)\(/g)) called.add(`chat.${m[1]}`);
  for (const m of sources.matchAll(/\busergroups\.users\.(list)\(/g)) called.add(`usergroups.users.${m[1]}`);
  for (const m of sources.matchAll(/\bfiles\.(getUploadURLExternal|completeUploadExternal)\(/g)) called.add(`files.${m[1]}`);
  return [...called].sort();
}

describe.each(['manifest.yaml', 'manifest.socket-mode.yaml'])('infra/slack/%s', (file) => {
  const manifest = parse(readFileSync(path.join(root, 'infra/slack', file), 'utf8')) as { oauth_config: { scopes: { bot: string[] } }; features: { slash_commands: { command: string }[] }; settings: { socket_mode_enabled: boolean } };

  it('asks for exactly the scopes of the methods called, plus commands for /oom', () => {
    const needed = new Set([...methodsCalled().map((m) => SCOPE_OF[m]!), 'commands']);
    expect(methodsCalled()).toEqual(['chat.postMessage', 'chat.update', 'files.completeUploadExternal', 'files.getUploadURLExternal', 'usergroups.users.list']);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/oom']);
  });

  it('runs in Socket Mode exactly when it is the local manifest', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(file.includes('socket'));
  });
});
