// Writing a DICOM data set back with new pixels: Explicit VR Little Endian, native Pixel Data
// (OW for 16-bit, OB for 8-bit, even length), and dcmjs's raw dictionary so every other element,
// private tags included, is written from the bytes it was read from (reversible-watermark.md §12.2).
import { type DcmjsDataset, type DcmjsElement, newDicomDict } from "./dcmjs-api.ts";
import { type DicomImage, TAG } from "./dicom-image.ts";
import { TS } from "./dicom-scan.ts";
import { ImagingError } from "./errors.ts";
import type { PixelImage } from "./types.ts";

/** medtrace's Implementation Class UID (2.25 + a fixed random UUID, PS3.5 §B.2). */
export const MEDTRACE_IMPLEMENTATION_CLASS_UID = "2.25.77991950641781487667661409632112399777";
export const MEDTRACE_IMPLEMENTATION_VERSION = "MEDTRACE_1";

/** Elements a native Explicit VR Little Endian copy must not keep (PS3.5 A.4, PS3.3 C.7.6.3). */
const ENCAPSULATION_ONLY = [
  "7FE00001", // Extended Offset Table
  "7FE00002", // Extended Offset Table Lengths
  "7FE00003", // Encapsulated Pixel Data Value Total Length
];

export function element(vr: string, value: unknown[]): DcmjsElement {
  return { vr, Value: value };
}

/** Native Pixel Data of `image`: frames in order, samples interleaved, little endian. */
export function encodePixelData(image: PixelImage): { vr: "OB" | "OW"; bytes: Uint8Array } {
  const { rows, cols, frames, samplesPerPixel: spp, bitsAllocated: ba, planes } = image;
  if (ba !== 8 && ba !== 16) {
    throw new ImagingError("WM_UNSUPPORTED_BITS", `cannot write ${ba} bits allocated`);
  }
  if (planes.length !== frames * spp) {
    throw new RangeError(`${planes.length} planes for ${frames} frames x ${spp} samples`);
  }
  const n = rows * cols;
  const signed = image.pixelRepresentation === 1;
  const lo = signed ? -(2 ** (ba - 1)) : 0;
  const hi = signed ? 2 ** (ba - 1) - 1 : 2 ** ba - 1;
  const total = n * spp * frames * (ba / 8);
  const bytes = new Uint8Array(total + (total % 2));
  const view = new DataView(bytes.buffer);
  for (let f = 0; f < frames; f++) {
    for (let s = 0; s < spp; s++) {
      const plane = planes[f * spp + s];
      if (plane.length !== n)
        throw new RangeError(`plane of ${plane.length} values for ${rows}x${cols}`);
      for (let i = 0; i < n; i++) {
        const v = plane[i];
        if (v < lo || v > hi) {
          // Never clipped: a value the container cannot hold is a caller's bug.
          throw new ImagingError(
            "IMG_UNSUPPORTED",
            `value ${v} (frame ${f}, sample ${s}, pixel ${i}) does not fit ${ba} bits ${signed ? "signed" : "unsigned"}`,
          );
        }
        const k = (f * n + i) * spp + s;
        if (ba === 16) view.setUint16(k * 2, v & 0xffff, true);
        else bytes[k] = v & 0xff;
      }
    }
  }
  return { vr: ba === 16 ? "OW" : "OB", bytes };
}

/** Smallest and largest value over all planes. */
export function pixelRange(image: PixelImage): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of image.planes) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

function checkGeometry(source: DicomImage, image: PixelImage): void {
  const a = [
    source.rows,
    source.cols,
    source.frames,
    source.samplesPerPixel,
    source.bitsAllocated,
    source.bitsStored,
    source.pixelRepresentation,
  ];
  const b = [
    image.rows,
    image.cols,
    image.frames,
    image.samplesPerPixel,
    image.bitsAllocated,
    image.bitsStored,
    image.pixelRepresentation,
  ];
  if (a.some((v, i) => v !== b[i])) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `pixels (rows, cols, frames, samples, BA, BS, PR) = (${b.join(", ")}) do not match the source's (${a.join(", ")})`,
    );
  }
}

/**
 * A copy of the source's meta and data set with `pixels` as native Pixel Data and the file meta
 * set for Explicit VR Little Endian. Top-level elements are copied by reference except those
 * replaced; the source is not modified.
 */
export function withPixels(
  source: DicomImage,
  pixels: PixelImage,
): { meta: DcmjsDataset; dict: DcmjsDataset } {
  checkGeometry(source, pixels);
  const dict: DcmjsDataset = { ...source.dict };
  const meta: DcmjsDataset = { ...source.meta };
  // Group lengths are retired in data sets (PS3.5 §7.2) and go stale when the syntax changes.
  for (const k of Object.keys(dict)) if (k.endsWith("0000")) delete dict[k];
  for (const k of ENCAPSULATION_ONLY) delete dict[k];
  delete meta["00020000"]; // DicomDict.write computes it.
  const { vr, bytes } = encodePixelData(pixels);
  dict[TAG.PixelData] = element(vr, [bytes.buffer]);
  dict[TAG.PhotometricInterpretation] = element("CS", [pixels.photometric]);
  if (pixels.samplesPerPixel > 1) dict[TAG.PlanarConfiguration] = element("US", [0]);
  meta[TAG.TransferSyntaxUID] = element("UI", [TS.explicitLE]);
  meta[TAG.ImplementationClassUID] = element("UI", [MEDTRACE_IMPLEMENTATION_CLASS_UID]);
  meta[TAG.ImplementationVersionName] = element("SH", [MEDTRACE_IMPLEMENTATION_VERSION]);
  return { meta, dict };
}

/** Sets Smallest/Largest Image Pixel Value from `pixels`, VR US or SS by PixelRepresentation. */
export function setPixelRange(dict: DcmjsDataset, pixels: PixelImage): void {
  const [lo, hi] = pixelRange(pixels);
  const vr = pixels.pixelRepresentation === 1 ? "SS" : "US";
  dict[TAG.SmallestImagePixelValue] = element(vr, [lo]);
  dict[TAG.LargestImagePixelValue] = element(vr, [hi]);
}

export function serialize(meta: DcmjsDataset, dict: DcmjsDataset): Uint8Array {
  try {
    return new Uint8Array(newDicomDict(meta, dict).write({ allowInvalidVRLength: true }));
  } catch (err) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `dcmjs cannot write the data set: ${(err as Error).message}`,
    );
  }
}

/**
 * The source file with its pixels replaced and nothing else changed except what the new
 * encoding needs (transfer syntax, Photometric Interpretation for a decoded YBR_RCT, Planar
 * Configuration 0) and Smallest/Largest Image Pixel Value when the source had them.
 */
export function writeDicomPixels(source: DicomImage, pixels: PixelImage): Uint8Array {
  const { meta, dict } = withPixels(source, pixels);
  if (TAG.SmallestImagePixelValue in dict || TAG.LargestImagePixelValue in dict) {
    setPixelRange(dict, pixels);
  }
  return serialize(meta, dict);
}
