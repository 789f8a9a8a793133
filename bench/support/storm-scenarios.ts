// The scenarios `npm run bench:backend` plays through analyze at Slack's rate limits (issue 13, "Measure it"): a storm
// across many workloads, one node's evictions, and one workload's repeats. Each is the occurrences the forwarder would
// publish, built from pods whose Deployment → ReplicaSet chain exists in the API server (so each pod is attributed to
// its Deployment as analyze checks it, docs/architecture.md "Security rules"), each with the time it is delivered.
import type { KubeConfig } from '@kubernetes/client-node';
import { buildEnvelope } from '../../forwarder/envelopes.ts';
import { trimPod } from '../../forwarder/trim.ts';
import { EnvelopeSchema, type Envelope } from '#shared/envelope.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { podOccurrences } from '#shared/occurrences.ts';
import { container, pod, restartedStatus } from '../../test/support/k8s-factories.ts';
import { createDeploymentChain } from '../../test/support/owner-chain.ts';

export const CLUSTER = 'bench';
export const NAMESPACE = 'shop';
/** The storm's pods run on these; the evictions come from EVICTING_NODE. */
export const NODES = ['node-0', 'node-1', 'node-2', 'node-3', 'node-4'];
export const EVICTING_NODE = 'ip-10-0-3-7';

/** What issue 13 asks of a scenario; undefined where it sets nothing. */
export interface Targets {
  maxMessages?: number;
  maxUpdates?: number;
  currentWithinMs?: number;
  /** The targets as the table prints them. */
  text: { messages: string; updates: string; current: string };
}

export interface Scenario {
  name: string;
  what: string;
  /** Each occurrence once, in the order they happened, with when the forwarder delivers it (epoch ms). */
  occurrences: { at: number; envelope: Envelope }[];
  targets: Targets;
}

/**
 * A container in CrashLoopBackOff dies again after the kubelet's back-off (10 s, then 20 s) and a second of running:
 * three deaths of a pod fit in a minute, a fourth does not.
 */
const DEATHS_AFTER_MS = [0, 11_000, 32_000];
/** The first deaths of a workload's pods are spread over this much; the last of three lands within a minute. */
const FIRST_DEATHS_OVER_MS = 20_000;

/**
 * 1,000 OOM kills over 55 Deployments within a minute (issue 13's storm: ≤ 25 messages, ≤ 60 updates, current within
 * 60 s): 334 pods, about six per Deployment over five nodes, each killed at its 512Mi limit three times.
 */
export async function stormAcrossWorkloads(kc: KubeConfig, t0: number): Promise<Scenario> {
  const workloads = Array.from({ length: 55 }, (_, w) => `svc-${String(w).padStart(2, '0')}`);
  // Three deaths of each of 334 pods are 1,002: the last two are left out.
  const occurrences = (await crashLoops(kc, t0, workloads, 334, { name: 'storm', uid: '8000' })).slice(0, 1_000);
  return {
    name: 'storm across many workloads',
    what: `${occurrences.length} OOM kills of 334 pods over ${workloads.length} Deployments within a minute`,
    occurrences,
    targets: { maxMessages: 25, maxUpdates: 60, currentWithinMs: 60_000, text: { messages: '≤ 25', updates: '≤ 60', current: '≤ 60 s' } },
  };
}

/**
 * 40 pods of 8 Deployments evicted from one node within a minute: one story (the node ran out), which issue 13 wants
 * read as today — one alert and its thread, no storm. Faster than one kubelet evicts (one pod per 10 s pass,
 * docs/domain.md §2): the same story, heavier.
 */
export async function nodeEvictions(kc: KubeConfig, t0: number): Promise<Scenario> {
  const workloads = Array.from({ length: 8 }, (_, w) => `batch-${w}`);
  const uids = await chains(kc, workloads);
  const occurrences = Array.from({ length: 40 }, (_, i) => {
    const workload = workloads[i % workloads.length]!;
    const at = t0 + i * 1_500;
    const p = pod({
      name: `${workload}-7d9f8b6c5-e${String(i).padStart(4, '0')}`,
      uid: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      deployment: workload,
      rsUid: uids.get(workload)!,
      node: EVICTING_NODE,
      containers: [container({ name: 'job', limit: '2Gi', request: '128Mi' })],
      // The kubelet's synthetic status for containers removed with an evicted pod: no times (docs/domain.md §1).
      statuses: [{ name: 'job', ready: false, restartCount: 0, state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' } }, lastState: {} }],
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container job was using 1048576Ki, request is 128Mi, has larger consumption of memory. ',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: new Date(at).toISOString() }],
      },
    });
    return { at, envelope: envelopeOf(p, at, 'pod-eviction') };
  });
  return {
    name: "one node's evictions",
    what: `${occurrences.length} pods of ${workloads.length} Deployments evicted from ${EVICTING_NODE} within a minute`,
    occurrences,
    targets: { maxMessages: 11, text: { messages: '≤ 11, as today', updates: '—', current: '—' } },
  };
}

/** One Deployment's six pods, each OOMKilled three times within a minute: one alert and its thread, as today. */
export async function oneWorkloadRepeats(kc: KubeConfig, t0: number): Promise<Scenario> {
  const occurrences = await crashLoops(kc, t0, ['checkout'], 6, { name: 'r', uid: '8100' });
  return {
    name: "one workload's repeats",
    what: `${occurrences.length} OOM kills of checkout's 6 pods within a minute`,
    occurrences,
    targets: { maxMessages: 11, text: { messages: '≤ 11, as today', updates: '—', current: '—' } },
  };
}

/** `pods` pods spread over the workloads, each dying DEATHS_AFTER_MS after its first death; in the order they died. */
async function crashLoops(kc: KubeConfig, t0: number, workloads: string[], pods: number, seed: { name: string; uid: string }): Promise<{ at: number; envelope: Envelope }[]> {
  const uids = await chains(kc, workloads);
  const deaths: { at: number; envelope: Envelope }[] = [];
  for (let p = 0; p < pods; p++) {
    const workload = workloads[p % workloads.length]!;
    const first = t0 + Math.floor((p * FIRST_DEATHS_OVER_MS) / pods);
    for (const [n, after] of DEATHS_AFTER_MS.entries()) {
      const at = first + after;
      const dead = pod({
        name: `${workload}-7d9f8b6c5-${seed.name}${String(p).padStart(4, '0')}`,
        uid: `00000000-0000-4000-${seed.uid}-${String(p).padStart(12, '0')}`,
        deployment: workload,
        rsUid: uids.get(workload)!,
        node: NODES[p % NODES.length]!,
        containers: [container({ name: 'api', limit: '512Mi', request: '256Mi' })],
        statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137, finishedAt: new Date(at).toISOString() }, n + 1)],
      });
      deaths.push({ at, envelope: envelopeOf(dead, at, 'container-termination') });
    }
  }
  return deaths.sort((a, b) => a.at - b.at);
}

async function chains(kc: KubeConfig, workloads: string[]): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  for (const w of workloads) uids.set(w, (await createDeploymentChain(kc, NAMESPACE, w, { containers: [{ name: 'api', image: `registry.example/${w}:1.0` }] })).rsUid);
  return uids;
}

function envelopeOf(p: Pod, at: number, kind: Envelope['kind']): Envelope {
  const occurrence = podOccurrences(CLUSTER, p, new Date(at).toISOString()).find((o) => o.kind === kind);
  if (!occurrence) throw new Error(`the bench's pod ${p.metadata.name} has no ${kind} occurrence`);
  return EnvelopeSchema.parse(buildEnvelope(CLUSTER, occurrence, trimPod(p), [], new Date(at)));
}
