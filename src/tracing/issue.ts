// Issuing a traceable copy (DESIGN.md "Data access", ledger.md §6.1 `image.shared`): the image's
// zero-watermark share is registered once (identity of the image), a reversible mark with a fresh
// token is embedded (identity of this copy), and one `image.shared` entry records the copy under
// the recipient's pseudonym. No key, slot map or codeword enters the log: only wmCommit (§6.2).
import { randomBytes } from "node:crypto";
import { pseudonym } from "../crypto/index.ts";
import type { EvidenceBundle, ImageSharedBody, NewEntry } from "../ledger/index.ts";
import { markFile } from "../watermark/files.ts";
import { P2 } from "../watermark/reversible/index.ts";
import { wmCommit } from "./commit.ts";
import { epochOf, schemeOf, type TracingContext } from "./context.ts";
import { TracingError } from "./errors.ts";
import { derivedUid, readFacts, sourceIds, type TraceFormat } from "./image.ts";
import { epochKeys } from "./keys.ts";
import { ensureRegistered } from "./register.ts";

export interface IssueRequest {
  /** The de-identified source image (DICOM or PNG bytes). */
  bytes: Uint8Array;
  /** The recipient's user id: only its keyed pseudonym reaches the ledger. */
  recipient: string;
  consortium: string;
  hospital: string;
  grantId: string;
  requestId: string;
  /** Who issues (`system`, `node:<hospital>` or a user pseudonym). Default `system`. */
  actor?: string;
  /** DICOM: Series Instance UID of the copy (one per grant and source series); new if absent. */
  seriesInstanceUid?: string;
  /** Random source for tokens (tests only). */
  random?: (n: number) => Uint8Array;
  now?: Date;
}

export interface IssuedCopy {
  /** The marked copy, same format as the input. */
  bytes: Uint8Array;
  format: TraceFormat;
  /** Index of the `image.shared` entry. */
  entryIndex: number;
  /** `zw.registered` entries of the source (one per frame) and whether this call created them. */
  zwEntries: number[];
  registered: boolean;
  /** The recipient's pseudonym `u:<32 hex>`: keep the pseudonym → user mapping off the log. */
  recipient: string;
  token: string;
  keyEpoch: number;
  sourcePixelSha256: string;
  markedPixelSha256: string;
  body: ImageSharedBody;
  /** Entries (zw.registered…, image.shared) with inclusion proofs and a signed checkpoint. */
  evidence: EvidenceBundle;
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_DRAWS = 8;

function checkId(name: string, v: string): void {
  if (!ID.test(v)) throw new TracingError("TRACE_BAD_ARGUMENT", `${name} must match ${ID.source}`);
}

/** Draws a 16-byte token that the token index does not hold, nor its 8-byte P2 prefix. */
function freshToken(ctx: TracingContext, random: (n: number) => Uint8Array): Uint8Array {
  for (let i = 0; i < MAX_DRAWS; i++) {
    const t = random(16);
    if (
      ctx.ledger.lookupToken(t) === null &&
      ctx.ledger.lookupToken(t.subarray(0, P2.tokenBytes)) === null
    )
      return t;
  }
  throw new TracingError("TRACE_TOKEN_EXHAUSTED", `no fresh token after ${MAX_DRAWS} draws`);
}

export async function issueCopy(req: IssueRequest, ctx: TracingContext): Promise<IssuedCopy> {
  checkId("grantId", req.grantId);
  checkId("requestId", req.requestId);
  for (const [k, v] of [
    ["consortium", req.consortium],
    ["hospital", req.hospital],
  ] as const)
    if (v.length === 0 || v.length > 256)
      throw new TracingError("TRACE_BAD_ARGUMENT", `${k} must be 1..256 characters`);
  const { ledger } = ctx;
  const keys = epochKeys(ctx.master, epochOf(ctx));
  const actor = req.actor ?? "system";
  const facts = readFacts(req.bytes);
  const ids = sourceIds(facts);

  const random = req.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  let marked: ReturnType<typeof markFile> | null = null;
  let token: Uint8Array = new Uint8Array();
  for (let draw = 0; draw < MAX_DRAWS && !marked; draw++) {
    token = freshToken(ctx, random);
    const m = markFile(req.bytes, token, keys.wm, {
      ...(req.seriesInstanceUid ? { seriesInstanceUid: req.seriesInstanceUid } : {}),
      ...(req.now ? { now: req.now } : {}),
    });
    // A copy whose pixels equal an earlier copy's would make the exact lookup ambiguous.
    if (ledger.lookupMarkedPixels(Buffer.from(m.markedPixelSha256, "hex")) === null) marked = m;
  }
  if (!marked) throw new TracingError("TRACE_TOKEN_EXHAUSTED", "every draw gave a known copy");

  // Registered only once the copy exists: a refused mark (capacity, lossy source) logs nothing.
  const reg = await ensureRegistered(
    ledger,
    { facts, ids, consortium: req.consortium, hospital: req.hospital, actor },
    schemeOf(ctx),
    keys.zw,
  );
  const planes = marked.embed.stats
    .filter((s) => s.marked)
    .map((s) => ({ plane: s.plane, profile: s.profile!, k: s.rung! }));
  // A copy whose marked planes are all compact (P2) carries only the token's first 8 bytes.
  const tokenBytes = planes.some((p) => p.profile === "P1") ? 16 : P2.tokenBytes;
  const tokenHex = Buffer.from(token.subarray(0, tokenBytes)).toString("hex");
  const recipient = pseudonym(keys.pseudonym, req.recipient);
  const body: ImageSharedBody = {
    grantId: req.grantId,
    requestId: req.requestId,
    recipient,
    hospital: req.hospital,
    source: { ...ids, pixelSha256: marked.sourcePixelSha256, zwEntries: reg.entries },
    copy: {
      sopInstanceUid: marked.sopInstanceUid ?? derivedUid("copy-sop", marked.markedPixelSha256),
      seriesInstanceUid:
        marked.seriesInstanceUid ?? derivedUid("copy-series", marked.markedPixelSha256),
      pixelSha256: marked.markedPixelSha256,
      token: tokenHex,
      planes,
      alg: "rw/v1",
      wmCommit: wmCommit(marked.embed, keys.wm),
    },
    keyEpoch: keys.epoch,
    format: facts.format,
  };
  const entry: NewEntry<"image.shared"> = { type: "image.shared", actor, body };
  const { index } = await ledger.appendOne(entry);
  const evidence = await ledger.evidence([...reg.entries, index]);
  return {
    bytes: marked.bytes,
    format: facts.format,
    entryIndex: index,
    zwEntries: reg.entries,
    registered: reg.created,
    recipient,
    token: tokenHex,
    keyEpoch: keys.epoch,
    sourcePixelSha256: marked.sourcePixelSha256,
    markedPixelSha256: marked.markedPixelSha256,
    body,
    evidence,
  };
}
