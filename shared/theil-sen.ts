// A robust straight line through memory samples (docs/domain.md §14): Theil–Sen, the median of the slopes between
// every pair of points, because one sample caught in a burst or a collector's pause tilts a least-squares line but not
// the median of hundreds of pairwise slopes; and it needs no outlier threshold to tune.

export interface Line {
  /** Change of y per unit of x. */
  slope: number;
  /** y at x = 0. */
  intercept: number;
}

/** Past this many points the fit uses every k-th one: n² pairs grow fast, and a few hundred points fix a slope well. */
export const MAX_FIT_POINTS = 240;

/** The Theil–Sen line through points `from`..`to` (exclusive) of xs/ys; xs strictly increasing. */
export function theilSen(xs: readonly number[], ys: readonly number[], from = 0, to = xs.length): Line {
  const count = to - from;
  if (count <= 0) return { slope: 0, intercept: 0 };
  if (count === 1) return { slope: 0, intercept: ys[from]! };
  const stride = Math.ceil(count / MAX_FIT_POINTS);
  const m = Math.ceil(count / stride);
  const slopes = new Float64Array((m * (m - 1)) / 2);
  let k = 0;
  for (let i = from; i < to; i += stride) {
    const xi = xs[i]!;
    const yi = ys[i]!;
    for (let j = i + stride; j < to; j += stride) slopes[k++] = (ys[j]! - yi) / (xs[j]! - xi);
  }
  const slope = medianInPlace(slopes);
  const offsets = new Float64Array(count);
  for (let i = from; i < to; i++) offsets[i - from] = ys[i]! - slope * xs[i]!;
  return { slope, intercept: medianInPlace(offsets) };
}

/** Share of the variance of ys the line explains (R²), clamped to [0, 1]; 0 when ys do not vary at all. */
export function rSquared(xs: readonly number[], ys: readonly number[], line: Line, from = 0, to = xs.length): number {
  let mean = 0;
  for (let i = from; i < to; i++) mean += ys[i]!;
  mean /= Math.max(1, to - from);
  let total = 0;
  let residual = 0;
  for (let i = from; i < to; i++) {
    total += (ys[i]! - mean) ** 2;
    residual += (ys[i]! - (line.intercept + line.slope * xs[i]!)) ** 2;
  }
  return total === 0 ? 0 : Math.min(1, Math.max(0, 1 - residual / total));
}

/** The median of the values; reorders the array it is given. Quickselect: a full sort of 1,770 slopes costs ten times more. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  const upper = select(values, mid);
  if (n % 2) return upper;
  // After selecting, everything before `mid` is at most values[mid]: the lower middle is their largest.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** The k-th smallest value (0-based), leaving smaller ones before k and larger ones after (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // Median of three as the pivot, so sorted input (a steady climb's slopes) is not the worst case.
    const m = (left + right) >> 1;
    if (a[m]! < a[left]!) swap(a, m, left);
    if (a[right]! < a[left]!) swap(a, right, left);
    if (a[right]! < a[m]!) swap(a, right, m);
    const pivot = a[m]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
