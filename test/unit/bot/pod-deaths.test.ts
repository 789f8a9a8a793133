// The alert of a pod whose containers died together (bot/pod-deaths.ts): its list of containers under the header,
// within Slack's section limit whatever the pod holds, with cluster text escaped.
import { describe, expect, it } from 'vitest';
import { podMessages } from '../../../bot/occurrence-messages.ts';
import { siblingRows, withDiedTogether } from '../../../bot/pod-deaths.ts';
import { SLACK_LIMITS } from '../../../bot/slack-limits.ts';
import { diagnose } from '#shared/diagnose.ts';
import { diedTogether } from '#shared/died-together.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { at, container, downStatus, node, pod } from '../../support/k8s-factories.ts';

const ctx = { cluster: 'prod-eu', incidentId: 'inc-9c1d', occurredAt: at(0), now: Date.parse(at(0)) };

/** A pod of `n` containers named by `name`, all OOMKilled in the same second, and its first container's alert. */
function alertOf(n: number, name: (i: number) => string) {
  const names = Array.from({ length: n }, (_, i) => name(i));
  const p = pod({ name: 'batch-0', containers: names.map((c) => container({ name: c, limit: '256Mi' })), statuses: names.map((c) => downStatus(c, { reason: 'OOMKilled', exitCode: 137, finishedAt: at(0) })) });
  const input = { pod: p, node: node(), events: [] };
  const [self] = podOccurrences('prod-eu', p);
  const verdict = diagnose(input, { container: names[0]! });
  const rows = [{ container: names[0]!, verdict }, ...siblingRows(input, diedTogether('prod-eu', p, self!))];
  return withDiedTogether(podMessages(verdict, ctx), false, rows).first();
}
const listOf = (blocks: unknown[]) => (blocks[1] as { block_id: string; text: { text: string } }).text.text;

describe('withDiedTogether', () => {
  it('lists each container with its reason, limit and use right under the header, and says how many in the notification', () => {
    const alert = alertOf(3, (i) => ['api', 'worker', 'cache'][i]!);
    expect((alert.blocks[0] as { type: string }).type).toBe('header');
    expect((alert.blocks[1] as { block_id: string }).block_id).toBe('oombot-together');
    expect(listOf(alert.blocks)).toBe(
      ['*3 containers of the pod died together, within 5 s:*', '• `api` — OOMKilled, exit 137 · limit 256Mi · use not recorded', '• `worker` — OOMKilled, exit 137 · limit 256Mi · use not recorded', '• `cache` — OOMKilled, exit 137 · limit 256Mi · use not recorded'].join('\n'),
    );
    expect(alert.text).toBe('batch-0 › api was OOMKilled at its 256Mi memory limit (prod-eu) (+2 more containers)');
    expect(alert.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  });

  it('keeps a pod of 60 long-named containers within one section, saying how many did not fit', () => {
    const alert = alertOf(60, (i) => `container-with-a-name-as-long-as-kubernetes-allows-${String(i).padStart(6, '0')}`);
    const list = listOf(alert.blocks);
    expect(list.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const shown = list.split('\n').filter((l) => l.startsWith('• ')).length;
    expect(list.endsWith(`\n…and ${60 - shown} more`)).toBe(true);
    expect(shown).toBeGreaterThan(10);
    expect(alert.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  });

  it('changes nothing for a container that died alone', () => {
    const alone = alertOf(1, () => 'api');
    expect(alone.blocks.some((b) => (b as { block_id?: string }).block_id === 'oombot-together')).toBe(false);
    expect(alone.text).not.toMatch(/more container/);
  });
});
