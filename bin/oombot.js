#!/usr/bin/env node
// The package's bin. In a git checkout, where the sources are, it runs them through tsx, so that `npm ci` is the only
// step before `npm start` or the tests. The packed package ships no sources, only what `npm pack` builds first
// (the prepack script): the CLI's esbuild bundle, and for `oombot forwarder` the image's own bundle, dist/forwarder.mjs,
// so that the command runs what the image runs, with no TypeScript compiler loaded (docs/architecture.md, "Budgets").
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
if (existsSync(new URL('../cli/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/main.ts');
  process.exitCode = await main(args);
} else if (args[0] === 'forwarder') {
  // It reads its arguments from process.argv and sets the exit code itself (forwarder/entry.ts).
  await import('../dist/forwarder.mjs');
} else {
  const { main } = await import('../dist/cli/main.mjs');
  process.exitCode = await main(args);
}
