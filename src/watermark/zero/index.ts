// Zero-watermarking with fractional Racah orthogonal moments (zero-watermark.md).
export {
  BASELINES,
  type BaselineName,
  BaselineScheme,
  baselineBits,
  hessenberg,
  jacobiMaxEigen,
} from "./baselines.ts";
export {
  defaultKernelCacheDir,
  KernelCache,
  type KernelCacheOptions,
  type KernelCacheStats,
} from "./cache.ts";
export { ZeroWatermarkError, type ZwErrorCode } from "./errors.ts";
export {
  centred,
  type FloatPlane,
  moments,
  planeFromPixels,
  removeMean,
  selectReliable,
  toSquare,
} from "./features.ts";
export { fracRows, fracSpectrum, powerRows } from "./fractional.ts";
export {
  canonicalJson,
  keyedMark,
  keyedPermutation,
  packBits,
  unpackBits,
  watermarkBytes,
  type ZwIdentity,
  type ZwKeys,
  zwKeys,
} from "./keyed.ts";
export { ALG_FRROM, DEFAULT_PARAMS, makeParams, paramsId, type ZwParams } from "./params.ts";
export { racahBasis, racahEigen } from "./racah.ts";
export { resize } from "./resize.ts";
export {
  decide,
  MATCH_MAX_BER,
  NO_MATCH_MIN_BER,
  ZeroWatermark,
  type ZwDecision,
  type ZwScheme,
  type ZwVerifyResult,
} from "./scheme.ts";
export {
  searchIndex,
  type ZwIndexRow,
  type ZwSearchHit,
  zwFullbits,
} from "./search.ts";
export { parseShareRecord, type ShareRecord } from "./share.ts";
