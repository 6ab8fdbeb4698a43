// Note signer and verifier keys (C2SP signed-note; ledger.md §8.1).
// keyID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0..4); 0x01 is the Ed25519 signature type.
import { createHash, type KeyObject } from "node:crypto";
import { ed25519RawPublicKey, ed25519Sign, ed25519Verify } from "../../crypto/ed25519.ts";
import { deriveEpochKey, ed25519PrivateKeyFromSeed, type MasterSecret } from "../../crypto/keys.ts";
import { parseError } from "../errors.ts";

const ED25519_TYPE = 0x01;

export interface NoteVerifierKey {
  name: string;
  keyId: Uint8Array; // 4 bytes
  publicKey: Uint8Array; // 32 bytes
}

export interface CheckpointSigner extends NoteVerifierKey {
  sign(message: Uint8Array): Uint8Array;
}

export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const h = createHash("sha256")
    .update(name, "utf8")
    .update(Uint8Array.of(0x0a, ED25519_TYPE))
    .update(publicKey)
    .digest();
  return new Uint8Array(h.subarray(0, 4));
}

export function verifierKey(name: string, publicKey: Uint8Array): NoteVerifierKey {
  return { name, keyId: noteKeyId(name, publicKey), publicKey: Uint8Array.from(publicKey) };
}

export function ed25519NoteSigner(name: string, privateKey: KeyObject): CheckpointSigner {
  const publicKey = ed25519RawPublicKey(privateKey);
  return {
    ...verifierKey(name, publicKey),
    sign: (message) => ed25519Sign(privateKey, message),
  };
}

export function signerFromSeed(name: string, seed: Uint8Array): CheckpointSigner {
  return ed25519NoteSigner(name, ed25519PrivateKeyFromSeed(seed));
}

/** The checkpoint key of an epoch: seed K(medtrace/v1/ledger/sign/e<ε>), name = origin. */
export function ledgerSigner(master: MasterSecret, epoch = 1): CheckpointSigner {
  const origin = `${master.deploymentId}/ledger`;
  return signerFromSeed(origin, deriveEpochKey(master, "ledger/sign", epoch));
}

export function verifySignature(key: NoteVerifierKey, message: Uint8Array, sig: Uint8Array) {
  return ed25519Verify(key.publicKey, message, sig);
}

/** `<name>+<keyID hex>+<base64(0x01 ‖ public key)>`, the sumdb/note verifier string. */
export function formatVkey(key: NoteVerifierKey): string {
  const body = Buffer.concat([Uint8Array.of(ED25519_TYPE), key.publicKey]).toString("base64");
  return `${key.name}+${Buffer.from(key.keyId).toString("hex")}+${body}`;
}

export function parseVkey(vkey: string): NoteVerifierKey {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(vkey);
  if (!m) throw parseError("vkey", "expected <name>+<keyID hex>+<base64 key>");
  const raw = Buffer.from(m[3], "base64");
  if (raw.length !== 33 || raw[0] !== ED25519_TYPE || raw.toString("base64") !== m[3])
    throw parseError("vkey", "key is not a base64 Ed25519 key");
  const key = verifierKey(m[1], new Uint8Array(raw.subarray(1)));
  if (Buffer.from(key.keyId).toString("hex") !== m[2])
    throw parseError("vkey", "key ID does not match the name and key");
  return key;
}

export const keyIdHex = (k: { keyId: Uint8Array }): string => Buffer.from(k.keyId).toString("hex");
