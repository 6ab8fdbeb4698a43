// Evidence bundles (`medtrace-evidence/v1`, ledger.md §10.2): entries with inclusion proofs
// against one signed checkpoint, optional consistency items from held checkpoints, and the
// trace's suspect and findings. Building and verifying are pure and offline.
import { z } from "zod";
import { parseCanonical } from "../canonical/json.ts";
import { formatVkey, type NoteVerifierKey, parseVkey } from "../checkpoint/keys.ts";
import { type SignedCheckpoint, verifyCheckpointNote } from "../checkpoint/note.ts";
import type { Entry } from "../entry/entry.ts";
import type { ImageSharedBody, TracePerformedBody } from "../entry/schema.ts";
import { LedgerError, parseError } from "../errors.ts";
import { leafHash } from "../merkle/hash.ts";
import { verifyConsistency, verifyInclusion } from "../merkle/verify.ts";
import { formatTlogProof, parseTlogProof } from "./tlog-proof.ts";

export const EVIDENCE_FORMAT = "medtrace-evidence/v1";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
// Canonical base64 only: a flipped padding bit must not decode to the same bytes.
const b64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/)
  .refine((s) => Buffer.from(s, "base64").toString("base64") === s, "non-canonical base64");
const uint = z.number().int().nonnegative();

const BUNDLE = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  origin: z.string().min(1),
  vkey: z.string().min(1),
  checkpoint: z.string().min(1),
  entries: z.array(z.strictObject({ index: uint, proof: z.string() })).min(1),
  consistency: z
    .array(
      z.strictObject({
        fromSize: uint,
        fromRoot: b64,
        source: z.enum(["edge", "anchor", "bundle", "held"]),
        proof: z.array(b64),
      }),
    )
    .optional(),
  anchors: z
    .array(
      z.strictObject({
        chainId: uint,
        contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
        txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
        blockNumber: uint,
        treeSize: uint,
        root: b64,
      }),
    )
    .optional(),
  suspect: z
    .strictObject({ fileSha256: hex64, pixelSha256: hex64.optional(), format: z.string().max(32) })
    .optional(),
  findings: z
    .strictObject({
      method: z.enum(["exact", "rw", "zw", "none"]),
      token: z
        .string()
        .regex(/^[0-9a-f]+$/)
        .optional(),
      restoredExact: z.boolean().optional(),
      decode: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      zw: z
        .array(z.strictObject({ entryIndex: uint, ber: z.string(), decision: z.string().max(32) }))
        .optional(),
    })
    .optional(),
  traceEntryIndex: uint.optional(),
});

export type EvidenceBundle = z.infer<typeof BUNDLE>;

export interface EvidenceInput {
  vkey: string;
  checkpoint: SignedCheckpoint;
  entries: { index: number; bytes: Uint8Array; proof: Uint8Array[] }[];
  consistency?: {
    fromSize: number;
    fromRoot: Uint8Array;
    source: "edge" | "anchor" | "bundle" | "held";
    proof: Uint8Array[];
  }[];
  anchors?: EvidenceBundle["anchors"];
  suspect?: EvidenceBundle["suspect"];
  findings?: EvidenceBundle["findings"];
  traceEntryIndex?: number;
}

const b64s = (b: Uint8Array): string => Buffer.from(b).toString("base64");

export function buildEvidence(input: EvidenceInput): EvidenceBundle {
  const bundle: EvidenceBundle = {
    format: EVIDENCE_FORMAT,
    origin: input.checkpoint.origin,
    vkey: input.vkey,
    checkpoint: input.checkpoint.note,
    entries: input.entries.map((e) => ({
      index: e.index,
      proof: formatTlogProof({
        extra: e.bytes,
        index: e.index,
        proof: e.proof,
        checkpoint: input.checkpoint.note,
      }),
    })),
  };
  if (input.consistency)
    bundle.consistency = input.consistency.map((c) => ({
      fromSize: c.fromSize,
      fromRoot: b64s(c.fromRoot),
      source: c.source,
      proof: c.proof.map(b64s),
    }));
  if (input.anchors) bundle.anchors = input.anchors;
  if (input.suspect) bundle.suspect = input.suspect;
  if (input.findings) bundle.findings = input.findings;
  if (input.traceEntryIndex !== undefined) bundle.traceEntryIndex = input.traceEntryIndex;
  return bundle;
}

export function parseEvidence(input: string | Uint8Array | unknown): EvidenceBundle {
  let value: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    try {
      const text =
        typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input);
      value = JSON.parse(text);
    } catch {
      throw parseError("evidence bundle", "not UTF-8 JSON");
    }
  }
  const r = BUNDLE.safeParse(value);
  if (!r.success) throw parseError("evidence bundle", r.error.issues[0]?.message ?? "invalid");
  return r.data;
}

export interface VerifiedEvidence {
  checkpoint: SignedCheckpoint;
  entries: Entry[];
}

export type EvidenceStep = "parse" | "checkpoint" | "entries" | "findings" | "consistency";

/** A LedgerError thrown by verifyEvidence, with the step that failed. */
export type EvidenceError = LedgerError & { step: EvidenceStep };

export type EvidenceCheck =
  | { valid: true; size: number; entries: number[] }
  | { valid: false; step: EvidenceStep; code: string; message: string };

/** verifyEvidence as a result value (for the CLI and the server): VALID or the first failure. */
export function checkEvidence(
  input: string | Uint8Array | EvidenceBundle,
  pinned: string | NoteVerifierKey,
): EvidenceCheck {
  try {
    const v = verifyEvidence(input, pinned);
    return { valid: true, size: v.checkpoint.size, entries: v.entries.map((e) => e.index) };
  } catch (err) {
    const e = err as EvidenceError;
    return {
      valid: false,
      step: e.step ?? "parse",
      code: e.code ?? "ParseError",
      message: e.message,
    };
  }
}

/**
 * Offline verification (ledger.md §10.2): pinned key, canonical leaf data, inclusion against the
 * checkpoint, identical embedded checkpoints, findings against the referenced entries, held
 * checkpoints consistent. Throws a LedgerError with `step` at the first failure.
 */
export function verifyEvidence(
  input: string | Uint8Array | EvidenceBundle,
  pinned: string | NoteVerifierKey | readonly (string | NoteVerifierKey)[],
): VerifiedEvidence {
  const step = (s: EvidenceStep, err: unknown): never => {
    const e = err instanceof LedgerError ? err : new LedgerError("PROOF_INVALID", String(err));
    Object.assign(e, { step: s });
    throw e;
  };
  let b: EvidenceBundle;
  let key: NoteVerifierKey;
  try {
    b = parseEvidence(input);
    // Several pinned keys: the chain of a log's epochs (ledger.md §7.3); the bundle names the
    // key of its checkpoint's epoch, which must be one of them.
    const keys = (Array.isArray(pinned) ? pinned : [pinned]).map((k: string | NoteVerifierKey) =>
      typeof k === "string" ? parseVkey(k) : k,
    );
    key = keys.find((k) => formatVkey(k) === b.vkey) ?? keys[0];
    if (!key) throw parseError("pinned keys", "none given");
  } catch (err) {
    return step("parse", err);
  }
  let cp: SignedCheckpoint;
  try {
    if (b.vkey !== formatVkey(key))
      throw new LedgerError("LEDGER_CHECKPOINT_SIGNATURE", "bundle vkey is not a pinned key");
    cp = verifyCheckpointNote(b.checkpoint, [key], b.origin);
  } catch (err) {
    return step("checkpoint", err);
  }
  const entries: Entry[] = [];
  try {
    const seen = new Set<number>();
    for (const item of b.entries) {
      const p = parseTlogProof(item.proof);
      if (p.checkpoint !== b.checkpoint)
        throw new LedgerError("PROOF_INVALID", "tlog-proof carries another checkpoint");
      if (p.index !== item.index || seen.has(p.index))
        throw new LedgerError("PROOF_INVALID", `entry index ${item.index} mismatch or repeated`);
      seen.add(p.index);
      const entry = parseCanonical(p.extra) as unknown as Entry;
      if (entry.index !== p.index) throw new LedgerError("PROOF_INVALID", "entry index differs");
      verifyInclusion(p.index, cp.size, leafHash(p.extra), p.proof, cp.root);
      entries.push(entry);
    }
  } catch (err) {
    return step("entries", err);
  }
  try {
    checkFindings(b, entries);
  } catch (err) {
    return step("findings", err);
  }
  try {
    for (const c of b.consistency ?? []) {
      try {
        verifyConsistency(
          c.fromSize,
          cp.size,
          Buffer.from(c.fromRoot, "base64"),
          cp.root,
          c.proof.map((h) => Buffer.from(h, "base64")),
        );
      } catch (err) {
        throw new LedgerError(
          "LEDGER_INCONSISTENT",
          `${c.source} ${c.fromSize}: ${(err as Error).message}`,
          { size: c.fromSize },
        );
      }
    }
  } catch (err) {
    return step("consistency", err);
  }
  return { checkpoint: cp, entries };
}

function checkFindings(b: EvidenceBundle, entries: Entry[]): void {
  const fail = (why: string): never => {
    throw new LedgerError("PROOF_INVALID", `findings: ${why}`);
  };
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  const shared = entries
    .filter((e) => e.type === "image.shared")
    .map((e) => e.body as ImageSharedBody);
  if (b.traceEntryIndex !== undefined) {
    const t = byIndex.get(b.traceEntryIndex);
    if (t?.type !== "trace.performed") fail("trace entry is not in the bundle");
    const body = t!.body as TracePerformedBody;
    if (b.suspect && JSON.stringify(sortKeys(b.suspect)) !== JSON.stringify(sortKeys(body.suspect)))
      fail("suspect differs from the trace entry");
    if (b.findings && b.findings.method !== body.method)
      fail("method differs from the trace entry");
    if (b.findings && b.findings.token !== body.result.token) fail("token differs from the trace entry");
    for (const i of body.result.entries)
      if (!byIndex.has(i)) fail(`entry ${i} of the trace is missing`);
    for (const z of b.findings?.zw ?? [])
      if (!body.result.entries.includes(z.entryIndex))
        fail(`zw entry ${z.entryIndex} not in the trace`);
    // The trace entry signs the best zero-watermark BER and the decision: the bundle's best
    // candidate must say the same.
    const best = [...(b.findings?.zw ?? [])].sort((x, y) => Number(x.ber) - Number(y.ber))[0];
    if (best && (best.ber !== body.result.ber || best.decision !== body.result.decision))
      fail("best zero-watermark candidate differs from the trace entry");
  }
  const f = b.findings;
  if (f?.method === "exact" && !shared.some((s) => s.copy.pixelSha256 === b.suspect?.pixelSha256))
    fail("no image.shared copy has the suspect's pixel hash");
  if (f?.method === "rw" && !shared.some((s) => s.copy.token === f.token))
    fail("no image.shared copy carries the token");
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}
