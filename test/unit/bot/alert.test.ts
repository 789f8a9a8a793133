// The alert's blocks for a verdict: the limit case exactly as docs/alert-style.md orders it, and Slack's limits for
// every cause.
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../../bot/alert.ts';
import { SLACK_LIMITS } from '../../../bot/slack-limits.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Verdict } from '#shared/verdict.ts';
import { at, container, downStatus, event, node, pod, podEvent, restartedStatus, T0 } from '../../support/k8s-factories.ts';

const ctx = { cluster: 'prod-eu', incidentId: 'inc-7f3a', occurredAt: T0 };
const limitPod = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] });
const profile = pod({ deployment: 'profile', containers: [container({ name: 'app', limit: '1Gi' })], statuses: [restartedStatus('app', { reason: 'Error', exitCode: 137 }, 6)] });

/** One verdict per example in docs/alert-style.md. */
const verdicts: Record<string, Verdict> = {
  limit: diagnose({ pod: limitPod, node: node(), events: [] }),
  eviction: diagnose({
    pod: pod({
      name: 'web-5c7d8f6b9-m4tzr',
      containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })],
      statuses: [downStatus('web', { reason: 'Error', exitCode: 137 })],
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using 1.8Gi, request is 512Mi, has larger consumption of memory. ' },
    }),
    node: node({ memoryPressure: true }),
    events: [],
  }),
  nodeOom: diagnose({
    pod: pod({ name: 'reports-1', containers: [container({ name: 'reports', request: '256Mi', command: ['python3'] })], statuses: [restartedStatus('reports', { reason: 'OOMKilled', exitCode: 137 }, 1)] }),
    node: node(),
    events: [event({ reason: 'SystemOOM', message: 'System OOM encountered, victim process: python3, pid: 1', at: at(1) })],
  }),
  runtime: diagnose({
    pod: pod({ deployment: 'graphql-gateway', containers: [container({ name: 'gateway', limit: '4Gi', env: { NODE_OPTIONS: '--max-old-space-size=2048' } })], statuses: [restartedStatus('gateway', { reason: 'Error', exitCode: 134, message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }, 2)] }),
    events: [],
  }),
  notMemory: diagnose({
    pod: profile,
    node: node(),
    events: [podEvent(profile, { reason: 'Killing', message: 'Container app failed liveness probe, will be restarted', container: 'app', at: at(-2) })],
  }),
  unknown: diagnose({ pod: pod({ name: 'memtest', containers: [container({ name: 'memtest', limit: '10Mi' })], statuses: [restartedStatus('memtest', { reason: 'Error', exitCode: 137 }, 1)] }), node: node(), events: [] }),
};

describe('renderAlert', () => {
  it('renders a limit OOM in the order of docs/alert-style.md', () => {
    const alert = renderAlert(verdicts['limit']!, { ...ctx, repeat: { count: 4, sinceMinutes: 38 } });
    expect(alert.text).toBe('checkout › api was OOMKilled at its 512Mi memory limit (prod-eu)');
    expect(alert.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '🔴 checkout › api was OOMKilled at its 512Mi memory limit', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'The container used all the memory it is allowed; the node was fine (14Gi allocatable, no MemoryPressure). 4th time in 38 min.' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'Limit 512Mi · request 256Mi · Burstable · restarts 4 · exit 137 (OOMKilled) · node 14Gi allocatable' } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'If load grew, raise the limit to 640Mi (+25 %; fits the node); if memory climbs steadily after each restart, suspect a leak first.' },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '*Evidence*',
            `• container api: lastState.terminated reason OOMKilled, exit 137 (SIGKILL) at ${T0}, 4 restarts`,
            '• memory limit 512Mi, request 256Mi (pod spec)',
            '• no SystemOOM or node-wide kernel OOM event on node ip-10-0-12-7 within 2 min of the kill',
            '• node ip-10-0-12-7: allocatable 14Gi, MemoryPressure=False since 2026-11-27T10:13:03Z',
          ].join('\n'),
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'prod-eu · shop · deploy/checkout · ip-10-0-12-7 · 10:14 UTC · inc-7f3a' }] },
    ]);
  });

  it.each(Object.entries(verdicts))('%s: fits Slack’s limits and says what was not seen', (_name, verdict) => {
    const { blocks } = renderAlert(verdict, ctx);
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    const all = blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[];
    const longest = (type: string, size: (b: (typeof all)[number]) => number) => Math.max(0, ...all.filter((b) => b.type === type).map(size));
    expect(longest('header', (b) => b.text!.text.length)).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    expect(longest('section', (b) => b.text!.text.length)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(longest('context', (b) => b.elements!.length)).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    const missing = blocks.find((b) => b.type === 'context' && JSON.stringify(b).includes('Not seen:'));
    expect(!!missing).toBe(verdict.missing.length > 0);
  });

  it('starts with the icon of its cause', () => {
    const icons = Object.fromEntries(Object.entries(verdicts).map(([k, v]) => [k, [...(renderAlert(v, ctx).blocks[0] as { text: { text: string } }).text.text][0]]));
    expect(icons).toEqual({ limit: '🔴', eviction: '🟠', nodeOom: '🟠', runtime: '🟡', notMemory: '⚪', unknown: '⚪' });
  });

  it('keeps a long evidence list inside one section and says how many more there were', () => {
    const long = { ...verdicts['limit']!, evidence: Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(150)}`) };
    const text = (renderAlert(long, ctx).blocks[4] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(text).toMatch(/\n…and \d+ more \(see \/oom why\)$/);
  });

  it('escapes what the cluster wrote, so a message cannot inject links or mentions', () => {
    const sneaky = { ...verdicts['unknown']!, evidence: ['termination message: "<!channel> <https://evil.example|click>"'] };
    const text = JSON.stringify(renderAlert(sneaky, ctx).blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});
