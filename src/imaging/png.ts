// PNG input and output (reversible-watermark.md §2.1: BS = bit depth, unsigned). 16-bit PNG
// samples are big-endian on disk (PNG spec §7.1); pngjs hands them over as numbers.
//
// Accepted on reading: greyscale (colour type 0) and RGB (type 2), 8 or 16 bits; greyscale+alpha
// and RGBA (types 4, 6) only when every alpha sample is opaque, since the alpha channel would
// otherwise be lost. Palette images and bit depths 1, 2, 4 are refused: their samples are indices
// or would have to be rescaled, so a mark could not work on the stored values.
import { PNG } from "pngjs";
import { ImagingError, parseError } from "./errors.ts";
import type { PixelImage } from "./types.ts";

interface PngMeta {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  data: Buffer | Uint16Array;
}

export function readPng(bytes: Uint8Array): PixelImage {
  let png: PngMeta;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      skipRescale: true,
    }) as unknown as PngMeta;
  } catch (err) {
    throw parseError(`PNG does not decode: ${(err as Error).message}`);
  }
  const { width: cols, height: rows, depth, colorType } = png;
  if (depth !== 8 && depth !== 16) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `PNG bit depth ${depth}: only 8 and 16 are supported`,
    );
  }
  if (colorType === 3) {
    throw new ImagingError(
      "WM_UNSUPPORTED_PHOTOMETRIC",
      "palette PNG: samples are palette indices, not intensities",
    );
  }
  const colour = colorType === 2 || colorType === 6;
  const hasAlpha = colorType === 4 || colorType === 6;
  const n = rows * cols;
  // pngjs always returns RGBA, 4 samples per pixel, in a Uint16Array for 16-bit with skipRescale.
  const data = png.data;
  if (data.length < n * 4) throw parseError(`PNG holds ${data.length / 4} pixels, expected ${n}`);
  if (hasAlpha) {
    const opaque = depth === 16 ? 0xffff : 0xff;
    for (let i = 0; i < n; i++) {
      if (data[i * 4 + 3] !== opaque) {
        throw new ImagingError(
          "IMG_UNSUPPORTED",
          `PNG with transparency (alpha ${data[i * 4 + 3]} at pixel ${i}): the alpha channel would be lost`,
        );
      }
    }
  }
  const spp = colour ? 3 : 1;
  const planes: Int32Array[] = [];
  for (let s = 0; s < spp; s++) {
    const plane = new Int32Array(n);
    for (let i = 0; i < n; i++) plane[i] = data[i * 4 + s];
    planes.push(plane);
  }
  return {
    rows,
    cols,
    frames: 1,
    samplesPerPixel: spp,
    bitsAllocated: depth,
    bitsStored: depth,
    highBit: depth - 1,
    pixelRepresentation: 0,
    photometric: colour ? "RGB" : "MONOCHROME2",
    planes,
  };
}

/**
 * Writes one frame as PNG: greyscale for one sample, RGB for three; bit depth 8 when
 * BitsAllocated is 8, else 16. Values must lie in [0, 2^depth − 1]: nothing is clipped.
 */
export function writePng(image: PixelImage): Uint8Array {
  const { rows, cols, samplesPerPixel: spp, planes } = image;
  if (image.frames !== 1) {
    throw new ImagingError("IMG_UNSUPPORTED", `PNG holds one frame, the image has ${image.frames}`);
  }
  if (spp !== 1 && spp !== 3) {
    throw new ImagingError("IMG_UNSUPPORTED", `PNG output of ${spp} samples per pixel`);
  }
  if (planes.length !== spp) throw new RangeError(`${planes.length} planes for ${spp} samples`);
  const depth = image.bitsAllocated <= 8 ? 8 : 16;
  const max = depth === 8 ? 0xff : 0xffff;
  const n = rows * cols;
  const out = depth === 8 ? Buffer.alloc(n * spp) : new Uint16Array(n * spp);
  for (let s = 0; s < spp; s++) {
    const plane = planes[s];
    if (plane.length !== n)
      throw new RangeError(`plane of ${plane.length} values for ${rows}x${cols}`);
    for (let i = 0; i < n; i++) {
      const v = plane[i];
      if (v < 0 || v > max) {
        throw new ImagingError(
          "IMG_UNSUPPORTED",
          `value ${v} at sample ${s}, pixel ${i} does not fit a ${depth}-bit unsigned PNG`,
        );
      }
      out[i * spp + s] = v;
    }
  }
  const colorType = spp === 3 ? 2 : 0;
  const png = new PNG({
    width: cols,
    height: rows,
    colorType,
    inputColorType: colorType,
    bitDepth: depth,
    inputHasAlpha: false,
  });
  png.data = depth === 8 ? (out as Buffer) : Buffer.from((out as Uint16Array).buffer);
  return PNG.sync.write(png, {
    colorType,
    inputColorType: colorType,
    bitDepth: depth,
    inputHasAlpha: false,
  });
}
