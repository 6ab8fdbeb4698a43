// Payload profiles, message layout, MAC tag and codeword bits (reversible-watermark.md §6).
import { createHmac, timingSafeEqual } from "node:crypto";
import { rsDecode, rsEncode } from "./rs.ts";

export interface Profile {
  name: "P1" | "P2";
  /** Codeword length in bits. */
  L: number;
  n: number;
  k: number;
  header: number;
  tokenBytes: number;
  tagBytes: number;
  /** Acceptance rules of §7 step 4. */
  strict: { maxWeakBytes: number };
  degraded: { maxErasedBytes: number };
}

export const P1: Profile = {
  name: "P1",
  L: 384,
  n: 48,
  k: 32,
  header: 0x11,
  tokenBytes: 16,
  tagBytes: 14,
  strict: { maxWeakBytes: 4 },
  degraded: { maxErasedBytes: 8 },
};

export const P2: Profile = {
  name: "P2",
  L: 192,
  n: 24,
  k: 16,
  header: 0x12,
  tokenBytes: 8,
  tagBytes: 6,
  strict: { maxWeakBytes: 2 },
  degraded: { maxErasedBytes: 4 },
};

export const PROFILES: readonly Profile[] = [P1, P2];

const TAG_CONTEXT = Buffer.from("medtrace/wm/tag/v1", "utf8");

function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function computeTag(
  profile: Profile,
  macKey: Uint8Array,
  head: Uint8Array,
  rows: number,
  cols: number,
): Buffer {
  return createHmac("sha256", macKey)
    .update(TAG_CONTEXT)
    .update(head)
    .update(u32be(rows))
    .update(u32be(cols))
    .digest()
    .subarray(0, profile.tagBytes);
}

/** m = header ‖ k* ‖ token ‖ tag (§6.2). */
export function buildMessage(
  profile: Profile,
  macKey: Uint8Array,
  rung: number,
  token: Uint8Array,
  rows: number,
  cols: number,
): Uint8Array {
  const head = new Uint8Array(2 + profile.tokenBytes);
  head[0] = profile.header;
  head[1] = rung;
  head.set(token, 2);
  const message = new Uint8Array(profile.k);
  message.set(head);
  message.set(computeTag(profile, macKey, head, rows, cols), head.length);
  return message;
}

/** Codeword bytes: message ‖ RS parity (§6.3). The ledger commits to these (ledger.md §6.2). */
export function buildCodeword(
  profile: Profile,
  macKey: Uint8Array,
  rung: number,
  token: Uint8Array,
  rows: number,
  cols: number,
): Uint8Array {
  return rsEncode(buildMessage(profile, macKey, rung, token, rows, cols), profile.n - profile.k);
}

export function buildCodewordBits(...args: Parameters<typeof buildCodeword>): Uint8Array {
  return bytesToBits(buildCodeword(...args));
}

/** Bit j is bit 7 − (j mod 8) of byte ⌊j/8⌋: MSB first (§6.3). */
export function bytesToBits(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array(bytes.length * 8);
  for (let j = 0; j < bits.length; j++) bits[j] = (bytes[j >> 3] >> (7 - (j & 7))) & 1;
  return bits;
}

export interface VerifiedPayload {
  rung: number;
  token: Uint8Array;
  erasures: number;
  corrected: number;
}

/**
 * Majority per slot (§6.4), RS decoding with erasures, header and tag checks.
 * Returns null for anything that does not verify; never throws on content.
 */
export function verifyVotes(
  profile: Profile,
  macKey: Uint8Array,
  ones: Uint32Array,
  total: Uint32Array,
  rows: number,
  cols: number,
): VerifiedPayload | null {
  const word = new Uint8Array(profile.n);
  const erased: number[] = [];
  for (let byte = 0; byte < profile.n; byte++) {
    let value = 0;
    let unknown = false;
    for (let b = 0; b < 8; b++) {
      const slot = byte * 8 + b;
      const zeros = total[slot] - ones[slot];
      if (ones[slot] === zeros) unknown = true;
      value = (value << 1) | (ones[slot] > zeros ? 1 : 0);
    }
    word[byte] = value;
    if (unknown) erased.push(byte);
  }
  const decoded = rsDecode(word, profile.n - profile.k, erased);
  if (!decoded.ok || !decoded.word) return null;
  const message = decoded.word.subarray(0, profile.k);
  if (message[0] !== profile.header) return null;
  const headLength = 2 + profile.tokenBytes;
  const head = message.subarray(0, headLength);
  const expected = computeTag(profile, macKey, head, rows, cols);
  const tag = message.subarray(headLength, headLength + profile.tagBytes);
  if (!timingSafeEqual(expected, tag)) return null;
  return {
    rung: message[1],
    token: Uint8Array.from(message.subarray(2, headLength)),
    erasures: decoded.erasures,
    corrected: decoded.errors,
  };
}
