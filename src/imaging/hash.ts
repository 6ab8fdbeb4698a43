// Canonical pixel hash, reversible-watermark.md §2.3: independent of the container format.
import { createHash } from "node:crypto";
import { endianness } from "node:os";
import type { PixelImage } from "./types.ts";

const DOMAIN = Buffer.from("medtrace/pixels/v1\0", "ascii");

function header(rows: number, cols: number, frames: number, spp: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(rows, 0);
  h.writeUInt32LE(cols, 4);
  h.writeUInt32LE(frames, 8);
  h.writeUInt32LE(spp, 12);
  return h;
}

const LITTLE_ENDIAN_HOST = endianness() === "LE";

/** Values as int32 little-endian (§2.3), whatever the host's byte order. */
function int32le(data: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) out.writeInt32LE(data[i], i * 4);
  return out;
}

/** SHA-256 over the planes in the order frame → sample → row → column; hex. */
export function pixelSha256(image: PixelImage): string {
  const { rows, cols, frames, samplesPerPixel, planes } = image;
  if (planes.length !== frames * samplesPerPixel) {
    throw new RangeError(
      `pixelSha256: ${planes.length} planes for ${frames} frames x ${samplesPerPixel} samples`,
    );
  }
  const h = createHash("sha256");
  h.update(DOMAIN);
  h.update(header(rows, cols, frames, samplesPerPixel));
  for (const plane of planes) {
    if (plane.length !== rows * cols) {
      throw new RangeError(`pixelSha256: plane of ${plane.length} values, expected ${rows * cols}`);
    }
    h.update(int32le(plane));
  }
  return h.digest("hex");
}

/** The plane-level hash: the same formula with frames = samplesPerPixel = 1. */
export function planePixelSha256(rows: number, cols: number, data: Int32Array): string {
  if (data.length !== rows * cols) {
    throw new RangeError(`planePixelSha256: ${data.length} values, expected ${rows * cols}`);
  }
  return createHash("sha256")
    .update(DOMAIN)
    .update(header(rows, cols, 1, 1))
    .update(int32le(data))
    .digest("hex");
}
