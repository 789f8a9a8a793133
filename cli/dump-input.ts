// `oombot explain --from-file`: diagnosis input from `kubectl get ... -o json` dumps, kubelet Summary responses and
// configz responses, in any number of files and any order.
import { readFile } from 'node:fs/promises';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { OombotError, toOombotError } from '#shared/errors.ts';
import {
  EventSchema,
  KubeletConfigzSchema,
  KubeletSummarySchema,
  NodeSchema,
  PodMetricsSchema,
  PodSchema,
  type KubeEvent,
  type KubeletConfigz,
  type KubeletSummary,
  type Node,
  type Pod,
  type PodMetrics,
} from '#shared/k8s-objects.ts';
import type { UnseenEntry } from '#shared/unseen.ts';
import { attributeOwnerFromFiles, isCheckedOwnerKind, type OwnerObject } from '../kube/owners.ts';

export interface Dump {
  pods: Pod[];
  events: KubeEvent[];
  /** True when the files held events or an (even empty) event list: "no events" differs from "events not given". */
  sawEvents: boolean;
  nodes: Node[];
  owners: OwnerObject[];
  summaries: KubeletSummary[];
  configz: KubeletConfigz[];
  podMetrics: PodMetrics[];
}

export async function readDump(files: string[]): Promise<Dump> {
  const dump: Dump = { pods: [], events: [], sawEvents: false, nodes: [], owners: [], summaries: [], configz: [], podMetrics: [] };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A file the person named: bad input (exit 2), whatever the file system said.
      const why = error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : toOombotError(error).message;
      throw new OombotError('bad-input', `cannot read ${file}: ${why}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new OombotError('bad-input', `${file} is not JSON (${error instanceof Error ? error.message : String(error)}); write it with kubectl get ... -o json`, { cause: error });
    }
    const before = countObjects(dump);
    addObject(dump, json, file);
    if (countObjects(dump) === before && !dump.sawEvents && !isEmptyList(json)) {
      throw new OombotError('bad-input', `${file} holds no Kubernetes object oombot reads (Pod, Event, Node, owner, List, kubelet Summary or configz)`);
    }
  }
  return dump;
}

function countObjects(d: Dump): number {
  return d.pods.length + d.events.length + d.nodes.length + d.owners.length + d.summaries.length + d.configz.length + d.podMetrics.length;
}

function isEmptyList(json: unknown): boolean {
  return isRecord(json) && Array.isArray(json['items']) && json['items'].length === 0;
}

function addObject(dump: Dump, json: unknown, file: string): void {
  if (!isRecord(json)) return;
  const kind = typeof json['kind'] === 'string' ? json['kind'] : undefined;
  if (Array.isArray(json['items'])) {
    if (kind === 'EventList' || (kind === 'List' && json['items'].some((i) => isRecord(i) && i['kind'] === 'Event'))) dump.sawEvents = true;
    for (const item of json['items']) addObject(dump, item, file);
    return;
  }
  const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, what: string): T => {
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new OombotError('bad-input', `${file}: a ${what} that does not look like one (${issue?.path.join('.') || 'object'}: ${issue?.message})`);
  };
  switch (kind) {
    case 'Pod':
      dump.pods.push(parse(PodSchema, 'Pod'));
      return;
    case 'Event':
      dump.sawEvents = true;
      dump.events.push('regarding' in json ? fromEventsV1(json) : parse(EventSchema, 'Event'));
      return;
    case 'Node':
      dump.nodes.push(parse(NodeSchema, 'Node'));
      return;
    case 'PodMetrics':
      dump.podMetrics.push(parse(PodMetricsSchema, 'PodMetrics'));
      return;
  }
  // The owners a pod's link is checked against (kube/owners.ts), the kinds of kube/workloads.ts oombot reads.
  if (kind !== undefined && isCheckedOwnerKind(kind)) {
    dump.owners.push(json as OwnerObject);
    return;
  }
  if ('kubeletconfig' in json) dump.configz.push(parse(KubeletConfigzSchema, 'kubelet configz response'));
  else if ('node' in json && 'pods' in json) dump.summaries.push(parse(KubeletSummarySchema, 'kubelet Summary'));
}

/** events.k8s.io/v1 Events name things differently (`regarding`, `note`, `deprecated*`); read them as core/v1. */
function fromEventsV1(json: Record<string, unknown>): KubeEvent {
  return EventSchema.parse({
    ...json,
    involvedObject: json['regarding'] ?? {},
    message: json['note'],
    count: json['deprecatedCount'],
    firstTimestamp: json['deprecatedFirstTimestamp'],
    lastTimestamp: json['deprecatedLastTimestamp'],
    source: json['deprecatedSource'],
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Picks the pod and everything in the dump that belongs to it. */
export function inputFromDump(dump: Dump, namespace: string | undefined, name: string): DiagnosisInput {
  const matches = dump.pods.filter((p) => p.metadata.name === name && (!namespace || (p.metadata.namespace ?? 'default') === namespace));
  if (matches.length !== 1) {
    const known = dump.pods.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`);
    const where = namespace ? `${namespace}/${name}` : name;
    if (matches.length > 1) throw new OombotError('bad-usage', `pod ${name} is in several namespaces of the input: give <namespace>/<pod>`);
    throw new OombotError('not-found', `pod ${where} not found in the input files${known.length ? ` (pods there: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})` : ' (they hold no pods)'}`);
  }
  const pod = matches[0]!;
  const nodeName = pod.spec.nodeName;
  const node = dump.nodes.find((n) => n.metadata.name === nodeName);
  const summary = dump.summaries.find((s) => s.node.nodeName === nodeName) ?? (dump.summaries.length === 1 ? dump.summaries[0] : undefined);
  const unavailable: UnseenEntry[] = [];
  const otherNodes = dump.nodes.map((n) => n.metadata.name).filter((n) => n !== nodeName);
  if (!node) {
    const held = otherNodes.length ? `; they hold node ${otherNodes.join(', ')}` : '';
    unavailable.push({ source: 'node', reason: 'not-in-input', detail: `add kubectl get node ${nodeName ?? '<node>'} -o json${held}` });
  }
  // Without the other pods of the node, what it can still give is unknown: say so rather than assume it is empty.
  const nodePods = dump.pods.filter((p) => p.spec.nodeName === nodeName && p !== pod);
  if (nodeName && !nodePods.length) {
    unavailable.push({ source: 'node-pods', reason: 'not-in-input', detail: `add kubectl get pods -A --field-selector spec.nodeName=${nodeName} -o json` });
  }
  if (!dump.sawEvents) unavailable.push({ source: 'events', reason: 'not-in-input', detail: `add kubectl get events -n ${pod.metadata.namespace ?? 'default'} -o json` });
  if (!summary) unavailable.push({ source: 'kubelet-summary', reason: 'not-in-input' });
  const owner = attributeOwnerFromFiles(pod, (kind, ns, n) => dump.owners.find((o) => o.kind === kind && o.metadata?.name === n && (o.metadata?.namespace ?? ns) === ns));
  const podMetrics = dump.podMetrics.find((m) => m.metadata.name === pod.metadata.name && m.metadata.namespace === pod.metadata.namespace);
  return {
    pod,
    ...(dump.sawEvents ? { events: dump.events } : {}),
    ...(node ? { node } : {}),
    ...(nodePods.length ? { nodePods } : {}),
    ...(summary ? { kubeletSummary: summary } : {}),
    ...(dump.configz[0] ? { kubeletConfig: dump.configz[0] } : {}),
    ...(podMetrics ? { podMetrics } : {}),
    // Checked where the files hold the owners; a reference that does not hold makes a bare pod (kube/owners.ts).
    workload: owner.workload ?? null,
    unavailable: owner.note ? [...unavailable, { source: 'owner', reason: 'not-verified', detail: owner.note }] : unavailable,
  };
}
