// Who pushed a node over: of the node's top memory users at the forwarder's last sample (shared/envelope.ts
// `memory.nodeTop`), those that used most above their requests. A request far below real use is what over-packs a node
// and what the kubelet evicts by first (docs/domain.md §2, "Who goes first"), so these are the pods to name.
import type { NodeMemoryUser } from './envelope.ts';
import { formatBytes } from './quantity.ts';

/** Named in the evidence: enough to point at the culprits, few enough for one line on a phone. */
export const MAX_NAMED = 3;

export interface AboveRequest {
  user: NodeMemoryUser;
  /** Working set less request (no request: all of it). */
  overBytes: number;
  /** The diagnosed pod itself. */
  self: boolean;
}

/** The users above their requests, most above first, at most MAX_NAMED; `self` is the diagnosed pod, if any (a node-wide OOM has none). */
export function aboveRequests(top: readonly NodeMemoryUser[], self?: { namespace: string; pod: string }): AboveRequest[] {
  return top
    .map((user) => ({ user, overBytes: user.workingSetBytes - (user.requestBytes ?? 0), self: user.namespace === self?.namespace && user.pod === self.pod }))
    .filter((a) => a.overBytes > 0)
    .sort((a, b) => b.overBytes - a.overBytes)
    .slice(0, MAX_NAMED);
}

/** "shop/checkout-7d9f-x2k9d › api used 1.4Gi over its 512Mi request", "… used 900Mi with no request". */
export function aboveRequestText(a: AboveRequest): string {
  const { user } = a;
  const request = user.requestBytes ? `over its ${formatBytes(user.requestBytes)} request` : 'with no request';
  return `${user.namespace}/${user.pod} › ${user.container}${a.self ? ' (this pod)' : ''} used ${formatBytes(user.workingSetBytes)} ${request}`;
}

/** The evidence line: "most above their requests on node n1 at 10:13:30 UTC (forwarder's sample): a; b". */
export function nodeTopEvidence(above: readonly AboveRequest[], node: string | undefined, sampledAt: string | undefined): string {
  const when = sampledAt && !Number.isNaN(Date.parse(sampledAt)) ? ` at ${new Date(sampledAt).toISOString().slice(11, 19)} UTC` : '';
  return `most above their requests on ${node ? `node ${node}` : 'the node'}${when} (the forwarder's last sample): ${above.map(aboveRequestText).join('; ')}`;
}
