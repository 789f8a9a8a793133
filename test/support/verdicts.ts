// A real verdict for tests that need one to store (an incident holds its Verdict, checked on every read): the limit
// OOM of checkout › api, diagnosed by the engine itself, not written by hand.
import { diagnose } from '#shared/diagnose.ts';
import type { Verdict } from '#shared/verdict.ts';
import { container, node, pod, restartedStatus } from './k8s-factories.ts';

export function limitVerdict(): Verdict {
  return diagnose({
    pod: pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 4)] }),
    node: node(),
    events: [],
  });
}
