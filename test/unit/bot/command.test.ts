import { describe, expect, it } from 'vitest';
import { parseOomCommand } from '../../../bot/command.ts';

describe('parseOomCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['why checkout-7d9f8b6c5-m4tzr -n shop', { kind: 'why', pod: 'checkout-7d9f8b6c5-m4tzr', namespace: 'shop', share: false }],
    ['why shop/checkout-7d9f8b6c5-m4tzr --cluster prod-eu --share', { kind: 'why', pod: 'checkout-7d9f8b6c5-m4tzr', namespace: 'shop', cluster: 'prod-eu', share: true }],
    // No namespace: answerOom looks in default, then across namespaces (kube/find-pod.ts).
    ['why api-0', { kind: 'why', pod: 'api-0', share: false }],
    ['recent', { kind: 'recent' }],
    ['recent shop --cluster prod-eu', { kind: 'recent', namespace: 'shop', cluster: 'prod-eu' }],
    ['mute deploy/checkout 1h -n shop', { kind: 'mute', workload: 'Deployment/checkout', namespace: 'shop', durationMs: 3_600_000, duration: '1h' }],
    ['mute sts/redis 7d', { kind: 'mute', workload: 'StatefulSet/redis', namespace: 'default', durationMs: 604_800_000, duration: '7d' }],
    ['unmute checkout -n shop', { kind: 'unmute', workload: 'Deployment/checkout', namespace: 'shop' }],
  ])('%j', (text, command) => {
    expect(parseOomCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['why', 'which pod? `/oom why <pod> [-n namespace]`'],
    ['why a b', 'which pod? `/oom why <pod> [-n namespace]`'],
    ['why Not_A_Pod', '"Not_A_Pod" is not a pod name'],
    ['why api -n', '-n needs a value'],
    ['why api --bogus', 'unknown option --bogus'],
    ['mute checkout', 'for how long? 1h, 24h or 7d'],
    ['mute checkout 2h', 'for how long? 1h, 24h or 7d'],
    ['mute widget/x 1h', 'which workload? `/oom mute <workload> <1h|24h|7d>`, e.g. `/oom mute deploy/checkout 1h -n shop`'],
    ['unmute', 'which workload? `/oom unmute <workload>`, e.g. `/oom unmute deploy/checkout -n shop`'],
    ['recent a b', '`/oom recent [namespace]` takes one namespace at most'],
    ['explode', 'unknown command "explode"'],
  ])('%j → %s', (text, error) => {
    expect(parseOomCommand(text)).toEqual({ ok: false, error });
  });
});
