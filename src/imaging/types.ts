// The decoded, format-independent view of an image that the rest of medtrace works on.
// Values are integers in the *stored* domain (BitsStored / PixelRepresentation), never rescaled.

export type Photometric = "MONOCHROME1" | "MONOCHROME2" | "RGB" | (string & {});

export interface PixelPadding {
  /** PixelPaddingValue (0028,0120), in the stored domain. */
  value: number;
  /** PixelPaddingRangeLimit (0028,0121), when present. */
  rangeLimit?: number;
}

export interface PixelImage {
  rows: number;
  cols: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  photometric: Photometric;
  padding?: PixelPadding;
  /**
   * One Int32Array of rows*cols values per (frame, sample), ordered frame 0 sample 0,
   * frame 0 sample 1, ... (reversible-watermark.md §2.1), raster order inside a plane.
   */
  planes: Int32Array[];
}
