// Commitment to the codewords of a marked copy (ledger.md §6.2):
//   wmCommit = SHA-256("medtrace/v1/wm-commit" ‖ 0x00 ‖ codeword_plane0 ‖ codeword_plane1 ‖ …)
// over the RS codeword bytes (reversible-watermark.md §6) of each marked plane, in plane order.
// The log holds only this hash; a codeword disclosed later in a dispute can be checked against it.
import { createHash } from "node:crypto";
import type { EmbedResult, Plane, WmKeys } from "../watermark/reversible/index.ts";
import { buildCodeword, P1, P2 } from "../watermark/reversible/payload.ts";

/** Codeword bytes of one plane: message(header, k*, token, tag) ‖ RS parity. */
export function codewordBytes(
  profile: "P1" | "P2",
  keys: WmKeys,
  rung: number,
  token: Uint8Array,
  plane: Pick<Plane, "rows" | "cols">,
): Uint8Array {
  const p = profile === "P1" ? P1 : P2;
  return buildCodeword(p, keys.mac, rung, token.subarray(0, p.tokenBytes), plane.rows, plane.cols);
}

export function wmCommit(result: EmbedResult, keys: WmKeys): string {
  const h = createHash("sha256").update("medtrace/v1/wm-commit").update(Uint8Array.of(0));
  for (const s of result.stats) {
    if (!s.marked || !s.profile || s.rung === undefined) continue;
    h.update(codewordBytes(s.profile, keys, s.rung, result.token, result.planes[s.plane]));
  }
  return h.digest("hex");
}
