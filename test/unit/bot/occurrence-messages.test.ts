// The messages of an occurrence's group (bot/occurrence-messages.ts): the counter line each kind of story carries on
// its root, and a node's OOM with the node's own text escaped.
import { describe, expect, it } from 'vitest';
import { nodeOomMessages, podMessages } from '../../../bot/occurrence-messages.ts';
import { buildEnvelope } from '../../../forwarder/envelopes.ts';
import { diagnose } from '#shared/diagnose.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import { nodeEventOccurrence } from '#shared/occurrences.ts';
import { at, container, downStatus, event, node, pod } from '../../support/k8s-factories.ts';
import { limitVerdict } from '../../support/verdicts.ts';

const occurredAt = '2026-11-27T10:17:41Z';
const now = Date.parse(occurredAt);
const ctx = { cluster: 'prod-eu', incidentId: 'inc-9c1d', occurredAt, now };
const minutes = (n: number) => now - n * 60_000;

describe('podMessages', () => {
  it('counts a container’s deaths by its termination reason, since the group’s first, with the latest time', () => {
    expect(podMessages(limitVerdict(), ctx).counter(3, minutes(12))).toBe('OOMKilled 3× in 12 min · latest 10:17 UTC · see thread');
    expect(podMessages(limitVerdict(), ctx).counter(2, now)).toBe('OOMKilled 2× in 1 min · latest 10:17 UTC · see thread');
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
  const envelope = (message: string) => {
    const e = { ...event({ reason: 'SystemOOM', message, at: occurredAt }), count: 1 };
    return EnvelopeSchema.parse(buildEnvelope('prod-eu', nodeEventOccurrence('prod-eu', e)!, undefined, [], new Date())) as Extract<Envelope, { kind: 'node-oom' }>;
  };

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
