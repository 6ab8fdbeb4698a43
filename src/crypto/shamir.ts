// Shamir t-of-n secret sharing over GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 (0x11B),
// byte by byte, x = the holder's node index 1..255 (federated-learning.md §6.4). Coefficients
// come from node:crypto's CSPRNG.
import { randomBytes } from "node:crypto";
import { CryptoError } from "./errors.ts";

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // multiply by the generator 3 = x + 1
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255];
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

function div(a: number, b: number): number {
  if (b === 0) throw new CryptoError("SHAMIR_DIV0", "division by zero in GF(2^8)");
  return a === 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]];
}

export interface Share {
  x: number;
  y: Uint8Array;
}

/** Splits `secret` for holders `xs` (distinct, 1..255) so that any t of them recover it. */
export function shamirSplit(secret: Uint8Array, t: number, xs: number[]): Share[] {
  if (!Number.isInteger(t) || t < 1 || t > xs.length) {
    throw new CryptoError("SHAMIR_THRESHOLD", `threshold ${t} with ${xs.length} holders`);
  }
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isInteger(x) || x < 1 || x > 255)) {
    throw new CryptoError("SHAMIR_X", "holder indices must be distinct integers in 1..255");
  }
  const coef = randomBytes(secret.length * (t - 1));
  return xs.map((x) => {
    const y = new Uint8Array(secret.length);
    for (let b = 0; b < secret.length; b++) {
      // Horner: a_{t-1} x^{t-1} + ... + a_1 x + s
      let acc = 0;
      for (let j = t - 2; j >= 0; j--) acc = mul(acc, x) ^ coef[b * (t - 1) + j];
      y[b] = mul(acc, x) ^ secret[b];
    }
    return { x, y };
  });
}

/** Lagrange interpolation at 0 from at least t shares (any extra shares are used too). */
export function shamirCombine(shares: Share[]): Uint8Array {
  if (shares.length === 0) throw new CryptoError("SHAMIR_SHARES", "no shares");
  const len = shares[0].y.length;
  if (
    new Set(shares.map((s) => s.x)).size !== shares.length ||
    shares.some((s) => s.y.length !== len)
  ) {
    throw new CryptoError("SHAMIR_SHARES", "shares must have distinct x and equal length");
  }
  const lag = shares.map((si, i) => {
    let num = 1;
    let den = 1;
    shares.forEach((sj, j) => {
      if (i === j) return;
      num = mul(num, sj.x);
      den = mul(den, sj.x ^ si.x);
    });
    return div(num, den);
  });
  const out = new Uint8Array(len);
  for (let b = 0; b < len; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) acc ^= mul(shares[i].y[b], lag[i]);
    out[b] = acc;
  }
  return out;
}
