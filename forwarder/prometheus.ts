// Counters, gauges and histograms in Prometheus's text format, as much of them as the forwarder uses. prom-client did
// this before, with its default metrics; loading it cost the bundle about 3 MiB of RSS, more than the forwarder's whole
// state at 10,000 pods (docs/architecture.md, "Budgets"), so the few process figures worth having are read here by hand.
export type Labels = Record<string, string | number>;

interface Sample {
  labels: Labels;
  value: number;
}

interface Metric {
  render(): string[];
}

const escapeLabel = (v: string | number) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Labels) => {
  const keys = Object.keys(labels);
  return keys.length ? `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}` : '';
};
const keyOf = (labels: Labels) => JSON.stringify(Object.keys(labels).sort().map((k) => [k, String(labels[k])]));
const number = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly all: Metric[] = [];

  register(metric: Metric): void {
    this.all.push(metric);
  }

  metrics(): Promise<string> {
    return Promise.resolve(`${this.all.flatMap((m) => m.render()).join('\n')}\n`);
  }
}

interface Options {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers: Registry[];
}

/** A value per label set; without label names, one value that starts at 0 and is always shown. */
class Valued implements Metric {
  protected readonly values = new Map<string, Sample>();

  constructor(
    private readonly type: 'counter' | 'gauge',
    protected readonly options: Options,
  ) {
    if (!options.labelNames?.length) this.values.set(keyOf({}), { labels: {}, value: 0 });
    for (const r of options.registers) r.register(this);
  }

  protected sample(labels: Labels): Sample {
    const key = keyOf(labels);
    let s = this.values.get(key);
    if (!s) this.values.set(key, (s = { labels: { ...labels }, value: 0 }));
    return s;
  }

  get(): Promise<{ values: Sample[] }> {
    return Promise.resolve({ values: [...this.values.values()].map((s) => ({ labels: { ...s.labels }, value: s.value })) });
  }

  render(): string[] {
    const { name, help } = this.options;
    return [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${this.type}`, ...[...this.values.values()].map((s) => `${name}${labelText(s.labels)} ${number(s.value)}`)];
  }
}

export class Counter extends Valued {
  constructor(options: Options) {
    super('counter', options);
  }

  inc(labels?: Labels | number, by = 1): void {
    const [l, v] = typeof labels === 'number' ? [{}, labels] : [labels ?? {}, by];
    if (v < 0) throw new Error(`${this.options.name}: a counter only goes up`);
    this.sample(l).value += v;
  }
}

export class Gauge extends Valued {
  constructor(options: Options) {
    super('gauge', options);
  }

  set(labels: Labels | number, value?: number): void {
    if (typeof labels === 'number') this.sample({}).value = labels;
    else this.sample(labels).value = value ?? 0;
  }

  /** Every series this gauge has shown to 0: for a state that no longer holds (a replica that stopped leading). */
  zero(): void {
    for (const s of this.values.values()) s.value = 0;
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly options: Omit<Options, 'labelNames'> & { buckets: readonly number[] }) {
    this.counts = options.buckets.map(() => 0);
    for (const r of options.registers) r.register(this);
  }

  observe(value: number): void {
    this.options.buckets.forEach((le, i) => {
      if (value <= le) this.counts[i]! += 1;
    });
    this.sum += value;
    this.count += 1;
  }

  render(): string[] {
    const { name, help, buckets } = this.options;
    return [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} histogram`,
      ...buckets.map((le, i) => `${name}_bucket{le="${le}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** The process's own figures, read when scraped: CPU, resident memory, heap, start time. */
export function processMetrics(registry: Registry, prefix: string): void {
  const startSeconds = Math.floor(Date.now() / 1000 - process.uptime());
  registry.register({
    render() {
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      const line = (name: string, type: string, help: string, value: number) => [`# HELP ${prefix}${name} ${help}`, `# TYPE ${prefix}${name} ${type}`, `${prefix}${name} ${value}`];
      return [
        ...line('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6),
        ...line('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss),
        ...line('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', startSeconds),
        ...line('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', mem.heapUsed),
        ...line('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', mem.heapTotal),
      ];
    },
  });
}
