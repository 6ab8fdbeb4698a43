// Update validation (federated-learning.md §7.3) and outlier detection (§7.4).

import { coordinateMedian } from "./strategies/robust.ts";
import type { FitResult } from "./strategies/types.ts";

export type RejectReason =
  | "wrong-shape"
  | "non-finite"
  | "norm-bound"
  | "bad-weight"
  | "stale-base";

export interface ValidationRules {
  length: number;
  maxUpdateNorm?: number;
  /** Declared n_k at acceptance; 1 ≤ n ≤ declared. */
  declaredN?: number;
  baseModelHash?: string;
}

export function l2(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** null when the update is acceptable, else the reason for `invalid-update`. */
export function validateUpdate(
  u: { delta: Float32Array; n: number; baseModelHash?: string },
  rules: ValidationRules,
): RejectReason | null {
  if (u.delta.length !== rules.length) return "wrong-shape";
  for (let i = 0; i < u.delta.length; i++) if (!Number.isFinite(u.delta[i])) return "non-finite";
  if (
    !Number.isInteger(u.n) ||
    u.n < 1 ||
    (rules.declaredN !== undefined && u.n > rules.declaredN)
  ) {
    return "bad-weight";
  }
  if (rules.baseModelHash !== undefined && u.baseModelHash !== rules.baseModelHash)
    return "stale-base";
  if (rules.maxUpdateNorm !== undefined && l2(u.delta) > rules.maxUpdateNorm) return "norm-bound";
  return null;
}

export interface AlertEvent {
  type:
    | "fl.update.rejected"
    | "fl.update.outlier"
    | "fl.aggregate.degraded"
    | "fl.aggregate.invalid"
    | "fl.node.quarantined";
  round: number;
  nodeId?: string;
  reason: string;
  value?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Plain mode, ≥ 3 updates: robust z-score of norms > 3.5, or cosine to the coordinate median < 0. */
export function detectOutliers(results: FitResult[], round: number): AlertEvent[] {
  if (results.length < 3) return [];
  const alerts: AlertEvent[] = [];
  const norms = results.map((r) => l2(r.delta));
  const med = median(norms);
  const mad = median(norms.map((x) => Math.abs(x - med)));
  const ref = coordinateMedian(results);
  const refNorm = l2(ref);
  results.forEach((r, k) => {
    const z =
      mad > 0 ? (0.6745 * (norms[k] - med)) / mad : norms[k] > med * (1 + 1e-6) ? Infinity : 0;
    if (z > 3.5) {
      alerts.push({
        type: "fl.update.outlier",
        round,
        nodeId: r.nodeId,
        reason: "norm-z",
        value: z,
      });
      return;
    }
    let dot = 0;
    for (let i = 0; i < ref.length; i++) dot += ref[i] * r.delta[i];
    const cos = refNorm > 0 && norms[k] > 0 ? dot / (refNorm * norms[k]) : 1;
    if (cos < 0)
      alerts.push({
        type: "fl.update.outlier",
        round,
        nodeId: r.nodeId,
        reason: "opposed",
        value: cos,
      });
  });
  return alerts;
}

/** Pooled evaluation loss up > 50 % over the previous round for two consecutive rounds. */
export function degraded(losses: number[]): boolean {
  const n = losses.length;
  return n >= 3 && losses[n - 1] > 1.5 * losses[n - 2] && losses[n - 2] > 1.5 * losses[n - 3];
}
