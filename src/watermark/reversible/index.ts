export {
  benchmarkPayload,
  type CapacityEmbedResult,
  embedBits,
  extractBits,
  tauForPayload,
} from "./capacity.ts";
export { type DecodeResult, decode, type PlaneDecode, restore, restorePlane } from "./decode.ts";
export {
  type EmbedOptions,
  type EmbedResult,
  embed,
  type PlaneEmbedStats,
  TOKEN_BYTES,
  type WmKeys,
} from "./embed.ts";
export { WatermarkError, type WatermarkErrorCode } from "./errors.ts";
export { watermarkKeys, watermarkKeysUpTo } from "./keys.ts";
export { LADDER, RUNGS, rungOf } from "./ladder.ts";
export { P1, P2, type Profile } from "./payload.ts";
export { MIN_SIDE, makePlane, type Plane, type PlaneMeta, planesOf, storedRange } from "./plane.ts";
