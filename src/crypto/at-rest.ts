// Secrets at rest (the consortium CA key): AES-256-GCM under a key derived from the master
// secret, with a fresh 96-bit random nonce per seal (NIST SP 800-38D §8.2.2) and a label as AAD
// so a sealed blob cannot be moved to another purpose.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CryptoError } from "./errors.ts";

export const AT_REST_ALG = "A256GCM";

export interface SealedAtRest {
  alg: typeof AT_REST_ALG;
  nonce: string; // b64u
  ciphertext: string; // b64u, tag appended
}

export function sealAtRest(key: Uint8Array, plaintext: Uint8Array, label: string): SealedAtRest {
  if (key.length !== 32) throw new CryptoError("KEY_LENGTH", "at-rest key must be 32 bytes");
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(Buffer.from(label, "utf8"));
  const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return { alg: AT_REST_ALG, nonce: nonce.toString("base64url"), ciphertext: ct.toString("base64url") };
}

export function openAtRest(key: Uint8Array, sealed: SealedAtRest, label: string): Uint8Array {
  if (sealed.alg !== AT_REST_ALG)
    throw new CryptoError("SEALED_ALG", `unsupported sealing algorithm ${String(sealed.alg)}`);
  const ct = Buffer.from(sealed.ciphertext, "base64url");
  if (ct.length < 16) throw new CryptoError("SEALED_FORMAT", "sealed data is truncated");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.nonce, "base64url"));
  d.setAAD(Buffer.from(label, "utf8"));
  d.setAuthTag(ct.subarray(ct.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]));
  } catch {
    throw new CryptoError(
      "SEALED_OPEN",
      "cannot open sealed data: wrong master secret or altered file",
    );
  }
}
