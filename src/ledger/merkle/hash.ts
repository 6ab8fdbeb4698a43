// RFC 6962 §2.1 hashing with domain separation: 0x00 for leaves, 0x01 for interior nodes.
import { createHash } from "node:crypto";

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

export const HASH_SIZE = 32;

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash("sha256").digest());

export function leafHash(leafData: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(LEAF).update(leafData).digest());
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(NODE).update(left).update(right).digest());
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
