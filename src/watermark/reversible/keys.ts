import { deriveEpochKey, type MasterSecret } from "../../crypto/index.ts";
import type { WmKeys } from "./embed.ts";

/** K_pos(ε) and K_mac(ε) of an epoch, derived from the deployment's master secret (ledger.md §7.2). */
/** Keys of epochs newest .. 1: decoders try the newest first, old marks stay readable (ledger.md §7.3). */
export function watermarkKeysUpTo(master: MasterSecret, newest = 1): WmKeys[] {
  return Array.from({ length: newest }, (_, i) => watermarkKeys(master, newest - i));
}

export function watermarkKeys(master: MasterSecret, epoch = 1): WmKeys {
  return {
    epoch,
    pos: deriveEpochKey(master, "wm/pos", epoch),
    mac: deriveEpochKey(master, "wm/mac", epoch),
  };
}
