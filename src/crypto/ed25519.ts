// Ed25519 over raw 32-byte keys (RFC 8032), as thin wrappers of node:crypto.
import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { CryptoError } from "./errors.ts";
import { ed25519PrivateKeyFromSeed } from "./keys.ts";

// SPKI prefix for a raw Ed25519 public key (RFC 8410 §4).
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function ed25519PublicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed25519RawPublicKey(ed25519PrivateKeyFromSeed(seed));
}

export function ed25519RawPublicKey(key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) {
    throw new CryptoError("KEY_PUBLIC_LENGTH", `Ed25519 public key must be 32 bytes`);
  }
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
    format: "der",
    type: "spki",
  });
}

export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

/** False for a wrong signature or a malformed key or signature; never throws on bad input. */
export function ed25519Verify(
  publicKey: Uint8Array | KeyObject,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    const key = publicKey instanceof Uint8Array ? ed25519PublicKeyObject(publicKey) : publicKey;
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
