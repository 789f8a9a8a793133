// The package as `npm pack` makes it (its prepack script builds dist/ first), unpacked into node_modules/oombot of an
// empty folder, as an install puts it, with its runtime dependencies linked from this checkout's node_modules instead
// of downloaded: the tests run without the network. Only the dependencies the packed package.json declares are linked,
// so a bundle that reached for anything else (tsx, typescript, a dev dependency) would fail to resolve it.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '../..');

export interface PackedCli {
  /** The empty folder it was installed into. */
  dir: string;
  /** node_modules/oombot/bin/oombot.js in that folder. */
  bin: string;
  /** The files in the tarball, as npm pack lists them. */
  files: string[];
  dependencies: string[];
}

export async function installPackedCli(): Promise<PackedCli> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oombot-packed-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  // npm prints the lifecycle scripts' output before the JSON.
  const [packed] = JSON.parse(out.slice(out.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  const pkg = path.join(dir, 'node_modules', 'oombot');
  await mkdir(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(dir, packed!.filename), '-C', pkg, '--strip-components=1']);
  const manifest = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const dependencies = Object.keys(manifest.dependencies ?? {});
  for (const name of dependencies) {
    const link = path.join(dir, 'node_modules', name);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.join(root, 'node_modules', name), link, 'dir');
  }
  return { dir, bin: path.join(pkg, 'bin', 'oombot.js'), files: packed!.files.map((f) => f.path), dependencies };
}

/**
 * Node.js flags that make any attempt to load TypeScript or its compilers fail: a resolve hook (module.register)
 * that throws for a .ts/.mts/.cts file or for tsx, typescript or esbuild.
 */
export function noTypeScriptFlags(): string[] {
  const hook = `export async function resolve(specifier, context, next) {
    const r = await next(specifier, context);
    if (/\\.[mc]?ts$/.test(new URL(r.url).pathname) || /\\/node_modules\\/(tsx|typescript|esbuild)\\//.test(r.url)) throw new Error('TypeScript at run time: ' + r.url);
    return r;
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}
