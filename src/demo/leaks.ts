// How copies leak in the demo and the tracing tests (ledger.md §16.7): exact, one pixel changed,
// a patch flattened, JPEG-compressed. Each keeps the file's container; only the pixels change.
import { readImage, writeDicomPixels, writePng } from "../imaging/index.ts";
import { jpegAttack, render8 } from "../watermark/attacks/index.ts";

function rewrite(bytes: Uint8Array, planes: Int32Array[]): Uint8Array {
  const { format, image, dicom } = readImage(bytes);
  const changed = { ...image, planes };
  if (format === "dicom" && dicom) return writeDicomPixels(dicom, changed);
  return writePng(changed);
}

/** The same file with one pixel changed by +1 (or −1 at the top of the range). */
export function onePixelChanged(bytes: Uint8Array, at = 20_000): Uint8Array {
  const { image } = readImage(bytes);
  const planes = image.planes.map((p) => Int32Array.from(p));
  const v = planes[0][at];
  planes[0][at] = v >= 2 ** image.bitsStored - 1 || (image.pixelRepresentation === 1 && v > 0) ? v - 1 : v + 1;
  return rewrite(bytes, planes);
}

/** A size×size patch of the first plane set to its mean, as an editor's "blur out" would. */
export function patchFlattened(bytes: Uint8Array, top = 96, left = 96, size = 32): Uint8Array {
  const { image } = readImage(bytes);
  const p = Int32Array.from(image.planes[0]);
  let sum = 0;
  for (let r = top; r < top + size; r++) for (let c = left; c < left + size; c++) sum += p[r * image.cols + c];
  const mean = Math.round(sum / (size * size));
  for (let r = top; r < top + size; r++) for (let c = left; c < left + size; c++) p[r * image.cols + c] = mean;
  return rewrite(bytes, [p, ...image.planes.slice(1)]);
}

/**
 * JPEG at quality Q through the attack suite (zero-watermark.md §10.2): the first plane is
 * rendered to 8 bits (min–max), compressed and decoded, then mapped back to the stored range and
 * written in the same container. A DICOM leak thus keeps its header; only the pixels are lossy.
 */
export function jpegLeak(bytes: Uint8Array, quality = 50): Uint8Array {
  const { image } = readImage(bytes);
  const p = image.planes[0];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of p) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const j = jpegAttack(render8(image.rows, image.cols, p), quality);
  const back = Int32Array.from(j.data, (v) => Math.round(lo + (v * (hi - lo)) / 255));
  return rewrite(bytes, [back, ...image.planes.slice(1)]);
}
