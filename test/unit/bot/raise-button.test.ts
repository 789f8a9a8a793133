// The alert's Raise button for the new classes: a pod-level limit says it is the pod's (KEP-2837) and what it bounds;
// an injected sidecar gets no button, its action names the injector's annotation.
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../../bot/alert.ts';
import { proposedChange } from '../../../bot/raise-limit.ts';
import { diagnose } from '#shared/diagnose.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { container, node, pod, restartedStatus, T0 } from '../../support/k8s-factories.ts';

const ctx = { cluster: 'prod-eu', incidentId: 'inc-9c1d', occurredAt: T0 };
type Element = { action_id?: string; text: { text: string }; confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string } } };

function buttonsOf(blocks: unknown[]): Element[] {
  return (blocks as { type: string; elements?: Element[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

describe('the Raise button', () => {
  it("for a pod-level limit: the pod's limit, what it bounds, before and after", () => {
    const p: Pod = pod({ deployment: 'search', containers: [container({ name: 'api', request: '1Gi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)] });
    p.spec.resources = { limits: { memory: '3Gi' }, requests: { memory: '2Gi' } };
    const v = diagnose({ pod: p, node: node(), events: [] });
    const raise = proposedChange(v)!;
    const alert = renderAlert(v, { ...ctx, buttons: { raise } });
    const button = buttonsOf(alert.blocks).find((e) => e.text.text.startsWith('Raise'))!;
    expect(button.text.text).toBe('Raise pod limit to 3840Mi');
    expect(button.confirm!.title.text).toBe("Raise the pod's limit?");
    expect(button.confirm!.text.text).toMatch(/^The pod-level memory limit of Deployment\/search \(shop\), which bounds api and the pod's other containers: 3Gi → 3840Mi\./);
    expect(button.confirm!.confirm.text).toBe('Yes, 3840Mi');
    expect(JSON.stringify(alert.blocks)).toContain('Limit 3Gi (pod-level) · request 1Gi');
  });

  it('for an injected sidecar: none at all', () => {
    const p = pod({
      deployment: 'web',
      containers: [container({ name: 'web', limit: '768Mi' }), container({ name: 'linkerd-proxy', limit: '250Mi', request: '20Mi' })],
      statuses: [restartedStatus('linkerd-proxy', { reason: 'OOMKilled', exitCode: 137 }, 2)],
      metadata: { annotations: { 'linkerd.io/proxy-version': 'stable-2.14.10' } },
    });
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(proposedChange(v)).toBeUndefined();
    const alert = renderAlert(v, ctx);
    expect(buttonsOf(alert.blocks).map((e) => e.text.text)).not.toContainEqual(expect.stringMatching(/^Raise/));
    expect(JSON.stringify(alert.blocks)).toContain('config.linkerd.io/proxy-memory-limit');
  });
});
