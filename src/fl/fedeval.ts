// Federated evaluation (federated-learning.md §1.5 step 6): each node evaluates the incoming
// global model on its local validation split and reports counts and a score histogram; the
// server pools them (ACC, and an approximate AUC from the histograms), never seeing a prediction.
import type { Dataset } from "./dataset.ts";

export const HIST_BINS = 100;

export interface EvalReport {
  n: number;
  /** summed cross-entropy (the pooled mean is Σloss/Σn) */
  loss: number;
  correct: number;
  /** binary confusion at threshold 0.5: [tn, fp, fn, tp] */
  confusion: [number, number, number, number];
  /** scoreHistogram[label][bin] of p[1], 100 bins over [0, 1] */
  scoreHistogram: [number[], number[]];
}

/** Node side, binary tasks: p is n×2 softmax output. */
export function evalReport(probs: Float32Array, data: Dataset): EvalReport {
  const hist: [number[], number[]] = [new Array(HIST_BINS).fill(0), new Array(HIST_BINS).fill(0)];
  const conf: [number, number, number, number] = [0, 0, 0, 0];
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.n; i++) {
    const s = probs[i * 2 + 1];
    const y = data.y[i];
    const pred = s >= 0.5 ? 1 : 0;
    if (pred === y) correct++;
    conf[y * 2 + pred]++;
    loss -= Math.log(Math.max(probs[i * 2 + y], 1e-7));
    hist[y][Math.min(HIST_BINS - 1, Math.floor(s * HIST_BINS))]++;
  }
  return { n: data.n, loss, correct, confusion: conf, scoreHistogram: hist };
}

/** Server side: pooled loss, ACC and the AUC of the pooled histograms (ties within a bin count ½). */
export function poolReports(reports: EvalReport[]): { n: number; loss: number; acc: number; auc: number } {
  const n = reports.reduce((a, r) => a + r.n, 0);
  const neg = new Array<number>(HIST_BINS).fill(0);
  const pos = new Array<number>(HIST_BINS).fill(0);
  for (const r of reports)
    for (let b = 0; b < HIST_BINS; b++) {
      neg[b] += r.scoreHistogram[0][b];
      pos[b] += r.scoreHistogram[1][b];
    }
  const P = pos.reduce((a, v) => a + v, 0);
  const N = neg.reduce((a, v) => a + v, 0);
  let below = 0;
  let u = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    u += pos[b] * (below + neg[b] / 2);
    below += neg[b];
  }
  return {
    n,
    loss: reports.reduce((a, r) => a + r.loss, 0) / n,
    acc: reports.reduce((a, r) => a + r.correct, 0) / n,
    auc: P && N ? u / (P * N) : Number.NaN,
  };
}
