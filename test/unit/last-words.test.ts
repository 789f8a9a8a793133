// A dead run's log as the runtime's last words (shared/last-words.ts): per runtime, the tail → the verdict the same
// recognisers give a termination message; only matched lines quoted, a few at most, secrets redacted; a later run's
// log not taken for this one's; and "Not seen" for a log that could not be read, only where it could have told.
import { describe, expect, it } from 'vitest';
import { diagnose } from '#shared/diagnose.ts';
import type { DiagnosisInput } from '#shared/diagnosis-input.ts';
import { DiagnosisError } from '#shared/errors.ts';
import { LastWordsSchema } from '#shared/last-words-schema.ts';
import { LAST_WORDS_QUOTED, type LastWords } from '#shared/last-words.ts';
import type { Kind } from '#shared/verdict.ts';
import { at, container, downStatus, pod, restartedStatus, T0 } from '../support/k8s-factories.ts';

/** A container as most are: the default terminationMessagePolicy, so the message holds nothing of the log. */
const api = { ...container({ name: 'api', limit: '512Mi', request: '256Mi' }), terminationMessagePolicy: 'File' };
const died = (reason: string, exitCode: number) => pod({ deployment: 'checkout', containers: [api], statuses: [restartedStatus('api', { reason, exitCode }, 3)] });

/** A tail as the API server returns it with timestamps=true: the run ran from at(-600) to T0. */
function stamped(lines: string[], endOffsetSeconds = -0.2): string {
  const end = Date.parse(T0) + endOffsetSeconds * 1000;
  return lines.map((l, i) => `${new Date(end - (lines.length - 1 - i) * 7).toISOString().replace('Z', '123456Z')} ${l}`).join('\n') + '\n';
}
const previous = (tail: string): LastWords => ({ container: 'api', run: 'previous', tail });
const input = (p: DiagnosisInput['pod'], lastWords: LastWords[]): DiagnosisInput => ({ pod: p, lastWords: lastWords.map((l) => LastWordsSchema.parse(l)) });

describe('the previous container log → the runtime that ran out', () => {
  it.each<[string, { reason: string; exit: number }, string[], { kind: Kind; cause: string; quoted: string[] }]>([
    [
      'JVM, -XX:OnOutOfMemoryError="kill -9 %p" (137 without OOMKilled)',
      { reason: 'Error', exit: 137 },
      ['2026-11-27 10:13:58.101  INFO 1 --- [nio-8080-exec-3] c.e.checkout.CartController : cart 81734 priced', 'java.lang.OutOfMemoryError: Java heap space', 'Dumping heap to /tmp/java_pid1.hprof ...', '#', '# java.lang.OutOfMemoryError: Java heap space', '# -XX:OnOutOfMemoryError="kill -9 %p"', '#   Executing /bin/sh -c "kill -9 1"...'],
      { kind: 'jvm-heap', cause: 'runtime', quoted: ['java.lang.OutOfMemoryError: Java heap space', '# java.lang.OutOfMemoryError: Java heap space'] },
    ],
    [
      'JVM, -XX:+ExitOnOutOfMemoryError (exit 3)',
      { reason: 'Error', exit: 3 },
      ['Exception in thread "kafka-consumer-2" java.lang.OutOfMemoryError: Metaspace', 'Terminating due to java.lang.OutOfMemoryError: Metaspace'],
      { kind: 'jvm-heap', cause: 'runtime', quoted: ['Exception in thread "kafka-consumer-2" java.lang.OutOfMemoryError: Metaspace', 'Terminating due to java.lang.OutOfMemoryError: Metaspace'] },
    ],
    [
      'Node.js, V8 heap limit (134)',
      { reason: 'Error', exit: 134 },
      ['<--- Last few GCs --->', '[1:0x5d8c2a0]    88310 ms: Mark-Compact 2011.2 (2083.4) -> 2010.9 (2083.9) MB, 1630.4 / 0.0 ms  (average mu = 0.104, current mu = 0.011) allocation failure;', '<--- JS stacktrace --->', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', '----- Native stack trace -----', ' 1: 0xb8d0a3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]'],
      { kind: 'node-heap', cause: 'runtime', quoted: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'] },
    ],
    [
      '.NET, GCHeapHardLimit (134)',
      { reason: 'Error', exit: 134 },
      ["Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.", '   at Checkout.Pricing.Load()'],
      { kind: 'dotnet-heap', cause: 'runtime', quoted: ["Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown."] },
    ],
    [
      'Go, runtime out of memory (exit 2)',
      { reason: 'Error', exit: 2 },
      ['fatal error: runtime: out of memory', '', 'runtime stack:', 'runtime.throw({0x9c5f2a?, 0x2000?})', '\t/usr/local/go/src/runtime/panic.go:1023 +0x5c fp=0x7ffc2b8 sp=0x7ffc288 pc=0x43a83c'],
      { kind: 'go-heap', cause: 'runtime', quoted: ['fatal error: runtime: out of memory'] },
    ],
    [
      'Python, MemoryError (exit 1)',
      { reason: 'Error', exit: 1 },
      ['Traceback (most recent call last):', '  File "/app/report.py", line 41, in <module>', '    rows = list(reader)', 'MemoryError'],
      { kind: 'python-heap', cause: 'runtime', quoted: ['MemoryError'] },
    ],
    [
      "PHP, memory_limit (exit 255)",
      { reason: 'Error', exit: 255 },
      ['[2026-11-27 10:13:59] production.INFO: Chunk 118/412 written', 'PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /app/x.php on line 423'],
      { kind: 'php-heap', cause: 'runtime', quoted: ['PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /app/x.php on line 423'] },
    ],
    [
      'Rust, allocation failure (134)',
      { reason: 'Error', exit: 134 },
      ['INFO render z=3', 'memory allocation of 34359738368 bytes failed'],
      { kind: 'rust-alloc', cause: 'runtime', quoted: ['memory allocation of 34359738368 bytes failed'] },
    ],
    [
      'JVM, a thread it could not start (a PID limit, not memory)',
      { reason: 'Error', exit: 1 },
      ['[0.512s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.', 'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached'],
      { kind: 'thread-limit', cause: 'not-oom', quoted: ['Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached'] },
    ],
  ])('%s', (_name, { reason, exit }, lines, want) => {
    const v = diagnose(input(died(reason, exit), [previous(stamped(lines))]));
    expect(v).toMatchObject({ cause: want.cause, kind: want.kind, container: 'api', confidence: 'high' });
    expect(v.evidence).toContain(`from the previous container's log: ${want.quoted.map((l) => `"${l}"`).join(' … ')}`);
    expect(v.evidence.join('\n')).not.toContain('termination message');
    expect(v.unseen?.some((e) => e.source === 'previous-log')).toBe(false);
  });

  it('without the log, the same deaths are not memory at all, or a SIGKILL nobody explains', () => {
    expect(() => diagnose({ pod: died('Error', 134) })).toThrow(DiagnosisError);
    expect(diagnose({ pod: died('Error', 137) })).toMatchObject({ cause: 'unknown' });
  });

  it('reads the log of a run that is still down without previous, as the run that died', () => {
    const p = pod({ deployment: 'checkout', containers: [api], statuses: [downStatus('api', { reason: 'Error', exitCode: 2 })] });
    const v = diagnose(input(p, [{ container: 'api', run: 'current', tail: stamped(['fatal error: runtime: out of memory']) }]));
    expect(v).toMatchObject({ kind: 'go-heap' });
    expect(v.evidence).toContain(`from the dead container's log: "fatal error: runtime: out of memory"`);
  });
});

describe('what is quoted', () => {
  it(`quotes only matched lines, the latest ${LAST_WORDS_QUOTED} distinct, never the lines around them`, () => {
    const lines = [
      'DB_PASSWORD=hunter2 connecting to postgres://checkout:s3cr3t@db:5432/shop',
      ...Array.from({ length: 8 }, (_, i) => `Exception in thread "worker-${i}" java.lang.OutOfMemoryError: Java heap space`),
      'Exception in thread "worker-7" java.lang.OutOfMemoryError: Java heap space',
      'INFO shutting down, customer 4111111111111111 not charged',
    ];
    const v = diagnose(input(died('Error', 137), [previous(stamped(lines))]));
    const quoted = ['worker-5', 'worker-6', 'worker-7'].map((w) => `"Exception in thread "${w}" java.lang.OutOfMemoryError: Java heap space"`);
    expect(v.evidence).toContain(`from the previous container's log: ${quoted.join(' … ')}`);
    expect(JSON.stringify(v)).not.toMatch(/worker-[0-4]|hunter2|s3cr3t|4111111111111111|shutting down/);
  });

  it('redacts a credential on a matched line, and clips a long one', () => {
    const line = `java.lang.OutOfMemoryError: Java heap space while calling https://svc:Sup3rS3cret@billing/charge with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaGVja291dCJ9.c2lnbmF0dXJl token=abc123def ${'x'.repeat(400)}`;
    const v = diagnose(input(died('Error', 137), [previous(stamped([line]))]));
    const text = JSON.stringify(v);
    expect(text).not.toMatch(/Sup3rS3cret|eyJhbGciOiJIUzI1NiJ9|abc123def/);
    expect(v.evidence.find((e) => e.startsWith('from the previous'))).toContain('https://svc:[redacted]@billing/charge with Authorization: Bearer [redacted] token=[redacted]');
    expect(v.evidence.find((e) => e.startsWith('from the previous'))!.length).toBeLessThan(260);
  });
});

describe('whose words they are', () => {
  it('lets the termination message speak first: the log is not read for what the message said', () => {
    const p = pod({ deployment: 'checkout', containers: [container({ name: 'api', limit: '512Mi' })], statuses: [restartedStatus('api', { reason: 'Error', exitCode: 134, message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }, 3)] });
    const v = diagnose(input(p, [previous(stamped(['java.lang.OutOfMemoryError: Java heap space']))]));
    expect(v).toMatchObject({ kind: 'node-heap' });
    expect(v.evidence).toContain('termination message: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"');
    expect(v.evidence.join('\n')).not.toContain("container's log");
  });

  it('leaves a kill the kernel reported (OOMKilled) to the kernel, whatever the log says', () => {
    const v = diagnose(input(died('OOMKilled', 137), [previous(stamped(['java.lang.OutOfMemoryError: Java heap space']))]));
    expect(v).toMatchObject({ cause: 'limit', kind: 'container-limit' });
    expect(JSON.stringify(v)).not.toContain('Java heap space');
  });

  it("does not take a later run's log for the run that died (the container ran again since)", () => {
    const later = stamped(['java.lang.OutOfMemoryError: Java heap space'], 45);
    const v = diagnose(input(died('Error', 137), [previous(later)]));
    expect(v).toMatchObject({ cause: 'unknown' });
    expect(v.unseen).toContainEqual({ source: 'previous-log', reason: 'superseded' });
    expect(v.missing).toContain("the dead container's log: it ran again since, and only the later run's log is left");
  });

  it("skips lines from before the run started, and reads another container's log for that container only", () => {
    const early = `${at(-900).replace('Z', '.5Z')} java.lang.OutOfMemoryError: Java heap space\n`;
    expect(diagnose(input(died('Error', 137), [previous(early + stamped(['INFO bye']))]))).toMatchObject({ cause: 'unknown' });
    const other = { container: 'worker', run: 'previous' as const, tail: stamped(['java.lang.OutOfMemoryError: Java heap space']) };
    expect(diagnose(input(died('Error', 137), [other]))).toMatchObject({ cause: 'unknown' });
  });
});

describe('"Not seen" for a log that could not be read', () => {
  it.each<[LastWords['unread'] & object, string]>([
    [{ reason: 'not-enabled' }, "the dead container's log: not read (pods/log is opt-in)"],
    [{ reason: 'not-permitted', detail: 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy)' }, "the dead container's log: forbidden (Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy))"],
    [{ reason: 'not-found' }, "the dead container's log: no longer kept by the kubelet"],
    [{ reason: 'timed-out' }, "the dead container's log: no answer in time"],
    [{ reason: 'unreachable' }, "the dead container's log: the request failed (no connection)"],
    [{ reason: 'no-address' }, "the dead container's log: the node lists no kubelet address to ask"],
  ])('%j, once', (unread, sentence) => {
    const v = diagnose(input(died('Error', 137), [{ container: 'api', run: 'previous', unread }]));
    expect(v.missing.filter((m) => m.startsWith("the dead container's log"))).toEqual([sentence]);
  });

  it('says nothing of the log where it could not have told more: an OOMKilled death, or another run than the one diagnosed', () => {
    const unread = { reason: 'not-enabled' as const };
    expect(diagnose(input(died('OOMKilled', 137), [{ container: 'api', run: 'previous', unread }])).missing.join('\n')).not.toContain('log');
    // The run that is down now is a later one than the one diagnosed (lastState): its log is another run's.
    const twice = pod({ deployment: 'checkout', containers: [api], statuses: [{ ...downStatus('api', { reason: 'Error', exitCode: 1, finishedAt: at(30) }), lastState: restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }).lastState }] });
    expect(diagnose(input(twice, [{ container: 'api', run: 'current', unread }])).missing.join('\n')).not.toContain('log');
  });
});
