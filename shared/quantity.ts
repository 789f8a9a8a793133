// Kubernetes resource quantities (`512Mi`, `1.5Gi`, `129e6`, `100M`, `250m`).
//
// Written here rather than taken from @kubernetes/client-node: its `quantityToScalar` rejects fractional binary
// quantities (`BigInt("1.5")` throws on `1.5Gi`), does not accept decimal exponents (`129e6`) and returns a mix of
// number and bigint. The grammar below is apimachinery's `resource.Quantity`:
//   <signedNumber><suffix>, suffix = binarySI (Ki..Ei) | decimalSI (n u m "" k M G T P E) | decimalExponent (e|E<n>)

export class QuantityError extends Error {
  override name = 'QuantityError';
  readonly code = 'INVALID_QUANTITY';
  constructor(readonly input: string) {
    super(`"${input}" is not a Kubernetes quantity (expected a number with an optional suffix such as 512Mi, 1.5Gi, 100M or 129e6)`);
  }
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
/** The binary suffixes by their first letter (`M` for `Mi`); each decimal one is a single character already. */
const BINARY_BY_LETTER: Record<string, number> = Object.fromEntries(Object.entries(BINARY).map(([k, v]) => [k[0], v]));
const PATTERN = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The value of a quantity in base units (bytes for memory). Throws QuantityError on anything else. */
export function parseQuantity(input: string): number {
  const plain = plainQuantity(input);
  if (plain !== undefined) return plain;
  const match = PATTERN.exec(input.trim());
  if (!match) throw new QuantityError(input);
  const [, number, exponent, suffix = ''] = match;
  const value = Number(number);
  if (exponent) return value * 10 ** Number(exponent.slice(1));
  return value * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/**
 * The common form — digits, then a suffix or none ("512Mi", "2G", "100m") — read without the regex: a diagnosis reads
 * the requests of every container on the node (bench/diagnose.bench.ts). Undefined for any other form, which PATTERN
 * reads. At most 15 digits, so the sum below is exact and equals what Number() makes of them.
 */
function plainQuantity(input: string): number | undefined {
  let value = 0;
  let i = 0;
  for (; i < input.length; i++) {
    const digit = input.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  if (i === 0 || i > 15) return undefined;
  // The suffix by its characters: slicing it out to look it up would cost a string per quantity.
  const rest = input.length - i;
  const scale = rest === 0 ? 1 : rest === 1 ? DECIMAL[input[i]!] : rest === 2 && input[i + 1] === 'i' ? BINARY_BY_LETTER[input[i]!] : undefined;
  return scale === undefined ? undefined : value * scale;
}

/** Like parseQuantity, but undefined for a missing or invalid quantity (objects from the wild may hold either). */
export function tryParseQuantity(input: string | number | undefined | null): number | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** Bytes for a person: `512Mi`, `1.5Gi`, `89Mi`, `900Ki`; at most one decimal, binary units as Kubernetes shows them. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [['Ti', 2 ** 40], ['Gi', GiB], ['Mi', MiB], ['Ki', 2 ** 10]];
  for (const [unit, size] of units) {
    if (Math.abs(bytes) >= size) {
      const value = bytes / size;
      const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
      return `${text}${unit}`;
    }
  }
  return `${Math.round(bytes)}`;
}

/** A whole-MiB quantity for a manifest: `640Mi`, or `2Gi` when it is a whole number of GiB. Rounds up. */
export function toMemoryQuantity(bytes: number): string {
  const mib = Math.ceil(bytes / MiB);
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/**
 * A quantity for display: the short binary form when it is exact ("536870912" → "512Mi"), else the text as the
 * manifest wrote it ("2G", not the rounded "1.9Gi" nobody can grep for).
 */
export function displayQuantity(written: string | number | undefined, bytes: number): string {
  const short = formatBytes(bytes);
  return tryParseQuantity(short) === bytes || written === undefined ? short : String(written);
}
