// The verdict for a terminal: the headline first, then aligned facts, what to do, evidence and what was not seen.
// Colour only on a TTY (and never with NO_COLOR set).
import { displayQuantity } from '#shared/quantity.ts';
import { notSeen } from '#shared/unseen.ts';
import type { Verdict } from '#shared/verdict.ts';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  cause(cause: Verdict['cause'], s: string): string;
}

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const on = !!stream.isTTY && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb';
  const sgr = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  const colours: Record<Verdict['cause'], (s: string) => string> = {
    limit: sgr('1;31'),
    'node-pressure': sgr('1;33'),
    runtime: sgr('1;35'),
    'not-oom': sgr('1;36'),
    unknown: sgr('1;37'),
  };
  return { bold: sgr('1'), dim: sgr('2'), cause: (c, s) => colours[c](s) };
}

const LABELS: Record<Verdict['cause'], string> = {
  limit: 'LIMIT',
  'node-pressure': 'NODE PRESSURE',
  runtime: 'RUNTIME',
  'not-oom': 'NOT MEMORY',
  unknown: 'UNKNOWN',
};

export function renderText(v: Verdict, style: Style): string {
  const rows: [string, string][] = [];
  rows.push(['pod', `${v.pod.namespace}/${v.pod.name}${v.workload ? ` (${v.workload.kind} ${v.workload.name})` : ''}`]);
  if (v.container) {
    const t = v.termination;
    const how = t ? ` · exit ${t.exitCode}${t.signal ? ` ${t.signal}` : ''}${t.reason ? ` (${t.reason})` : ''} · ${t.restartCount} restart${t.restartCount === 1 ? '' : 's'}${t.finishedAt ? ` · ${t.finishedAt}` : ''}` : '';
    rows.push(['container', `${v.container}${v.containerType === 'container' ? '' : ` (${v.containerType})`}${how}`]);
  }
  if (v.node) rows.push(['node', `${v.node}${v.memory.nodeAllocatable ? ` · ${v.memory.nodeAllocatable} allocatable of ${v.memory.nodeCapacity ?? '?'}` : ''}`]);
  const m = v.memory;
  const podLevel = m.limitScope === 'pod' ? ' (pod-level: none of its own)' : '';
  const podLimit = m.podLimit && m.limitScope !== 'pod' ? `pod limit ${m.podLimit}` : undefined;
  rows.push(['memory', [`limit ${m.limit ?? 'none'}${podLevel}`, `request ${m.request ?? 'none'}`, podLimit, m.qosClass, m.usage ? `usage ${m.usage} (${m.usageSource})` : undefined].filter(Boolean).join(' · ')]);
  rows.push(['verdict', `${v.cause} / ${v.kind} · confidence ${v.confidence}${v.runtime ? ` · runtime ${v.runtime}` : ''}`]);
  const r = v.recommendation;
  if (r) {
    // The largest unit when exact (24.5Gi, not 25088Mi); the JSON output keeps the manifest quantity.
    const q = (text: string, bytes: number | undefined) => (bytes === undefined ? text : displayQuantity(text, bytes));
    const what = [r.memoryLimit && `${v.kind === 'pod-limit' ? 'pod-level ' : ''}memory limit ${q(r.memoryLimit, r.memoryLimitBytes)}`, r.memoryRequest && `memory request ${q(r.memoryRequest, r.memoryRequestBytes)}`, r.runtimeSetting && `${r.runtimeSetting.name}=${r.runtimeSetting.value}`].filter(Boolean).join(', ');
    rows.push(['recommend', `${what}${r.capped ? ' (capped)' : ''} — ${r.rationale}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `${style.cause(v.cause, LABELS[v.cause])}  ${style.bold(v.headline)}`,
    v.summary,
    '',
    ...rows.map(([k, val]) => `  ${style.dim(k.padEnd(width))}  ${val}`),
    '',
    `${style.bold('What to do:')} ${v.action}`,
    '',
    style.bold('Evidence'),
    ...v.evidence.map((e) => `  • ${e}`),
  ];
  const unseen = notSeen(v);
  if (unseen.length) lines.push('', style.bold('Not seen'), ...unseen.map((e) => `  • ${e}`));
  return `${lines.join('\n')}\n`;
}
