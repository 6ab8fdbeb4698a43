// Position-keyed slots and whitening (reversible-watermark.md §5.2). A slot depends only on the
// key and the position, so a local edit only disturbs the votes inside the edited area.
import { createCipheriv, createHash } from "node:crypto";

const IV_CONTEXT = Buffer.from("medtrace/wm/pos-iv/v1", "utf8");
const MAX_CACHED = 8;

/** v_i for every raster position i of an R×C plane. */
export type Keystream = Uint32Array;

// Explicit cache: the keystream is 1 MiB for 512² and is the same for every plane of a geometry.
const cache = new Map<string, Keystream>();

export function keystreamIv(rows: number, cols: number): Buffer {
  const dims = Buffer.alloc(8);
  dims.writeUInt32BE(rows, 0);
  dims.writeUInt32BE(cols, 4);
  return createHash("sha256").update(IV_CONTEXT).update(dims).digest().subarray(0, 16);
}

export function keystream(posKey: Uint8Array, rows: number, cols: number): Keystream {
  const id = `${createHash("sha256").update(posKey).digest("hex")}:${rows}x${cols}`;
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const cipher = createCipheriv("aes-256-ctr", posKey, keystreamIv(rows, cols));
  const bytes = cipher.update(Buffer.alloc(4 * rows * cols));
  const out = new Uint32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt32BE(4 * i);
  cache.set(id, out);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return out;
}

export function slotOf(v: number, L: number): number {
  return (v >>> 8) % L;
}

export function whiteningOf(v: number): number {
  return v & 1;
}
