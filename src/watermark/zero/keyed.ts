// Keyed watermark and keyed permutation from the image identity, zero-watermark.md §6.
import { createCipheriv, createHash, createHmac } from "node:crypto";
import { deriveEpochKey, canonicalJson as jcs, type MasterSecret } from "../../crypto/index.ts";
import { ZeroWatermarkError } from "./errors.ts";

/** The identity of a registered plane (§6.1); no patient identifier. */
export type ZwIdentity = { [key: string]: string | number | boolean | null | ZwIdentity };

export interface ZwKeys {
  /** K_zwid(ε), 32 bytes. */
  id: Uint8Array;
  /** K_zwperm(ε), 32 bytes. */
  perm: Uint8Array;
  epoch: number;
}

export function zwKeys(master: MasterSecret, epoch: number): ZwKeys {
  return {
    id: deriveEpochKey(master, "zw/id", epoch),
    perm: deriveEpochKey(master, "zw/perm", epoch),
    epoch,
  };
}

export function checkKeys(keys: ZwKeys | undefined): ZwKeys {
  if (keys?.id?.length !== 32 || keys?.perm?.length !== 32) {
    throw new ZeroWatermarkError(
      "ZW_KEY_UNAVAILABLE",
      "zero-watermark keys K_zwid and K_zwperm (32 bytes each) are not configured",
    );
  }
  return keys;
}

/** Canonical JSON (RFC 8785) of an identity or a parameter set; the shared encoder of src/crypto. */
export function canonicalJson(value: unknown): string {
  try {
    return jcs(value);
  } catch (err) {
    throw new ZeroWatermarkError("ZW_PARAM_DOMAIN", `canonical JSON: ${(err as Error).message}`);
  }
}

/** W = HMAC-SHA256(K_zwid, "medtrace/v1/zw/wm" ‖ 0x00 ‖ u8(j) ‖ identity), j = 0, 1, … (§6.2). */
export function watermarkBytes(keyId: Uint8Array, identityJson: string, bits: number): Uint8Array {
  const bytes = Math.ceil(bits / 8);
  const out = new Uint8Array(Math.ceil(bytes / 32) * 32);
  for (let j = 0; j * 32 < bytes; j++) {
    const mac = createHmac("sha256", keyId)
      .update("medtrace/v1/zw/wm")
      .update(Uint8Array.of(0, j))
      .update(identityJson, "utf8")
      .digest();
    out.set(mac, j * 32);
  }
  return out.subarray(0, bytes);
}

/** Keyed Fisher–Yates permutation of 0…L−1 from AES-256-CTR, unbiased by rejection (§6.3). */
export function keyedPermutation(
  keyPerm: Uint8Array,
  identityJson: string,
  L: number,
): Uint16Array {
  const iv = createHash("sha256")
    .update("medtrace/v1/zw/perm-iv")
    .update(Uint8Array.of(0))
    .update(identityJson, "utf8")
    .digest()
    .subarray(0, 16);
  const cipher = createCipheriv("aes-256-ctr", keyPerm, iv);
  let buf = cipher.update(Buffer.alloc(4 * L * 2));
  let pos = 0;
  const next = (): number => {
    if (pos + 4 > buf.length) {
      buf = cipher.update(Buffer.alloc(4 * L));
      pos = 0;
    }
    const v = buf.readUInt32BE(pos);
    pos += 4;
    return v;
  };
  const pi = new Uint16Array(L);
  for (let i = 0; i < L; i++) pi[i] = i;
  for (let i = L - 1; i >= 1; i--) {
    const m = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % m);
    let v = next();
    while (v >= limit) v = next();
    const j = v % m;
    const t = pi[i];
    pi[i] = pi[j];
    pi[j] = t;
  }
  return pi;
}

export function getBit(packed: Uint8Array, j: number): number {
  return (packed[j >> 3] >> (7 - (j & 7))) & 1;
}

/** Packs 0/1 values MSB-first. */
export function packBits(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let j = 0; j < bits.length; j++) if (bits[j]) out[j >> 3] |= 0x80 >> (j & 7);
  return out;
}

export function unpackBits(packed: Uint8Array, L: number): Uint8Array {
  const out = new Uint8Array(L);
  for (let j = 0; j < L; j++) out[j] = getBit(packed, j);
  return out;
}

/** The scrambled watermark bits W_s[j] = W[π[j]] for an identity. */
export interface KeyedMark {
  /** W, 0/1 per bit. */
  w: Uint8Array;
  pi: Uint16Array;
}

export function keyedMark(keys: ZwKeys, identity: ZwIdentity, L: number): KeyedMark {
  const json = canonicalJson(identity);
  return {
    w: unpackBits(watermarkBytes(keys.id, json, L), L),
    pi: keyedPermutation(keys.perm, json, L),
  };
}

/** share_j = f_j XOR W[π[j]] (§6.4), packed. */
export function makeShare(f: Uint8Array, mark: KeyedMark): Uint8Array {
  const bits = new Uint8Array(f.length);
  for (let j = 0; j < f.length; j++) bits[j] = f[j] ^ mark.w[mark.pi[j]];
  return packBits(bits);
}

/** W'[π[j]] = f'_j XOR share_j (§7.1 step 3). */
export function recoverMark(fPrime: Uint8Array, share: Uint8Array, mark: KeyedMark): Uint8Array {
  const out = new Uint8Array(fPrime.length);
  for (let j = 0; j < fPrime.length; j++) out[mark.pi[j]] = fPrime[j] ^ getBit(share, j);
  return out;
}
