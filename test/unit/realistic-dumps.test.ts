// Regression table over dumps shaped like real `kubectl get ... -o json` output (managedFields, CrashLoopBackOff
// waiting states, Ki capacities, aggregated events), modelled on outputs captured in kubernetes/kubernetes and
// node-problem-detector issues. They were written blind, with their expected verdicts, before the engine saw them.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

const dir = path.join(import.meta.dirname, '../fixtures/kubectl/realistic');
const files = (...names: string[]) => names.flatMap((n) => ['--from-file', path.join(dir, n)]);

const rows: [string, string, string[], Record<string, unknown>][] = [
  ['Deployment in CrashLoopBackOff, OOMKilled at its limit', 'payments/checkout-api-6b8d9c7f54-qz7lw', ['01-deploy-limit-crashloop.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'api', recommendation: { memoryLimit: '960Mi' } }],
  ['StatefulSet with a decimal 2G limit', 'cache/redis-node-2', ['02-statefulset-redis-2G.json'], { cause: 'limit', container: 'redis', memory: { limit: '2G' } }],
  // Istio injected it (sidecar.istio.io/status lists it): the fix is Istio's annotation, and there is no Raise limit.
  ['istio-proxy sidecar is the one that died', 'bookinfo/reviews-v3-7d9c8b5f6d-4mxkq', ['03-istio-sidecar.json'], { cause: 'limit', kind: 'injected-sidecar', confidence: 'high', container: 'istio-proxy', recommendation: { memoryLimit: '1280Mi' }, action: expect.stringContaining('`sidecar.istio.io/proxyMemoryLimit: "1280Mi"`') }],
  ['init container', 'orders/orders-svc-5f6c7d8b9-hq2rt', ['04-init-container.json'], { cause: 'limit', container: 'db-migrate', containerType: 'init' }],
  ['eviction, current message format', 'analytics/report-worker-84c6d5b7f9-vn5sx', ['05a-evicted-current-format.json'], { cause: 'node-pressure', kind: 'eviction', container: 'worker' }],
  ['eviction, older message format with two offenders', 'logging/fluentd-aggregator-7c9b8d6f5-2lwm9', ['05b-evicted-old-format.json'], { cause: 'node-pressure', kind: 'eviction', container: 'fluentd' }],
  ['ContainerStatusUnknown 137 with only the DisruptionTarget condition', 'ml/feature-store-7b5d9f8c6-jt2pz', ['06-evicted-csu137-condition-only.json'], { cause: 'node-pressure', kind: 'eviction' }],
  ['BestEffort pod and a SystemOOM naming its process', 'default/etl-runner-5c4b7d9f8-k2r8m', ['07-besteffort-systemoom.json'], { cause: 'node-pressure', kind: 'node-oom', confidence: 'high' }],
  ['JVM exit 3 with ExitOnOutOfMemoryError', 'ledger/ledger-service-69f7c8d5b4-8fbnw', ['08-jvm-exit3.json'], { cause: 'runtime', kind: 'jvm-heap', container: 'ledger' }],
  ['Node.js heap, exit 134', 'web/storefront-ssr-6d8c9b7f5-x4k9t', ['09-nodejs-heap-134.json'], { cause: 'runtime', kind: 'node-heap' }],
  ['liveness probe kill', 'shop/web-frontend-7f8d9c6b5-r2d2x', ['10-liveness-probe.json'], { cause: 'not-oom', kind: 'liveness-probe' }],
  ['liveness probe kill logged at the finish time', 'shop/web-frontend-7f8d9c6b5-r2d2x', ['10b-liveness-killing-at-finish.json'], { cause: 'not-oom', kind: 'liveness-probe' }],
  ['Error/137 with nothing else is not a confident limit', 'batch/thumbnailer-59d7b8c6f4-zq8vb', ['11-error137-no-events.json'], { cause: 'unknown', confidence: 'low' }],
  ['pod, events, node and node events in separate files', 'search/indexer-0', ['13-split-pod.json', '13-split-events.json', '13-split-node.json', '13-split-node-events.json'], { cause: 'node-pressure', kind: 'node-oom' }],
  ['OOMKilled with exit 1: a child process', 'tasks/celery-worker-78b6c5d4f9-wp3ld', ['14-oomkilled-exit1-child.json'], { cause: 'limit', kind: 'child-process' }],
  // The kernel line's oom_score_adj (841) is not this Burstable container's (1Gi of 31Gi → 969): another process.
  ['a low kernel anon-rss from another container does not overturn a limit OOM', 'media/transcoder-6f9d8c7b5-ml4qp', ['15-oomkilled-kubepods-lowrss.json'], { cause: 'limit', kind: 'container-limit' }],
  ['admission rejection under MemoryPressure', 'default/cron-report-28999441-b7vqk', ['16-admission-rejected.json'], { cause: 'node-pressure', kind: 'admission-rejected' }],
  ['eviction for ephemeral storage', 'analytics/report-worker-84c6d5b7f9-vn5sx', ['17-evicted-ephemeral-storage.json'], { cause: 'not-oom', kind: 'other-eviction' }],
  ['an unrelated kernel OOM line on the node is not blamed on this container', 'payments/checkout-api-6b8d9c7f54-qz7lw', ['18-limit-plus-unrelated-kernel-line.json'], { cause: 'limit', kind: 'container-limit', recommendation: { memoryLimit: '960Mi' } }],
  ['a SystemOOM aggregated over days is not near this kill', 'payments/checkout-api-6b8d9c7f54-qz7lw', ['19-limit-plus-stale-aggregated-systemoom.json'], { cause: 'limit', kind: 'container-limit' }],
  // Node signals count only from the kubelet and node-problem-detector, in `default`, about this node (issue 10, item 1).
  ['a SystemOOM about the node forged in the tenant namespace does not overturn a limit OOM', 'storefront/cart-api-5d7f9c8b6-xw2pl', ['20-limit-plus-tenant-forged-systemoom.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'cart', recommendation: { memoryLimit: '960Mi' } }],
  // The node OOM's victim (postgres, 7Gi resident, oom_score_adj 900) cannot be this 1Gi Burstable container's process.
  ['a genuine node OOM of another process at the same minute leaves a limit OOM, less sure', 'billing/invoice-renderer-1', ['21-limit-plus-node-oom-of-another-process.json'], { cause: 'limit', kind: 'container-limit', confidence: 'medium', container: 'renderer', recommendation: { memoryLimit: '1280Mi' } }],
  ['a node OOM whose kernel line is this container’s, events with reportingComponent set', 'crawl/scraper-7c8d9f6b5-d4k7p', ['22-node-oom-reporting-fields.json'], { cause: 'node-pressure', kind: 'node-oom', confidence: 'high', container: 'scraper', memory: { usage: '1.8Gi' }, recommendation: { memoryLimit: '2176Mi' } }],
  // Evictions that are not memory (docs/domain.md §7 rule 1).
  ["evicted for the pod's ephemeral-storage limit", 'ci/build-runner-7b9c6d5f4-2hq8z', ['23-evicted-pod-ephemeral-storage-limit.json'], { cause: 'not-oom', kind: 'storage-limit', confidence: 'high', container: 'runner' }],
  ["evicted for a container's ephemeral-storage limit, no node in the dump", 'media/thumbnail-worker-0', ['24-evicted-container-ephemeral-storage-limit.json'], { cause: 'not-oom', kind: 'storage-limit', confidence: 'high', container: 'thumbnailer' }],
  ['evicted for an emptyDir sizeLimit, the container exited 143', 'ml/feature-extract-28999520-k7t4b', ['25-evicted-emptydir-sizelimit.json'], { cause: 'not-oom', kind: 'storage-limit', confidence: 'high', container: 'extract' }],
  ['evicted for PIDs', 'frontend/ssr-renderer-6f8b7c9d5-jz5tq', ['26-evicted-pids.json'], { cause: 'not-oom', kind: 'other-eviction', confidence: 'high', container: 'ssr', headline: 'ssr-renderer-6f8b7c9d5-jz5tq was evicted: node worker-pool-b-7 ran low on process IDs (PIDs), not memory' }],
  ['evicted for inodes on an old cluster', 'logging/fluentd-buffer-2xk8v', ['27-evicted-inodes-old-cluster.json'], { cause: 'not-oom', kind: 'other-eviction', confidence: 'high', container: 'fluentd', headline: 'fluentd-buffer-2xk8v was evicted: node node-03.dc1.acme.internal ran low on inodes, not memory' }],
  // Graceful node shutdown (pkg/kubelet/nodeshutdown).
  ['terminated for a graceful node shutdown', 'payments/ledger-api-6c9d8f7b5-tq4mz', ['28-node-shutdown-terminated.json'], { cause: 'not-oom', kind: 'node-shutdown', confidence: 'high', container: 'api' }],
  ['terminated for a node shutdown by a 1.21 kubelet', 'reports/report-api-58d9c7b6f4-vw6xn', ['29-node-shutdown-old-kubelet.json'], { cause: 'not-oom', kind: 'node-shutdown', confidence: 'high', container: 'app' }],
  ['refused while its node was shutting down', 'payments/ledger-api-6c9d8f7b5-9xmpl', ['30-rejected-node-shutting-down.json'], { cause: 'not-oom', kind: 'node-shutdown', confidence: 'high', container: 'api' }],
  // Refused at the kubelet's admission: nothing ran (pkg/kubelet/lifecycle/predicate.go).
  ['OutOfmemory at admission', 'search/reindex-manual-8w2kq', ['31-admission-outofmemory.json'], { cause: 'not-oom', kind: 'not-admitted', confidence: 'high', container: 'reindex', summary: expect.stringContaining('(8Gi requested, 11.5Gi already requested by other pods, 15.1Gi allocatable)') }],
  ['OutOfcpu at admission, old kubelet message', 'etl/loader-0', ['32-admission-outofcpu-old-kubelet.json'], { cause: 'not-oom', kind: 'not-admitted', confidence: 'high', container: 'loader', summary: expect.stringContaining('(2000m requested, 7340m already requested by other pods, 7910m allocatable)') }],
  ['UnexpectedAdmissionError', 'research/train-llm-7f9c8b6d5-lq2vx', ['33-admission-unexpected-error.json'], { cause: 'not-oom', kind: 'not-admitted', confidence: 'high', container: 'trainer' }],
  // docs/domain.md §7 rule 3's exception: exit 143 right after a probe kill.
  ['OOMKilled with exit 143 right after a liveness-probe kill', 'search/search-api-65f7d9c8b4-rq7nm', ['34-oomkilled-143-after-liveness-kill.json'], { cause: 'not-oom', kind: 'liveness-probe', confidence: 'high', container: 'api', headline: 'search-api › api exited 143, but not from memory: the liveness probe killed it' }],
  ['OOMKilled with exit 143 after a startup-probe kill, new-style events', 'pricing/pricing-engine-5b8c7d6f9-hh3xz', ['35-oomkilled-143-after-startup-probe-new-events.json'], { cause: 'not-oom', kind: 'liveness-probe', confidence: 'high', container: 'jvm', headline: 'pricing-engine › jvm exited 143, but not from memory: the startup probe killed it' }],
  // Headlines fit by shortening names, never the clause; a limit in Mi reads in Gi.
  ['long names and a 19968Mi limit', 'analytics/clickhouse-analytics-events-ingestion-replica-shard-eu-west-1-primary-0', ['36-limit-long-names-mi-limit.json'], {
    cause: 'limit',
    kind: 'container-limit',
    confidence: 'high',
    headline: 'clickhouse-analytics-events-ingestion-replica-shard-eu-w… › clickhouse-server-with-query-log-exporter-sidecar was OOMKilled at its 19.5Gi memory limit',
    memory: { limit: '19.5Gi' },
    recommendation: { memoryLimit: '25088Mi' },
    action: expect.stringContaining('raise the limit to 24.5Gi (+26 %; fits the node)'),
  }],
  // Memory-backed volumes (docs/domain.md §8): named in the evidence, and sized or moved before the limit is raised.
  ['PostgreSQL with a memory-backed /dev/shm without sizeLimit, OOMKilled at its limit', 'orders/orders-db-0', ['60-postgres-dshm-no-sizelimit.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'postgresql', memory: { limit: '2Gi', request: '1Gi', qosClass: 'Burstable' }, recommendation: { memoryLimit: '2560Mi' }, evidence: expect.arrayContaining([expect.stringContaining('volume dshm (emptyDir, medium Memory) at /dev/shm, no sizeLimit: files written there are tmpfs pages charged to this container\'s memory (its 2Gi limit) and survive restarts')]), action: expect.stringContaining('dshm (/dev/shm, no sizeLimit) count against this limit and survive restarts: give it a sizeLimit or move those files to disk') }],
  ['headless Chrome with two sized memory-backed volumes, OOMKilled in CrashLoopBackOff', 'documents/pdf-renderer-7b6f9d4c8d-tq4sd', ['61-chrome-shm-and-cache-sized.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'renderer', recommendation: { memoryLimit: '1920Mi' }, action: expect.stringContaining('volumes dshm (/dev/shm, sizeLimit 512Mi), chrome-cache (/tmp/chrome-cache, sizeLimit 256Mi) count against this limit') }],
  ['PyTorch DataLoader bus error with the runtime\'s default /dev/shm: not an OOM', 'ml/train-resnet-29011260-8kq2m', ['62-pytorch-bus-error-default-shm.json'], { cause: 'not-oom', kind: 'shm-full', confidence: 'high', container: 'trainer', headline: expect.stringContaining('/dev/shm'), action: expect.stringContaining('Mount a memory-backed emptyDir at /dev/shm with a sizeLimit (e.g. 2Gi, over the runtime\'s default 64Mi)') }],
  ['joblib fills a sized /dev/shm: ENOSPC, exit 1', 'analytics/nightly-features-29012400-x7v2p', ['63-joblib-enospc-sized-shm.json'], { cause: 'not-oom', kind: 'shm-full', confidence: 'high', container: 'features', action: expect.stringContaining('Raise the sizeLimit of volume shm (now 512Mi, e.g. to 1Gi)') }],
  // Pod-level resources (KEP-2837): the pod's limit bounds containers without their own, and is what to raise.
  ['pod-level 3Gi limit, containers without limits of their own', 'search/search-api-6c9f7d8b5f-w9zrp', ['64-pod-level-limit-no-container-limits.json'], { cause: 'limit', kind: 'pod-limit', confidence: 'high', container: 'api', headline: expect.stringContaining("api was OOM-killed at the pod's 3Gi memory limit"), memory: { limit: '3Gi', limitScope: 'pod', podLimit: '3Gi', podRequest: '2Gi', request: '1Gi', qosClass: 'Burstable' }, recommendation: { memoryLimit: '3840Mi' } }],
  ['pod-level 6Gi limit over a container dying at its own 5Gi: capped at the pod limit', 'streaming/events-kafka-2', ['65-pod-level-limit-over-container-limits.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'kafka', memory: { limit: '5Gi', podLimit: '6Gi', podRequest: '4352Mi' }, recommendation: { memoryLimit: '6Gi', capped: true }, evidence: expect.arrayContaining(['pod-level memory limit 6Gi, request 4352Mi (spec.resources), shared by all its containers']) }],
  ['bare pod with Guaranteed pod-level resources and an unsized container', 'search/adhoc-reindex-products', ['66-bare-pod-pod-level-guaranteed.json'], { cause: 'limit', kind: 'pod-limit', confidence: 'high', container: 'reindex', memory: { limit: '4Gi', limitScope: 'pod', podLimit: '4Gi', podRequest: '4Gi', qosClass: 'Guaranteed' }, recommendation: { memoryLimit: '5Gi' } }],
  // Runtime texts beyond the first five, among log lines.
  ['PHP memory_limit in a Laravel artisan job, exit 255', 'billing/invoice-export-29011680-5hzkc', ['67-php-artisan-memory-limit.json'], { cause: 'runtime', kind: 'php-heap', confidence: 'high', runtime: 'php', container: 'artisan', headline: expect.stringContaining("died of PHP's memory_limit (128M), not the container limit (512Mi)"), recommendation: { runtimeSetting: { name: 'memory_limit', value: '384M' } } }],
  ['Rust allocation failure, abort 134', 'maps/tile-server-5f8b6d7c9a-hk2mx', ['68-rust-allocation-failed.json'], { cause: 'runtime', kind: 'rust-alloc', confidence: 'high', runtime: 'rust', container: 'tiles', headline: expect.stringContaining('a Rust allocation of 32Gi failed'), action: expect.stringContaining('more than the whole 2Gi limit') }],
  ['JVM unable to create native thread: a thread limit, not memory', 'ingest/ingest-gateway-8d4c6b9f7e-r7lqx', ['69-jvm-unable-to-create-native-thread.json'], { cause: 'not-oom', kind: 'thread-limit', confidence: 'high', runtime: 'jvm', container: 'gateway', headline: expect.stringContaining('could not start a thread: a process/thread limit, not memory') }],
  // Settings that decided a limit kill, named in the evidence and sized.
  ['JVM OOMKilled at 2Gi with -Xmx1800m', 'ledger/ledger-api-69f7c8d5b4-n2x8c', ['70-jvm-xmx-near-limit-oomkilled.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', memory: { qosClass: 'Guaranteed' }, evidence: expect.arrayContaining([expect.stringContaining('-Xmx1800m (from JAVA_TOOL_OPTIONS) lets the heap take 88 % of the 2Gi limit')]), recommendation: { memoryLimit: '2560Mi', runtimeSetting: { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx1536m' } } }],
  ['Redis with --maxmemory 2gb under a 2Gi limit', 'web/sessions-redis-1', ['71-redis-maxmemory-equals-limit.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', evidence: expect.arrayContaining([expect.stringContaining('Redis --maxmemory 2gb (from args) is 100 % of the 2Gi limit')]), recommendation: { memoryLimit: '2816Mi', runtimeSetting: { name: 'maxmemory', value: '1536mb' } } }],
  ['Go with GOMEMLIMIT at its 3Gi limit', 'platform/event-router-7f6d5c4b3a-9vjtd', ['72-go-gomemlimit-equals-limit.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', evidence: expect.arrayContaining([expect.stringContaining('GOMEMLIMIT=3GiB (from GOMEMLIMIT) is 100 % of the 3Gi limit: the GC never worked harder before the kill')]), recommendation: { memoryLimit: '3840Mi', runtimeSetting: { name: 'GOMEMLIMIT', value: '2764MiB' } } }],
  ['Node.js with --max-old-space-size as large as its limit, killed by the kernel', 'web/bff-5c8d7b6f4e-2mlqs', ['73-node-max-old-space-at-limit.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', evidence: expect.arrayContaining([expect.stringContaining("--max-old-space-size=1024 (from NODE_OPTIONS) lets V8's heap take 100 % of the 1Gi limit")]), recommendation: { memoryLimit: '1408Mi', runtimeSetting: { name: 'NODE_OPTIONS', value: '--max-old-space-size=768' } } }],
  // Injected sidecars: the injector's knob, by the injector's marks and not by the name alone.
  ['Istio native sidecar (an init container) OOMKilled', 'shop/catalog-6b7c8d9e5f-b8wfz', ['74-istio-native-sidecar-oomkilled.json'], { cause: 'limit', kind: 'injected-sidecar', confidence: 'high', container: 'istio-proxy', containerType: 'init', recommendation: { memoryLimit: '384Mi' }, action: expect.stringContaining('`sidecar.istio.io/proxyMemoryLimit: "384Mi"`') }],
  ['Linkerd proxy OOMKilled at its injected limit', 'storefront/web-74c9d8b6f5-kx4vn', ['75-linkerd-proxy-oomkilled.json'], { cause: 'limit', kind: 'injected-sidecar', confidence: 'high', container: 'linkerd-proxy', recommendation: { memoryLimit: '352Mi' }, action: expect.stringContaining('`config.linkerd.io/proxy-memory-limit: "352Mi"`') }],
  ['a container named istio-proxy that Istio did not inject is a plain limit', 'egress/legacy-egress-9e8d7c6b5a-p4d7m', ['76-istio-proxy-named-not-injected.json'], { cause: 'limit', kind: 'container-limit', confidence: 'high', container: 'istio-proxy', recommendation: { memoryLimit: '640Mi' } }],
];

describe('oombot explain on realistic kubectl dumps', () => {
  it.each(rows)('%s', async (_name, ref, names, want) => {
    const { code, stdout, stderr } = await runCli('explain', ref, ...files(...names), '-o', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject(want);
  });

  it.each([
    ['YAML instead of JSON', 'm1-pod.yaml', 2, /is not JSON/],
    ['an empty file', 'm2-empty.json', 2, /is not JSON/],
    ['truncated JSON', 'm5-truncated.json', 2, /is not JSON/],
  ])('%s: one line, exit %d', async (_name, file, exitCode, message) => {
    const { code, stderr } = await runCli('explain', 'batch/x', ...files(file));
    expect(code).toBe(exitCode);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a pod that only completed: exit 3, no memory-related termination', async () => {
    const { code, stderr } = await runCli('explain', 'batch/nightly-export-28999440-7xk2q', ...files('12-completed-only.json'));
    expect(code).toBe(3);
    expect(stderr).toMatch(/^oombot: no memory-related termination found in pod batch\/nightly-export-28999440-7xk2q/);
  });
});
