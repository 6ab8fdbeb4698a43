// Threshold ladder on the local complexity μ (reversible-watermark.md §3.4).
// 256 rungs, one byte in the payload; above k = 16 successive rungs differ by at most 13 %.

export const RUNGS = 256;

function rungBase(k: number): number {
  if (k < 16) return k;
  return (16 + (k % 16)) * 2 ** (Math.floor(k / 16) - 1);
}

/** T_k = t_k², exact in float64 (the largest, 507904², is below 2^53). */
export const LADDER: Float64Array = Float64Array.from(
  { length: RUNGS },
  (_, k) => rungBase(k) ** 2,
);

/** κ = min{k : μ ≤ T_k}; μ never exceeds T_255 for 16-bit data. */
export function rungOf(mu: number): number {
  let lo = 0;
  let hi = RUNGS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (mu <= LADDER[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
