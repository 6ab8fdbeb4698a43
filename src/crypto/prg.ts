// The PRG of federated-learning.md §1.7: AES-256-CTR keystream (zero IV) over a 32-byte key.
// Every random draw of the FL product comes from one of these, under its own derive() label.
import { createCipheriv, createHash, hkdfSync } from "node:crypto";
import { CryptoError } from "./errors.ts";

/** seedBytes = SHA-256("medtrace/v1/fl/seed" ‖ 0x00 ‖ seed). */
export function flSeedBytes(seed: string): Uint8Array {
  return new Uint8Array(
    createHash("sha256")
      .update("medtrace/v1/fl/seed")
      .update(Uint8Array.of(0))
      .update(seed, "utf8")
      .digest(),
  );
}

/** derive(k, label) = HKDF-SHA256(IKM = k, salt = "medtrace/v1/fl", info = label, L = 32). */
export function flDerive(key: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", key, "medtrace/v1/fl", Buffer.from(label, "utf8"), 32));
}

let zeros = Buffer.alloc(0);

/** `len` bytes of AES-256-CTR keystream starting at block 0 (used directly for masks, §6.3). */
export function keystream(key: Uint8Array, len: number): Uint8Array {
  if (key.length !== 32) throw new CryptoError("PRG_KEY_LENGTH", "PRG key must be 32 bytes");
  if (zeros.length < len) zeros = Buffer.alloc(len); // explicit cache of zero bytes, never written
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const out = c.update(zeros.subarray(0, len));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The keystream as little-endian u32 words (masks are added mod 2^32). */
export function keystreamU32(key: Uint8Array, words: number): Uint32Array {
  const b = keystream(key, 4 * words);
  return b.byteOffset % 4 === 0
    ? new Uint32Array(b.buffer, b.byteOffset, words)
    : new Uint32Array(b.slice().buffer);
}

const CHUNK = 4096;

export class Prg {
  private readonly cipher;
  private buf = new Uint8Array(0);
  private pos = 0;
  private spare: number | null = null;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new CryptoError("PRG_KEY_LENGTH", "PRG key must be 32 bytes");
    this.cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (this.pos === this.buf.length) {
        this.buf = new Uint8Array(this.cipher.update(Buffer.alloc(CHUNK)));
        this.pos = 0;
      }
      const take = Math.min(n - o, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + take), o);
      this.pos += take;
      o += take;
    }
    return out;
  }

  /** 4 bytes, little-endian. */
  u32(): number {
    const b = this.bytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  /** (u64 little-endian >> 11) / 2^53, in [0, 1). */
  uniform(): number {
    const lo = this.u32();
    const hi = this.u32();
    // (hi·2^32 + lo) >> 11 = hi·2^21 + (lo >>> 11)
    return (hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53;
  }

  /** Box–Muller on two uniforms, u1 = 0 replaced by 2^-53; the second value is kept for the next call. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u1 = this.uniform();
    const u2 = this.uniform();
    if (u1 === 0) u1 = 2 ** -53;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n) by rejection on u32. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const v = this.u32();
      if (v < limit) return v % n;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
