// Tracing a suspect file (DESIGN.md "Tracing", ledger.md §10.1): exact pixel hash -> unmarked
// original -> blind decode of the reversible mark -> token -> entry; zero-watermark features
// against the registered shares -> which image and who received it; else "no watermark detected".
// Every step runs even after a hit (the later ones add context); the first hit of exact or rw is
// primary. The trace is itself logged (`trace.performed`) and answered with an evidence bundle.
import { randomBytes } from "node:crypto";
import { pseudonym } from "../crypto/index.ts";
import { pixelSha256 } from "../imaging/index.ts";
import type {
  EvidenceBundle,
  ImageSharedBody,
  NewEntry,
  TracePerformedBody,
  ZwRegisteredBody,
} from "../ledger/index.ts";
import { type DecodeResult, decode, planesOf } from "../watermark/reversible/index.ts";
import {
  NO_MATCH_MIN_BER,
  searchIndex,
  type ZwDecision,
  type ZwIndexRow,
} from "../watermark/zero/index.ts";
import { epochOf, schemeOf, type TracingContext } from "./context.ts";
import { type ImageFacts, readFacts, type TraceFormat, zwPlane } from "./image.ts";
import { decodeKeys, epochKeys, zwFullbitsFor } from "./keys.ts";

export type TraceMethod = "exact" | "rw" | "zw" | "none";

export const NO_WATERMARK = "no watermark detected";

/** One issued copy, as the ledger records it (the recipient is a pseudonym). */
export interface TracedCopy {
  entryIndex: number;
  recipient: string;
  time: string;
  grantId: string;
  requestId: string;
  hospital: string;
  token: string;
  format: string;
  keyEpoch: number;
}

/** A registered image whose zero-watermark features match the suspect (BER < 0.30). */
export interface ZwCandidate {
  entryIndex: number;
  ber: number;
  decision: Exclude<ZwDecision, "no-match">;
  identity: ZwRegisteredBody["identity"];
  /** Every copy issued of that image: the possible sources of the leak. */
  copies: TracedCopy[];
}

export interface TraceRequest {
  bytes: Uint8Array;
  /** User id of whoever asks (a DPO); logged as its pseudonym only. */
  requestedBy: string;
  approvedBy?: string[];
}

export interface TraceResult {
  found: boolean;
  method: TraceMethod;
  /** `exact-copy`, `token`, `match`, `weak` or `no-watermark`. */
  decision: string;
  /** Human summary, "no watermark detected" when nothing is found. */
  message: string;
  suspect: { fileSha256: string; pixelSha256: string; format: TraceFormat };
  /** The copy that leaked (methods exact and rw). */
  copy?: TracedCopy;
  /** Decoded token (hex), when a reversible mark verified. */
  token?: string;
  /** The restored pixels equal the source's recorded hash (rw). */
  restoredExact?: boolean;
  decode?: { profile: string; k: number; stage: number; erasures: number; correctedBytes: number };
  /** Zero-watermark candidates, best first. */
  candidates: ZwCandidate[];
  /** Distinct recipient pseudonyms named by this answer (the copy's first). */
  recipients: string[];
  /** Entries whose *source* pixels equal the suspect: an unmarked original leaked (§10.1 step 4). */
  original: number[];
  /** Critical findings, e.g. a verified token that the ledger does not know. */
  alerts: string[];
  /** Entries the trace refers to (all in the evidence bundle). */
  entries: number[];
  traceId: string;
  traceEntryIndex: number;
  evidence: EvidenceBundle;
}

const hexBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function copyOf(ctx: TracingContext, index: number): TracedCopy | null {
  const { entry } = ctx.ledger.entry(index);
  if (entry.type !== "image.shared") return null;
  const b = entry.body as ImageSharedBody;
  return {
    entryIndex: index,
    recipient: b.recipient,
    time: entry.time,
    grantId: b.grantId,
    requestId: b.requestId,
    hospital: b.hospital,
    token: b.copy.token,
    format: b.format,
    keyEpoch: b.keyEpoch,
  };
}

/** Blind decode with every epoch's keys, newest first (ledger.md §10.1 step 5). */
function decodeStep(ctx: TracingContext, facts: ImageFacts): DecodeResult | null {
  try {
    return decode(planesOf(facts.image), decodeKeys(ctx.master, epochOf(ctx)), { restore: true });
  } catch {
    return null; // planes the mark cannot live in (too small, unsupported depth): no finding
  }
}

function zwStep(ctx: TracingContext, facts: ImageFacts): ZwCandidate[] {
  const zw = schemeOf(ctx);
  const stored = ctx.ledger.zwCandidates(zw.paramsId);
  if (stored.length === 0) return [];
  let fullbitsOf: ReturnType<typeof zwFullbitsFor> | null = null;
  const rows: ZwIndexRow[] = stored.map((r) => {
    if (r.fullbits) return { mask: r.mask, fullbits: r.fullbits };
    // An index built without the keys holds no f: derive it here (zero-watermark.md §7.2).
    fullbitsOf ??= zwFullbitsFor(ctx.master);
    const body = ctx.ledger.entry(r.entryIndex).entry.body as ZwRegisteredBody;
    return { mask: r.mask, fullbits: fullbitsOf(body)! };
  });
  const best = new Map<number, { ber: number; decision: ZwDecision }>();
  for (let f = 0; f < facts.image.frames; f++) {
    let g: Uint8Array;
    try {
      g = zw.suspectBits(zwPlane(facts, f));
    } catch {
      continue; // too small or flat for features (ZW_IMAGE_TOO_SMALL, ZW_NO_STRUCTURE)
    }
    for (const h of searchIndex(g, rows, { L: zw.params.L, maxBer: NO_MATCH_MIN_BER })) {
      const i = stored[h.index].entryIndex;
      const prev = best.get(i);
      if (!prev || h.ber < prev.ber) best.set(i, { ber: h.ber, decision: h.decision });
    }
  }
  return [...best.entries()]
    .sort((a, b) => a[1].ber - b[1].ber || a[0] - b[0])
    .map(([i, h]) => {
      const body = ctx.ledger.entry(i).entry.body as ZwRegisteredBody;
      return {
        entryIndex: i,
        ber: h.ber,
        decision: h.decision as ZwCandidate["decision"],
        identity: body.identity,
        copies: copiesOfSource(ctx, i, body.identity.pixelSha256),
      };
    });
}

/** The `image.shared` entries of the source registered at `zwIndex` (the image's recipients). */
function copiesOfSource(ctx: TracingContext, zwIndex: number, pixelSha256: string): TracedCopy[] {
  const out: TracedCopy[] = [];
  for (const i of ctx.ledger.lookupSourcePixels(hexBytes(pixelSha256))) {
    const c = copyOf(ctx, i);
    if (!c) continue;
    const b = ctx.ledger.entry(i).entry.body as ImageSharedBody;
    if (b.source.zwEntries.includes(zwIndex)) out.push(c);
  }
  return out.sort((a, b) => a.entryIndex - b.entryIndex);
}

export async function trace(req: TraceRequest, ctx: TracingContext): Promise<TraceResult> {
  const { ledger } = ctx;
  const facts = readFacts(req.bytes);
  const alerts: string[] = [];
  const suspect = {
    fileSha256: facts.fileSha256,
    pixelSha256: facts.pixelSha256,
    format: facts.format,
  };

  // 3. Exact copy.
  const exactIndex = ledger.lookupMarkedPixels(hexBytes(facts.pixelSha256));
  const exact = exactIndex === null ? null : copyOf(ctx, exactIndex);

  // 4. Unmarked original.
  const original = ledger.lookupSourcePixels(hexBytes(facts.pixelSha256));

  // 5. Reversible mark.
  let rwCopy: TracedCopy | null = null;
  let token: string | undefined;
  let restoredExact: boolean | undefined;
  let decodeStats: TraceResult["decode"];
  const d = decodeStep(ctx, facts);
  if (d?.found && d.token) {
    token = hexOf(d.token);
    const p = d.planes.find((x) => x.found)!;
    decodeStats = {
      profile: p.profile ?? "",
      k: p.rung ?? 0,
      stage: p.stage ?? 0,
      erasures: p.erasures ?? 0,
      correctedBytes: p.correctedBytes ?? 0,
    };
    const at = ledger.lookupToken(d.token) ?? ledger.lookupToken(d.token.subarray(0, 8));
    rwCopy = at === null ? null : copyOf(ctx, at);
    if (!rwCopy)
      alerts.push(`verified token ${token} is not in the ledger: issuance outside the log or index corruption`);
    else {
      token = rwCopy.token;
      const src = (ledger.entry(rwCopy.entryIndex).entry.body as ImageSharedBody).source;
      const restored = d.restoredPlanes
        ? pixelSha256({ ...facts.image, planes: d.restoredPlanes.map((pl) => pl.data) })
        : undefined;
      restoredExact = restored === src.pixelSha256;
    }
    if (d.mixedTokens) alerts.push("planes carry different tokens (spliced copy?)");
  }

  // 6. Zero-watermark.
  const candidates = zwStep(ctx, facts);

  const primary = exact ?? rwCopy;
  const method: TraceMethod = exact
    ? "exact"
    : rwCopy
      ? "rw"
      : candidates.length > 0
        ? "zw"
        : "none";
  const decision =
    method === "exact"
      ? "exact-copy"
      : method === "rw"
        ? "token"
        : method === "zw"
          ? candidates[0].decision
          : "no-watermark";
  const entries = [
    ...new Set([
      ...(exact ? [exact.entryIndex] : []),
      ...(rwCopy ? [rwCopy.entryIndex] : []),
      ...original,
      ...candidates.flatMap((c) => [c.entryIndex, ...c.copies.map((x) => x.entryIndex)]),
    ]),
  ].sort((a, b) => a - b);
  const recipients = [
    ...new Set([
      ...(primary ? [primary.recipient] : []),
      ...candidates.flatMap((c) => c.copies.map((x) => x.recipient)),
    ]),
  ];
  // The token reported is the primary copy's (exact or rw); a zw-only answer carries none.
  const reportedToken = primary ? (rwCopy?.token ?? exact?.token) : undefined;

  // 8. Log the trace, then answer with evidence covering it and every referenced entry.
  const epoch = epochOf(ctx);
  const pkey = epochKeys(ctx.master, epoch).pseudonym;
  const requestedBy = pseudonym(pkey, req.requestedBy);
  const traceId = `t-${randomBytes(12).toString("hex")}`;
  const body: TracePerformedBody = {
    traceId,
    requestedBy,
    approvedBy: (req.approvedBy ?? []).map((u) => pseudonym(pkey, u)),
    suspect,
    method,
    result: {
      decision,
      entries,
      ...(reportedToken ? { token: reportedToken } : {}),
      ...(method === "zw" ? { ber: candidates[0].ber.toFixed(4) } : {}),
    },
    checkpointSize: ledger.size + 1,
  };
  const entry: NewEntry<"trace.performed"> = { type: "trace.performed", actor: requestedBy, body };
  const { index: traceEntryIndex } = await ledger.appendOne(entry);
  // The bundle's findings hold only what the signed trace entry authenticates (method, token,
  // and through it the decision, best BER and entries): a verifier rejects any change to them.
  // Decode statistics and per-candidate BERs stay in the answer, not in the bundle.
  const findings: NonNullable<EvidenceBundle["findings"]> = { method };
  if (reportedToken) findings.token = reportedToken;
  const evidence = await ledger.evidence(entries, { suspect, findings, traceEntryIndex });

  return {
    found: method !== "none",
    method,
    decision,
    message: summary(method, primary, candidates),
    suspect,
    ...(primary ? { copy: primary } : {}),
    ...(token ? { token } : {}),
    ...(restoredExact !== undefined ? { restoredExact } : {}),
    ...(decodeStats ? { decode: decodeStats } : {}),
    candidates,
    recipients,
    original,
    alerts,
    entries,
    traceId,
    traceEntryIndex,
    evidence,
  };
}

function summary(method: TraceMethod, copy: TracedCopy | null, zw: ZwCandidate[]): string {
  if (method === "exact") return `exact copy of entry ${copy!.entryIndex}, issued to ${copy!.recipient}`;
  if (method === "rw") return `reversible mark: entry ${copy!.entryIndex}, issued to ${copy!.recipient}`;
  if (method === "zw") {
    const n = zw.reduce((s, c) => s + c.copies.length, 0);
    return `zero-watermark ${zw[0].decision} (BER ${zw[0].ber.toFixed(4)}): image of entry ${zw[0].entryIndex}; ${n} copies issued of the ${zw.length} candidate image(s)`;
  }
  return NO_WATERMARK;
}
