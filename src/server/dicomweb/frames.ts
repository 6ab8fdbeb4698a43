// Frames of native (uncompressed) Pixel Data, for WADO-RS frame retrieval as
// application/octet-stream with transfer-syntax Explicit VR Little Endian (PS3.18 §8.7.3.3.2).
// Marked copies are always written native (src/imaging dicom-write), so no transcoding is needed.
import type { DicomImage } from "../../imaging/index.ts";
import { PIXEL_DATA } from "./json.ts";

export class FrameError extends Error {
  readonly code: "DICOMWEB_NO_PIXELS" | "DICOMWEB_ENCAPSULATED" | "DICOMWEB_BAD_FRAME";
  constructor(code: FrameError["code"], message: string) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
}

/** Bytes of frame `n` (1-based, PS3.18 §8.7.3.3.2). Bits Allocated 1 is not supported. */
export function frameBytes(image: DicomImage, n: number): Uint8Array {
  if (!image.hasPixelData) throw new FrameError("DICOMWEB_NO_PIXELS", "the instance has no Pixel Data");
  if (image.encapsulated) throw new FrameError("DICOMWEB_ENCAPSULATED", "the instance's Pixel Data is encapsulated");
  if (!Number.isInteger(n) || n < 1 || n > image.frames)
    throw new FrameError("DICOMWEB_BAD_FRAME", `frame ${n} does not exist (the instance has ${image.frames})`);
  const size = (image.rows * image.cols * image.samplesPerPixel * image.bitsAllocated) / 8;
  const value = image.dict[PIXEL_DATA]?.Value ?? [];
  const buf = value[0];
  const all = buf instanceof ArrayBuffer ? new Uint8Array(buf) : ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : null;
  if (!all || all.length < size * image.frames)
    throw new FrameError("DICOMWEB_NO_PIXELS", "Pixel Data is shorter than Rows x Columns x Frames");
  return all.subarray(size * (n - 1), size * n);
}

/** Parses a frame list "1,3,5" (PS3.18 §8.3.1.1); throws FrameError on anything else. */
export function parseFrameList(list: string, frames: number): number[] {
  const out = list.split(",").map((s) => {
    if (!/^\d{1,9}$/.test(s.trim())) throw new FrameError("DICOMWEB_BAD_FRAME", `frame number "${s}" is not a positive integer`);
    return Number(s.trim());
  });
  for (const n of out) if (n < 1 || n > frames) throw new FrameError("DICOMWEB_BAD_FRAME", `frame ${n} does not exist (the instance has ${frames})`);
  return out;
}
