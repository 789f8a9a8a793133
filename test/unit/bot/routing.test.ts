// Where an alert goes (bot/routing.ts): the nearest annotation wins, then the configured routes; "off" and a mute send
// it nowhere; only https runbooks become a button. A table of inputs and the exact route each gets.
import { describe, expect, it } from 'vitest';
import { route, unreachableChannelNote, type Route, type RouteInput } from '../../../bot/routing.ts';

const verdict: RouteInput['verdict'] = { cause: 'limit', pod: { namespace: 'shop' } };
const routing = { defaultChannel: 'C-ALERTS', namespaceChannels: { shop: 'C-SHOP' }, runbooks: { limit: 'https://wiki.example.com/oom-limit', default: 'https://wiki.example.com/memory' } };
const bare = { defaultChannel: 'C-ALERTS' };

/** The annotations of the pod, its workload and its namespace, nearest first, each only when given. */
const levels = (pod: Record<string, string> = {}, workload: Record<string, string> = {}, namespace: Record<string, string> = {}) => [pod, workload, namespace];
const at = (overrides: Partial<RouteInput>): RouteInput => ({ verdict, annotations: levels(), routing, ...overrides });

describe('route', () => {
  it.each<[string, Partial<RouteInput>, Route]>([
    ['goes to the default channel when nothing else names one', { routing: bare }, { to: 'channel', channel: 'C-ALERTS', from: { by: 'default' } }],
    ['goes to its namespace’s configured channel', {}, { to: 'channel', channel: 'C-SHOP', from: { by: 'namespace-setting' }, runbookUrl: 'https://wiki.example.com/oom-limit' }],
    ['goes where the pod’s annotation says, over every other level and the configuration', { annotations: levels({ 'oombot.io/slack-channel': 'C-POD' }, { 'oombot.io/slack-channel': 'C-WORKLOAD' }, { 'oombot.io/slack-channel': 'C-NS' }) }, { to: 'channel', channel: 'C-POD', from: { by: 'annotation', level: 'pod' }, runbookUrl: 'https://wiki.example.com/oom-limit' }],
    ['goes where the workload’s annotation says, over its namespace’s', { routing: bare, annotations: levels({}, { 'oombot.io/slack-channel': 'C-WORKLOAD' }, { 'oombot.io/slack-channel': 'C-NS' }) }, { to: 'channel', channel: 'C-WORKLOAD', from: { by: 'annotation', level: 'workload' } }],
    ['goes where the namespace’s annotation says, over the configured channel of the namespace', { annotations: levels({}, {}, { 'oombot.io/slack-channel': 'C-NS' }) }, { to: 'channel', channel: 'C-NS', from: { by: 'annotation', level: 'namespace' }, runbookUrl: 'https://wiki.example.com/oom-limit' }],
    ['goes nowhere when its namespace turns alerts off', { annotations: levels({}, {}, { 'oombot.io/alerts': 'off' }) }, { to: 'nobody', because: 'opted-out' }],
    ['posts when the pod turns alerts back on under a namespace that turned them off', { routing: bare, annotations: levels({ 'oombot.io/alerts': 'on' }, {}, { 'oombot.io/alerts': 'off' }) }, { to: 'channel', channel: 'C-ALERTS', from: { by: 'default' } }],
    ['goes nowhere while its workload is muted', { mutedUntil: 1_800_000_000_000 }, { to: 'nobody', because: 'muted', until: 1_800_000_000_000 }],
    ['says opted out rather than muted when both hold', { mutedUntil: 1_800_000_000_000, annotations: levels({ 'oombot.io/alerts': 'off' }) }, { to: 'nobody', because: 'opted-out' }],
    ['takes the runbook an annotation names over the configured ones', { annotations: levels({}, { 'oombot.io/runbook': 'https://runbooks.example.com/checkout' }) }, { to: 'channel', channel: 'C-SHOP', from: { by: 'namespace-setting' }, runbookUrl: 'https://runbooks.example.com/checkout' }],
    ['ignores a runbook annotation that is not https, and takes the one configured for the cause', { annotations: levels({ 'oombot.io/runbook': 'javascript:alert(1)' }) }, { to: 'channel', channel: 'C-SHOP', from: { by: 'namespace-setting' }, runbookUrl: 'https://wiki.example.com/oom-limit' }],
    ['falls back to the default runbook for a cause without one', { verdict: { ...verdict, cause: 'runtime' } }, { to: 'channel', channel: 'C-SHOP', from: { by: 'namespace-setting' }, runbookUrl: 'https://wiki.example.com/memory' }],
    ['offers no runbook longer than a Slack button’s url may be', { routing: bare, annotations: levels({ 'oombot.io/runbook': `https://runbooks.example.com/${'a'.repeat(3000)}` }) }, { to: 'channel', channel: 'C-ALERTS', from: { by: 'default' } }],
    ['offers no runbook that does not parse as a URL', { routing: bare, annotations: levels({ 'oombot.io/runbook': 'https://exa mple.com/[' }) }, { to: 'channel', channel: 'C-ALERTS', from: { by: 'default' } }],
  ])('%s', (_, input, expected) => {
    expect(route(at(input))).toEqual(expected);
  });

  it('reads the levels it could read: with no workload or namespace level, the pod’s alone decide', () => {
    expect(route(at({ routing: bare, annotations: [{ 'oombot.io/slack-channel': 'C-POD' }] }))).toEqual({ to: 'channel', channel: 'C-POD', from: { by: 'annotation', level: 'pod' } });
    expect(route(at({ routing: bare, annotations: [] }))).toEqual({ to: 'channel', channel: 'C-ALERTS', from: { by: 'default' } });
  });
});

describe('unreachableChannelNote', () => {
  const where = { namespace: 'payments', pod: 'ledger-7d9f8b6c5-m4tzr', workload: 'deploy/ledger' };
  it.each<[string, Parameters<typeof unreachableChannelNote>[1], string]>([
    ['the namespace’s annotation', { by: 'annotation', level: 'namespace' }, '#payments-oncall was not found or oombot is not in it: invite @oombot there or fix the oombot.io/slack-channel annotation on namespace payments.'],
    ['the workload’s annotation', { by: 'annotation', level: 'workload' }, '#payments-oncall was not found or oombot is not in it: invite @oombot there or fix the oombot.io/slack-channel annotation on deploy/ledger in namespace payments.'],
    ['the pod’s annotation', { by: 'annotation', level: 'pod' }, '#payments-oncall was not found or oombot is not in it: invite @oombot there or fix the oombot.io/slack-channel annotation on pod payments/ledger-7d9f8b6c5-m4tzr.'],
    ['the configured channel of the namespace', { by: 'namespace-setting' }, '#payments-oncall was not found or oombot is not in it: invite @oombot there or fix OOMBOT_NAMESPACE_CHANNELS for namespace payments.'],
  ])('says which channel failed and how to fix %s', (_, from, expected) => {
    expect(unreachableChannelNote('#payments-oncall', from, where)).toBe(expected);
  });

  it('escapes what the cluster wrote, and stays within a context element', () => {
    const note = unreachableChannelNote(`<!channel> ${'#'.repeat(4000)}`, { by: 'annotation', level: 'namespace' }, where);
    expect(note.startsWith('&lt;!channel&gt; ')).toBe(true);
    expect(note.length).toBeLessThanOrEqual(3000);
  });
});
