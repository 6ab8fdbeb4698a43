// What tracing needs to know about an image file: its format, canonical pixel hashes (instance and
// per frame, reversible-watermark.md §2.3), DICOM identifiers, and the zero-watermark plane of each
// frame in the displayed sense (zero-watermark.md §5.1).
import { createHash } from "node:crypto";
import {
  type DicomImage,
  type PixelImage,
  pixelSha256,
  readImage,
  SOP_CLASS,
} from "../imaging/index.ts";
import { type FloatPlane, planeFromPixels } from "../watermark/zero/index.ts";
import { TracingError } from "./errors.ts";

export type TraceFormat = "dicom" | "png";

export interface ImageFacts {
  format: TraceFormat;
  image: PixelImage;
  dicom?: DicomImage;
  fileSha256: string;
  pixelSha256: string;
  /** Canonical hash of each frame alone (equals pixelSha256 for a single-frame image). */
  framePixelSha256: string[];
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function readFacts(bytes: Uint8Array): ImageFacts {
  let read: ReturnType<typeof readImage>;
  try {
    read = readImage(bytes);
  } catch (err) {
    throw new TracingError(
      "TRACE_UNSUPPORTED_FORMAT",
      `not a readable DICOM or PNG image (${(err as Error).message})`,
    );
  }
  const { format, image, dicom } = read;
  if (format !== "dicom" && format !== "png")
    throw new TracingError("TRACE_UNSUPPORTED_FORMAT", `${format} files are not issued or traced`);
  const spp = image.samplesPerPixel;
  const framePixelSha256 = Array.from({ length: image.frames }, (_, f) =>
    pixelSha256({ ...image, frames: 1, planes: image.planes.slice(f * spp, (f + 1) * spp) }),
  );
  return {
    format,
    image,
    ...(dicom ? { dicom } : {}),
    fileSha256: sha256Hex(bytes),
    pixelSha256: pixelSha256(image),
    framePixelSha256,
  };
}

function numberAttr(dicom: DicomImage | undefined, tag: string): number | undefined {
  const v = (dicom?.dict as Record<string, { Value?: unknown[] }> | undefined)?.[tag]?.Value?.[0];
  const n = typeof v === "string" ? Number.parseFloat(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Frame f as the zero-watermark sees it: modality rescale, MONOCHROME1 negated, RGB luma. */
export function zwPlane(facts: ImageFacts, frame: number): FloatPlane {
  return planeFromPixels(facts.image, {
    frame,
    slope: numberAttr(facts.dicom, "00281053"),
    intercept: numberAttr(facts.dicom, "00281052"),
  });
}

/** A UID under the UUID arc 2.25 (PS3.5 §B.2) derived from a label and a hash: stable, no PHI. */
export function derivedUid(label: string, hex: string): string {
  const h = createHash("sha256").update(`medtrace/v1/uid/${label}`).update(Uint8Array.of(0));
  const d = h.update(hex, "utf8").digest();
  return `2.25.${BigInt(`0x${d.subarray(0, 16).toString("hex")}`).toString()}`;
}

export interface SourceIds {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  imageType: string;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const okUid = (u: string | undefined): u is string => !!u && u.length <= 64 && UID.test(u);

/** The (de-identified) source identifiers; a PNG gets UIDs derived from its pixel hash. */
export function sourceIds(facts: ImageFacts): SourceIds {
  const d = facts.dicom;
  return {
    sopInstanceUid: okUid(d?.sopInstanceUid)
      ? d.sopInstanceUid
      : derivedUid("sop", facts.pixelSha256),
    sopClassUid: okUid(d?.sopClassUid) ? d.sopClassUid : SOP_CLASS.secondaryCapture,
    seriesInstanceUid: okUid(d?.seriesInstanceUid)
      ? d.seriesInstanceUid
      : derivedUid("series", facts.pixelSha256),
    imageType: (d?.imageType ?? []).join("\\").slice(0, 256),
  };
}
