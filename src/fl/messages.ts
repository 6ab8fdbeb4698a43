// Update messages (federated-learning.md §5.3–5.5): a node seals its update, encrypted to the
// round's X25519 key and carried in an Ed25519-signed, sequence-numbered, round-bound frame; the
// server's inbox checks it in the order of §5.3 as a pure step(state, frame) -> {state, outcome}.
import type { KeyObject } from "node:crypto";
import { open, type SealedEnvelope, seal, type X25519Pair } from "../crypto/envelope.ts";
import { CryptoError } from "../crypto/errors.ts";
import {
  bodyDigestOk,
  decodeFrame,
  encodeFrame,
  type FrameHeader,
  verifyFrameSignature,
} from "../crypto/frame.ts";
import { type ValidationRules, validateUpdate } from "./validate.ts";

export const UPDATE_LABEL = "medtrace/v1/fl/update";
export const MAX_SKEW_MS = 120_000;
export const DEFAULT_MAX_PAYLOAD = 256 * 1024 * 1024;

/** What a node learns from the signed round.start task. */
export interface RoundTicket {
  sessionId: string;
  round: number;
  attempt: number;
  roundPublicKey: KeyObject;
  roundNonce: Uint8Array;
  baseModelHash: string;
  manifestHash: string;
  quant?: { bits: number; clip: number };
}

export interface NodeIdentity {
  nodeId: string;
  signKey: KeyObject;
  seq: number;
}

export type UpdatePayload =
  | { type: "plain.update"; delta: Float32Array; n: number }
  | { type: "secagg.masked"; masked: Uint32Array };

function envelopeParams(
  t: RoundTicket,
  nodeId: string,
  type: string,
  n: number | undefined,
  chunkSize?: number,
) {
  return {
    salt: t.roundNonce,
    label: UPDATE_LABEL,
    context: { sessionId: t.sessionId, round: t.round, attempt: t.attempt, nodeId },
    aad: {
      type,
      sessionId: t.sessionId,
      round: t.round,
      attempt: t.attempt,
      nodeId,
      baseModelHash: t.baseModelHash,
      manifestHash: t.manifestHash,
      quant: t.quant ?? null,
      weight: n,
    },
    chunkSize,
  };
}

function payloadBytes(p: UpdatePayload): Uint8Array {
  const v = p.type === "plain.update" ? p.delta : p.masked;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength); // little-endian host (x86/arm)
}

/** Node side: encrypt, frame and sign; advances the node's seq. */
export function sealUpdate(
  id: NodeIdentity,
  t: RoundTicket,
  p: UpdatePayload,
  nowMs: number,
  chunkSize?: number,
): Uint8Array {
  const n = p.type === "plain.update" ? p.n : undefined;
  const payload = payloadBytes(p);
  const env = seal(t.roundPublicKey, payload, envelopeParams(t, id.nodeId, p.type, n, chunkSize));
  id.seq = Math.max(id.seq + 1, nowMs * 1000);
  const body = Buffer.concat(env.chunks);
  return encodeFrame(
    {
      type: p.type,
      sender: "node",
      nodeId: id.nodeId,
      sessionId: t.sessionId,
      round: t.round,
      attempt: t.attempt,
      seq: id.seq,
      ts: nowMs,
      contentType: "application/octet-stream",
      enc: env.enc,
      chunk: {
        count: env.chunks.length,
        sizes: env.chunks.map((c) => c.length),
        payloadLen: payload.length,
      },
      ...(n !== undefined ? { weight: n } : {}),
    },
    body,
    id.signKey,
  );
}

export interface InboxState {
  lastSeq: Readonly<Record<string, number>>;
  accepted: readonly string[];
}

export const emptyInbox: InboxState = { lastSeq: {}, accepted: [] };

export interface InboxContext {
  ticket: RoundTicket;
  roundKey: X25519Pair;
  nodeKeys: ReadonlyMap<string, KeyObject>;
  selected: ReadonlySet<string>;
  nowMs: number;
  maxPayload?: number;
  /** plain mode: d; secagg mode: d+1 words. */
  validation: ValidationRules;
  declaredN?: ReadonlyMap<string, number>;
}

export type InboxError =
  | "too-large"
  | "bad-frame"
  | "bad-signature"
  | "clock-skew"
  | "replay"
  | "stale-round"
  | "not-selected"
  | "duplicate"
  | "decrypt-failed"
  | "invalid-update";

export type InboxOutcome =
  | { ok: true; nodeId: string; type: "plain.update"; delta: Float32Array; n: number }
  | { ok: true; nodeId: string; type: "secagg.masked"; masked: Uint32Array }
  | { ok: false; error: InboxError; reason: string; nodeId?: string };

const STATUS: Record<InboxError, number> = {
  "too-large": 413,
  "bad-frame": 400,
  "bad-signature": 401,
  "clock-skew": 401,
  replay: 401,
  "stale-round": 409,
  "not-selected": 403,
  duplicate: 200,
  "decrypt-failed": 422,
  "invalid-update": 422,
};

export function statusOf(e: InboxError): number {
  return STATUS[e];
}

/** Server side. The first failing check answers and leaves the state unchanged (§5.3). */
export function receiveUpdate(
  state: InboxState,
  bytes: Uint8Array,
  ctx: InboxContext,
): { state: InboxState; outcome: InboxOutcome } {
  const fail = (error: InboxError, reason: string, nodeId?: string) => ({
    state,
    outcome: { ok: false as const, error, reason, nodeId },
  });
  const max = ctx.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  if (bytes.length > max + 16 * 1024 + 1024) return fail("too-large", `${bytes.length} bytes`);
  let f: ReturnType<typeof decodeFrame>;
  try {
    f = decodeFrame(bytes);
  } catch (e) {
    return fail("bad-frame", (e as Error).message);
  }
  const h = f.header as FrameHeader & {
    enc?: SealedEnvelope["enc"];
    chunk?: { count: number; sizes: number[]; payloadLen: number };
    weight?: number;
  };
  const key = ctx.nodeKeys.get(h.nodeId);
  if (!key || h.sender !== "node" || !verifyFrameSignature(f, key)) {
    return fail(
      "bad-signature",
      `frame from ${h.nodeId} not signed by its certified key`,
      h.nodeId,
    );
  }
  if (Math.abs(h.ts - ctx.nowMs) > MAX_SKEW_MS)
    return fail("clock-skew", `ts off by ${h.ts - ctx.nowMs} ms`, h.nodeId);
  if (h.seq <= (state.lastSeq[h.nodeId] ?? -1))
    return fail("replay", `seq ${h.seq} not increasing`, h.nodeId);
  const t = ctx.ticket;
  if (h.sessionId !== t.sessionId || h.round !== t.round || h.attempt !== t.attempt) {
    return fail("stale-round", `frame for ${h.sessionId} r${h.round} a${h.attempt}`, h.nodeId);
  }
  if (!ctx.selected.has(h.nodeId))
    return fail("not-selected", `${h.nodeId} is not in this round`, h.nodeId);
  if (state.accepted.includes(h.nodeId)) {
    return fail("duplicate", `${h.nodeId} already delivered this round`, h.nodeId);
  }
  const afterSeq = (): InboxState => ({
    ...state,
    lastSeq: { ...state.lastSeq, [h.nodeId]: h.seq },
  });
  if (!bodyDigestOk(f) || !h.enc || !h.chunk || !Array.isArray(h.chunk.sizes)) {
    return fail("bad-frame", "body digest or chunk metadata", h.nodeId);
  }
  if (h.chunk.payloadLen > max)
    return fail("too-large", `payload ${h.chunk.payloadLen} > ${max}`, h.nodeId);
  if (h.type !== "plain.update" && h.type !== "secagg.masked")
    return fail("bad-frame", `type ${h.type}`, h.nodeId);
  const chunks: Uint8Array[] = [];
  let o = 0;
  for (const s of h.chunk.sizes) {
    chunks.push(f.body.subarray(o, o + s));
    o += s;
  }
  if (o !== f.body.length) return fail("bad-frame", "chunk sizes differ from the body", h.nodeId);
  const n = h.type === "plain.update" ? h.weight : undefined;
  let plain: Uint8Array;
  try {
    plain = open(
      ctx.roundKey,
      { enc: h.enc, chunks },
      h.chunk.payloadLen,
      envelopeParams(t, h.nodeId, h.type, n),
    );
  } catch (e) {
    // authenticated frame, bad ciphertext: the seq is consumed so the frame cannot be replayed
    const r = fail("decrypt-failed", e instanceof CryptoError ? e.message : String(e), h.nodeId);
    return { ...r, state: afterSeq() };
  }
  if (plain.length % 4 !== 0)
    return { ...fail("invalid-update", "wrong-shape", h.nodeId), state: afterSeq() };
  const next: InboxState = { lastSeq: afterSeq().lastSeq, accepted: [...state.accepted, h.nodeId] };
  if (h.type === "secagg.masked") {
    const masked = new Uint32Array(plain.buffer, plain.byteOffset, plain.length / 4);
    if (masked.length !== ctx.validation.length) {
      return { ...fail("invalid-update", "wrong-shape", h.nodeId), state: afterSeq() };
    }
    return { state: next, outcome: { ok: true, nodeId: h.nodeId, type: h.type, masked } };
  }
  const delta = new Float32Array(plain.buffer, plain.byteOffset, plain.length / 4);
  const reason = validateUpdate(
    { delta, n: n ?? 0 },
    { ...ctx.validation, declaredN: ctx.declaredN?.get(h.nodeId), baseModelHash: undefined },
  );
  if (reason) return { ...fail("invalid-update", reason, h.nodeId), state: afterSeq() };
  return {
    state: next,
    outcome: { ok: true, nodeId: h.nodeId, type: "plain.update", delta, n: n ?? 0 },
  };
}
