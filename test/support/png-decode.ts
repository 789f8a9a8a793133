// Reads a PNG back into pixels for tests that check what a chart shows: 8-bit truecolour (RGB or RGBA), not
// interlaced — what bot/png.ts writes and what a browser's screenshot is. Checks every chunk's CRC and undoes all five
// scanline filters (PNG spec, ISO/IEC 15948 §9), so a test can trust the bytes it inspects.
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly chunks: readonly string[];
  /** `#rrggbb` of the pixel at (x, y). */
  hex(x: number, y: number): string;
}

const SIGNATURE = '89504e470d0a1a0a';

export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png);
  if (buf.subarray(0, 8).toString('hex') !== SIGNATURE) throw new Error('not a PNG: bad signature');
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  for (let at = 8; at < buf.length;) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== buf.readUInt32BE(at + 8 + length)) throw new Error(`bad CRC in ${type}`);
    chunks.push(type);
    if (type === 'IHDR') header = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  if (!header || chunks[0] !== 'IHDR' || chunks.at(-1) !== 'IEND') throw new Error(`bad chunk order: ${chunks.join(',')}`);
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = header.subarray(8);
  if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  const channels = colourType === 2 ? 3 : 4;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (stride + 1) * height) throw new Error(`IDAT holds ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const value = raw[y * (stride + 1) + 1 + i]!;
      const left = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      const p = left + up - upLeft;
      const paeth = Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft) ? left : Math.abs(p - up) <= Math.abs(p - upLeft) ? up : upLeft;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`bad filter ${filter} on row ${y}`);
      pixels[y * stride + i] = (value + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    channels,
    chunks,
    hex: (x, y) => `#${pixels.subarray((y * width + x) * channels, (y * width + x) * channels + 3).toString('hex')}`,
  };
}
