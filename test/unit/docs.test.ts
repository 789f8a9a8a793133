// Every document a comment or the README cites is in the repository (issue 11), so a reader who clones it can follow
// every citation: a `docs/…` path names a file that exists, a `§N` names a section docs/domain.md has (and "§7 rule N"
// one of its rules), a heading quoted after a docs citation is a heading of that file (after a `§N`, text of that
// section), links in the README and docs/ resolve, and nothing points at the team's private design notes, which live
// outside the repository.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '../..');

/** Generated, installed or captured: not where citations are written. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'test-output', 'coverage', '.serverless', '.build', 'fixtures']);
/** Files where comments and prose live; extensionless files (`.ci/run`) are read when they are text. */
const TEXT_FILE = /\.(ts|mts|js|mjs|cjs|ya?ml|tpl|sh|md)$|^Dockerfile$|^[^.]+$/;

interface Source {
  /** Relative to the repository root, with forward slashes. */
  file: string;
  text: string;
}

function walk(dir: string, found: Source[] = []): Source[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(full, found);
    } else if (entry.isFile() && TEXT_FILE.test(entry.name) && full !== SELF) {
      const text = readFileSync(full, 'utf8');
      if (!text.includes('\u0000')) found.push({ file: path.relative(ROOT, full).split(path.sep).join('/'), text });
    }
  }
  return found;
}

const sources = walk(ROOT);
const docs = new Map(sources.filter((s) => /^docs\/[^/]+\.md$/.test(s.file)).map((s) => [s.file, s.text]));

interface Hit {
  where: string;
  match: RegExpExecArray;
}

/** Every match of `pattern` (global) in every source, with `file:line` for the failure message. */
function find(pattern: RegExp, only: (s: Source) => boolean = () => true): Hit[] {
  const hits: Hit[] = [];
  for (const s of sources.filter(only)) {
    for (const match of s.text.matchAll(pattern)) {
      const line = s.text.slice(0, match.index).split('\n').length;
      hits.push({ where: `${s.file}:${line}`, match: match as RegExpExecArray });
    }
  }
  return hits;
}

function exists(relative: string): boolean {
  try {
    statSync(path.join(ROOT, relative));
    return true;
  } catch {
    return false;
  }
}

/** Markdown headings (`##`, `###`, …) of a document, as written, without backticks. */
function headings(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) => m[1]!.replaceAll('`', ''));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** docs/domain.md's numbered sections: number → the section's text, heading included. */
function domainSections(): Map<string, string> {
  const text = docs.get('docs/domain.md') ?? '';
  const sections = new Map<string, string>();
  const parts = text.split(/^(?=## \d+\. )/m);
  for (const part of parts) {
    const n = /^## (\d+)\. /.exec(part)?.[1];
    if (n) sections.set(n, part);
  }
  return sections;
}

/** Text as a reader sees it: no emphasis, code marks or line breaks in the way of a phrase. */
function plain(text: string): string {
  return text.replace(/[*`]/g, '').replace(/\s+/g, ' ').toLowerCase();
}

describe('citations of the docs', () => {
  it('finds the citations it checks', () => {
    // A scan that reads nothing would pass everything: the code cites docs/domain.md alone dozens of times.
    expect(find(/docs\/domain\.md/g, (s) => !s.file.startsWith('docs/')).length).toBeGreaterThan(40);
    expect([...docs.keys()].sort()).toEqual(['docs/alert-style.md', 'docs/architecture.md', 'docs/code-style.md', 'docs/domain.md']);
  });

  it('names only docs/ files that exist', () => {
    const missing = find(/(?<![\w./-])docs\/([\w./-]*\w)/g)
      .filter((h) => !exists(`docs/${h.match[1]}`))
      .map((h) => `${h.where}: docs/${h.match[1]} does not exist`);
    expect(missing).toEqual([]);
  });

  it('cites only sections docs/domain.md has, and only rules its §7 has', () => {
    const sections = domainSections();
    const unknown = find(/§\s?(\d+)/g)
      .filter((h) => !sections.has(h.match[1]!))
      .map((h) => `${h.where}: §${h.match[1]} is not a section of docs/domain.md (it has §${[...sections.keys()].join(', §')})`);
    const rules = find(/§(\d+)\s+rules?\s+(\d+)(?:\s*[–-]\s*(\d+))?/g).flatMap((h) => {
      const [, section, first, last] = h.match;
      const numbered = new Set([...(sections.get(section!) ?? '').matchAll(/^(\d+)\. /gm)].map((m) => m[1]));
      return [first, last].filter((n): n is string => !!n && !numbered.has(n)).map((n) => `${h.where}: §${section} has no rule ${n}`);
    });
    expect([...unknown, ...rules]).toEqual([]);
  });

  it('quotes only headings the cited file has, or, after a §, words its section holds', () => {
    const sections = domainSections();
    const wrong = find(/docs\/([\w-]+\.md)`?(?:\s*§(\d+))?,?\s+"([^"\n]+)"/g).flatMap((h) => {
      const [, file, section, quoted] = h.match;
      const doc = docs.get(`docs/${file}`);
      if (doc === undefined) return [`${h.where}: docs/${file} does not exist`];
      if (section) {
        return plain(sections.get(section) ?? '').includes(plain(quoted!)) ? [] : [`${h.where}: docs/${file} §${section} does not say "${quoted}"`];
      }
      return headings(doc).some((x) => x.toLowerCase() === quoted!.toLowerCase()) ? [] : [`${h.where}: docs/${file} has no heading "${quoted}"`];
    });
    expect(wrong).toEqual([]);
  });

  it('links, in the README and docs/, only to files in the repository and headings they have', () => {
    const markdown = (s: Source) => s.file === 'README.md' || s.file.startsWith('docs/');
    const broken = find(/\]\(([^)\s#]*)(?:#([^)\s]+))?\)/g, markdown).flatMap((h) => {
      const [, target, hash] = h.match;
      if (/^[a-z]+:/i.test(target!)) return [];
      const from = path.posix.dirname(h.where.split(':')[0]!);
      const resolved = target ? path.posix.normalize(path.posix.join(from, target)) : h.where.split(':')[0]!;
      if (resolved.startsWith('..')) return [`${h.where}: ${target} is outside the repository`];
      if (!exists(resolved)) return [`${h.where}: ${target} does not exist`];
      if (!hash || !resolved.endsWith('.md')) return [];
      const text = sources.find((s) => s.file === resolved)?.text ?? '';
      return headings(text).map(anchor).includes(hash) ? [] : [`${h.where}: ${resolved} has no heading #${hash}`];
    });
    expect(broken).toEqual([]);
  });

  it('never points at the design notes kept outside the repository', () => {
    // The private notes' names, and the folder beside the checkout they live in. An import from the repository's own
    // shared/ folder (of shared/quantity.ts, say) is code, not a citation.
    const names = find(/\b(?:DESIGN|DOMAIN|STYLE|MESSAGES)\.md\b/g).map((h) => `${h.where}: cites ${h.match[0]}, which is not in the repository`);
    const outside = sources.flatMap((s) => {
      const text = s.text.replace(/(['"])(?:\.\.\/)+shared\/[\w./-]+\.(?:ts|js|mjs)\1/g, (m) => m.replace(/\S/g, ' '));
      return [...text.matchAll(/\.\.\/shared\b/g)].map((m) => `${s.file}:${text.slice(0, m.index).split('\n').length}: mentions ${m[0]}`);
    });
    expect([...names, ...outside]).toEqual([]);
  });
});
