// Reed–Solomon over GF(2^8), primitive polynomial 0x11D, α = 2, first consecutive root α^0
// (reversible-watermark.md §6.3). Byte 0 of a codeword is the highest-degree coefficient.
// Decodes errors and erasures together (errata Berlekamp–Massey, Chien search, Forney).

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

function inv(a: number): number {
  return EXP[255 - LOG[a]];
}

function pow(a: number, e: number): number {
  if (a === 0) return 0;
  return EXP[(((LOG[a] * e) % 255) + 255) % 255];
}

/** Evaluates a polynomial stored lowest degree first. */
function evalLow(p: number[], x: number): number {
  let y = 0;
  for (let i = p.length - 1; i >= 0; i--) y = mul(y, x) ^ p[i];
  return y;
}

/** Product of two polynomials stored lowest degree first. */
function polyMul(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) continue;
    for (let j = 0; j < b.length; j++) out[i + j] ^= mul(a[i], b[j]);
  }
  return out;
}

function degree(p: number[]): number {
  let d = p.length - 1;
  while (d > 0 && p[d] === 0) d--;
  return d;
}

const generators = new Map<number, Uint8Array>();

/** g(x) = Π_{j<nsym} (x − α^j), highest degree first (so g[0] = 1). */
export function rsGenerator(nsym: number): Uint8Array {
  let g = generators.get(nsym);
  if (g) return g;
  let low = [1];
  for (let j = 0; j < nsym; j++) low = polyMul(low, [EXP[j], 1]);
  g = Uint8Array.from(low.reverse());
  generators.set(nsym, g);
  return g;
}

/** Systematic encoding: message ‖ (m(x)·x^nsym mod g(x)). */
export function rsEncode(message: Uint8Array, nsym: number): Uint8Array {
  const g = rsGenerator(nsym);
  const out = new Uint8Array(message.length + nsym);
  out.set(message);
  for (let i = 0; i < message.length; i++) {
    const coef = out[i];
    if (coef === 0) continue;
    for (let j = 1; j < g.length; j++) out[i + j] ^= mul(g[j], coef);
  }
  out.set(message);
  return out;
}

function syndromes(word: Uint8Array, nsym: number): number[] {
  const s = new Array<number>(nsym);
  for (let j = 0; j < nsym; j++) {
    let y = 0;
    const a = EXP[j];
    for (let i = 0; i < word.length; i++) y = mul(y, a) ^ word[i];
    s[j] = y;
  }
  return s;
}

export interface RsDecodeResult {
  ok: boolean;
  /** Corrected codeword (message ‖ parity) when ok. */
  word?: Uint8Array;
  errors: number;
  erasures: number;
}

/**
 * Corrects up to `2·errors + erasures ≤ nsym`. Never throws on content: a word beyond the
 * code's power gives `ok: false` (or, rarely, a miscorrection that the payload MAC rejects).
 */
export function rsDecode(
  received: Uint8Array,
  nsym: number,
  erasurePositions: number[] = [],
): RsDecodeResult {
  const n = received.length;
  const f = erasurePositions.length;
  if (f > nsym) return { ok: false, errors: 0, erasures: f };
  const word = Uint8Array.from(received);
  const s = syndromes(word, nsym);
  if (s.every((v) => v === 0)) return { ok: true, word, errors: 0, erasures: f };

  // Erasure locator Γ(x) = Π (1 − X_l x), X_l = α^(n−1−pos).
  let gamma = [1];
  for (const pos of erasurePositions) gamma = polyMul(gamma, [1, EXP[n - 1 - pos]]);

  // Errata Berlekamp–Massey started from Γ (Blahut): yields Ψ = ΛΓ directly.
  let psi = gamma.slice();
  let prev = gamma.slice();
  let len = f;
  for (let r = f; r < nsym; r++) {
    let delta = 0;
    for (let i = 0; i < psi.length && i <= r; i++) delta ^= mul(psi[i], s[r - i]);
    prev = [0, ...prev];
    if (delta === 0) continue;
    const next = psi.slice();
    while (next.length < prev.length) next.push(0);
    for (let i = 0; i < prev.length; i++) next[i] ^= mul(delta, prev[i]);
    if (2 * len <= r + f) {
      const dInv = inv(delta);
      prev = psi.map((c) => mul(c, dInv));
      len = r + 1 + f - len;
    }
    psi = next;
  }
  psi = psi.slice(0, degree(psi) + 1);
  const errors = len - f;
  if (errors < 0 || 2 * errors + f > nsym || degree(psi) !== len)
    return { ok: false, errors, erasures: f };

  // Chien search over the n positions of this (shortened) code.
  const positions: number[] = [];
  for (let pos = 0; pos < n; pos++) {
    const xInv = pow(2, -(n - 1 - pos));
    if (evalLow(psi, xInv) === 0) positions.push(pos);
  }
  if (positions.length !== degree(psi)) return { ok: false, errors, erasures: f };

  // Ω(x) = S(x)Ψ(x) mod x^nsym; Forney for first root α^0: e = X·Ω(X⁻¹)/Ψ'(X⁻¹).
  const omega = polyMul(s, psi).slice(0, nsym);
  const dpsi = psi.map((c, i) => (i % 2 === 1 ? c : 0)).slice(1);
  for (const pos of positions) {
    const x = EXP[n - 1 - pos];
    const xInv = inv(x);
    const den = evalLow(dpsi, xInv);
    if (den === 0) return { ok: false, errors, erasures: f };
    word[pos] ^= mul(x, mul(evalLow(omega, xInv), inv(den)));
  }
  if (!syndromes(word, nsym).every((v) => v === 0)) return { ok: false, errors, erasures: f };
  return { ok: true, word, errors, erasures: f };
}
