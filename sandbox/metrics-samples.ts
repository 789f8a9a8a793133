// What the local metrics server (sandbox/metrics-server.ts) knows: the last sample of each container and node, set by
// whoever drives it (a test, the demo), and how metrics-server writes them as metrics.k8s.io/v1beta1 objects. The
// shapes and formats follow metrics-server (pkg/storage, pkg/api) and the Go types it serialises
// (k8s.io/metrics/pkg/apis/metrics/v1beta1): a sample's usage is cpu in nanocores and memory in bytes as quantities,
// `timestamp` is when it was taken, `window` the time since the one before it.

export interface Usage {
  memoryBytes: number;
  /** CPU use over the window, in nanocores (metrics-server's unit). */
  cpuNanoCores: number;
}

interface Sample extends Usage {
  at: number;
  windowMs: number;
}

/** The part of a pod or node the API server holds that a metrics object repeats. */
export interface ObjectRef {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface PodMetrics {
  kind?: 'PodMetrics';
  apiVersion?: 'metrics.k8s.io/v1beta1';
  metadata: ObjectMetadata;
  timestamp: string;
  window: string;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

export interface NodeMetrics {
  kind?: 'NodeMetrics';
  apiVersion?: 'metrics.k8s.io/v1beta1';
  metadata: ObjectMetadata;
  timestamp: string;
  window: string;
  usage: { cpu: string; memory: string };
}

interface ObjectMetadata {
  name: string;
  namespace?: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
}

export class MetricsSamples {
  private readonly pods = new Map<string, Map<string, Sample>>();
  private readonly nodes = new Map<string, Sample>();

  /**
   * @param resolutionMs the window of a first sample, which has no sample before it. metrics-server scrapes every
   *   `--metric-resolution` (15 s in its manifests) and reports the time between its last two scrapes.
   */
  constructor(private readonly resolutionMs = 15_000) {}

  setContainer(namespace: string, pod: string, container: string, usage: Usage, at: Date): void {
    const key = podKey(namespace, pod);
    const containers = this.pods.get(key) ?? new Map<string, Sample>();
    containers.set(container, this.next(containers.get(container), usage, at));
    this.pods.set(key, containers);
  }

  setNode(node: string, usage: Usage, at: Date): void {
    this.nodes.set(node, this.next(this.nodes.get(node), usage, at));
  }

  removePod(namespace: string, pod: string): void {
    this.pods.delete(podKey(namespace, pod));
  }

  removeNode(node: string): void {
    this.nodes.delete(node);
  }

  /**
   * The pod's metrics, or undefined while none of its containers has a sample (metrics-server leaves such a pod out
   * of a list, and answers NotFound for it). As in metrics-server's podStorage.GetMetrics, the pod's timestamp and
   * window are those of its container sampled earliest, and containers are in no particular order.
   */
  pod(ref: ObjectRef, now: Date): PodMetrics | undefined {
    const containers = this.pods.get(podKey(ref.namespace ?? '', ref.name));
    if (!containers || containers.size === 0) return undefined;
    const earliest = [...containers.values()].reduce((a, b) => (b.at < a.at ? b : a));
    return {
      metadata: metadata(ref, now),
      timestamp: goTime(earliest.at),
      window: goDuration(earliest.windowMs),
      containers: [...containers].map(([name, sample]) => ({ name, usage: usage(sample) })),
    };
  }

  node(ref: ObjectRef, now: Date): NodeMetrics | undefined {
    const sample = this.nodes.get(ref.name);
    if (!sample) return undefined;
    return {
      metadata: metadata(ref, now),
      timestamp: goTime(sample.at),
      window: goDuration(sample.windowMs),
      usage: usage(sample),
    };
  }

  private next(previous: Sample | undefined, usage: Usage, at: Date): Sample {
    const windowMs = previous && at.getTime() > previous.at ? at.getTime() - previous.at : this.resolutionMs;
    return { memoryBytes: usage.memoryBytes, cpuNanoCores: usage.cpuNanoCores, at: at.getTime(), windowMs };
  }
}

function podKey(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}

/** metrics-server sets creationTimestamp to the time of the request, and copies the labels of the pod or node. */
function metadata(ref: ObjectRef, now: Date): ObjectMetadata {
  return {
    name: ref.name,
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    creationTimestamp: goTime(now.getTime()),
    ...(ref.labels && Object.keys(ref.labels).length > 0 ? { labels: ref.labels } : {}),
  };
}

/** A ResourceList marshals its keys in order: cpu, then memory. */
function usage(sample: Usage): { cpu: string; memory: string } {
  return { cpu: cpuQuantity(sample.cpuNanoCores), memory: memoryQuantity(sample.memoryBytes) };
}

/**
 * How resource.Quantity prints memory: metrics-server makes it with BinarySI format, which is canonicalised
 * (apimachinery resource.Quantity.CanonicalizeBytes) to the largest binary suffix that divides it exactly (`300Mi`,
 * `2000Ki`), else plain bytes; below 1024 always plain.
 */
export function memoryQuantity(bytes: number): string {
  let value = Math.max(0, Math.round(bytes));
  if (value < 1024) return String(value);
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let exponent = 0;
  while (value % 1024 === 0 && exponent < suffixes.length - 1) {
    value /= 1024;
    exponent++;
  }
  return `${value}${suffixes[exponent]}`;
}

/**
 * How resource.Quantity prints CPU: metrics-server makes it as nanocores (scale -9, DecimalSI), which is canonicalised
 * (int64Amount.AsCanonicalBytes) by dropping trailing zeros to an exponent that is a multiple of 3: `250m`, `1500u`,
 * `1051783n`, `2`; zero is `0`.
 */
export function cpuQuantity(nanoCores: number): string {
  let value = Math.max(0, Math.round(nanoCores));
  if (value === 0) return '0';
  let exponent = -9;
  while (value % 10 === 0) {
    value /= 10;
    exponent++;
  }
  const remainder = ((exponent % 3) + 3) % 3; // back down to a multiple of 3
  value *= 10 ** remainder;
  exponent -= remainder;
  const suffixes: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
  return `${value}${suffixes[exponent] ?? `e${exponent}`}`;
}

/** metav1.Time marshals as RFC 3339 in UTC at whole seconds, truncated. */
export function goTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.Duration marshals as Go's time.Duration.String(): `15s`, `1m0s`, `20.036s`, `500ms`. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const millis = whole % 60_000;
  const fraction = millis % 1000 === 0 ? '' : `.${String(millis % 1000).padStart(3, '0').replace(/0+$/, '')}`;
  const seconds = `${Math.floor(millis / 1000)}${fraction}s`;
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}`;
}
