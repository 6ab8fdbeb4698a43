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
