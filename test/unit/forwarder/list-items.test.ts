import { describe, expect, it } from 'vitest';
import { ListItems } from '../../../forwarder/list-items.ts';

/** A PodMetricsList as metrics-server writes it: Go's field order, no spaces. */
const podMetrics = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: 'shop', creationTimestamp: '2026-11-27T10:14:03Z', labels },
  timestamp: '2026-11-27T10:14:03Z',
  window: '15s',
  containers: [{ name: 'app', usage: { cpu: '1m', memory: '1024Ki' } }],
});
const listText = (items: unknown[], metadata: object = {}) => JSON.stringify({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata, items });

function read(text: string, chunkSize = text.length) {
  const items: unknown[] = [];
  const reader = new ListItems((item) => items.push(item));
  for (let i = 0; i < text.length; i += chunkSize) reader.write(text.slice(i, i + chunkSize));
  return { items, list: reader.end() };
}

// Strings that look like structure: brackets, the very end of an item, escaped quotes and backslashes, non-ASCII.
const HOSTILE = { 'a]},{"metadata":{': ']},', 'b\\"': '\\"]}]', 'c': '{[}]"', 'd': 'ünïcødé ☃ \\' };

describe('ListItems', () => {
  it.each([1, 2, 3, 7, 64, 1_000_000])('hands over each item whole, in order, whatever the chunks (%i characters)', (size) => {
    const items = [podMetrics('a'), podMetrics('b', HOSTILE), podMetrics('c')];
    expect(read(listText(items, { continue: 'next-page' }), size)).toEqual({ items, list: { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { continue: 'next-page' }, items: [] } });
  });

  it.each([1, 5, 1_000_000])('reads items another server writes in another order, and spaced (%i characters a chunk)', (size) => {
    const items = [{ containers: [{ name: 'x', usage: { memory: '1Mi' } }], metadata: { name: 'a', labels: HOSTILE } }, { metadata: { name: 'b' }, window: '30s' }, podMetrics('c')];
    const text = JSON.stringify({ items, metadata: { continue: '' }, kind: 'PodMetricsList' }, null, 2);
    expect(read(text, size)).toEqual({ items, list: { items: [], metadata: { continue: '' }, kind: 'PodMetricsList' } });
  });

  it('takes the careful way for good, mid-list, when items do not end the quick way', () => {
    const items = Array.from({ length: 1_000 }, (_, i) => ({ metadata: { name: `pod-${i}`, labels: HOSTILE }, window: '15s' }));
    expect(read(JSON.stringify({ kind: 'PodMetricsList', items }), 4096).items).toEqual(items);
  });

  it('reads an empty list', () => {
    expect(read(listText([]), 3)).toEqual({ items: [], list: { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [] } });
  });

  it('refuses a body cut short, and one that is not JSON', () => {
    const text = listText([podMetrics('a'), podMetrics('b')]);
    expect(() => read(text.slice(0, text.length - 30))).toThrow(SyntaxError);
    expect(() => read(text.slice(0, 40), 7)).toThrow(SyntaxError);
    expect(() => read('<html>bad gateway</html>')).toThrow(SyntaxError);
  });
});
