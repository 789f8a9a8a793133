#!/usr/bin/env node
// The package's bin. It runs the TypeScript sources through tsx so that `npm ci` is the only install step
// (no build before `npx oombot` works). Deployed artefacts (Lambdas, the forwarder image) are bundled with esbuild.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
