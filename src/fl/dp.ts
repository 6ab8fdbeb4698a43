// Client-level differential privacy (federated-learning.md §8; DP-FedAvg, McMahan et al., ICLR
// 2018): clip each hospital's Δ to norm S, add N(0, z²S²) to the sum, divide by m selected.
// RDP accountant: per round ε_RDP(α) = α/(2z²) (Mironov 2017, Gaussian mechanism), T rounds add up,
// no subsampling amplification; conversion of Balle et al. 2020 (Thm 21).
import { Prg } from "../crypto/prg.ts";
import { FlError } from "./errors.ts";
import { l2 } from "./validate.ts";

export const RDP_ORDERS = [
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64,
  128, 256,
] as const;

/** Δ ← Δ·min(1, S/‖Δ‖₂), in place; returns the original norm. */
export function clipUpdate(delta: Float32Array, s: number): number {
  const n = l2(delta);
  if (n > s) {
    const f = s / n;
    for (let i = 0; i < delta.length; i++) delta[i] *= f;
  }
  return n;
}

/** Central mode: sum + N(0, z²S²) per coordinate, divided by m (the number selected), §8.2. */
export function noisyMean(
  sum: Float64Array | Float32Array,
  m: number,
  z: number,
  s: number,
  noiseKey: Uint8Array,
): Float32Array {
  if (m < 1) throw new FlError("CONFIG_INVALID", "m must be ≥ 1");
  const prg = new Prg(noiseKey);
  const out = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = (sum[i] + z * s * prg.normal()) / m;
  return out;
}

/** ε after `rounds` Gaussian rounds with noise multiplier z, and the best order. */
export function epsilon(
  z: number,
  rounds: number,
  delta = 1e-5,
): { epsilon: number; order: number } {
  if (!(z > 0) || rounds < 0)
    throw new FlError("CONFIG_INVALID", "z > 0 and rounds ≥ 0 are required");
  let best = { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
  for (const a of RDP_ORDERS) {
    const rdp = (rounds * a) / (2 * z * z);
    const eps = rdp + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  }
  return best;
}

/** Accountant state kept in the checkpoint: per-round noise multipliers (z_eff in distributed mode). */
export class RdpAccountant {
  private readonly rdp = new Float64Array(RDP_ORDERS.length);
  constructor(readonly delta = 1e-5) {}
  step(z: number): void {
    RDP_ORDERS.forEach((a, i) => {
      this.rdp[i] += a / (2 * z * z);
    });
  }
  /** ε if one more round with multiplier z ran (used to stop before exceeding maxEpsilon). */
  peek(z?: number): { epsilon: number; order: number } {
    let best = { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
    RDP_ORDERS.forEach((a, i) => {
      const r = this.rdp[i] + (z ? a / (2 * z * z) : 0);
      const eps = r + Math.log((a - 1) / a) - (Math.log(this.delta) + Math.log(a)) / (a - 1);
      if (eps < best.epsilon) best = { epsilon: eps, order: a };
    });
    return best;
  }
}
