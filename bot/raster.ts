// An RGB canvas with the few primitives the memory chart draws: rectangles, dashed rules, antialiased strokes,
// the area under a curve and bitmap text. Written here because a canvas library for Node brings a native build or a
// font file over the Lambda's size budget (docs/architecture.md, "Budgets"); each primitive is a few lines.
import { layoutText } from './bitmap-font.ts';
import { encodePng } from './png.ts';

/** A colour as `#rrggbb`. */
export type Colour = `#${string}`;
export interface Point {
  readonly x: number;
  readonly y: number;
}

const parsed = new Map<Colour, Rgb>();
function rgbOf(colour: Colour): Rgb {
  let rgb = parsed.get(colour);
  if (!rgb) {
    const n = Number.parseInt(colour.slice(1), 16);
    rgb = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    parsed.set(colour, rgb);
  }
  return rgb;
}

/** Distance from (px, py) to the segment a–b. */
function distanceToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared));
  const [ex, ey] = [px - (a.x + t * dx), py - (a.y + t * dy)];
  return Math.sqrt(ex * ex + ey * ey);
}

type Rgb = readonly [number, number, number];

export class Raster {
  readonly pixels: Uint8Array;

  constructor(readonly width: number, readonly height: number, paper: Colour) {
    this.pixels = new Uint8Array(width * height * 3);
    this.pixels.set(rgbOf(paper));
    // Doubling copies: a handful of native calls instead of a loop over every pixel (it runs on a cold Lambda).
    for (let filled = 3; filled < this.pixels.length; filled *= 2) this.pixels.copyWithin(filled, 0, filled);
  }

  /** Mixes `rgb` into the pixel at (x, y) with opacity `alpha`; outside the raster it does nothing. */
  private put(x: number, y: number, rgb: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = (y * this.width + x) * 3;
    const p = this.pixels;
    if (alpha >= 1) {
      p[i] = rgb[0];
      p[i + 1] = rgb[1];
      p[i + 2] = rgb[2];
    } else {
      p[i] = Math.round(p[i]! + (rgb[0] - p[i]!) * alpha);
      p[i + 1] = Math.round(p[i + 1]! + (rgb[1] - p[i + 1]!) * alpha);
      p[i + 2] = Math.round(p[i + 2]! + (rgb[2] - p[i + 2]!) * alpha);
    }
  }

  fillRect(x: number, y: number, width: number, height: number, colour: Colour, alpha = 1): void {
    const rgb = rgbOf(colour);
    const [x1, y1] = [Math.round(x + width), Math.round(y + height)];
    for (let py = Math.round(y); py < y1; py++) for (let px = Math.round(x); px < x1; px++) this.put(px, py, rgb, alpha);
  }

  /**
   * A dashed line along a row or a column (the limit, the request, the kill): `dash` pixels drawn, `gap` skipped,
   * `thickness` pixels across, on whole pixels so it stays crisp.
   */
  dashedRule(from: Point, to: Point, thickness: number, colour: Colour, dash: number, gap: number): void {
    const across = Math.round((from.x === to.x ? from.x : from.y) - thickness / 2);
    const [start, end] = from.x === to.x ? [from.y, to.y] : [from.x, to.x];
    for (let d = Math.round(start); d < end; d += dash + gap) {
      const length = Math.min(dash, end - d);
      if (from.x === to.x) this.fillRect(across, d, thickness, length, colour);
      else this.fillRect(d, across, length, thickness, colour);
    }
  }

  /**
   * A polyline of the given width with round joins and caps. Coverage is the largest over its segments, so joins are
   * not painted twice (a translucent stroke would show darker knots).
   */
  stroke(points: readonly Point[], width: number, colour: Colour, alpha = 1): void {
    if (points.length === 0) return;
    const reach = width / 2 + 1;
    const left = Math.max(0, Math.floor(Math.min(...points.map((p) => p.x)) - reach));
    const top = Math.max(0, Math.floor(Math.min(...points.map((p) => p.y)) - reach));
    const right = Math.min(this.width - 1, Math.ceil(Math.max(...points.map((p) => p.x)) + reach));
    const bottom = Math.min(this.height - 1, Math.ceil(Math.max(...points.map((p) => p.y)) + reach));
    if (right < left || bottom < top) return;
    const columns = right - left + 1;
    const coverage = new Float32Array(columns * (bottom - top + 1));
    const segments = points.length === 1 ? [[points[0]!, points[0]!] as const] : points.slice(1).map((p, i) => [points[i]!, p] as const);
    for (const [a, b] of segments) {
      for (let py = Math.max(top, Math.floor(Math.min(a.y, b.y) - reach)); py <= Math.min(bottom, Math.ceil(Math.max(a.y, b.y) + reach)); py++) {
        for (let px = Math.max(left, Math.floor(Math.min(a.x, b.x) - reach)); px <= Math.min(right, Math.ceil(Math.max(a.x, b.x) + reach)); px++) {
          const cover = Math.min(1, width / 2 + 0.5 - distanceToSegment(px + 0.5, py + 0.5, a, b));
          const i = (py - top) * columns + (px - left);
          if (cover > coverage[i]!) coverage[i] = cover;
        }
      }
    }
    const rgb = rgbOf(colour);
    for (let py = top, i = 0; py <= bottom; py++) {
      for (let px = left; px <= right; px++, i++) if (coverage[i]! > 0) this.put(px, py, rgb, coverage[i]! * alpha);
    }
  }

  /**
   * Fills between a curve and the horizontal line `baseline` below it, column by column: each pixel column whose
   * centre falls within [a.x, b.x) of a segment gets the curve's height there, its top pixel in proportion.
   */
  fillUnder(points: readonly Point[], baseline: number, colour: Colour, alpha: number): void {
    const rgb = rgbOf(colour);
    for (let s = 1; s < points.length; s++) {
      const a = points[s - 1]!;
      const b = points[s]!;
      const last = s === points.length - 1;
      for (let px = Math.ceil(a.x - 0.5); px + 0.5 < b.x || (last && px + 0.5 <= b.x); px++) {
        const y = b.x === a.x ? Math.min(a.y, b.y) : a.y + ((b.y - a.y) * (px + 0.5 - a.x)) / (b.x - a.x);
        const top = Math.floor(y);
        this.put(px, top, rgb, alpha * (top + 1 - y));
        for (let py = top + 1; py < baseline; py++) this.put(px, py, rgb, alpha);
      }
    }
  }

  /** Bitmap text with its top-left corner at (x, y); returns its width. */
  text(text: string, x: number, y: number, scale: number, colour: Colour): number {
    return layoutText(text, Math.round(x), Math.round(y), scale, (px, py, size) => this.fillRect(px, py, size, size, colour));
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }
}
