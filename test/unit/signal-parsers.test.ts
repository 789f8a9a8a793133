// The parsers for what kubelets, kernels and runtimes print. Texts are the upstream formats quoted in docs/domain.md.
import { describe, expect, it } from 'vitest';
import { evictionFromEventAnnotations, isMemoryPressureRejection, parseEvictionMessage } from '#shared/eviction-message.ts';
import { expectedOomScoreAdj, memcgNamesPod, parseKernelOomLine, parseSystemOom } from '#shared/kernel-oom.ts';
import { recogniseRuntimeOom } from '#shared/runtime-oom.ts';
import { findHeapSetting } from '#shared/runtime-settings.ts';
import { MiB } from '#shared/quantity.ts';

describe('parseEvictionMessage', () => {
  it('reads the current format with several containers', () => {
    expect(
      parseEvictionMessage(
        'The node was low on resource: memory. Threshold quantity: 750Mi, available: 512.5Mi. Container web was using 1.5Gi, request is 512Mi, has larger consumption of memory. Container sidecar was using 300Mi, request is 0, has larger consumption of memory. ',
      ),
    ).toEqual({
      resource: 'memory',
      thresholdBytes: 750 * MiB,
      availableBytes: 512.5 * MiB,
      containers: [
        { name: 'web', usageBytes: 1536 * MiB, requestBytes: 512 * MiB },
        { name: 'sidecar', usageBytes: 300 * MiB, requestBytes: 0 },
      ],
    });
  });

  it('reads the older format', () => {
    expect(parseEvictionMessage('The node was low on resource: memory. Container web was using 1843Mi, which exceeds its request of 512Mi. ')).toEqual({
      resource: 'memory',
      thresholdBytes: undefined,
      availableBytes: undefined,
      containers: [{ name: 'web', usageBytes: 1843 * MiB, requestBytes: 512 * MiB }],
    });
  });

  it('reads other starved resources and rejects other texts', () => {
    expect(parseEvictionMessage('The node was low on resource: ephemeral-storage. ')?.resource).toBe('ephemeral-storage');
    expect(parseEvictionMessage('Pod was rejected: The node had condition: [MemoryPressure]. ')).toBeUndefined();
    expect(parseEvictionMessage(undefined)).toBeUndefined();
  });

  it('reads the Evicted event annotations', () => {
    expect(evictionFromEventAnnotations({ offending_containers: 'web,sidecar', offending_containers_usage: '1800Mi,20Mi', starved_resource: 'memory' })).toEqual({
      resource: 'memory',
      thresholdBytes: undefined,
      availableBytes: undefined,
      containers: [
        { name: 'web', usageBytes: 1800 * MiB, requestBytes: undefined },
        { name: 'sidecar', usageBytes: 20 * MiB, requestBytes: undefined },
      ],
    });
  });

  it('recognises the MemoryPressure admission rejection', () => {
    expect(isMemoryPressureRejection('Pod was rejected: The node had condition: [MemoryPressure]. ')).toBe(true);
    expect(isMemoryPressureRejection('Pod was rejected: The node had condition: [DiskPressure]. ')).toBe(false);
  });
});

describe('parseKernelOomLine', () => {
  it('reads a memcg kill with anon-rss', () => {
    expect(
      parseKernelOomLine('Memory cgroup out of memory: Killed process 4321 (java) total-vm:6123456kB, anon-rss:1048576kB, file-rss:2048kB, shmem-rss:0kB, UID:1000 pgtables:4096kB oom_score_adj:969'),
    ).toEqual({ scope: 'memcg', pid: 4321, process: 'java', anonRssBytes: 1024 * MiB, oomMemcg: undefined, taskMemcg: undefined, oomScoreAdj: 969 });
  });

  it('reads a node-wide kill', () => {
    expect(parseKernelOomLine('Out of memory: Killed process 77 (python3) total-vm:100kB, anon-rss:50kB, file-rss:0kB, shmem-rss:0kB')?.scope).toBe('node');
  });

  it('reads the oom-kill summary line with memcg paths', () => {
    const line = 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=x,mems_allowed=0,oom_memcg=/kubepods.slice/kubepods-burstable.slice,task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6a1c8e_3f4d.slice/cri-containerd-abc.scope,task=app,pid=9,uid=0';
    const kill = parseKernelOomLine(line);
    expect(kill).toMatchObject({ scope: 'memcg', pid: 9, process: 'app', oomMemcg: '/kubepods.slice/kubepods-burstable.slice' });
    expect(memcgNamesPod(kill?.taskMemcg, '0b6a1c8e-3f4d')).toBe(true);
    expect(memcgNamesPod(kill?.taskMemcg, 'ffffffff-0000')).toBe(false);
  });

  it('ignores lines that are not OOM kills', () => {
    expect(parseKernelOomLine('task blocked for more than 120 seconds')).toBeUndefined();
  });

  it('works out the oom_score_adj the kubelet gives a container', () => {
    expect(expectedOomScoreAdj('Guaranteed', 1, 2)).toBe(-997);
    expect(expectedOomScoreAdj('BestEffort', undefined, undefined)).toBe(1000);
    expect(expectedOomScoreAdj('Burstable', 2 * 1024 * MiB, 16 * 1024 * MiB)).toBe(875);
    expect(expectedOomScoreAdj('Burstable', 16 * 1024 * MiB, 16 * 1024 * MiB)).toBe(3); // clamped
    expect(expectedOomScoreAdj('Burstable', 0, 16 * 1024 * MiB)).toBe(999); // clamped
    expect(expectedOomScoreAdj('Burstable', undefined, 16 * 1024 * MiB)).toBeUndefined();
  });

  it('reads SystemOOM with and without a victim', () => {
    expect(parseSystemOom('System OOM encountered, victim process: python3, pid: 31337')).toEqual({ victimProcess: 'python3', pid: 31337 });
    expect(parseSystemOom('System OOM encountered')).toEqual({ victimProcess: undefined, pid: undefined });
    expect(parseSystemOom('Stopping container app')).toBeUndefined();
  });
});

describe('recogniseRuntimeOom', () => {
  it.each([
    ['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n\tat Foo.bar(Foo.java:1)', 'jvm', 'Java heap space'],
    ['Terminating due to java.lang.OutOfMemoryError: Metaspace', 'jvm', 'Metaspace'],
    ['java.lang.OutOfMemoryError: GC overhead limit exceeded', 'jvm', 'GC overhead limit exceeded'],
    ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 'node', 'JavaScript heap out of memory'],
    ['FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory', 'node', 'JavaScript heap out of memory'],
    ["Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.", 'dotnet', 'System.OutOfMemoryException'],
    ['Out of memory.', 'dotnet', 'System.OutOfMemoryException'],
    ['fatal error: runtime: out of memory\n\nruntime stack:', 'go', 'runtime: out of memory'],
    ['runtime: out of memory: cannot allocate 4194304-byte block (3997696 in use)', 'go', 'runtime: out of memory'],
    ['Traceback (most recent call last):\n  File "x.py", line 1\nMemoryError', 'python', 'MemoryError'],
  ])('%j → %s', (message, runtime, detail) => {
    expect(recogniseRuntimeOom(message)).toMatchObject({ runtime, detail });
  });

  it.each(['panic: runtime error: index out of range', 'Error: connect ECONNREFUSED', 'OutOfMemoryErrorHandler started', ''])('%j is not a runtime OOM', (message) => {
    expect(recogniseRuntimeOom(message)).toBeUndefined();
  });
});

describe('findHeapSetting', () => {
  const c = (env: Record<string, string>, args: string[] = []) => ({ name: 'x', env: Object.entries(env).map(([name, value]) => ({ name, value })), args });
  it('reads heap caps from env and args', () => {
    expect(findHeapSetting(c({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=2048' }), 'node')).toEqual({ text: '--max-old-space-size=2048', source: 'NODE_OPTIONS', bytes: 2048 * MiB });
    expect(findHeapSetting(c({ JAVA_TOOL_OPTIONS: '-Xmx1g -Xss512k' }), 'jvm')).toEqual({ text: '-Xmx1g', source: 'JAVA_TOOL_OPTIONS', bytes: 1024 * MiB });
    expect(findHeapSetting(c({}, ['-XX:MaxRAMPercentage=50.0', '-jar', 'app.jar']), 'jvm')).toEqual({ text: '-XX:MaxRAMPercentage=50.0', source: 'args', fraction: 0.5 });
    expect(findHeapSetting(c({ DOTNET_GCHeapHardLimitPercent: '0x32' }), 'dotnet')).toEqual({ text: 'DOTNET_GCHeapHardLimitPercent=0x32', source: 'DOTNET_GCHeapHardLimitPercent', fraction: 0.5 });
    expect(findHeapSetting(c({ GOMEMLIMIT: '900MiB' }), 'go')).toEqual({ text: 'GOMEMLIMIT=900MiB', source: 'GOMEMLIMIT', bytes: 900 * MiB });
    expect(findHeapSetting(c({}), 'node')).toBeUndefined();
  });
});
