// Local training (federated-learning.md §4.4): a custom loop (variableGrads + optimiser) so that
// FedProx, clipping and the batch order stay ours. Output Δ = w_local − w_global and n_k.
import { flDerive, Prg } from "../crypto/prg.ts";
import { tf } from "./backend.ts";
import type { Dataset } from "./dataset.ts";
import { FlError } from "./errors.ts";
import { aucOf } from "./metrics.ts";
import { getFlat, setFlat } from "./model.ts";

export interface TrainOptions {
  round: number;
  nodeId: string;
  seedBytes: Uint8Array;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  optimizer?: "adam" | "sgd";
  learningRate?: number;
  momentum?: number;
  /** FedProx μ: adds (μ/2)·‖w − w_global‖² to the loss. */
  proxMu?: number;
  shiftPx?: number;
  /** per-class loss weights (class-balanced loss); absent = every example weighs 1 */
  classWeights?: number[];
}

export interface TrainResult {
  delta: Float32Array;
  n: number;
  loss: number;
  steps: number;
}

/** Random integer shift in [−s, s] px per image, zero fill (§1.2 `augment`). */
function shiftBatch(x: Float32Array, count: number, d: Dataset, s: number, prg: Prg): void {
  const { h, w, c } = d;
  const per = h * w * c;
  const tmp = new Float32Array(per);
  for (let b = 0; b < count; b++) {
    const dy = prg.int(2 * s + 1) - s;
    const dx = prg.int(2 * s + 1) - s;
    if (dx === 0 && dy === 0) continue;
    const img = x.subarray(b * per, (b + 1) * per);
    tmp.fill(0);
    for (let i = 0; i < h; i++) {
      const si = i - dy;
      if (si < 0 || si >= h) continue;
      for (let j = 0; j < w; j++) {
        const sj = j - dx;
        if (sj < 0 || sj >= w) continue;
        for (let ch = 0; ch < c; ch++) tmp[(i * w + j) * c + ch] = img[(si * w + sj) * c + ch];
      }
    }
    img.set(tmp);
  }
}

export function localTrain(
  model: tf.LayersModel,
  global: Float32Array,
  data: Dataset,
  o: TrainOptions,
): TrainResult {
  if (data.n === 0) throw new FlError("DATASET_EMPTY", `node ${o.nodeId} has no training examples`);
  setFlat(model, global);
  const epochs = o.epochs ?? 1;
  const bs = o.batchSize ?? 32;
  const lr = o.learningRate ?? 1e-3;
  const opt =
    (o.optimizer ?? "adam") === "adam"
      ? tf.train.adam(lr)
      : o.momentum
        ? tf.train.momentum(lr, o.momentum)
        : tf.train.sgd(lr);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const mu = o.proxMu ?? 0;
  const anchors = mu > 0 ? vars.map((v) => tf.keep(v.clone())) : [];
  const per = data.h * data.w * data.c;
  let steps = 0;
  let lossSum = 0;
  let lossCount = 0;
  try {
    outer: for (let e = 0; e < epochs; e++) {
      const order = Array.from({ length: data.n }, (_, i) => i);
      new Prg(flDerive(o.seedBytes, `shuffle/r${o.round}/n${o.nodeId}/e${e}`)).shuffle(order);
      const aug = o.shiftPx
        ? new Prg(flDerive(o.seedBytes, `augment/r${o.round}/n${o.nodeId}/e${e}`))
        : null;
      for (let s = 0; s < data.n; s += bs) {
        if (o.maxSteps !== undefined && steps >= o.maxSteps) break outer;
        const idx = order.slice(s, s + bs);
        const xb = new Float32Array(idx.length * per);
        const yb = new Float32Array(idx.length * data.classes);
        const wb = o.classWeights ? new Float32Array(idx.length) : null;
        for (let i = 0; i < idx.length; i++) {
          xb.set(data.x.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
          yb[i * data.classes + data.y[idx[i]]] = 1;
          if (wb && o.classWeights) wb[i] = o.classWeights[data.y[idx[i]]];
        }
        if (aug && o.shiftPx) shiftBatch(xb, idx.length, data, o.shiftPx, aug);
        const loss = tf.tidy(() => {
          const xs = tf.tensor4d(xb, [idx.length, data.h, data.w, data.c]);
          const ys = tf.tensor2d(yb, [idx.length, data.classes]);
          const ws = wb ? tf.tensor1d(wb) : undefined;
          const cost = opt.minimize(
            () => {
              const p = model.apply(xs, { training: true }) as tf.Tensor;
              let l = tf.losses.softmaxCrossEntropy(
                ys,
                tf.log(tf.clipByValue(p, 1e-7, 1)),
                ws,
              ) as tf.Scalar;
              // softmaxCrossEntropy expects logits: log-probabilities are valid logits of p.
              if (mu > 0) {
                let prox = tf.scalar(0);
                for (let i = 0; i < vars.length; i++)
                  prox = prox.add(tf.sum(tf.square(vars[i].sub(anchors[i]))));
                l = l.add(prox.mul(mu / 2));
              }
              return l;
            },
            true,
            vars,
          );
          return cost as tf.Scalar;
        });
        lossSum += loss.dataSync()[0] * idx.length;
        lossCount += idx.length;
        loss.dispose();
        steps++;
      }
    }
  } finally {
    for (const a of anchors) a.dispose();
    opt.dispose();
  }
  const local = getFlat(model);
  const delta = new Float32Array(local.length);
  for (let i = 0; i < local.length; i++) delta[i] = local[i] - global[i];
  return { delta, n: data.n, loss: lossCount ? lossSum / lossCount : Number.NaN, steps };
}

/**
 * Class-balanced loss weights n / (K · n_c) from a node's own class counts, capped at `cap` so a
 * hospital holding three examples of a class does not weigh each of them by hundreds.
 */
export function balancedClassWeights(d: Dataset, cap = 5): number[] {
  const counts = new Array<number>(d.classes).fill(0);
  for (const v of d.y) counts[v]++;
  return counts.map((c) => (c === 0 ? 1 : Math.min(cap, d.n / (d.classes * c))));
}

export interface EvalResult {
  n: number;
  loss: number;
  acc: number;
  auc: number;
  /** n×K probabilities, kept so callers can apply a threshold chosen elsewhere */
  probs: Float32Array;
}

export function predict(model: tf.LayersModel, data: Dataset, batch = 256): Float32Array {
  const per = data.h * data.w * data.c;
  const out = new Float32Array(data.n * data.classes);
  for (let s = 0; s < data.n; s += batch) {
    const m = Math.min(batch, data.n - s);
    const p = tf.tidy(() =>
      model.predict(
        tf.tensor4d(data.x.subarray(s * per, (s + m) * per), [m, data.h, data.w, data.c]),
      ),
    ) as tf.Tensor;
    out.set(p.dataSync() as Float32Array, s * data.classes);
    p.dispose();
  }
  return out;
}

export function evaluate(model: tf.LayersModel, data: Dataset): EvalResult {
  const probs = predict(model, data);
  const k = data.classes;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    if (best === data.y[i]) correct++;
    loss -= Math.log(Math.max(probs[i * k + data.y[i]], 1e-7));
  }
  return { n: data.n, loss: loss / data.n, acc: correct / data.n, auc: aucOf(probs, data.y, k), probs };
}
