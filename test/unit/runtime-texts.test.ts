// Runtime texts beyond the first five (PHP, Rust, thread limits) and the memory settings that decide a limit kill
// (docs/domain.md §5, §8): the recognisers, the settings read off a container, and what the verdict makes of them.
import { describe, expect, it } from 'vitest';
import { diagnose } from '#shared/diagnose.ts';
import { settingsAtLimit } from '#shared/limit-settings.ts';
import { GiB, MiB } from '#shared/quantity.ts';
import { recogniseRuntimeOom } from '#shared/runtime-oom.ts';
import { findHeapSetting, findMemorySettings } from '#shared/runtime-settings.ts';
import { container, node, pod, restartedStatus } from '../support/k8s-factories.ts';

describe('recogniseRuntimeOom, beyond the first five', () => {
  it.each([
    ['PHP memory_limit, among log lines', '[2025-03-14 02:00:41] production.INFO: Chunk 118/412 written\nPHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /app/x.php on line 423\n', { runtime: 'php', resource: 'memory', detail: 'memory_limit exhausted', capBytes: 128 * MiB, allocationBytes: 20480 }],
    ["PHP's allocator refused by the system", 'PHP Fatal error:  Out of memory (allocated 2097152) (tried to allocate 4096 bytes) in /app/y.php on line 9', { runtime: 'php', detail: 'Out of memory', allocationBytes: 4096 }],
    ['Rust alloc error handler', 'INFO render z=3\nmemory allocation of 34359738368 bytes failed\n', { runtime: 'rust', resource: 'memory', allocationBytes: 32 * GiB }],
    ['JVM native thread (JDK 11+)', 'Terminating due to java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached', { runtime: 'jvm', resource: 'threads' }],
    ['JVM native thread (JDK 8)', 'Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread', { runtime: 'jvm', resource: 'threads' }],
    ["HotSpot's pthread_create EAGAIN warning alone", '[0.512s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.', { runtime: 'jvm', resource: 'threads' }],
    ['Go cannot create an OS thread', 'runtime: failed to create new OS thread (have 10241 already; errno=11)\nruntime: may need to increase max user processes (ulimit -u)\nfatal error: newosproc', { runtime: 'go', resource: 'threads' }],
    ['Python cannot start a thread', 'Traceback (most recent call last):\n  File "/app/w.py", line 3\nRuntimeError: can\'t start new thread', { runtime: 'python', resource: 'threads' }],
    ['Rust cannot spawn a thread', "thread 'main' panicked at src/main.rs:12:6:\nfailed to spawn thread: Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" }", { runtime: 'rust', resource: 'threads' }],
  ])('%s', (_name, message, want) => {
    expect(recogniseRuntimeOom(message)).toMatchObject(want);
  });

  it('still reads a heap OutOfMemoryError as memory, not threads', () => {
    expect(recogniseRuntimeOom('java.lang.OutOfMemoryError: Java heap space')).toMatchObject({ runtime: 'jvm', resource: 'memory', detail: 'Java heap space' });
  });
});

describe('memory settings read off a container', () => {
  const c = (env: Record<string, string>, args?: string[], command?: string[], image = 'registry.example/app:1.0') => ({ ...container({ name: 'app', env, ...(args ? { args } : {}), ...(command ? { command } : {}) }), image });

  it("reads PHP's memory_limit from -d and from PHP_MEMORY_LIMIT (1024 multiples)", () => {
    expect(findHeapSetting(c({}, undefined, ['php', '-d', 'memory_limit=256M', 'artisan', 'queue:work']), 'php')).toEqual({ text: '-d memory_limit=256M', source: 'command', bytes: 256 * MiB });
    expect(findHeapSetting(c({ PHP_MEMORY_LIMIT: '1G' }), 'php')).toEqual({ text: 'PHP_MEMORY_LIMIT=1G', source: 'PHP_MEMORY_LIMIT', bytes: GiB });
  });

  it.each([
    [['--maxmemory', '2gb'], 2 * GiB],
    [['--maxmemory=1536mb', '--maxmemory-policy', 'allkeys-lru'], 1536 * MiB],
    [['--maxmemory', '2g'], 2e9],
    [['--maxmemory', '1073741824'], GiB],
  ])("reads Redis's --maxmemory %j in redis.conf units", (args, bytes) => {
    expect(findMemorySettings(c({}, args, ['redis-server'], 'docker.io/library/redis:7.2'))).toEqual([expect.objectContaining({ program: 'redis', source: 'args', bytes })]);
  });

  it('takes --maxmemory only from something that runs Redis, and never --maxmemory-policy', () => {
    expect(findMemorySettings(c({}, ['--maxmemory', '2gb'], ['/app/proxy']))).toEqual([]);
    expect(findMemorySettings(c({}, ['--maxmemory-policy', 'noeviction'], ['valkey-server']))).toEqual([]);
  });

  it('finds every runtime setting a container gives, each with its program', () => {
    const found = findMemorySettings(c({ JAVA_TOOL_OPTIONS: '-Xmx1g', GOMEMLIMIT: '900MiB' }));
    expect(found.map((s) => [s.program, s.text])).toEqual([['jvm', '-Xmx1g'], ['go', 'GOMEMLIMIT=900MiB']]);
  });
});

describe('settingsAtLimit', () => {
  const limit = 2 * GiB;
  it('a heap cap near the limit: lower it to 75 %, or give the limit room for it', () => {
    const [s] = settingsAtLimit([{ program: 'jvm', text: '-Xmx1800m', source: 'JAVA_TOOL_OPTIONS', bytes: 1800 * MiB }], limit, '2Gi');
    expect(s).toEqual({
      evidence: '-Xmx1800m (from JAVA_TOOL_OPTIONS) lets the heap take 88 % of the 2Gi limit: the heap and what lives outside it (metaspace, thread stacks, code cache, direct buffers) passed the limit before the heap was full',
      advice: 'Lower the heap to about 75 % of the limit (`-Xmx1536m` in JAVA_TOOL_OPTIONS): the heap and everything outside it must fit the limit together.',
      setting: { name: 'JAVA_TOOL_OPTIONS', value: '-Xmx1536m' },
      sizedTo: '75 % of the current 2Gi limit',
      floorBytes: 2400 * MiB,
    });
  });

  it('a heap cap well below the limit: what lives outside the heap filled the rest; nothing to change in the flag', () => {
    expect(settingsAtLimit([{ program: 'node', text: '--max-old-space-size=1024', source: 'NODE_OPTIONS', bytes: GiB }], limit, '2Gi')).toEqual([
      { evidence: "--max-old-space-size=1024 (from NODE_OPTIONS) caps V8's heap at 50 % of the 2Gi limit: memory outside it (buffers, native addons, other processes) filled the rest" },
    ]);
  });

  it('GOMEMLIMIT is soft: below the limit it is only named; at the limit it is moved to 90 %', () => {
    expect(settingsAtLimit([{ program: 'go', text: 'GOMEMLIMIT=1GiB', source: 'GOMEMLIMIT', bytes: GiB }], limit, '2Gi')[0]).toEqual({
      evidence: 'GOMEMLIMIT=1GiB (from GOMEMLIMIT) is 50 % of the 2Gi limit; GOMEMLIMIT is soft: the GC works harder near it but does not stop the heap from passing it, so the live heap outgrew it and then the limit',
    });
    expect(settingsAtLimit([{ program: 'go', text: 'GOMEMLIMIT=2GiB', source: 'GOMEMLIMIT', bytes: limit }], limit, '2Gi')[0]).toMatchObject({ setting: { name: 'GOMEMLIMIT', value: '1843MiB' } });
  });

  it('Redis maxmemory below the limit: fragmentation, buffers or a fork took the rest', () => {
    expect(settingsAtLimit([{ program: 'redis', text: '--maxmemory 1gb', source: 'args', bytes: GiB }], limit, '2Gi')[0]!.evidence).toBe(
      "Redis --maxmemory 1gb (from args) is 50 % of the 2Gi limit: its data stays under it, so fragmentation, client or replication buffers or a fork's copy-on-write took the rest",
    );
  });
});

describe('diagnose with runtime texts and settings', () => {
  const died = (message: string, exitCode: number, extra: Partial<Parameters<typeof container>[0]> = {}) =>
    pod({ deployment: 'svc', containers: [container({ name: 'svc', limit: '1Gi', ...extra })], statuses: [restartedStatus('svc', { reason: 'Error', exitCode, message }, 2)] });

  it("thread limit: headline, summary, kind and cause agree that it is not memory, and there is no limit to raise", () => {
    const v = diagnose({ pod: died('java.lang.OutOfMemoryError: unable to create new native thread', 1), node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'not-oom', kind: 'thread-limit', runtime: 'jvm', confidence: 'high' });
    expect(v.headline).toBe('svc › svc could not start a thread: a process/thread limit, not memory');
    expect(v.summary).toMatch(/^The JVM asked the kernel for a new thread and was refused .*not its memory limit \(1Gi\)\.$/);
    expect(v.action).toMatch(/podPidsLimit.*Do not raise the memory limit for this\.$/);
    expect(v.recommendation).toBeUndefined();
  });

  it('PHP: memory_limit at 75 % of the limit, and the container limit too when memory_limit already had most of it', () => {
    const near = diagnose({ pod: died('PHP Fatal error:  Allowed memory size of 805306368 bytes exhausted (tried to allocate 65536 bytes)', 255), node: node(), events: [] });
    expect(near).toMatchObject({ cause: 'runtime', kind: 'php-heap', recommendation: { memoryLimit: '1280Mi', runtimeSetting: { name: 'memory_limit', value: '960M' } } });
    expect(near.headline).toBe("svc › svc died of PHP's memory_limit (768M), not the container limit (1Gi)");
    expect(near.termination).toMatchObject({ exitCode: 255 });
    expect(near.termination!.signal).toBeUndefined();
  });

  it('Rust: an allocation that fits the limit points at what refuses memory before the cgroup', () => {
    const v = diagnose({ pod: died('memory allocation of 268435456 bytes failed', 134), node: node(), events: [] });
    expect(v).toMatchObject({ cause: 'runtime', kind: 'rust-alloc', runtime: 'rust' });
    expect(v.action).toMatch(/^The allocator refused 256Mi before the memory cgroup ran out: look for what refuses memory first \(ulimit -v/);
  });

  it('a limit kill names the heap flag it ran with and sizes both ways out', () => {
    const p = pod({ deployment: 'api', containers: [container({ name: 'api', limit: '1Gi', env: { NODE_OPTIONS: '--max-old-space-size=1024' } })], statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 3)] });
    const v = diagnose({ pod: p, node: node(), events: [] });
    expect(v.evidence).toContain("--max-old-space-size=1024 (from NODE_OPTIONS) lets V8's heap take 100 % of the 1Gi limit: V8's heap and what lives outside it (buffers, native addons, other processes) passed the limit before V8's heap was full");
    expect(v.action).toMatch(/^Lower V8's heap to about 75 % of the limit \(`--max-old-space-size=768` in NODE_OPTIONS\)/);
    expect(v.recommendation).toMatchObject({ memoryLimit: '1408Mi', runtimeSetting: { name: 'NODE_OPTIONS', value: '--max-old-space-size=768' } });
    expect(v.recommendation!.rationale).toContain('or keep the limit and set NODE_OPTIONS to 75 % of the current 1Gi limit');
  });

  it("says when Redis's maxmemory could not be seen", () => {
    const p = pod({ deployment: 'cache', containers: [{ ...container({ name: 'redis', limit: '1Gi', command: ['redis-server', '/etc/redis/redis.conf'] }), image: 'redis:7.2' }], statuses: [restartedStatus('redis', { reason: 'OOMKilled', exitCode: 137 }, 1)] });
    expect(diagnose({ pod: p, node: node(), events: [] }).missing).toContain("Redis's maxmemory: not on its command line (a config file sets it, or it is unlimited)");
  });
});
