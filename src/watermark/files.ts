// Marking, decoding and restoring whole image files (DICOM or PNG, as bytes): the reversible
// mark of src/watermark/reversible composed with the readers and writers of src/imaging.
// No file system access here; callers read and write the bytes.
import {
  type DicomImage,
  type ImageFormat,
  type PixelImage,
  pixelSha256,
  readImage,
  writeDerivedDicom,
  writeDicomPixels,
  writePng,
} from "../imaging/index.ts";
import { VERSION } from "../util/version.ts";
import {
  type DecodeResult,
  decode,
  type EmbedOptions,
  type EmbedResult,
  embed,
  embedBits,
  extractBits,
  type Plane,
  planesOf,
  tauForPayload,
  WatermarkError,
  type WmKeys,
} from "./reversible/index.ts";

export interface MarkedFile {
  format: ImageFormat;
  bytes: Uint8Array;
  embed: EmbedResult;
  /** Canonical pixel hashes (reversible-watermark.md §2.3) of the source and of the copy. */
  sourcePixelSha256: string;
  markedPixelSha256: string;
  /** DICOM only: the copy's new identifiers. */
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
  source: { image: PixelImage; dicom?: DicomImage };
}

function withPlanes(image: PixelImage, planes: Plane[]): PixelImage {
  return { ...image, planes: planes.map((p) => p.data) };
}

function writeSameFormat(format: ImageFormat, image: PixelImage, dicom?: DicomImage): Uint8Array {
  if (format === "dicom" && dicom) return writeDicomPixels(dicom, image);
  if (format === "png") return writePng(image);
  throw new Error(`writing ${format} images is not supported; use DICOM or PNG`);
}

export interface MarkFileOptions extends EmbedOptions {
  /** Series Instance UID of the copy (one per grant and source series). */
  seriesInstanceUid?: string;
  now?: Date;
}

/** Embeds a token in a DICOM or PNG file; a DICOM copy is written as a derived instance (§12.2). */
export function markFile(
  bytes: Uint8Array,
  token: Uint8Array | null,
  keys: WmKeys,
  opts: MarkFileOptions = {},
): MarkedFile {
  const { format, image, dicom } = readImage(bytes);
  const result = embed(planesOf(image), token, keys, opts);
  const marked = withPlanes(image, result.planes);
  const out: MarkedFile = {
    format,
    bytes: new Uint8Array(),
    embed: result,
    sourcePixelSha256: pixelSha256(image),
    markedPixelSha256: pixelSha256(marked),
    source: dicom ? { image, dicom } : { image },
  };
  if (format === "dicom" && dicom) {
    const derived = writeDerivedDicom(dicom, marked, {
      softwareVersion: VERSION,
      ...(opts.seriesInstanceUid ? { seriesInstanceUid: opts.seriesInstanceUid } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    out.bytes = derived.bytes;
    out.sopInstanceUid = derived.sopInstanceUid;
    out.seriesInstanceUid = derived.seriesInstanceUid;
  } else out.bytes = writeSameFormat(format, marked);
  return out;
}

export interface DecodedFile {
  format: ImageFormat;
  decode: DecodeResult;
  pixelSha256: string;
}

export function decodeFile(bytes: Uint8Array, keys: WmKeys[]): DecodedFile {
  const { format, image } = readImage(bytes);
  return { format, decode: decode(planesOf(image), keys), pixelSha256: pixelSha256(image) };
}

export interface RestoredFile extends DecodedFile {
  /** Restored file, same format; DICOM keeps the copy's header (the ledger holds the source's). */
  bytes?: Uint8Array;
  restored?: PixelImage;
  restoredPixelSha256?: string;
}

export function restoreFile(bytes: Uint8Array, keys: WmKeys[]): RestoredFile {
  const { format, image, dicom } = readImage(bytes);
  const result = decode(planesOf(image), keys, { restore: true });
  const out: RestoredFile = { format, decode: result, pixelSha256: pixelSha256(image) };
  if (!result.found || !result.restoredPlanes) return out;
  const restored = withPlanes(image, result.restoredPlanes);
  out.restored = restored;
  out.restoredPixelSha256 = pixelSha256(restored);
  out.bytes = writeSameFormat(format, restored, dicom);
  return out;
}

export interface CapacityFile {
  format: ImageFormat;
  bytes: Uint8Array;
  /** The threshold used: given, or the smallest that carries every bit (§10). */
  tau: number;
  payloadBits: number;
  voteCarriers: number;
  changed: number;
  source: PixelImage;
  marked: PixelImage;
}

function singlePlane(image: PixelImage): Plane {
  const planes = planesOf(image);
  if (planes.length !== 1) {
    throw new WatermarkError("WM_BAD_ARGUMENT", "capacity mode takes single-plane (greyscale, single-frame) images");
  }
  return planes[0];
}

/**
 * Capacity mode on a single-plane file (benchmarks and comparisons only, §10). Without `tau`, the
 * smallest threshold that carries all of `bits` is searched on the same decoded plane.
 */
export function embedBitsInFile(bytes: Uint8Array, bits: Uint8Array, tau?: number): CapacityFile {
  const { format, image, dicom } = readImage(bytes);
  const plane = singlePlane(image);
  const t = tau ?? tauForPayload(plane, bits, bits.length);
  const result = t === null ? null : embedBits(plane, bits, t);
  if (t === null || !result?.feasible) {
    throw new WatermarkError("WM_CAPACITY", t === null ? `the image cannot carry ${bits.length} bits; try fewer` : `tau ${t} is infeasible for this image`);
  }
  const marked = withPlanes(image, [result.plane]);
  return {
    format,
    bytes: writeSameFormat(format, marked, dicom),
    tau: t,
    payloadBits: Math.min(bits.length, result.voteCarriers),
    voteCarriers: result.voteCarriers,
    changed: result.changed,
    source: image,
    marked,
  };
}

/** The first `n` bits carried at `tau`, and the exactly restored image written in the same format. */
export function extractBitsFromFile(bytes: Uint8Array, tau: number, n: number): { bits: Uint8Array; restored: PixelImage; bytes: Uint8Array } {
  const { format, image, dicom } = readImage(bytes);
  const out = extractBits(singlePlane(image), tau, n);
  const restored = withPlanes(image, [out.plane]);
  return { bits: out.bits, restored, bytes: writeSameFormat(format, restored, dicom) };
}
