// The forwarder checks pods and events with forwarder/shape.ts, not zod (docs/architecture.md, "Budgets"). These tests
// hold it to the schemas the backend parses with: the same fields and types, read from the zod schemas' own
// definitions; the same answer, accept or reject, and the same object, on real pods and events and on broken ones.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { asEvent, asPod, EVENT_SHAPE, POD_SHAPE } from '../../../forwarder/kube-shapes.ts';
import type { Shape } from '../../../forwarder/shape.ts';
import { EventSchema, PodSchema } from '#shared/k8s-objects.ts';
import { container, event, pod, restartedStatus } from '../../support/k8s-factories.ts';

interface Def {
  type: string;
  checks?: unknown[];
  values?: (string | number | boolean)[];
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  defaultValue?: unknown;
}

/** A zod schema as forwarder/shape.ts would write it; throws on what the checker cannot express. */
function shapeOf(schema: z.ZodType): Shape {
  const def = schema._zod.def as unknown as Def;
  const noChecks = () => {
    if (def.checks?.length) throw new Error(`a ${def.type} with checks, which forwarder/shape.ts does not make`);
  };
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      noChecks();
      return { type: def.type };
    case 'literal':
      return { type: 'literal', values: def.values! };
    case 'array':
      noChecks();
      return { type: 'array', element: shapeOf(def.element!) };
    case 'record':
      if (def.keyType!._zod.def.type !== 'string') throw new Error('a record keyed by other than strings');
      return { type: 'record', value: shapeOf(def.valueType!) };
    case 'union':
      return { type: 'union', options: def.options!.map(shapeOf) };
    case 'object':
      return { type: 'object', loose: def.catchall?._zod.def.type === 'unknown', fields: Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, shapeOf(v)])) };
    case 'optional':
    case 'nullable':
      return { type: def.type, inner: shapeOf(def.innerType!) };
    case 'default':
      return { type: 'default', inner: shapeOf(def.innerType!), value: def.defaultValue };
    default:
      throw new Error(`a zod ${def.type}, which forwarder/shape.ts does not check`);
  }
}

const fixtureItems = (file: string): unknown[] => (JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/kubectl', file), 'utf8')) as { items: unknown[] }).items;
const killed = pod({
  deployment: 'checkout',
  containers: [container({ name: 'api', limit: '512Mi', env: { NODE_OPTIONS: '--max-old-space-size=400' } })],
  statuses: [restartedStatus('api', { reason: 'OOMKilled', exitCode: 137 }, 2)],
});
const pods: unknown[] = [killed, ...['limit-oom.json', 'eviction.json', 'node-oom.json', 'liveness-probe.json', 'node-heap.json'].flatMap(fixtureItems).filter((o) => (o as { kind?: string }).kind === 'Pod')];
const events: unknown[] = [event({ reason: 'Evicted', message: 'The node was low on resource: memory.' }), ...['eviction.json', 'node-oom.json'].flatMap(fixtureItems).filter((o) => (o as { kind?: string }).kind === 'Event')];

/** Both say the same: accepted with an equal object, or rejected. */
function agree(check: (raw: unknown) => unknown, schema: z.ZodType, raw: unknown): boolean {
  const parsed = schema.safeParse(raw);
  expect(check(raw)).toEqual(parsed.success ? parsed.data : undefined);
  return parsed.success;
}

describe('the forwarder checks pods and events as the backend parses them', () => {
  it('has the fields, types and defaults of PodSchema and EventSchema', () => {
    expect(POD_SHAPE).toEqual(shapeOf(PodSchema));
    expect(EVENT_SHAPE).toEqual(shapeOf(EventSchema));
  });

  it('reads real pods and events into the objects zod makes of them', () => {
    expect(pods.length).toBeGreaterThan(3);
    expect(events.length).toBeGreaterThan(1);
    for (const raw of pods) {
      expect(asPod(raw)).toEqual(PodSchema.parse(raw));
      expect(asPod(raw)).not.toBe(raw);
    }
    for (const raw of events) expect(asEvent(raw)).toEqual(EventSchema.parse(raw));
  });

  it.each([
    ['no metadata', { spec: { containers: [] } }],
    ['a restartCount in words', { ...killed, status: { containerStatuses: [{ name: 'api', restartCount: 'two' }] } }],
    ['a container without a name', { ...killed, spec: { containers: [{ image: 'x' }] } }],
    ['an exit code that is not a number', { ...killed, status: { containerStatuses: [{ name: 'api', lastState: { terminated: { exitCode: '137' } } }] } }],
    ['an array for metadata', { metadata: [] }],
    ['a kind other than Pod', { ...killed, kind: 'Node' }],
  ])('rejects a pod with %s, as zod does', (_, raw) => {
    expect(asPod(raw)).toBeUndefined();
    expect(PodSchema.safeParse(raw).success).toBe(false);
  });

  it('fills the defaults zod fills, and keeps unknown fields', () => {
    const raw = { apiVersion: 'v1', metadata: { name: 'p', extra: { a: 1 } } };
    expect(asPod(raw)).toEqual({ apiVersion: 'v1', metadata: { name: 'p', extra: { a: 1 } }, spec: { containers: [] }, status: {} });
    expect(asPod(raw)).toEqual(PodSchema.parse(raw));
    expect(asEvent({ reason: 'OOMKilling' })).toEqual({ reason: 'OOMKilling', metadata: {}, involvedObject: {} });
  });

  it('agrees with zod on pods and events broken anywhere', () => {
    // Any JSON value put at any place a real object has a field, or one level below it.
    const placesIn = (o: unknown, prefix: string[] = [], depth = 0): string[][] => {
      if (typeof o !== 'object' || o === null || depth > 6) return [];
      return Object.entries(o).flatMap(([k, v]) => [[...prefix, k], [...prefix, k, 'x'], ...placesIn(v, [...prefix, k], depth + 1)]);
    };
    const put = (o: unknown, at: string[], value: unknown): unknown => {
      if (!at.length) return value;
      const [head, ...rest] = at as [string, ...string[]];
      if (Array.isArray(o)) return o.map((item, i) => (String(i) === head ? put(item, rest, value) : item));
      const obj = typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : {};
      return { ...obj, [head]: put(obj[head], rest, value) };
    };
    for (const [objects, check, schema] of [[pods, asPod, PodSchema], [events, asEvent, EventSchema]] as const) {
      const cases = fc.oneof(...objects.map((raw) => fc.tuple(fc.constant(raw), fc.constantFrom(...placesIn(raw)), fc.jsonValue({ maxDepth: 2 }))));
      const answers = { accepted: 0, rejected: 0 };
      fc.assert(
        fc.property(cases, ([raw, at, value]) => {
          answers[agree(check, schema, put(raw, at, value)) ? 'accepted' : 'rejected'] += 1;
        }),
        { numRuns: 400, seed: 14 },
      );
      // Both answers were tried, many times each.
      expect(Math.min(answers.accepted, answers.rejected)).toBeGreaterThan(40);
    }
  });
});

describe("the forwarder's bundle", () => {
  it('holds no zod: the checks above stand in for it', async () => {
    const { metafile } = await build({
      entryPoints: [path.join(import.meta.dirname, '../../../forwarder/entry.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      external: ['@kubernetes/client-node'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('forwarder/kube-shapes.ts');
    expect(inputs.filter((f) => f.includes('node_modules/zod/'))).toEqual([]);
  });
});
