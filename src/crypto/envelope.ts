// Payload encryption to a recipient's X25519 key (federated-learning.md §5.5):
// K = HKDF-SHA256(X25519(e, E), salt, info = label ‖ 0x00 ‖ JCS(context)); each chunk i is
// AES-256-GCM under K with nonce 0x00000000 ‖ u64be(i) and AAD = JCS({...aad, chunkIndex,
// chunkCount, final, payloadLen}). One ephemeral key per payload, so counter nonces are safe.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from "node:crypto";
import { CryptoError } from "./errors.ts";
import { canonicalBytes } from "./jcs.ts";

export const ENVELOPE_ALG = "X25519-HKDF-SHA256-A256GCM";
export const DEFAULT_CHUNK = 4 * 1024 * 1024;

export interface X25519Pair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export function x25519KeyPair(): X25519Pair {
  return generateKeyPairSync("x25519");
}

/** Raw 32-byte public key as unpadded base64url. */
export function x25519PublicB64u(k: KeyObject): string {
  const jwk = k.export({ format: "jwk" }) as { x: string };
  return jwk.x;
}

export function x25519PublicFromB64u(x: string): KeyObject {
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" });
  } catch {
    throw new CryptoError("decrypt-failed", "malformed X25519 public key");
  }
}

export function x25519PrivateFromRaw(d: Uint8Array, pub: KeyObject): KeyObject {
  return createPrivateKey({
    key: {
      kty: "OKP",
      crv: "X25519",
      d: Buffer.from(d).toString("base64url"),
      x: x25519PublicB64u(pub),
    },
    format: "jwk",
  });
}

export function x25519PrivateRaw(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: "jwk" }) as { d: string };
  return new Uint8Array(Buffer.from(jwk.d, "base64url"));
}

/** First 16 hex of SHA-256 of the raw public key. */
export function keyId(pub: KeyObject): string {
  return createHash("sha256")
    .update(Buffer.from(x25519PublicB64u(pub), "base64url"))
    .digest("hex")
    .slice(0, 16);
}

/** HKDF-SHA256 over an X25519 shared secret, info = label ‖ 0x00 ‖ JCS(context), L = 32. */
export function agreeKey(
  priv: KeyObject,
  pub: KeyObject,
  salt: Uint8Array,
  label: string,
  context: unknown,
): Uint8Array {
  const shared = diffieHellman({ privateKey: priv, publicKey: pub });
  const info = Buffer.concat([Buffer.from(label, "utf8"), Buffer.of(0), canonicalBytes(context)]);
  return new Uint8Array(hkdfSync("sha256", shared, salt, info, 32));
}

function nonce(i: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(i), 4);
  return n;
}

export interface SealedEnvelope {
  enc: { alg: typeof ENVELOPE_ALG; roundKeyId: string; epk: string };
  /** ciphertext ‖ 16-byte tag per chunk */
  chunks: Uint8Array[];
}

export interface EnvelopeParams {
  salt: Uint8Array;
  label: string; // e.g. "medtrace/v1/fl/update"
  /** HKDF info context without epk (epk is added). */
  context: Record<string, unknown>;
  /** AAD fields common to all chunks. */
  aad: Record<string, unknown>;
  chunkSize?: number;
}

function chunkAad(p: EnvelopeParams, payloadLen: number, i: number, count: number): Buffer {
  return canonicalBytes({
    ...p.aad,
    payloadLen,
    chunkIndex: i,
    chunkCount: count,
    final: i === count - 1,
  });
}

export function seal(recipient: KeyObject, payload: Uint8Array, p: EnvelopeParams): SealedEnvelope {
  const e = x25519KeyPair();
  const epk = x25519PublicB64u(e.publicKey);
  const key = agreeKey(e.privateKey, recipient, p.salt, p.label, { ...p.context, epk });
  const size = p.chunkSize ?? DEFAULT_CHUNK;
  const count = Math.max(1, Math.ceil(payload.length / size));
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const c = createCipheriv("aes-256-gcm", key, nonce(i));
    c.setAAD(chunkAad(p, payload.length, i, count));
    const ct = Buffer.concat([
      c.update(payload.subarray(i * size, (i + 1) * size)),
      c.final(),
      c.getAuthTag(),
    ]);
    chunks.push(new Uint8Array(ct));
  }
  return { enc: { alg: ENVELOPE_ALG, roundKeyId: keyId(recipient), epk }, chunks };
}

/** Decrypts and concatenates the chunks; any AEAD failure is `decrypt-failed`. */
export function open(
  recipient: X25519Pair,
  env: SealedEnvelope,
  payloadLen: number,
  p: EnvelopeParams,
): Uint8Array {
  if (env.enc.alg !== ENVELOPE_ALG)
    throw new CryptoError("decrypt-failed", `unknown alg ${env.enc.alg}`);
  if (env.enc.roundKeyId !== keyId(recipient.publicKey)) {
    throw new CryptoError("decrypt-failed", "payload was encrypted to another round key");
  }
  const key = agreeKey(recipient.privateKey, x25519PublicFromB64u(env.enc.epk), p.salt, p.label, {
    ...p.context,
    epk: env.enc.epk,
  });
  const out = new Uint8Array(payloadLen);
  let o = 0;
  const count = env.chunks.length;
  for (let i = 0; i < count; i++) {
    const ch = env.chunks[i];
    if (ch.length < 16) throw new CryptoError("decrypt-failed", "chunk shorter than its tag");
    try {
      const d = createDecipheriv("aes-256-gcm", key, nonce(i));
      d.setAAD(chunkAad(p, payloadLen, i, count));
      d.setAuthTag(ch.subarray(ch.length - 16));
      const pt = Buffer.concat([d.update(ch.subarray(0, ch.length - 16)), d.final()]);
      if (o + pt.length > payloadLen) throw new Error("overflow");
      out.set(pt, o);
      o += pt.length;
    } catch {
      throw new CryptoError("decrypt-failed", `chunk ${i} failed authentication`);
    }
  }
  if (o !== payloadLen)
    throw new CryptoError("decrypt-failed", "payload length differs from payloadLen");
  return out;
}
