// Pixel access for a parsed DICOM file (reversible-watermark.md §2.1, §12.1): stored values,
// read as unsigned or two's complement of BitsAllocated bits by PixelRepresentation, never masked
// or clipped (the range check is the watermark's), split into one plane per (frame, sample).
import { decodeFrame, type FrameGeometry, isDecodableSyntax, LOSSLESS_SYNTAX } from "./codecs.ts";
import { type DicomImage, numberValue, TAG } from "./dicom-image.ts";
import { TS } from "./dicom-scan.ts";
import { ImagingError, parseError } from "./errors.ts";
import type { PixelImage, PixelPadding } from "./types.ts";

/** JPEG 2000 family: a YBR_RCT data set decodes to RGB (PS3.5 §8.2.4: the RCT is reversible). */
const J2K_LOSSLESS = new Set<string>([
  LOSSLESS_SYNTAX.j2kLossless,
  LOSSLESS_SYNTAX.htj2kLossless,
  LOSSLESS_SYNTAX.htj2kLosslessRpcl,
]);

/**
 * The photometric interpretation of the decoded pixels, or WM_UNSUPPORTED_PHOTOMETRIC.
 * MONOCHROME1/2 with one sample and RGB with three are accepted. YBR_RCT is accepted only under a
 * lossless JPEG 2000 syntax, where the codec inverts the reversible colour transform and yields
 * RGB exactly. PALETTE COLOR and the other YBR forms are refused: turning them into RGB is a
 * lookup or a rounding, and the marked copy would not hold the stored values.
 */
export function decodedPhotometric(d: DicomImage): string {
  const p = d.photometric;
  if ((p === "MONOCHROME1" || p === "MONOCHROME2") && d.samplesPerPixel === 1) return p;
  if (p === "RGB" && d.samplesPerPixel === 3) return p;
  if (p === "YBR_RCT" && d.samplesPerPixel === 3 && J2K_LOSSLESS.has(d.transferSyntaxUid)) {
    return "RGB";
  }
  throw new ImagingError(
    "WM_UNSUPPORTED_PHOTOMETRIC",
    `Photometric Interpretation ${p} with ${d.samplesPerPixel} samples per pixel under transfer ` +
      `syntax ${d.transferSyntaxUid}: only MONOCHROME1, MONOCHROME2 and RGB are supported`,
  );
}

/** §2.1 item 3 (the container part): BitsAllocated 8 or 16, BitsStored ≤ it, HighBit = BS − 1. */
export function checkBits(d: { bitsAllocated: number; bitsStored: number; highBit: number }): void {
  const { bitsAllocated: ba, bitsStored: bs, highBit: hb } = d;
  if ((ba !== 8 && ba !== 16) || bs < 1 || bs > ba || hb !== bs - 1) {
    throw new ImagingError(
      "WM_UNSUPPORTED_BITS",
      `Bits Allocated ${ba}, Bits Stored ${bs}, High Bit ${hb}: only 8 or 16 bits allocated ` +
        "with the stored bits at the bottom (High Bit = Bits Stored - 1) are supported",
    );
  }
}

/** Pixel padding (0028,0120/0121) in the stored domain; the VR (US or SS) may disagree with PR. */
function padding(d: DicomImage): PixelPadding | undefined {
  const asStored = (v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (d.pixelRepresentation === 1 && v >= 0x8000 && v <= 0xffff) return v - 0x10000;
    if (d.pixelRepresentation === 0 && v < 0 && v >= -0x8000) return v + 0x10000;
    return v;
  };
  const value = asStored(numberValue(d.dict, TAG.PixelPaddingValue));
  if (value === undefined) return undefined;
  const rangeLimit = asStored(numberValue(d.dict, TAG.PixelPaddingRangeLimit));
  return rangeLimit === undefined ? { value } : { value, rangeLimit };
}

function toU8(v: unknown): Uint8Array | undefined {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Start of a compressed frame: JPEG/JPEG-LS SOI, JPEG 2000 SOC or a JP2 signature box. */
function startsFrame(b: Uint8Array): boolean {
  if (b.length < 2) return false;
  if (b[0] === 0xff && (b[1] === 0xd8 || b[1] === 0x4f)) return true;
  return b.length >= 8 && b[4] === 0x6a && b[5] === 0x50 && b[6] === 0x20 && b[7] === 0x20;
}

/**
 * Compressed frames from dcmjs's Pixel Data value: one buffer per frame when the Basic Offset
 * Table names the frames, else one per fragment (PS3.5 A.4). Fragments are grouped into frames
 * by frame-start markers when there are more fragments than frames.
 */
function compressedFrames(d: DicomImage, value: unknown[]): Uint8Array[] {
  const parts = value.map((v) => {
    const u = toU8(v);
    if (!u) throw parseError("Pixel Data holds a fragment dcmjs did not return as bytes");
    return u;
  });
  if (parts.length === d.frames) return parts;
  if (d.frames === 1 && parts.length > 1) return [concat(parts)];
  if (parts.length > d.frames && d.transferSyntaxUid !== LOSSLESS_SYNTAX.rle) {
    const frames: Uint8Array[][] = [];
    for (const p of parts) {
      if (startsFrame(p) || frames.length === 0) frames.push([p]);
      else frames[frames.length - 1].push(p);
    }
    if (frames.length === d.frames) return frames.map(concat);
  }
  throw parseError(`Pixel Data holds ${parts.length} fragments for ${d.frames} frames`);
}

/** Sign-extends a value of `bits` bits whose higher bits are all zero. */
function signExtend(v: number, bits: number): number {
  const top = 1 << (bits - 1);
  return v >= top && v < top * 2 ? v - top * 2 : v;
}

/**
 * The PixelImage of a DICOM file. Throws WM_LOSSY_SOURCE for lossy sources, WM_UNSUPPORTED_BITS,
 * WM_UNSUPPORTED_PHOTOMETRIC, IMG_UNSUPPORTED (no pixels, unknown syntax) or IMG_PARSE (too few
 * bytes, a frame that does not decode).
 */
export function decodePixels(d: DicomImage): PixelImage {
  if (d.lossy) {
    throw new ImagingError(
      "WM_LOSSY_SOURCE",
      `${d.lossyReason ?? "lossy source"}: a reversible mark would be meaningless`,
    );
  }
  if (!d.hasPixelData) throw new ImagingError("IMG_UNSUPPORTED", "the data set has no Pixel Data");
  checkBits(d);
  const photometric = decodedPhotometric(d);
  const { rows, cols, frames, samplesPerPixel: spp, bitsAllocated: ba } = d;
  if (rows < 1 || cols < 1) throw parseError(`image of ${rows}x${cols} pixels`);
  const signed = d.pixelRepresentation === 1;
  const n = rows * cols;
  const frameBytes = n * spp * (ba / 8);
  const value = d.dict[TAG.PixelData].Value ?? [];
  const planes: Int32Array[] = [];

  // Reads frame `f` of `bytes` (native layout) into planes.
  const split = (
    bytes: Uint8Array,
    little: boolean,
    planar: boolean,
    fixSign: boolean,
    f: number,
  ): void => {
    if (bytes.length < frameBytes) {
      throw parseError(`frame ${f} holds ${bytes.length} bytes, expected ${frameBytes}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let s = 0; s < spp; s++) {
      const plane = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const k = planar ? s * n + i : i * spp + s;
        let v: number;
        if (ba === 16) v = signed ? view.getInt16(k * 2, little) : view.getUint16(k * 2, little);
        else v = signed ? view.getInt8(k) : view.getUint8(k);
        if (fixSign) v = signExtend(v, d.bitsStored);
        plane[i] = v;
      }
      planes.push(plane);
    }
  };

  if (!d.encapsulated) {
    let bytes = toU8(value[0]);
    if (!bytes) throw parseError("Pixel Data has no value");
    const little = d.transferSyntaxUid !== TS.explicitBE;
    if (!little && ba === 8 && d.dict[TAG.PixelData].vr === "OW") {
      // 8-bit samples in OW words are byte-swapped in explicit VR big endian (PS3.5 §8.1.1, §7.3).
      const swapped = new Uint8Array(bytes.length);
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        swapped[i] = bytes[i + 1];
        swapped[i + 1] = bytes[i];
      }
      bytes = swapped;
    }
    if (bytes.length < frameBytes * frames) {
      throw parseError(
        `Pixel Data holds ${bytes.length} bytes, ${rows}x${cols}x${spp}x${frames} ` +
          `samples of ${ba} bits need ${frameBytes * frames}`,
      );
    }
    for (let f = 0; f < frames; f++) {
      split(
        bytes.subarray(f * frameBytes, (f + 1) * frameBytes),
        little,
        d.planarConfiguration === 1,
        false,
        f,
      );
    }
  } else {
    if (!isDecodableSyntax(d.transferSyntaxUid)) {
      throw new ImagingError(
        "IMG_UNSUPPORTED",
        `no lossless decoder for transfer syntax ${d.transferSyntaxUid}`,
      );
    }
    const geometry: FrameGeometry = {
      rows,
      cols,
      bitsAllocated: ba,
      bitsStored: d.bitsStored,
      samplesPerPixel: spp,
      pixelRepresentation: d.pixelRepresentation,
      planarConfiguration: d.planarConfiguration,
      photometric: d.photometric,
    };
    // A JPEG-family codestream carries only BitsStored bits: signed values come back without
    // their sign extension when BitsStored < BitsAllocated, so it is restored here. RLE keeps
    // every byte of the container word, so its values are left exactly as stored.
    const fixSign = signed && d.bitsStored < ba && d.transferSyntaxUid !== LOSSLESS_SYNTAX.rle;
    compressedFrames(d, value).forEach((encoded, f) => {
      const { bytes, planar } = decodeFrame(d.transferSyntaxUid, encoded, geometry, f);
      split(bytes, true, planar, fixSign, f);
    });
  }

  const image: PixelImage = {
    rows,
    cols,
    frames,
    samplesPerPixel: spp,
    bitsAllocated: ba,
    bitsStored: d.bitsStored,
    highBit: d.highBit,
    pixelRepresentation: signed ? 1 : 0,
    photometric,
    planes,
  };
  const pad = padding(d);
  if (pad) image.padding = pad;
  return image;
}
