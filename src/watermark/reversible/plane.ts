// Input domain (reversible-watermark.md §2): planes of stored integers, their representable
// range from BitsStored/PixelRepresentation, and the working range left by pixel padding.
import type { PixelImage } from "../../imaging/types.ts";
import { WatermarkError } from "./errors.ts";

export interface Plane {
  rows: number;
  cols: number;
  data: Int32Array;
  /** Representable range (§2.1). */
  lo: number;
  hi: number;
  /** Working range (§2.2): values outside it are padding and never change. */
  loW: number;
  hiW: number;
}

export const MIN_SIDE = 16;

export function storedRange(bitsStored: number, signed: boolean): { lo: number; hi: number } {
  return signed
    ? { lo: -(2 ** (bitsStored - 1)), hi: 2 ** (bitsStored - 1) - 1 }
    : { lo: 0, hi: 2 ** bitsStored - 1 };
}

export interface PlaneMeta {
  rows: number;
  cols: number;
  bitsStored: number;
  signed: boolean;
  padding?: { value: number; rangeLimit?: number };
}

/** One plane with its ranges; throws on anything §2 refuses. Never clips. */
export function makePlane(data: Int32Array, meta: PlaneMeta): Plane {
  const { rows, cols } = meta;
  if (rows < MIN_SIDE || cols < MIN_SIDE) {
    throw new WatermarkError(
      "WM_TOO_SMALL",
      `image is ${rows}x${cols}; at least ${MIN_SIDE}x${MIN_SIDE} is needed`,
    );
  }
  if (data.length !== rows * cols) {
    throw new WatermarkError(
      "WM_BAD_ARGUMENT",
      `plane has ${data.length} values, expected ${rows}x${cols}`,
    );
  }
  const { lo, hi } = storedRange(meta.bitsStored, meta.signed);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo || v > hi) {
      throw new WatermarkError(
        "WM_VALUE_OUT_OF_RANGE",
        `value ${v} at index ${i} lies outside [${lo}, ${hi}] for BitsStored ${meta.bitsStored}; refusing rather than clipping`,
      );
    }
  }
  const { loW, hiW } = workingRange(data, lo, hi, meta.padding);
  return { rows, cols, data, lo, hi, loW, hiW };
}

function workingRange(
  data: Int32Array,
  lo: number,
  hi: number,
  padding?: { value: number; rangeLimit?: number },
): { loW: number; hiW: number } {
  if (!padding) return { loW: lo, hiW: hi };
  const q = padding.rangeLimit ?? padding.value;
  const p1 = Math.min(padding.value, q);
  const p2 = Math.max(padding.value, q);
  let lowPadding = true;
  let highPadding = true;
  for (let i = 0; i < data.length && (lowPadding || highPadding); i++) {
    const v = data[i];
    if (v <= p2 && v < p1) lowPadding = false;
    if (v >= p1 && v > p2) highPadding = false;
  }
  if (lowPadding) return { loW: Math.max(lo, p2 + 1), hiW: hi };
  if (highPadding) return { loW: lo, hiW: Math.min(hi, p1 - 1) };
  throw new WatermarkError(
    "WM_PADDING_AMBIGUOUS",
    `pixel padding [${p1}, ${p2}] lies inside the image's value range; cannot tell padding from tissue`,
  );
}

const SUPPORTED_PHOTOMETRIC = new Set(["MONOCHROME1", "MONOCHROME2", "RGB"]);

/** Validates an image's metadata (§2.1) and returns its planes with ranges. */
export function planesOf(image: PixelImage): Plane[] {
  if (!SUPPORTED_PHOTOMETRIC.has(image.photometric)) {
    throw new WatermarkError(
      "WM_UNSUPPORTED_PHOTOMETRIC",
      `photometric interpretation ${image.photometric} is not supported (MONOCHROME1, MONOCHROME2 or RGB)`,
    );
  }
  const { bitsAllocated: ba, bitsStored: bs, highBit } = image;
  if ((ba !== 8 && ba !== 16) || bs < 2 || bs > 16 || bs > ba || highBit !== bs - 1) {
    throw new WatermarkError(
      "WM_UNSUPPORTED_BITS",
      `BitsAllocated ${ba}, BitsStored ${bs}, HighBit ${highBit}: only 8/16-bit containers with 2..16 bits stored and HighBit = BitsStored - 1 are supported`,
    );
  }
  const meta: PlaneMeta = {
    rows: image.rows,
    cols: image.cols,
    bitsStored: bs,
    signed: image.pixelRepresentation === 1,
    ...(image.padding ? { padding: image.padding } : {}),
  };
  return image.planes.map((data) => makePlane(data, meta));
}

/** The same plane with other pixel values (ranges are re-derived by the decoder, not copied). */
export function withData(plane: Plane, data: Int32Array): Plane {
  return { ...plane, data };
}
