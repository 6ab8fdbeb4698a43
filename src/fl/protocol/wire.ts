// Control frames of fl/v1 (federated-learning.md §5.3–5.4): server tasks and node messages are
// MTF1 frames with a JCS JSON body, Ed25519-signed by their sender. The checks of §5.3 steps 1–6
// (size, parse, SAN, signature, clock, seq) are one function for both directions; the caller
// then checks session, round, attempt and phase (step 7) before reading the body (steps 8–10).
// Encrypted updates (secagg.masked, plain.update) go through messages.ts instead.
import type { KeyObject } from "node:crypto";
import { z } from "zod";
import {
  bodyDigestOk,
  decodeFrame,
  encodeFrame,
  type Frame,
  nextSeq,
  verifyFrameSignature,
} from "../../crypto/frame.ts";
import { canonicalBytes } from "../../crypto/jcs.ts";
import { MAX_SKEW_MS } from "../messages.ts";

/** 1 MiB JSON body for control messages (§5.6). */
export const MAX_CONTROL_BODY = 1024 * 1024;

export type TaskType =
  | "session.offer"
  | "round.start"
  | "secagg.u1"
  | "secagg.u2"
  | "secagg.u3"
  | "round.abort"
  | "session.end";

export type NodeMessageType =
  | "session.accept"
  | "session.decline"
  | "secagg.advertise"
  | "secagg.share"
  | "secagg.masked"
  | "secagg.unmask"
  | "plain.update"
  | "eval.report";

/** A server -> node task: the signed frame and the absolute time after which a reply is useless. */
export interface ServerTask {
  nodeId: string;
  type: TaskType;
  frame: Uint8Array;
  deadline?: number;
}

export type WireError =
  | "too-large"
  | "bad-frame"
  | "bad-signature"
  | "clock-skew"
  | "replay"
  | "not-selected"
  | "plan-not-approved"
  | "stale-round"
  | "wrong-phase"
  | "duplicate"
  | "decrypt-failed"
  | "invalid-update"
  | "unknown-session";

/** HTTP-style status of each refusal (§5.3 table). */
export const WIRE_STATUS: Record<WireError, number> = {
  "too-large": 413,
  "bad-frame": 400,
  "bad-signature": 401,
  "clock-skew": 401,
  replay: 401,
  "not-selected": 403,
  "plan-not-approved": 403,
  "stale-round": 409,
  "wrong-phase": 409,
  duplicate: 200,
  "decrypt-failed": 422,
  "invalid-update": 422,
  "unknown-session": 404,
};

export interface FrameContext {
  sessionId: string | null;
  round: number | null;
  attempt: number | null;
}

/** A signing identity with its monotonic seq (§5.3: max(last + 1, unixMs·1000)); a node's
 * NodeIdentity is one, so control frames and sealed updates share one counter. */
export interface Signer {
  signKey: KeyObject;
  seq: number;
}

export function signFrame(
  signer: Signer,
  sender: "node" | "server",
  nodeId: string,
  type: string,
  ctx: FrameContext,
  body: unknown,
  now: number,
  inReplyTo?: number,
): Uint8Array {
  signer.seq = nextSeq(signer.seq, now);
  return encodeFrame(
    {
      type,
      sender,
      nodeId,
      ...ctx,
      seq: signer.seq,
      ts: now,
      contentType: "application/json",
      ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    },
    canonicalBytes(body),
    signer.signKey,
  );
}

export type Authenticated = { ok: true; frame: Frame } | { ok: false; error: WireError; reason: string; nodeId?: string };

export interface AuthContext {
  sender: "node" | "server";
  /** the TLS SAN node id when the transport knows it; a node checks frames addressed to itself */
  nodeId?: string;
  key: (nodeId: string) => KeyObject | undefined;
  lastSeq: number | undefined;
  now: number;
  maxBytes: number;
}

/** §5.3 steps 1–6; the first failing check answers. */
export function authenticate(bytes: Uint8Array, a: AuthContext): Authenticated {
  if (bytes.length > a.maxBytes + 16 * 1024 + 72)
    return { ok: false, error: "too-large", reason: `${bytes.length} bytes` };
  let f: Frame;
  try {
    f = decodeFrame(bytes);
  } catch (e) {
    return { ok: false, error: "bad-frame", reason: (e as Error).message };
  }
  const h = f.header;
  if (typeof h.nodeId !== "string" || typeof h.type !== "string" || typeof h.ts !== "number")
    return { ok: false, error: "bad-frame", reason: "header lacks nodeId/type/ts" };
  if (a.nodeId !== undefined && h.nodeId !== a.nodeId)
    return { ok: false, error: "bad-signature", reason: `frame names ${h.nodeId}, channel is ${a.nodeId}`, nodeId: a.nodeId };
  const key = a.key(h.nodeId);
  if (!key || h.sender !== a.sender || !verifyFrameSignature(f, key))
    return { ok: false, error: "bad-signature", reason: `frame for ${h.nodeId} not signed by the ${a.sender}'s certified key`, nodeId: h.nodeId };
  if (Math.abs(h.ts - a.now) > MAX_SKEW_MS)
    return { ok: false, error: "clock-skew", reason: `ts off by ${h.ts - a.now} ms`, nodeId: h.nodeId };
  if (a.lastSeq !== undefined && h.seq <= a.lastSeq)
    return { ok: false, error: "replay", reason: `seq ${h.seq} not above ${a.lastSeq}`, nodeId: h.nodeId };
  return { ok: true, frame: f };
}

export class WireRefusal extends Error {
  readonly code: WireError;
  constructor(code: WireError, message: string) {
    super(`${code}: ${message}`);
    this.name = "WireRefusal";
    this.code = code;
  }
}

/** §5.3 steps 8 and 10 for JSON bodies: digest, size, then the message's schema. */
export function jsonBody<T>(f: Frame, schema: z.ZodType<T>): T {
  if (!bodyDigestOk(f)) throw new WireRefusal("bad-frame", "body digest mismatch");
  if (f.body.length > MAX_CONTROL_BODY) throw new WireRefusal("too-large", "control body above 1 MiB");
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(f.body).toString("utf8"));
  } catch {
    throw new WireRefusal("bad-frame", "body is not JSON");
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new WireRefusal("bad-frame", `${f.header.type} body: ${i.path.join(".")} ${i.message}`);
  }
  return r.data;
}

const b64u = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const nodeId = z.string().min(1).max(200);
const nodeList = z.array(nodeId).max(1000);

export const bodies = {
  offer: z.strictObject({
    planHash: hex64,
    manifestHash: hex64,
    seed: z.string().min(1).max(128),
    config: z.unknown(),
  }),
  accept: z.strictObject({ planHash: hex64, n: z.number().int().min(1), backend: z.string().max(40) }),
  decline: z.strictObject({ planHash: hex64, reason: z.string().max(500) }),
  roundStart: z.strictObject({
    planHash: hex64,
    globalModelHash: hex64,
    manifestHash: hex64,
    roundPublicKey: b64u(64),
    roundNonce: b64u(64),
    deadlines: z.strictObject({
      advertise: z.number().int(),
      share: z.number().int(),
      train: z.number().int(),
    }),
    secagg: z
      .strictObject({
        quantBits: z.number().int(),
        clip: z.number(),
        maxWeight: z.number().int().min(1),
      })
      .nullable(),
    dp: z
      .strictObject({
        mode: z.enum(["central", "distributed"]),
        clipNorm: z.number().positive(),
        noiseMultiplier: z.number().positive(),
      })
      .nullable(),
    learningRate: z.number().positive(),
    proxMu: z.number().min(0),
  }),
  advertise: z.strictObject({ cPk: b64u(64), sPk: b64u(64), bCommit: hex64 }),
  u1: z.strictObject({
    n: z.number().int(),
    t: z.number().int(),
    adverts: z.array(b64u(64 * 1024)).max(255),
  }),
  share: z.strictObject({
    shares: z.array(z.strictObject({ to: nodeId, nonce: b64u(32), ct: b64u(1024) })).max(255),
  }),
  u2: z.strictObject({
    u2: nodeList,
    shares: z.array(z.strictObject({ from: nodeId, nonce: b64u(32), ct: b64u(1024) })).max(255),
  }),
  u3: z.strictObject({ u3: nodeList, deadline: z.number().int() }),
  unmask: z.strictObject({
    bShares: z.array(z.strictObject({ of: nodeId, y: b64u(64) })).max(255),
    sShares: z.array(z.strictObject({ of: nodeId, y: b64u(64) })).max(255),
  }),
  evalReport: z.strictObject({
    modelHash: hex64,
    report: z.strictObject({
      n: z.number().int().min(1),
      loss: z.number().min(0),
      correct: z.number().int().min(0),
      confusion: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
      scoreHistogram: z.tuple([z.array(z.number().int().min(0)).length(100), z.array(z.number().int().min(0)).length(100)]),
    }),
  }),
  abort: z.strictObject({ reason: z.string().max(500) }),
  end: z.strictObject({
    status: z.enum(["completed", "failed", "cancelled"]),
    reason: z.string().max(500).optional(),
    finalModelHash: hex64.optional(),
  }),
};

export type RoundStartBody = z.output<typeof bodies.roundStart>;
export type OfferBody = z.output<typeof bodies.offer>;

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64url"));
