// The keys one deployment epoch uses for tracing (ledger.md §7.2), all derived from the master
// secret; none of them ever reaches a ledger entry (§6.3).
import { deriveEpochKey, type MasterSecret, pseudonym } from "../crypto/index.ts";
import type { ZwFullbits, ZwRegisteredBody } from "../ledger/index.ts";
import { type WmKeys, watermarkKeys, watermarkKeysUpTo } from "../watermark/reversible/index.ts";
import { type ShareRecord, type ZwKeys, zwFullbits, zwKeys } from "../watermark/zero/index.ts";

export interface EpochKeys {
  epoch: number;
  wm: WmKeys;
  zw: ZwKeys;
  pseudonym: Uint8Array;
}

export function epochKeys(master: MasterSecret, epoch = 1): EpochKeys {
  return {
    epoch,
    wm: watermarkKeys(master, epoch),
    zw: zwKeys(master, epoch),
    pseudonym: deriveEpochKey(master, "pseudonym", epoch),
  };
}

/** The keyed pseudonym of a user (ledger.md §7.5); the mapping back stays with the caller. */
export function userPseudonym(master: MasterSecret, userId: string, epoch = 1): string {
  if (userId.length === 0) throw new RangeError("user id must not be empty");
  return pseudonym(deriveEpochKey(master, "pseudonym", epoch), userId);
}

/** Reversible-mark keys of epochs newest .. 1: decoders try the newest first (§7.3). */
export const decodeKeys = watermarkKeysUpTo;

/**
 * `fullbits` for the ledger's zero-watermark index (ledger.md §9, zero-watermark.md §7.2): pass it
 * as `LedgerOptions.zwFullbits` so that the index holds f and a search needs no per-row work.
 */
export function zwFullbitsFor(master: MasterSecret): ZwFullbits {
  const cache = new Map<number, ZwKeys>();
  return (body: ZwRegisteredBody) => {
    let keys = cache.get(body.keyEpoch);
    if (!keys) {
      keys = zwKeys(master, body.keyEpoch);
      cache.set(body.keyEpoch, keys);
    }
    return zwFullbits(body as unknown as ShareRecord, keys);
  };
}
