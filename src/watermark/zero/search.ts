// Search of a suspect against many registered planes (zero-watermark.md §7.2). The trace index
// keeps, per plane, the 4096-bit selection mask and `fullbits` (the feature f written at the
// masked positions); the suspect's signs g' are computed once per parameter set.
import { ZeroWatermarkError } from "./errors.ts";
import { maskIndices } from "./features.ts";
import { checkKeys, getBit, keyedMark, type ZwKeys } from "./keyed.ts";
import { decide, type ZwDecision } from "./scheme.ts";
import { maskBytes, parseShareRecord, type ShareRecord, shareBytes } from "./share.ts";

export interface ZwIndexRow {
  mask: Uint8Array;
  fullbits: Uint8Array;
}

export interface ZwSearchHit {
  index: number;
  ber: number;
  decision: ZwDecision;
}

/** f_j = share_j XOR W[π[j]], written at bit idx_j of a mask-sized string (needs the keys). */
export function zwFullbits(shareRecord: ShareRecord, keys: ZwKeys): Uint8Array {
  checkKeys(keys);
  const rec = parseShareRecord(shareRecord);
  const mask = maskBytes(rec);
  const idx = maskIndices(mask, mask.length * 8);
  const share = shareBytes(rec);
  const mark = keyedMark(keys, rec.identity, idx.length);
  const out = new Uint8Array(mask.length);
  for (let j = 0; j < idx.length; j++) {
    if (getBit(share, j) ^ mark.w[mark.pi[j]]) out[idx[j] >> 3] |= 0x80 >> (idx[j] & 7);
  }
  return out;
}

function words(b: Uint8Array): Uint32Array {
  // Byte order does not matter for a popcount of XOR/AND; only alignment does.
  if (b.byteOffset % 4 === 0 && b.byteLength % 4 === 0) {
    return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  const copy = new Uint8Array(Math.ceil(b.byteLength / 4) * 4);
  copy.set(b);
  return new Uint32Array(copy.buffer);
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * BER of every index row against the suspect's signs, `popcount((g' XOR fullbits) AND mask) / L`
 * (L = bits per mask, 1024 by default); returns the rows below `maxBer` (0.30), ascending.
 */
export function searchIndex(
  gPrime: Uint8Array,
  rows: ZwIndexRow[],
  opts: { L?: number; maxBer?: number } = {},
): ZwSearchHit[] {
  const L = opts.L ?? 1024;
  const maxBer = opts.maxBer ?? 0.3;
  const limit = maxBer * L;
  const g = words(gPrime);
  const hits: ZwSearchHit[] = [];
  for (let r = 0; r < rows.length; r++) {
    const { mask, fullbits } = rows[r];
    if (mask.length !== gPrime.length || fullbits.length !== gPrime.length) {
      throw new ZeroWatermarkError(
        "ZW_PARAMS_MISMATCH",
        `index row ${r} has ${mask.length}-byte mask, suspect has ${gPrime.length} bytes`,
      );
    }
    const m = words(mask);
    const f = words(fullbits);
    // Rows at or above maxBer are not reported, so the scan of a row stops once it gets there.
    let miss = 0;
    for (let k = 0; k < g.length && miss < limit; k++) miss += popcount32((g[k] ^ f[k]) & m[k]);
    const ber = miss / L;
    if (ber < maxBer) hits.push({ index: r, ber, decision: decide(ber) });
  }
  return hits.sort((a, b) => a.ber - b.ber || a.index - b.index);
}
