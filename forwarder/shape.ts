// A small checker for the Kubernetes objects the forwarder reads, in place of zod: zod and the schemas built with it
// cost about 4 MiB of resident memory at load, a tenth of the forwarder's budget (docs/architecture.md, "Budgets").
// A shape is plain data, written to mirror a schema of shared/k8s-objects.ts; test/unit/forwarder/shapes.test.ts reads
// the zod schema's own definition and fails when the two differ, so the forwarder keeps accepting what the backend
// accepts, and returns the same object zod would (defaults filled in, unknown fields kept).

export type Shape =
  | { type: 'string' }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'literal'; values: readonly (string | number | boolean)[] }
  | { type: 'array'; element: Shape }
  | { type: 'record'; value: Shape }
  | { type: 'union'; options: readonly Shape[] }
  /** `loose`: unknown fields pass through (z.looseObject); otherwise they are dropped (z.object). */
  | { type: 'object'; loose: boolean; fields: Readonly<Record<string, Shape>> }
  | { type: 'optional'; inner: Shape }
  | { type: 'nullable'; inner: Shape }
  /** The value when the input is undefined, used as it is (zod's `.default` does not parse its default either). */
  | { type: 'default'; inner: Shape; value: unknown };

const FAIL: unique symbol = Symbol('does not fit');

/** `value` as the shape reads it, or undefined when it does not fit. */
export function check<T>(shape: Shape, value: unknown): T | undefined {
  const out = read(shape, value);
  return out === FAIL ? undefined : (out as T);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function read(shape: Shape, v: unknown): unknown {
  switch (shape.type) {
    case 'string':
    case 'boolean':
      return typeof v === shape.type ? v : FAIL;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? v : FAIL;
    case 'literal':
      return shape.values.includes(v as string | number | boolean) ? v : FAIL;
    case 'optional':
      return v === undefined ? v : read(shape.inner, v);
    case 'nullable':
      return v === null ? v : read(shape.inner, v);
    case 'default':
      return v === undefined ? structuredClone(shape.value) : read(shape.inner, v);
    case 'union':
      for (const option of shape.options) {
        const out = read(option, v);
        if (out !== FAIL) return out;
      }
      return FAIL;
    case 'array': {
      if (!Array.isArray(v)) return FAIL;
      const out: unknown[] = [];
      for (const item of v) {
        const checked = read(shape.element, item);
        if (checked === FAIL) return FAIL;
        out.push(checked);
      }
      return out;
    }
    case 'record': {
      if (!isObject(v)) return FAIL;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        const checked = read(shape.value, item);
        if (checked === FAIL) return FAIL;
        out[key] = checked;
      }
      return out;
    }
    case 'object': {
      if (!isObject(v)) return FAIL;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape.fields)) {
        const checked = read(field, v[key]);
        if (checked === FAIL) return FAIL;
        // An optional field that is absent stays absent, as in zod's output.
        if (checked !== undefined || key in v) out[key] = checked;
      }
      if (shape.loose) for (const key of Object.keys(v)) if (!(key in shape.fields)) out[key] = v[key];
      return out;
    }
  }
}
