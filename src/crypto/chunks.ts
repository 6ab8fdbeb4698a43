// Chunked payloads (federated-learning.md §5.6): a payload is cut into equal chunks (the last may
// be shorter), each carried by its own signed frame with {index, count, payloadSha256, payloadLen};
// the receiver is idempotent by (payloadSha256, index) and verifies payloadSha256 at the end.
import { CryptoError } from "./errors.ts";
import { type ChunkInfo, sha256Hex } from "./frame.ts";

export const MIN_CHUNK_BYTES = 256 * 1024;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface Chunk {
  info: ChunkInfo;
  bytes: Uint8Array;
}

export function splitPayload(payload: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES): Chunk[] {
  if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES)
    throw new CryptoError("bad-chunk", `chunk size must be within 256 KiB - 16 MiB, got ${chunkBytes}`);
  const payloadSha256 = sha256Hex(payload);
  const count = Math.max(1, Math.ceil(payload.length / chunkBytes));
  return Array.from({ length: count }, (_, index) => ({
    info: { index, count, payloadSha256, payloadLen: payload.length },
    bytes: payload.subarray(index * chunkBytes, Math.min(payload.length, (index + 1) * chunkBytes)),
  }));
}

/** Structural checks of one chunk's metadata against the receiver's limits. */
export function checkChunkInfo(c: unknown, bodyLen: number, maxPayload: number): ChunkInfo {
  const info = c as Partial<ChunkInfo> | null;
  const int = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (
    !info ||
    typeof info !== "object" ||
    !int(info.index) ||
    !int(info.count) ||
    !int(info.payloadLen) ||
    typeof info.payloadSha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(info.payloadSha256) ||
    info.count < 1 ||
    info.index >= info.count ||
    bodyLen > MAX_CHUNK_BYTES ||
    info.count > Math.max(1, Math.ceil(info.payloadLen / MIN_CHUNK_BYTES))
  )
    throw new CryptoError("bad-frame", "bad chunk metadata");
  if (info.payloadLen > maxPayload)
    throw new CryptoError("too-large", `payload of ${info.payloadLen} bytes above the ${maxPayload}-byte limit`);
  return info as ChunkInfo;
}

/** Collects the chunks of one payload; duplicates are ignored, the digest is checked at the end. */
export class ChunkAssembly {
  private readonly parts = new Map<number, Uint8Array>();
  private received = 0;

  constructor(readonly info: Omit<ChunkInfo, "index">) {}

  /** False when this index was already stored (an idempotent re-send). */
  add(info: ChunkInfo, bytes: Uint8Array): boolean {
    if (
      info.count !== this.info.count ||
      info.payloadLen !== this.info.payloadLen ||
      info.payloadSha256 !== this.info.payloadSha256
    )
      throw new CryptoError("bad-frame", "chunk metadata differs from the payload's first chunk");
    if (this.parts.has(info.index)) return false;
    if (this.received + bytes.length > this.info.payloadLen)
      throw new CryptoError("bad-frame", "chunks exceed payloadLen");
    this.parts.set(info.index, Uint8Array.from(bytes));
    this.received += bytes.length;
    return true;
  }

  get bytesHeld(): number {
    return this.received;
  }

  receivedIndices(): number[] {
    return [...this.parts.keys()].sort((a, b) => a - b);
  }

  complete(): boolean {
    return this.parts.size === this.info.count;
  }

  /** The payload, once every chunk is in and its SHA-256 matches. */
  assemble(): Uint8Array {
    if (!this.complete()) throw new CryptoError("bad-frame", "payload incomplete");
    const out = new Uint8Array(this.received);
    let off = 0;
    for (let i = 0; i < this.info.count; i++) {
      const p = this.parts.get(i) as Uint8Array;
      out.set(p, off);
      off += p.length;
    }
    if (off !== this.info.payloadLen || sha256Hex(out) !== this.info.payloadSha256)
      throw new CryptoError("bad-frame", "payload digest or length mismatch");
    return out;
  }
}
