// C2SP tlog-proof (c2sp.org/tlog-proof@v1), as used in evidence bundles (ledger.md §10.2):
// header, "extra" (the leaf data), "index", one base64 hash per line, a blank line, the checkpoint.
import { parseError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface TlogProof {
  extra: Uint8Array;
  index: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function b64(s: string, what: string): Uint8Array {
  if (!B64.test(s) || s.length % 4 !== 0) throw parseError("tlog-proof", `${what} is not base64`);
  const b = Buffer.from(s, "base64");
  if (b.toString("base64") !== s) throw parseError("tlog-proof", `${what} is not canonical base64`);
  return new Uint8Array(b);
}

export function formatTlogProof(p: TlogProof): string {
  const hashes = p.proof.map((h) => `${Buffer.from(h).toString("base64")}\n`).join("");
  return `${TLOG_PROOF_HEADER}\nextra ${Buffer.from(p.extra).toString("base64")}\nindex ${p.index}\n${hashes}\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  if (typeof text !== "string") throw parseError("tlog-proof", "not a string");
  const split = text.indexOf("\n\n");
  if (split < 0) throw parseError("tlog-proof", "no blank line before the checkpoint");
  const lines = text.slice(0, split).split("\n");
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== TLOG_PROOF_HEADER) throw parseError("tlog-proof", "bad header");
  const extra = /^extra (\S*)$/.exec(lines[1] ?? "");
  if (!extra) throw parseError("tlog-proof", "missing extra line");
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[2] ?? "");
  if (!index) throw parseError("tlog-proof", "missing index line");
  const n = Number(index[1]);
  if (!Number.isSafeInteger(n)) throw parseError("tlog-proof", "index beyond 2^53 − 1");
  const proof = lines.slice(3).map((l, i) => {
    const h = b64(l, `hash ${i}`);
    if (h.length !== HASH_SIZE) throw parseError("tlog-proof", `hash ${i} is not 32 bytes`);
    return h;
  });
  if (proof.length > 64) throw parseError("tlog-proof", "too many hashes");
  return { extra: b64(extra[1], "extra"), index: n, proof, checkpoint };
}
