// Capacity mode (reversible-watermark.md §10): the same engine with a free threshold τ on μ and a
// plain bit string, to compare with other schemes at equal payload. Not used by the server.
import { createCipheriv, createHash } from "node:crypto";
import { WatermarkError } from "./errors.ts";
import { computeGeometry } from "./geometry.ts";
import { embedPass, undoPass } from "./modulation.ts";
import { bytesToBits } from "./payload.ts";
import type { Plane } from "./plane.ts";

export interface CapacityEmbedResult {
  plane: Plane;
  feasible: boolean;
  /** Vote carriers of both passes: the bits actually carried (cyclically repeating `bits`). */
  voteCarriers: number;
  flags: number;
  changed: number;
}

export function embedBits(plane: Plane, bits: Uint8Array, tau: number): CapacityEmbedResult {
  if (bits.length === 0) throw new WatermarkError("WM_BAD_ARGUMENT", "no bits to embed");
  if (!Number.isInteger(tau) || tau < 0)
    throw new WatermarkError("WM_BAD_ARGUMENT", `tau must be a non-negative integer, got ${tau}`);
  const { rows, cols, loW, hiW } = plane;
  const data = Int32Array.from(plane.data);
  let offset = 0;
  const geoA = computeGeometry(plane.data, rows, cols, 0, loW, hiW);
  const a = embedPass(
    geoA,
    plane.data,
    data,
    tau,
    loW,
    hiW,
    (j) => bits[(offset + j) % bits.length],
  );
  if (!a.feasible)
    return {
      plane: { ...plane, data },
      feasible: false,
      voteCarriers: 0,
      flags: a.flags,
      changed: 0,
    };
  offset = a.carriers - a.flags;
  const geoB = computeGeometry(data, rows, cols, 1, loW, hiW);
  const b = embedPass(geoB, data, data, tau, loW, hiW, (j) => bits[(offset + j) % bits.length]);
  return {
    plane: { ...plane, data },
    feasible: b.feasible,
    voteCarriers: offset + (b.feasible ? b.carriers - b.flags : 0),
    flags: a.flags + b.flags,
    changed: a.changed + b.changed,
  };
}

/** Inverse of `embedBits`: the first `n` carried bits and the exactly restored plane. */
export function extractBits(
  plane: Plane,
  tau: number,
  n: number,
): { bits: Uint8Array; plane: Plane } {
  const { rows, cols, loW, hiW } = plane;
  const data = Int32Array.from(plane.data);
  const bBits: number[] = [];
  const geoB = computeGeometry(plane.data, rows, cols, 1, loW, hiW);
  undoPass(geoB, plane.data, data, tau, loW, hiW, (_j, _i, bit) => bBits.push(bit));
  const aBits: number[] = [];
  const geoA = computeGeometry(data, rows, cols, 0, loW, hiW);
  undoPass(geoA, data, data, tau, loW, hiW, (_j, _i, bit) => aBits.push(bit));
  return { bits: Uint8Array.from([...aBits, ...bBits].slice(0, n)), plane: { ...plane, data } };
}

/** The smallest τ whose embedding offers at least `payload` vote carriers: doubling, then bisection. */
export function tauForPayload(plane: Plane, bits: Uint8Array, payload: number): number | null {
  const enough = (tau: number) => {
    const r = embedBits(plane, bits, tau);
    return r.feasible && r.voteCarriers >= payload;
  };
  if (enough(0)) return 0;
  let hi = 1;
  while (!enough(hi)) {
    if (hi > 2 ** 42) return null;
    hi *= 2;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Benchmark payload: AES-256-CTR(SHA-256("medtrace/bench/payload"), IV 0), MSB first (§10). */
export function benchmarkPayload(nBits: number): Uint8Array {
  const key = createHash("sha256").update("medtrace/bench/payload").digest();
  const bytes = createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(
    Buffer.alloc(Math.ceil(nBits / 8)),
  );
  return bytesToBits(bytes).slice(0, nBits);
}
