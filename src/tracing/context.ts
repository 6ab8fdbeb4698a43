// What issuing and tracing are given: the ledger (storage), the master secret (keys are derived
// per call and never stored), the key epoch, and the zero-watermark scheme with its kernel cache.
import type { MasterSecret } from "../crypto/index.ts";
import type { Ledger } from "../ledger/index.ts";
import { KernelCache, ZeroWatermark } from "../watermark/zero/index.ts";

export interface TracingContext {
  ledger: Ledger;
  master: MasterSecret;
  /** Current key epoch (ledger.md §7.3); tracing tries epochs `epoch` down to 1. Default 1. */
  epoch?: number;
  /** Zero-watermark scheme (default parameters, kernel cache on disk). Reuse one per process. */
  zw?: ZeroWatermark;
}

let shared: ZeroWatermark | null = null;

/** The default scheme, built once per process: its kernels are the expensive part. */
export function defaultZeroWatermark(): ZeroWatermark {
  shared ??= new ZeroWatermark({}, new KernelCache());
  return shared;
}

export function schemeOf(ctx: TracingContext): ZeroWatermark {
  return ctx.zw ?? defaultZeroWatermark();
}

export function epochOf(ctx: TracingContext): number {
  const e = ctx.epoch ?? 1;
  if (!Number.isInteger(e) || e < 1) throw new RangeError(`key epoch must be ≥ 1, got ${e}`);
  return e;
}
