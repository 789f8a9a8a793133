// "Not seen" as data (shared/unseen.ts): each source and reason as the sentence people read, the caller's entry over
// the engine's for the same source, and verdicts stored before the entries existed still read and rendered.
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../bot/alert.ts';
import { renderText } from '../../cli/render-text.ts';
import { decodeIncident, encodeIncident, type Incident } from '../../store/port.ts';
import { mergeUnseen, notSeen, UnseenReasonSchema, UnseenSourceSchema, unseenSentence, type UnseenEntry } from '#shared/unseen.ts';
import { VerdictSchema } from '#shared/verdict.ts';
import { limitVerdict } from '../support/verdicts.ts';

const NODE = 'ip-10-0-12-7';

describe('unseenSentence', () => {
  // Every pair the engine, kube/collect.ts, cli/dump-input.ts and bot/post-occurrence.ts produce, with its exact words.
  it.each<[UnseenEntry, string]>([
    // The engine, about what it was not given or did not find.
    [{ source: 'node', reason: 'not-given' }, 'the node object (allocatable, MemoryPressure)'],
    [{ source: 'events', reason: 'not-given' }, 'events of the pod and its node'],
    [{ source: 'eviction-message', reason: 'not-reported' }, 'the eviction message naming the starved resource (pod status.message or the Evicted event)'],
    [{ source: 'eviction-usage', reason: 'not-reported' }, 'which containers used more than their request (not in the eviction message)'],
    [{ source: 'node-oom-event', reason: 'not-reported' }, 'a SystemOOM or kernel OOM event on the node to tell a node-wide OOM from the kubepods cgroup running out'],
    [{ source: 'kernel-log', reason: 'not-reported', detail: '2026-11-27T10:14:03Z' }, "node-problem-detector OOMKilling events or the node's kernel log around 2026-11-27T10:14:03Z"],
    [{ source: 'kernel-log', reason: 'not-reported' }, "node-problem-detector OOMKilling events or the node's kernel log around the kill"],
    [{ source: 'runtime-version', reason: 'not-reported' }, 'the container runtime version (old runtimes reported OOM kills as Error/137)'],
    [{ source: 'termination-log', reason: 'not-reported' }, "the container's last log lines (terminationMessagePolicy: FallbackToLogsOnError puts them in the termination message)"],
    [{ source: 'runtime-setting', reason: 'not-reported', detail: "Redis's maxmemory" }, "Redis's maxmemory: not on its command line (a config file sets it, or it is unlimited)"],
    // The forwarder's samples of the container before the kill (shared/trajectory.ts, shared/diagnosis-input.ts).
    [{ source: 'memory-samples', reason: 'too-few', detail: '5 samples over 2 min; at least 8 over 4 min needed' }, "the container's memory before the kill (the forwarder's samples): too few to tell (5 samples over 2 min; at least 8 over 4 min needed)"],
    [{ source: 'memory-samples', reason: 'failed', detail: 'sent in a form this version cannot read' }, "the container's memory before the kill (the forwarder's samples): sent in a form this version cannot read"],
    [{ source: 'memory-samples', reason: 'not-reported' }, "the container's memory before the kill, to tell a leak from load (the forwarder sent no samples of it)"],
    // The CLI's files.
    [{ source: 'node', reason: 'not-in-input', detail: `add kubectl get node ${NODE} -o json; they hold node ip-10-0-99-1` }, `the node object (${NODE}): not in the input files (add kubectl get node ${NODE} -o json; they hold node ip-10-0-99-1)`],
    [{ source: 'node-pods', reason: 'not-in-input', detail: 'add kubectl get pods -A' }, `other pods on node ${NODE} (to size what the node can give): not in the input files (add kubectl get pods -A)`],
    [{ source: 'events', reason: 'not-in-input', detail: 'add kubectl get events -n shop -o json' }, 'events: not in the input files (add kubectl get events -n shop -o json)'],
    [{ source: 'kubelet-summary', reason: 'not-in-input' }, 'kubelet stats (Summary API): not in the input files'],
    // The API server, live.
    [{ source: 'pod-events', reason: 'not-permitted', detail: 'events is forbidden' }, 'events of the pod: forbidden (events is forbidden)'],
    [{ source: 'node', reason: 'not-permitted', detail: 'nodes "x" is forbidden' }, `the node object (${NODE}): forbidden (nodes "x" is forbidden)`],
    [{ source: 'node-events', reason: 'timed-out' }, `events of node ${NODE}: no answer in time`],
    [{ source: 'node-pods', reason: 'unreachable' }, `other pods on node ${NODE} (to size what the node can give): the request failed (no connection)`],
    [{ source: 'metrics', reason: 'not-found' }, 'metrics.k8s.io (current working set): not served by this cluster'],
    [{ source: 'metrics', reason: 'absent' }, 'metrics.k8s.io (current working set): no sample of this pod yet'],
    [{ source: 'metrics', reason: 'failed', detail: 'etcdserver: leader changed (HTTP 500)' }, 'metrics.k8s.io (current working set): etcdserver: leader changed (HTTP 500)'],
    // nodes/proxy is opt-in: its refusal is named as such, whatever the API server's words.
    [{ source: 'kubelet-summary', reason: 'not-permitted', detail: 'nodes "x" is forbidden' }, 'kubelet stats (Summary API): nodes/proxy not granted (opt-in)'],
    [{ source: 'kubelet-config', reason: 'not-permitted' }, 'kubelet config (configz): nodes/proxy not granted (opt-in)'],
    [{ source: 'kubelet-summary', reason: 'no-address' }, 'kubelet stats (Summary API): the node lists no kubelet address to ask'],
    [{ source: 'kubelet-config', reason: 'timed-out' }, 'kubelet config (configz): no answer in time'],
    // pods/log is opt-in (logs can hold secrets): the dead run's log, for its last words (kube/last-words.ts).
    [{ source: 'previous-log', reason: 'not-enabled' }, "the dead container's log: not read (pods/log is opt-in)"],
    [{ source: 'previous-log', reason: 'not-permitted', detail: 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy)' }, "the dead container's log: forbidden (Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy))"],
    [{ source: 'previous-log', reason: 'not-found' }, "the dead container's log: no longer kept by the kubelet"],
    [{ source: 'previous-log', reason: 'superseded' }, "the dead container's log: it ran again since, and only the later run's log is left"],
    [{ source: 'previous-log', reason: 'timed-out' }, "the dead container's log: no answer in time"],
    [{ source: 'previous-log', reason: 'unreachable' }, "the dead container's log: the request failed (no connection)"],
    [{ source: 'previous-log', reason: 'no-address' }, "the dead container's log: the node lists no kubelet address to ask"],
    [{ source: 'previous-log', reason: 'failed', detail: 'HTTP 502' }, "the dead container's log: HTTP 502"],
    // The owner check's own sentence, and a cluster oombot cannot ask.
    [{ source: 'owner', reason: 'not-verified', detail: 'the owner ReplicaSet/checkout-7d9f8b6c5 the pod names: not found; treated as a bare pod' }, 'the owner ReplicaSet/checkout-7d9f8b6c5 the pod names: not found; treated as a bare pod'],
    [{ source: 'cluster', reason: 'not-registered', detail: 'elsewhere' }, 'the cluster "elsewhere" is not registered with oombot: only what the forwarder sent was used, and the pod\'s owner could not be checked'],
  ])('%j reads "%s"', (entry, sentence) => {
    expect(UnseenSourceSchema.parse(entry.source)).toBe(entry.source);
    expect(unseenSentence(entry, NODE)).toBe(sentence);
  });

  it('says every source with every reason, with and without words, naming the source and nothing undefined', () => {
    for (const source of UnseenSourceSchema.options) {
      for (const reason of UnseenReasonSchema.options) {
        for (const entry of [{ source, reason }, { source, reason, detail: 'DETAIL' }]) {
          // The entry leads the text, so a failure names the pair.
          const said = `${JSON.stringify(entry)} → ${unseenSentence(entry, NODE)}`;
          expect(said).toMatch(/→ \S/);
          expect(said).not.toMatch(/undefined|null|\[object/);
        }
      }
    }
  });

  it('tells the engine lines about one source apart from one another', () => {
    const engine = UnseenSourceSchema.options.map((source) => unseenSentence({ source, reason: 'not-reported' }, NODE));
    expect(new Set(engine).size).toBe(engine.length);
  });
});

describe('mergeUnseen', () => {
  const nodeGiven: UnseenEntry = { source: 'node', reason: 'not-given' };
  const eventsGiven: UnseenEntry = { source: 'events', reason: 'not-given' };

  it("lets the caller's entry replace the engine's for the same source", () => {
    const caller: UnseenEntry[] = [{ source: 'node', reason: 'not-permitted', detail: 'nodes is forbidden' }];
    expect(mergeUnseen(caller, [nodeGiven, eventsGiven])).toEqual([caller[0], eventsGiven]);
  });

  it('keeps both where caller and engine speak of different sources, the caller first', () => {
    const caller: UnseenEntry[] = [{ source: 'metrics', reason: 'not-found' }];
    expect(mergeUnseen(caller, [nodeGiven])).toEqual([caller[0], nodeGiven]);
  });

  it("lets a caller's word on a part (events of the pod, of the node) answer the engine's line on the whole", () => {
    expect(mergeUnseen([{ source: 'pod-events', reason: 'not-permitted' }], [eventsGiven])).toEqual([{ source: 'pod-events', reason: 'not-permitted' }]);
    expect(mergeUnseen([{ source: 'node-events', reason: 'timed-out' }], [eventsGiven])).toEqual([{ source: 'node-events', reason: 'timed-out' }]);
    // Not the other way round: the whole is no part of events of the node.
    expect(mergeUnseen([{ source: 'events', reason: 'not-in-input' }], [{ source: 'node-oom-event', reason: 'not-reported' }])).toHaveLength(2);
  });

  it('lists an entry said twice once', () => {
    const twice: UnseenEntry = { source: 'owner', reason: 'not-verified', detail: 'the owner X' };
    expect(mergeUnseen([twice, { ...twice }], [])).toEqual([twice]);
    expect(mergeUnseen([], [nodeGiven, { ...nodeGiven }])).toEqual([nodeGiven]);
  });
});

describe('a verdict stored before unseen existed', () => {
  const current = limitVerdict();
  const old: Record<string, unknown> = { ...current, missing: ['events of the pod: forbidden (events is forbidden)'] };
  delete old['unseen'];
  const stored = (verdict: unknown): Incident => decodeIncident({ ...encodeIncident({ incidentId: 'inc-1', occurrenceId: 'term-1', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: 'limit', kind: 'container-limit', headline: current.headline, occurredAt: '2026-11-27T10:14:03Z', message: { channel: 'C1', ts: '1.000001' }, verdict: current }), verdict: JSON.stringify(verdict) });

  it('decodes without it, and is rendered from the sentences it was stored with', () => {
    const v = stored(old).verdict;
    expect(v.unseen).toBeUndefined();
    expect(notSeen(v)).toEqual(['events of the pod: forbidden (events is forbidden)']);
    expect(renderText(v, { bold: (s) => s, dim: (s) => s, cause: (_c, s) => s })).toContain('\nNot seen\n  • events of the pod: forbidden (events is forbidden)\n');
    expect(JSON.stringify(renderAlert(v, { cluster: 'prod-eu', incidentId: 'inc-1', occurredAt: '2026-11-27T10:14:03Z' }).blocks)).toContain('Not seen: events of the pod: forbidden (events is forbidden)');
  });

  it('drops entries a newer version wrote with a source this one does not know, and keeps the verdict and its sentences', () => {
    const v = stored({ ...old, unseen: [{ source: 'kernel-ring-buffer', reason: 'not-reported' }] }).verdict;
    expect(v.unseen).toBeUndefined();
    expect(notSeen(v)).toEqual(['events of the pod: forbidden (events is forbidden)']);
  });

  it('renders a verdict that has entries from them', () => {
    const v = VerdictSchema.parse({ ...old, node: NODE, unseen: [{ source: 'metrics', reason: 'not-found' }], missing: ['worded by an older version'] });
    expect(notSeen(v)).toEqual(['metrics.k8s.io (current working set): not served by this cluster']);
  });
});
