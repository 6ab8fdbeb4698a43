// Robust aggregation, only without secure aggregation (federated-learning.md §7.2): they need every
// node's update in clear, so `secureAggregationCompatible` is false and the runner refuses them
// when secure aggregation is on. All are unweighted.
import { FlError } from "../errors.ts";
import { addScaled, type FitResult, type RoundConfig, type Strategy } from "./types.ts";

abstract class Robust implements Strategy {
  abstract readonly name: string;
  readonly secureAggregationCompatible = false;
  configureRound(base: RoundConfig): RoundConfig {
    return { ...base, proxMu: 0 };
  }
  abstract aggregateFit(results: FitResult[]): Float32Array;
  applyAggregate(global: Float32Array, meanDelta: Float32Array): Float32Array {
    return addScaled(global, meanDelta, 1);
  }
  state(): Record<string, Float32Array> {
    return {};
  }
}

function perCoordinate(results: FitResult[], f: (col: Float64Array) => number): Float32Array {
  const n = results.length;
  const d = results[0].delta.length;
  const col = new Float64Array(n);
  const out = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < n; k++) col[k] = results[k].delta[i];
    col.sort();
    out[i] = f(col);
  }
  return out;
}

/** Coordinate-wise median (Yin et al., ICML 2018). */
export class Median extends Robust {
  readonly name = "median";
  aggregateFit(results: FitResult[]): Float32Array {
    return coordinateMedian(results);
  }
}

export function coordinateMedian(results: FitResult[]): Float32Array {
  return perCoordinate(results, (c) => {
    const n = c.length;
    return n % 2 ? c[(n - 1) / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
  });
}

/** Drops the ⌈β·n⌉ largest and smallest per coordinate and averages the rest (Yin et al. 2018). */
export class TrimmedMean extends Robust {
  readonly name = "trimmed-mean";
  constructor(readonly beta = 0.2) {
    super();
  }
  aggregateFit(results: FitResult[]): Float32Array {
    const n = results.length;
    const cut = Math.ceil(this.beta * n);
    if (n - 2 * cut < 1)
      throw new FlError(
        "CONFIG_INVALID",
        `trimmed mean: β=${this.beta} leaves nothing of ${n} updates`,
      );
    return perCoordinate(results, (c) => {
      let s = 0;
      for (let k = cut; k < n - cut; k++) s += c[k];
      return s / (n - 2 * cut);
    });
  }
}

/** Krum and Multi-Krum (Blanchard et al., NeurIPS 2017): score = Σ of squared distances to the n−f−2 nearest others. */
export class Krum extends Robust {
  readonly name: string;
  constructor(
    readonly f = 1,
    readonly multi = false,
  ) {
    super();
    this.name = multi ? "multi-krum" : "krum";
  }
  scores(results: FitResult[]): number[] {
    const n = results.length;
    if (n <= 2 * this.f + 2)
      throw new FlError("CONFIG_INVALID", `krum needs n > 2f+2 (n=${n}, f=${this.f})`);
    const dist: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        let s = 0;
        const x = results[a].delta;
        const y = results[b].delta;
        for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
        dist[a][b] = s;
        dist[b][a] = s;
      }
    return dist.map((row, a) =>
      row
        .filter((_, b) => b !== a)
        .sort((p, q) => p - q)
        .slice(0, n - this.f - 2)
        .reduce((p, q) => p + q, 0),
    );
  }
  aggregateFit(results: FitResult[]): Float32Array {
    const s = this.scores(results);
    const order = s.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const m = this.multi ? results.length - this.f : 1;
    const chosen = order.slice(0, m).map(([, i]) => results[i]);
    const d = chosen[0].delta.length;
    const out = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      let acc = 0;
      for (const r of chosen) acc += r.delta[i];
      out[i] = acc / chosen.length;
    }
    return out;
  }
}
