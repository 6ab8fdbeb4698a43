// The FrROM zero-watermark (zero-watermark.md §5–§7) and the interface the baselines share.
import { ber as berOf, nc as ncOf } from "../metrics.ts";
import type { KernelCache } from "./cache.ts";
import { ZeroWatermarkError } from "./errors.ts";
import {
  bitsAt,
  centred,
  type FloatPlane,
  maskIndices,
  moments,
  removeMean,
  selectReliable,
  toSquare,
} from "./features.ts";
import {
  checkKeys,
  keyedMark,
  makeShare,
  recoverMark,
  type ZwIdentity,
  type ZwKeys,
} from "./keyed.ts";
import { ALG_FRROM, makeParams, paramsId, type ZwParams } from "./params.ts";
import { maskBytes, parseShareRecord, type ShareRecord, shareBytes } from "./share.ts";

function signBits(d: Float64Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(d.length / 8));
  for (let i = 0; i < d.length; i++) if (d[i] > 0) out[i >> 3] |= 0x80 >> (i & 7);
  return out;
}

export type ZwDecision = "match" | "weak" | "no-match";

export interface ZwVerifyResult {
  /** Bit error rate between W and the recovered W' (= feature Hamming distance). */
  ber: number;
  /** NC in the {0,1} form (§11): an unrelated image gives about 0.5. */
  nc: number;
  /** Bipolar NC± = 1 − 2·BER. */
  ncPm: number;
  decision: ZwDecision;
}

/** Decision thresholds of §7.1. */
export const MATCH_MAX_BER = 0.15;
export const NO_MATCH_MIN_BER = 0.3;

export function decide(ber: number): ZwDecision {
  if (ber <= MATCH_MAX_BER) return "match";
  return ber < NO_MATCH_MIN_BER ? "weak" : "no-match";
}

/** What every scheme (FrROM and the baselines) offers to the CLI and the benchmark. */
export interface ZwScheme {
  readonly alg: string;
  readonly label: string;
  readonly paramsId: string;
  register(plane: FloatPlane, identity: ZwIdentity, keys: ZwKeys): ShareRecord;
  verify(plane: FloatPlane, share: ShareRecord, keys: ZwKeys): ZwVerifyResult;
}

/** Shared step 3–6 of §7.1: recover W' from f' and the share, compare with W. */
export function compareMark(
  fPrime: Uint8Array,
  share: Uint8Array,
  identity: ZwIdentity,
  keys: ZwKeys,
): ZwVerifyResult {
  const mark = keyedMark(keys, identity, fPrime.length);
  const wPrime = recoverMark(fPrime, share, mark);
  const ber = berOf(mark.w, wPrime);
  return { ber, nc: ncOf(mark.w, wPrime), ncPm: 1 - 2 * ber, decision: decide(ber) };
}

export function checkShareFor(scheme: ZwScheme, share: ShareRecord): void {
  if (share.alg !== scheme.alg || share.paramsId !== scheme.paramsId) {
    throw new ZeroWatermarkError(
      "ZW_PARAMS_MISMATCH",
      `share was made by ${share.alg} with params ${share.paramsId} ` +
        `(${JSON.stringify(share.params)}); this verifier is ${scheme.alg} ${scheme.paramsId}`,
    );
  }
}

export function checkEpoch(share: ShareRecord, keys: ZwKeys): void {
  if (share.keyEpoch !== keys.epoch) {
    throw new ZeroWatermarkError(
      "ZW_KEY_UNAVAILABLE",
      `share was registered with key epoch ${share.keyEpoch}; keys of epoch ${keys.epoch} were given`,
    );
  }
}

export class ZeroWatermark implements ZwScheme {
  readonly alg = ALG_FRROM;
  readonly label: string;
  readonly params: ZwParams;
  readonly paramsId: string;
  readonly #cache: KernelCache;

  constructor(params: Partial<ZwParams>, cache: KernelCache) {
    this.params = makeParams(params);
    this.paramsId = paramsId(this.params);
    this.#cache = cache;
    this.label = this.params.py === 1 && this.params.px === 1 ? "ROM" : "FrROM";
  }

  /** Loads or builds A_y and A_x (§5.2); refuses degenerate spectra (§4.1). */
  kernels(): { Ay: Float64Array; Ax: Float64Array } {
    const { N, a, alpha, beta, py, px, q } = this.params;
    const rp = { N, a, alpha, beta };
    return { Ay: this.#cache.rows(rp, py, q), Ax: this.#cache.rows(rp, px, q) };
  }

  /** Centred moments d (q², row-major index n·q + m) of a plane (§5.1–§5.3 step 3). */
  features(plane: FloatPlane): { d: Float64Array; M: Float64Array } {
    const { N, q } = this.params;
    const { Ay, Ax } = this.kernels();
    const J = removeMean(toSquare(plane, N));
    const M = moments(Ay, Ax, J, N, q);
    return { d: centred(M), M };
  }

  /** g' = signs of all q² centred moments (§7.2), computed once per suspect and parameter set. */
  suspectBits(plane: FloatPlane): Uint8Array {
    return signBits(this.features(plane).d);
  }

  register(plane: FloatPlane, identity: ZwIdentity, keys: ZwKeys): ShareRecord {
    checkKeys(keys);
    const { d } = this.features(plane);
    const sel = selectReliable(d, this.params.L);
    const share = makeShare(sel.bits, keyedMark(keys, identity, this.params.L));
    return {
      alg: this.alg,
      params: { ...this.params },
      paramsId: this.paramsId,
      identity,
      share: Buffer.from(share).toString("base64"),
      mask: Buffer.from(sel.mask).toString("base64"),
      keyEpoch: keys.epoch,
    };
  }

  verify(plane: FloatPlane, shareRecord: ShareRecord, keys: ZwKeys): ZwVerifyResult {
    checkKeys(keys);
    const rec = parseShareRecord(shareRecord);
    checkShareFor(this, rec);
    checkEpoch(rec, keys);
    const idx = maskIndices(maskBytes(rec), this.params.q * this.params.q);
    const { d } = this.features(plane);
    return compareMark(bitsAt(d, idx), shareBytes(rec), rec.identity, keys);
  }
}
