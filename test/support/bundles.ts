// The Lambda handlers as deployed: the esbuild bundles `npm run build:functions` makes (the same step serverless.yml
// packages), built once per test process, so the tests exercise the artefact Lambda runs, not only its sources.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.join(import.meta.dirname, '../..');
let built = false;

/** The bundle's file, built first if this test process has not built them yet. */
export function bundlePath(name: 'analyze' | 'slack' | 'actions'): string {
  if (!built) {
    execFileSync('npm', ['run', '--silent', 'build:functions'], { cwd: root, stdio: 'ignore' });
    built = true;
  }
  return path.join(root, 'dist/functions', name, 'index.mjs');
}

export async function bundledHandler<T>(name: 'analyze' | 'slack' | 'actions'): Promise<T> {
  return ((await import(pathToFileURL(bundlePath(name)).href)) as { handler: T }).handler;
}
