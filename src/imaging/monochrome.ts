// The one way to describe greyscale pixels that came from arrays (NPZ, generated phantoms, demo
// folders) rather than from a file header.
import type { PixelImage } from "./types.ts";

export interface MonochromeShape {
  rows: number;
  cols: number;
  /** Bits per sample, allocated and stored alike (8 or 16). */
  bits: 8 | 16;
  signed?: boolean;
}

/** A MONOCHROME2 image of one or more frames (one plane per frame). */
export function monochromeImage(planes: Int32Array[], shape: MonochromeShape): PixelImage {
  return {
    rows: shape.rows,
    cols: shape.cols,
    frames: planes.length,
    samplesPerPixel: 1,
    bitsAllocated: shape.bits,
    bitsStored: shape.bits,
    highBit: shape.bits - 1,
    pixelRepresentation: shape.signed ? 1 : 0,
    photometric: "MONOCHROME2",
    planes,
  };
}
