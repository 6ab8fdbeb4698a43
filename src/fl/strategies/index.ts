import { FlError } from "../errors.ts";
import { FedAvg, FedProx } from "./fedavg.ts";
import { FedAdam, FedYogi } from "./fedopt.ts";
import { Krum, Median, TrimmedMean } from "./robust.ts";
import type { Strategy } from "./types.ts";

export { FedAvg, FedProx } from "./fedavg.ts";
export { FedAdam, FedYogi } from "./fedopt.ts";
export { coordinateMedian, Krum, Median, TrimmedMean } from "./robust.ts";
export * from "./types.ts";

export const STRATEGY_NAMES = [
  "fedavg",
  "fedprox",
  "fedadam",
  "fedyogi",
  "median",
  "trimmed-mean",
  "krum",
  "multi-krum",
] as const;

export function makeStrategy(name: string, params: Record<string, number> = {}): Strategy {
  switch (name) {
    case "fedavg":
      return new FedAvg(params.serverLr ?? 1);
    case "fedprox":
      return new FedProx(params.mu ?? 0.01, params.serverLr ?? 1);
    case "fedadam":
      return new FedAdam(params);
    case "fedyogi":
      return new FedYogi(params);
    case "median":
      return new Median();
    case "trimmed-mean":
      return new TrimmedMean(params.beta ?? 0.2);
    case "krum":
      return new Krum(params.f ?? 1, false);
    case "multi-krum":
      return new Krum(params.f ?? 1, true);
    default:
      throw new FlError(
        "CONFIG_INVALID",
        `unknown strategy ${name} (known: ${STRATEGY_NAMES.join(", ")})`,
      );
  }
}
