// Body of a key.epoch entry (ledger.md §6.1, §7.3–7.4): hiding commitments to the epoch's derived
// keys and the epoch's checkpoint key. The keys themselves never enter the entry.
import { deriveEpochKey, keyCommitment, keyLabel, type MasterSecret } from "../../crypto/keys.ts";
import type { NoteVerifierKey } from "../checkpoint/keys.ts";
import { keyIdHex } from "../checkpoint/keys.ts";
import type { KeyEpochBody } from "./schema.ts";

const COMMITTED = ["wm/pos", "wm/mac", "zw/id", "zw/perm", "pseudonym"] as const;

export function keyEpochBody(
  master: MasterSecret,
  epoch: number,
  logKey: NoteVerifierKey,
  startedAt: string,
): KeyEpochBody {
  const commitments = Object.fromEntries(
    COMMITTED.map((p) => {
      const label = keyLabel(p, epoch);
      return [p, keyCommitment(label, deriveEpochKey(master, p, epoch))];
    }),
  ) as KeyEpochBody["commitments"];
  return {
    epoch,
    startedAt,
    commitments,
    logKey: {
      name: logKey.name,
      publicKey: Buffer.from(logKey.publicKey).toString("base64"),
      keyId: keyIdHex(logKey),
    },
  };
}
