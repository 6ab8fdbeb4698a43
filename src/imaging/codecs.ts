// Per-frame decoders for the lossless compressed transfer syntaxes of reversible-watermark.md
// §12.1. dcmjs-codecs (WebAssembly builds of CharLS, OpenJPEG, libjpeg and an RLE codec) is
// pixel-exact for RLE, JPEG Lossless SV1, JPEG-LS, JPEG 2000 and HTJ2K; it fails on JPEG Lossless
// process 14 with other predictors (.57), which @cornerstonejs/jpeg-lossless-decoder-js decodes.
import { Decoder as JpegLosslessDecoder } from "@cornerstonejs/jpeg-lossless-decoder-js";
import dcmjsCodecs from "dcmjs-codecs";
import { ImagingError, parseError } from "./errors.ts";

const { Context, NativeCodecs } = dcmjsCodecs;

// The WebAssembly module is compiled once, when src/imaging is first imported (about 50 ms), so
// that decoding stays synchronous.
if (!NativeCodecs.isInitialized()) await NativeCodecs.initializeAsync();

export const LOSSLESS_SYNTAX = {
  rle: "1.2.840.10008.1.2.5",
  jpegLossless14: "1.2.840.10008.1.2.4.57",
  jpegLosslessSV1: "1.2.840.10008.1.2.4.70",
  jpegLsLossless: "1.2.840.10008.1.2.4.80",
  j2kLossless: "1.2.840.10008.1.2.4.90",
  jpegXlLossless: "1.2.840.10008.1.2.4.110",
  htj2kLossless: "1.2.840.10008.1.2.4.201",
  htj2kLosslessRpcl: "1.2.840.10008.1.2.4.202",
} as const;

const DECODABLE = new Set<string>(Object.values(LOSSLESS_SYNTAX));

export function isDecodableSyntax(uid: string): boolean {
  return DECODABLE.has(uid);
}

export interface FrameGeometry {
  rows: number;
  cols: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometric: string;
}

/**
 * Decodes one compressed frame. Returns the native bytes of the frame: little-endian words for
 * 16-bit data; samples interleaved (PlanarConfiguration 0) except for RLE, whose layout follows
 * the data set's PlanarConfiguration (`planar` in the result).
 */
export function decodeFrame(
  syntax: string,
  encoded: Uint8Array,
  g: FrameGeometry,
  frameIndex: number,
): { bytes: Uint8Array; planar: boolean } {
  try {
    if (syntax === LOSSLESS_SYNTAX.jpegLossless14) {
      return { bytes: decodeJpegLossless(encoded, g), planar: false };
    }
    const ctx = new Context({
      width: g.cols,
      height: g.rows,
      bitsAllocated: g.bitsAllocated,
      bitsStored: g.bitsStored,
      samplesPerPixel: g.samplesPerPixel,
      pixelRepresentation: g.pixelRepresentation,
      planarConfiguration: g.planarConfiguration,
      photometricInterpretation: g.photometric,
      encodedBuffer: encoded,
    });
    let out: InstanceType<typeof Context>;
    let planar = false;
    switch (syntax) {
      case LOSSLESS_SYNTAX.rle:
        out = NativeCodecs.decodeRle(ctx);
        planar = g.planarConfiguration === 1;
        break;
      case LOSSLESS_SYNTAX.jpegLosslessSV1:
        out = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: false });
        break;
      case LOSSLESS_SYNTAX.jpegLsLossless:
        out = NativeCodecs.decodeJpegLs(ctx);
        break;
      case LOSSLESS_SYNTAX.j2kLossless:
        out = NativeCodecs.decodeJpeg2000(ctx);
        break;
      case LOSSLESS_SYNTAX.jpegXlLossless:
        out = NativeCodecs.decodeJpegXl(ctx);
        break;
      case LOSSLESS_SYNTAX.htj2kLossless:
      case LOSSLESS_SYNTAX.htj2kLosslessRpcl:
        out = NativeCodecs.decodeHtJpeg2000(ctx);
        break;
      default:
        throw new ImagingError("IMG_UNSUPPORTED", `no decoder for transfer syntax ${syntax}`);
    }
    const bytes = out.getDecodedBuffer();
    if (!bytes) throw new Error("the codec returned no pixels");
    return { bytes, planar };
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    throw parseError(
      `frame ${frameIndex} (transfer syntax ${syntax}) does not decode: ${(err as Error).message}`,
    );
  }
}

/** JPEG Lossless process 14 (any predictor); output is interleaved, native-endian words. */
function decodeJpegLossless(encoded: Uint8Array, g: FrameGeometry): Uint8Array {
  const copy = new Uint8Array(encoded.byteLength);
  copy.set(encoded);
  const decoder = new JpegLosslessDecoder();
  const out = decoder.decode(copy.buffer, 0, copy.byteLength, g.bitsAllocated / 8);
  if (decoder.xDim !== g.cols || decoder.yDim !== g.rows || decoder.numComp !== g.samplesPerPixel) {
    throw new Error(
      `codestream is ${decoder.xDim}x${decoder.yDim}x${decoder.numComp}, ` +
        `the data set says ${g.cols}x${g.rows}x${g.samplesPerPixel}`,
    );
  }
  if (out instanceof Uint16Array) {
    // Little-endian bytes, like the other decoders' output.
    const bytes = new Uint8Array(out.length * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < out.length; i++) view.setUint16(i * 2, out[i], true);
    return bytes;
  }
  return out;
}
