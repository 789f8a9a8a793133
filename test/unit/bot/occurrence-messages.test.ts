// The messages of an occurrence's group (bot/occurrence-messages.ts): the counter line each kind of story carries on
// its root, and a node's OOM with the node's own text escaped.
import { describe, expect, it } from 'vitest';
import { nodeOomMessages, podMessages } from '../../../bot/occurrence-messages.ts';
import { buildEnvelope } from '../../../forwarder/envelopes.ts';
import { diagnose } from '#shared/diagnose.ts';
import { EnvelopeSchema, type Envelope, type NodeMemoryUser, type OccurrenceMemory } from '#shared/envelope.ts';
import { nodeEventOccurrence } from '#shared/occurrences.ts';
import { GiB, MiB } from '#shared/quantity.ts';
import { SLACK_LIMITS } from '../../../bot/slack-limits.ts';
import { at, container, downStatus, event, node, pod } from '../../support/k8s-factories.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const occurredAt = '2026-11-27T10:17:41Z';
const now = Date.parse(occurredAt);
const ctx = { cluster: 'prod-eu', incidentId: 'inc-9c1d', occurredAt, now };
const minutes = (n: number) => now - n * 60_000;
const user = (namespace: string, p: string, c: string, workingSet: number, request?: number): NodeMemoryUser => ({ namespace, pod: p, container: c, workingSetBytes: workingSet, ...(request !== undefined ? { requestBytes: request } : {}) });
/** A node's top users at the forwarder's last sample, biggest first, as the envelope carries them (forwarder/sampler.ts). */
const top = [
  user('shop', 'web-5c7d8f6b9-m4tzr', 'web', 1.8 * GiB, 512 * MiB),
  user('shop', 'checkout-7d9f8b6c5-x2k9d', 'api', 1.4 * GiB, 512 * MiB),
  user('analytics', 'reports-0', 'reports', 900 * MiB),
  user('search', 'es-0', 'es', 800 * MiB, 600 * MiB),
  user('kube-system', 'coredns-5d78c9869d-abcde', 'coredns', 60 * MiB, 70 * MiB),
];
const sectionTexts = (blocks: unknown[]) => blocks.filter((b) => (b as { type: string }).type === 'section').map((b) => (b as { text: { text: string } }).text.text);

describe('podMessages', () => {
  it('offers no Raise limit button where the cluster cannot patch, and says why where the button would be, the size kept in the text', () => {
    const actions = (blocks: unknown[]) => blocks.flatMap((b) => ((b as { type: string; elements?: { action_id?: string }[] }).type === 'actions' ? ((b as { elements: { action_id?: string }[] }).elements ?? []) : [])).map((e) => e.action_id);
    const roles = (blocks: unknown[]) => blocks.map((b) => (b as { block_id?: string; type: string }).block_id ?? (b as { type: string }).type);
    const on = podMessages(limitVerdict(), ctx);
    const off = podMessages(limitVerdict(), { ...ctx, raiseOff: true });
    expect(actions(on.first().blocks)).toEqual(['oombot_raise', 'oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
    expect(actions(off.first().blocks)).toEqual(['oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
    expect(roles(off.first().blocks)).toEqual(['header', 'section', 'section', 'section', 'oombot-raise-off', 'oombot-actions', 'section', 'context']);
    expect(off.first().blocks.find((b) => (b as { block_id?: string }).block_id === 'oombot-raise-off')).toEqual({ type: 'context', block_id: 'oombot-raise-off', elements: [{ type: 'mrkdwn', text: 'Raise limit is off for cluster prod-eu: it has no patch token (README, "Deploy the backend", step 4).' }] });
    expect(sectionTexts(off.first().blocks).join('\n')).toContain('640Mi');
    // A death after a fix on such a cluster offers no button either.
    expect(actions(off.handledReply!().blocks)).toEqual(['oombot_mute_1h', 'oombot_mute_24h', 'oombot_why']);
    // A verdict that offers no change says nothing about the button.
    const noChange = { ...limitVerdict(), recommendation: undefined };
    expect(roles(podMessages(noChange, { ...ctx, raiseOff: true }).first().blocks)).not.toContain('oombot-raise-off');
  });

  it('counts a container’s deaths by its termination reason, since the group’s first, with the latest time', () => {
    expect(podMessages(limitVerdict(), ctx).counter(3, minutes(12))).toBe('OOMKilled 3× in 12 min · latest 10:17 UTC · see thread');
    expect(podMessages(limitVerdict(), ctx).counter(2, now)).toBe('OOMKilled 2× in 1 min · latest 10:17 UTC · see thread');
  });

  it('names the pods most above their requests in the evidence of an eviction alert, this pod marked', () => {
    const evicted = pod({
      name: 'web-5c7d8f6b9-m4tzr',
      namespace: 'shop',
      containers: [container({ name: 'web', limit: '4Gi', request: '512Mi' })],
      statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(0) })],
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 89Mi. Container web was using 1.8Gi, request is 512Mi, has larger consumption of memory. ' },
    });
    const verdict = diagnose({ pod: evicted, node: node({ memoryPressure: true }), events: [], memory: { nodeTop: top, nodeSampledAt: '2026-11-27T10:17:30Z' } });
    const evidence = sectionTexts(podMessages(verdict, ctx).first().blocks).find((t) => t.startsWith('*Evidence*'))!;
    expect(evidence.split('\n').at(-1)).toBe(
      "• most above their requests on node ip-10-0-12-7 at 10:17:30 UTC (the forwarder's last sample): shop/web-5c7d8f6b9-m4tzr › web (this pod) used 1.8Gi over its 512Mi request; shop/checkout-7d9f8b6c5-x2k9d › api used 1.4Gi over its 512Mi request; analytics/reports-0 › reports used 900Mi with no request",
    );
  });

  it('replies under a handled alert with the fix’s standing and the buttons again: sized from this death, none while the raised limit has not reached the pod, and an eviction not called "again"', () => {
    const sections = (m: { blocks: unknown[] }) => sectionTexts(m.blocks);
    const actions = (m: { blocks: unknown[] }) => (m.blocks as { type: string; elements?: { action_id: string; text: { text: string } }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => `${e.action_id}:${e.text.text}`));
    const again = podMessages(limitVerdict(), ctx).handledReply!();
    expect(sections(again)).toContain('Died again after the fix was applied, at its 512Mi limit: raise it again below, or suspect a leak if memory climbs after each restart.');
    expect(actions(again)).toEqual(['oombot_raise:Raise limit to 640Mi', 'oombot_mute_1h:Mute 1 h', 'oombot_mute_24h:Mute 24 h', 'oombot_why:Why?']);
    // The context line stays last, as in any repeat.
    expect((again.blocks.at(-1) as { type: string }).type).toBe('context');
    // The workload holds as much already (same value, another spelling): the fix is in force, the button offered.
    expect(actions(podMessages(limitVerdict(), { ...ctx, workloadLimit: '0.5Gi' }).handledReply!())[0]).toBe('oombot_raise:Raise limit to 640Mi');
    const pending = podMessages(limitVerdict(), { ...ctx, workloadLimit: '640Mi' }).handledReply!();
    expect(sections(pending)).toContain('Died again with its old 512Mi limit: the workload holds 640Mi already, which this pod did not run with yet (its rollout may still be under way).');
    expect(actions(pending)).toEqual(['oombot_mute_1h:Mute 1 h', 'oombot_mute_24h:Mute 24 h', 'oombot_why:Why?']);
    const evicted = diagnose({
      pod: pod({ name: 'web-7', containers: [container({ name: 'web', limit: '2Gi', request: '256Mi' })], statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(0) })], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. ' } }),
      node: node({ memoryPressure: true }),
      events: [],
    });
    const eviction = podMessages(evicted, ctx).handledReply!();
    expect(sections(eviction)).toContain("The first alert of this node's evictions was handled; this eviction's own buttons are below.");
    expect(actions(eviction)[0]).toBe('oombot_raise:Set request to 992Mi');
  });

  it('counts a node’s evictions by node, naming the latest pod', () => {
    const evicted = diagnose({
      pod: pod({ name: 'web-7', containers: [container({ name: 'web', limit: '2Gi', request: '256Mi' })], statuses: [downStatus('web', { reason: 'Error', exitCode: 137, finishedAt: at(0) })], status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. Container web was using 900Mi, request is 256Mi, has larger consumption of memory. ' } }),
      node: node(),
      events: [],
    });
    expect(podMessages(evicted, ctx).counter(30, minutes(1))).toBe('30 pods evicted from node ip-10-0-12-7 in 1 min · latest web-7 · see thread');
  });

  it('puts the Raise button and the runbook on the first alert, and the incident id in every button', () => {
    const first = podMessages(limitVerdict(), { ...ctx, runbookUrl: 'https://wiki.example.com/oom-limit' }).first();
    const actions = first.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string; url?: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([['oombot_raise', 'inc-9c1d'], ['oombot_runbook', 'inc-9c1d'], ['oombot_mute_1h', 'inc-9c1d'], ['oombot_mute_24h', 'inc-9c1d'], ['oombot_why', 'inc-9c1d']]);
    expect(actions.elements[1]!.url).toBe('https://wiki.example.com/oom-limit');
  });
});

describe('nodeOomMessages', () => {
  const envelope = (message: string, memory?: OccurrenceMemory) => {
    const e = { ...event({ reason: 'SystemOOM', message, at: occurredAt }), count: 1 };
    return EnvelopeSchema.parse(buildEnvelope('prod-eu', nodeEventOccurrence('prod-eu', e)!, undefined, [], new Date(), memory)) as Extract<Envelope, { kind: 'node-oom' }>;
  };
  const systemOom = 'System OOM encountered, victim process: java, pid: 7';

  it('names the three pods most above their requests at the last sample, in the first message and each reply', () => {
    const messages = nodeOomMessages(envelope(systemOom, { nodeTop: top, nodeSampledAt: '2026-11-27T10:17:30Z' }), 'ip-10-0-12-7', ctx);
    const evidence = "*Evidence*\n• most above their requests on node ip-10-0-12-7 at 10:17:30 UTC (the forwarder's last sample): shop/web-5c7d8f6b9-m4tzr › web used 1.8Gi over its 512Mi request; shop/checkout-7d9f8b6c5-x2k9d › api used 1.4Gi over its 512Mi request; analytics/reports-0 › reports used 900Mi with no request";
    expect(sectionTexts(messages.first().blocks)).toEqual([expect.stringMatching(/^The kernel's OOM killer acted for the whole node/), evidence]);
    expect(sectionTexts(messages.reply().blocks).at(-1)).toBe(evidence);
    expect(messages.first().blocks.at(-1)).toMatchObject({ type: 'context' });
  });

  it('shows no evidence without samples, or when every top user stayed within its request', () => {
    expect(sectionTexts(nodeOomMessages(envelope(systemOom), 'ip-10-0-12-7', ctx).first().blocks)).toHaveLength(1);
    const within = [user('shop', 'api-0', 'api', 400 * MiB, 512 * MiB), user('kube-system', 'coredns-0', 'coredns', 60 * MiB, 70 * MiB)];
    expect(sectionTexts(nodeOomMessages(envelope(systemOom, { nodeTop: within }), 'ip-10-0-12-7', ctx).first().blocks)).toHaveLength(1);
  });

  it('escapes and clips the names the envelope carried: no mention or link of their own reaches Slack', () => {
    const hostile = [user('<!channel>', `<https://evil.example|click>${'x'.repeat(1200)}`, 'a&b', 3 * GiB), user('shop', 'p'.repeat(1500), 'c'.repeat(1500), 2 * GiB), user('ops', 'q'.repeat(1500), 'r', GiB)];
    const [, evidence] = sectionTexts(nodeOomMessages(envelope(systemOom, { nodeTop: hostile }), 'ip-10-0-12-7', ctx).first().blocks);
    expect(evidence).toMatch(/^\*Evidence\*\n• most above their requests on node ip-10-0-12-7 \(the forwarder's last sample\): &lt;!channel&gt;\/&lt;https:\/\/evil\.example\|click&gt;x+ › a&amp;b used 3Gi with no request; /);
    expect(evidence).not.toMatch(/<|>/);
    expect(evidence!.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(evidence!.endsWith('…')).toBe(true);
  });

  it('says the node ran out, then again, and counts its OOMs', () => {
    const messages = nodeOomMessages(envelope('System OOM encountered, victim process: java, pid: 7'), 'ip-10-0-12-7', ctx);
    expect(messages.first().text).toBe('🟠 Node ip-10-0-12-7 ran out of memory (prod-eu)');
    expect(messages.reply().text).toBe('Node ip-10-0-12-7 ran out of memory again at 10:17 UTC');
    expect(messages.counter(4, minutes(25))).toBe('node-wide OOM 4× in 25 min · latest 10:17 UTC · see thread');
    expect(JSON.stringify(messages.first().blocks)).toContain('prod-eu · node ip-10-0-12-7 · 10:17 UTC · inc-9c1d');
  });

  it('escapes what the node wrote: no mention or link of its own reaches Slack', () => {
    const section = nodeOomMessages(envelope('System OOM encountered <!channel> <https://evil.example|click>'), 'ip-10-0-12-7', ctx).first().blocks[1] as { text: { text: string } };
    expect(section.text.text).not.toContain('<!channel>');
    expect(section.text.text).toContain('&lt;!channel&gt;');
  });
});
