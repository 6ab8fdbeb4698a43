// The strategy interface, modelled on Flower's Strategy: configure a round, aggregate its results.
// The server loop knows only this. Secure aggregation wraps a strategy instead of changing it: it
// hands `applyAggregate` the unmasked weighted mean, so only strategies that need nothing but
// the sum (`secureAggregationCompatible`) can run under it (federated-learning.md §7).

export interface FitResult {
  nodeId: string;
  delta: Float32Array;
  /** n_k, the number of training examples. */
  n: number;
}

export interface RoundConfig {
  round: number;
  learningRate: number;
  /** FedProx μ for the local objective; 0 = plain local training. */
  proxMu: number;
}

export interface Strategy {
  readonly name: string;
  /** false for the robust strategies: they need each node's update in clear. */
  readonly secureAggregationCompatible: boolean;
  /** Instructions for the nodes of round r, from the base configuration. */
  configureRound(base: RoundConfig): RoundConfig;
  /** Plain mode: combine the validated per-node updates into one Δ̄. */
  aggregateFit(results: FitResult[]): Float32Array;
  /** Server step θ ← f(θ, Δ̄); stateful for the server optimisers. */
  applyAggregate(global: Float32Array, meanDelta: Float32Array): Float32Array;
  /** Checkpointable state (FedAdam/FedYogi m and v). */
  state(): Record<string, Float32Array>;
  /** Restores what `state()` returned (a coordinator resuming from its checkpoint). */
  loadState?(s: Record<string, Float32Array>): void;
}

/** Sample-weighted mean, summed in sorted node-id order with Float64 accumulators (§1.7). */
export function weightedMean(results: FitResult[], uniform = false): Float32Array {
  if (results.length === 0) throw new Error("no results to aggregate");
  const sorted = [...results].sort((a, b) =>
    a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0,
  );
  const d = sorted[0].delta.length;
  const acc = new Float64Array(d);
  let total = 0;
  for (const r of sorted) {
    const w = uniform ? 1 : r.n;
    total += w;
    for (let i = 0; i < d; i++) acc[i] += w * r.delta[i];
  }
  const out = new Float32Array(d);
  for (let i = 0; i < d; i++) out[i] = acc[i] / total;
  return out;
}

export function addScaled(global: Float32Array, delta: Float32Array, eta: number): Float32Array {
  const out = new Float32Array(global.length);
  for (let i = 0; i < global.length; i++) out[i] = global[i] + eta * delta[i];
  return out;
}
