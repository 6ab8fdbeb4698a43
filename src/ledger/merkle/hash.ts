// RFC 6962 §2.1 hashing with domain separation: 0x00 for leaves, 0x01 for interior nodes.
import { createHash, hash } from "node:crypto";

export const HASH_SIZE = 32;

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash("sha256").digest());

// One-shot crypto.hash over one buffer is about twice as fast as createHash with three updates,
// and interior hashes dominate proof generation, verification and audits.
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function leafHash(leafData: Uint8Array): Uint8Array {
  const buf = Buffer.allocUnsafe(leafData.length + 1);
  buf[0] = 0x00;
  buf.set(leafData, 1);
  return view(hash("sha256", buf, "buffer") as unknown as Buffer);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = Buffer.allocUnsafe(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return view(hash("sha256", buf, "buffer") as unknown as Buffer);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
