// fast-check generators of planes for the property tests of reversible-watermark.md §14.2.
import fc from "fast-check";
import { makePlane, type Plane, storedRange } from "../../../src/watermark/reversible/index.ts";

export interface PlaneCase {
  plane: Plane;
  description: string;
}

type Content = "noise" | "gradient" | "flat-blocks" | "saturated" | "padding" | "mixture";

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Fills a plane with one of the content kinds; returns the padding used, if any. */
function fill(
  data: Int32Array,
  rows: number,
  cols: number,
  lo: number,
  hi: number,
  content: Content,
  rand: () => number,
): number | undefined {
  const span = hi - lo;
  const clamp = (v: number) => Math.max(lo, Math.min(hi, Math.round(v)));
  const gx = (rand() - 0.5) * (span / Math.max(cols, 8)) * 0.5;
  const gy = (rand() - 0.5) * (span / Math.max(rows, 8)) * 0.5;
  const base = lo + rand() * span;
  const smooth = (r: number, c: number) =>
    base + gx * c + gy * r + (rand() - 0.5) * Math.min(6, span / 8);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      switch (content) {
        case "noise":
          data[i] = lo + Math.floor(rand() * (span + 1));
          break;
        case "gradient":
          data[i] = clamp(smooth(r, c));
          break;
        case "flat-blocks":
          data[i] = clamp(lo + (((r >> 3) * 7 + (c >> 3) * 13) % 5) * (span / 5));
          break;
        case "saturated":
          data[i] = rand() < 0.4 ? (rand() < 0.5 ? lo : hi) : clamp(smooth(r, c));
          if (rand() < 0.1) data[i] = rand() < 0.5 ? Math.min(hi, lo + 1) : Math.max(lo, hi - 1);
          break;
        case "padding":
        case "mixture":
          data[i] = (r >> 4) % 2 === 0 ? clamp(smooth(r, c)) : lo + Math.floor(rand() * (span + 1));
          break;
      }
    }
  }
  if (content !== "padding" || span < 16) return undefined;
  // Low padding: a block at the bottom of the range, the image strictly above it.
  const pad = lo;
  for (let i = 0; i < data.length; i++) if (data[i] <= pad) data[i] = pad + 1;
  for (let r = 0; r < rows / 3; r++) for (let c = 0; c < cols / 2; c++) data[r * cols + c] = pad;
  return pad;
}

export function arbitraryPlane(
  opts: { minSide?: number; maxSide?: number; contents?: Content[] } = {},
): fc.Arbitrary<PlaneCase> {
  const contents: Content[] = opts.contents ?? [
    "noise",
    "gradient",
    "flat-blocks",
    "saturated",
    "padding",
    "mixture",
  ];
  return fc
    .record({
      rows: fc.integer({ min: opts.minSide ?? 16, max: opts.maxSide ?? 96 }),
      cols: fc.integer({ min: opts.minSide ?? 16, max: opts.maxSide ?? 96 }),
      bitsStored: fc.integer({ min: 2, max: 16 }),
      signed: fc.boolean(),
      content: fc.constantFrom(...contents),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    })
    .map(({ rows, cols, bitsStored, signed, content, seed }) => {
      const { lo, hi } = storedRange(bitsStored, signed);
      const data = new Int32Array(rows * cols);
      const padding = fill(data, rows, cols, lo, hi, content, lcg(seed));
      const plane = makePlane(data, {
        rows,
        cols,
        bitsStored,
        signed,
        ...(padding !== undefined ? { padding: { value: padding } } : {}),
      });
      return {
        plane,
        description: `${rows}x${cols} BS${bitsStored}${signed ? "s" : "u"} ${content} seed ${seed}`,
      };
    });
}

export const arbitraryKeys = fc
  .tuple(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
  )
  .map(([pos, mac]) => ({ epoch: 1, pos, mac }));
