// FedAvg (McMahan et al., AISTATS 2017) and FedProx (Li et al., MLSys 2020): the server step is
// θ ← θ + η_s·Δ̄ with the sample-weighted mean; FedProx only adds (μ/2)‖w − θ‖² to the local loss.
import {
  addScaled,
  type FitResult,
  type RoundConfig,
  type Strategy,
  weightedMean,
} from "./types.ts";

export class FedAvg implements Strategy {
  readonly name: string = "fedavg";
  readonly secureAggregationCompatible = true;
  constructor(readonly serverLr = 1) {}
  configureRound(base: RoundConfig): RoundConfig {
    return { ...base, proxMu: 0 };
  }
  aggregateFit(results: FitResult[]): Float32Array {
    return weightedMean(results);
  }
  applyAggregate(global: Float32Array, meanDelta: Float32Array): Float32Array {
    return addScaled(global, meanDelta, this.serverLr);
  }
  state(): Record<string, Float32Array> {
    return {};
  }
}

export class FedProx extends FedAvg {
  override readonly name = "fedprox";
  constructor(
    readonly mu = 0.01,
    serverLr = 1,
  ) {
    super(serverLr);
  }
  override configureRound(base: RoundConfig): RoundConfig {
    return { ...base, proxMu: this.mu };
  }
}
