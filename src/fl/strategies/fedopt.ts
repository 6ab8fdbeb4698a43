// FedAdam and FedYogi (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Alg. 2),
// without bias correction as in the paper. Defaults of federated-learning.md §7.1.
import { type FitResult, type RoundConfig, type Strategy, weightedMean } from "./types.ts";

export interface FedOptParams {
  eta?: number;
  beta1?: number;
  beta2?: number;
  tau?: number;
}

export class FedAdam implements Strategy {
  readonly name: string = "fedadam";
  readonly secureAggregationCompatible = true;
  protected m: Float32Array | null = null;
  protected v: Float32Array | null = null;
  readonly eta: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly tau: number;
  constructor(p: FedOptParams = {}) {
    this.eta = p.eta ?? 0.1;
    this.beta1 = p.beta1 ?? 0.9;
    this.beta2 = p.beta2 ?? 0.99;
    this.tau = p.tau ?? 1e-9;
  }
  configureRound(base: RoundConfig): RoundConfig {
    return { ...base, proxMu: 0 };
  }
  aggregateFit(results: FitResult[]): Float32Array {
    return weightedMean(results);
  }
  protected updateV(v: Float32Array, d2: number, i: number): void {
    v[i] = this.beta2 * v[i] + (1 - this.beta2) * d2;
  }
  applyAggregate(global: Float32Array, delta: Float32Array): Float32Array {
    const d = global.length;
    this.m ??= new Float32Array(d);
    this.v ??= new Float32Array(d);
    const out = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * delta[i];
      this.updateV(this.v, delta[i] * delta[i], i);
      out[i] = global[i] + (this.eta * this.m[i]) / (Math.sqrt(this.v[i]) + this.tau);
    }
    return out;
  }
  state(): Record<string, Float32Array> {
    return this.m && this.v ? { m: this.m, v: this.v } : {};
  }
  loadState(s: Record<string, Float32Array>): void {
    this.m = s.m ? Float32Array.from(s.m) : null;
    this.v = s.v ? Float32Array.from(s.v) : null;
  }
}

export class FedYogi extends FedAdam {
  override readonly name = "fedyogi";
  protected override updateV(v: Float32Array, d2: number, i: number): void {
    v[i] = v[i] - (1 - this.beta2) * d2 * Math.sign(v[i] - d2);
  }
}
