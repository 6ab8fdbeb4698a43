// Evaluation metrics: accuracy at argmax and ROC AUC (rank statistic, ties averaged).

/** Binary AUC of scores for the positive label; NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (positive[idx[t]]) {
        pos++;
        rankSum += avg;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Binary: AUC of p[1]; multi-class: macro one-vs-rest. probs is n×K row-major. */
export function aucOf(probs: Float32Array, y: Int32Array, k: number): number {
  const n = y.length;
  const one = (c: number) =>
    rocAuc(
      Array.from({ length: n }, (_, i) => probs[i * k + c]),
      Array.from(y, (v) => v === c),
    );
  if (k === 2) return one(1);
  let s = 0;
  let m = 0;
  for (let c = 0; c < k; c++) {
    const a = one(c);
    if (!Number.isNaN(a)) {
      s += a;
      m++;
    }
  }
  return m ? s / m : Number.NaN;
}

/** Binary accuracy when p[1] ≥ t means class 1. probs is n×2 row-major. */
export function accuracyAt(probs: Float32Array, y: Int32Array, t: number): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) if ((probs[2 * i + 1] >= t ? 1 : 0) === y[i]) correct++;
  return correct / y.length;
}

/**
 * Binary: the cut on p[1] (grid 0.05…0.95, step 0.01) with the best accuracy on these scores,
 * meant for the validation split so that the test split is never used to choose it; ties keep
 * the cut nearest 0.5 (argmax).
 */
export function bestThreshold(probs: Float32Array, y: Int32Array): number {
  let best = 0.5;
  let bestAcc = accuracyAt(probs, y, 0.5);
  for (let i = 5; i <= 95; i++) {
    const t = i / 100;
    const a = accuracyAt(probs, y, t);
    if (a > bestAcc || (a === bestAcc && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t;
      bestAcc = a;
    }
  }
  return best;
}
