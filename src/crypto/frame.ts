// Signed frames (federated-learning.md §5.3): "MTF1" ‖ u32be header length ‖ JCS header ‖
// 64-byte Ed25519 signature ‖ body. The signature covers SHA-256("medtrace/v1/fl/frame" ‖ 0x00 ‖
// JCS(header)); the header carries bodySha256, so header and body are both covered.
import { createHash, type KeyObject, sign, verify } from "node:crypto";
import { CryptoError } from "./errors.ts";
import { canonicalBytes } from "./jcs.ts";

export const FRAME_MAGIC = "MTF1";
export const MAX_HEADER_BYTES = 16 * 1024;

export interface FrameHeader {
  v: 1;
  type: string;
  sender: "node" | "server";
  nodeId: string;
  sessionId: string | null;
  round: number | null;
  attempt: number | null;
  seq: number;
  ts: number;
  contentType: string;
  bodyLen: number;
  bodySha256: string;
  [extra: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  signature: Uint8Array;
  body: Uint8Array;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function signedDigest(header: FrameHeader): Buffer {
  return createHash("sha256")
    .update("medtrace/v1/fl/frame")
    .update(Uint8Array.of(0))
    .update(canonicalBytes(header))
    .digest();
}

/** Fills bodyLen/bodySha256, signs and serialises. */
export function encodeFrame(
  header: Omit<FrameHeader, "bodyLen" | "bodySha256" | "v">,
  body: Uint8Array,
  key: KeyObject,
): Uint8Array {
  const full = {
    ...header,
    v: 1,
    bodyLen: body.length,
    bodySha256: sha256Hex(body),
  } as FrameHeader;
  const h = canonicalBytes(full);
  if (h.length > MAX_HEADER_BYTES)
    throw new CryptoError("FRAME_HEADER_SIZE", "frame header above 16 KiB");
  const sig = sign(null, signedDigest(full), key);
  const out = new Uint8Array(8 + h.length + 64 + body.length);
  out.set(Buffer.from(FRAME_MAGIC, "ascii"), 0);
  new DataView(out.buffer).setUint32(4, h.length, false);
  out.set(h, 8);
  out.set(sig, 8 + h.length);
  out.set(body, 8 + h.length + 64);
  return out;
}

/** Parses without verifying (check order of §5.3: parse, then signature, then the rest). */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (
    bytes.length < 8 + 2 + 64 ||
    Buffer.from(bytes.subarray(0, 4)).toString("ascii") !== FRAME_MAGIC
  ) {
    throw new CryptoError("bad-frame", "not an MTF1 frame");
  }
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, false);
  if (hlen > MAX_HEADER_BYTES || 8 + hlen + 64 > bytes.length) {
    throw new CryptoError("bad-frame", "frame header length out of range");
  }
  let header: FrameHeader;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + hlen)).toString("utf8")) as FrameHeader;
  } catch {
    throw new CryptoError("bad-frame", "frame header is not JSON");
  }
  if (header.v !== 1 || typeof header.bodyLen !== "number" || typeof header.seq !== "number") {
    throw new CryptoError("bad-frame", "frame header lacks v/bodyLen/seq");
  }
  const body = bytes.subarray(8 + hlen + 64);
  if (body.length !== header.bodyLen)
    throw new CryptoError("bad-frame", "body length differs from bodyLen");
  return { header, signature: bytes.subarray(8 + hlen, 8 + hlen + 64), body };
}

export function verifyFrameSignature(f: Frame, key: KeyObject): boolean {
  try {
    return verify(null, signedDigest(f.header), key, f.signature);
  } catch {
    return false;
  }
}

export function bodyDigestOk(f: Frame): boolean {
  return sha256Hex(f.body) === f.header.bodySha256;
}

/** seq_next = max(seq_last + 1, unixMs·1000): monotonic across restarts (§5.3). */
export function nextSeq(last: number, nowMs: number): number {
  return Math.max(last + 1, nowMs * 1000);
}

/** HTTP content type of a frame (§5.3). */
export const FRAME_CONTENT_TYPE = "application/vnd.medtrace.fl-frame";

/** Optional header field of a chunk frame (§5.6). */
export interface ChunkInfo {
  index: number;
  count: number;
  payloadSha256: string;
  payloadLen: number;
}
