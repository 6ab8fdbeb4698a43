// Server side of networked federated training (federated-learning.md §1.4–1.8, §5.3, §6.4): one
// deterministic state machine per session. Inputs are node frames (`handle`) and the passing of
// time (`tick`, `nodeConnected`), always with `now` given by the caller; outputs are a Step:
// blobs and records to persist first (write-ahead, §1.8), then tasks to send and events for SSE.
// Every state change is a record applied by `apply`, so `restore` rebuilds the committed state by
// folding the same records and resumes as §1.8 prescribes. Transport-free: no sockets, no clock.
import { type KeyObject, randomBytes } from "node:crypto";
import { x25519KeyPair, x25519PublicB64u, type X25519Pair } from "../../crypto/envelope.ts";
import { decodeFrame } from "../../crypto/frame.ts";
import { flDerive, flSeedBytes, Prg } from "../../crypto/prg.ts";
import { noisyMean, RdpAccountant } from "../dp.ts";
import { FlError } from "../errors.ts";
import { type EvalReport, poolReports } from "../fedeval.ts";
import { receiveUpdate, type RoundTicket } from "../messages.ts";
import { buildCnn, initialWeights, manifestHash, manifestOf, modelHash, weightBytes } from "../model.ts";
import * as secagg from "../secagg.ts";
import { type FitResult, makeStrategy, type Strategy } from "../strategies/index.ts";
import { detectOutliers, l2 } from "../validate.ts";
import {
  cnnOptions,
  parseSessionConfig,
  planHash,
  roundLearningRate,
  type SessionConfig,
  strategyParams,
} from "./config.ts";
import {
  type Blob,
  blobOf,
  type Deadlines,
  type RoundMetrics,
  type SessionRecord,
  type SessionStatus,
  type SessionStore,
} from "./records.ts";
import {
  authenticate,
  b64,
  bodies,
  jsonBody,
  type ServerTask,
  type Signer,
  signFrame,
  type TaskType,
  unb64,
  WIRE_STATUS,
  type WireError,
  WireRefusal,
} from "./wire.ts";

export type Phase = "advertise" | "share" | "masked" | "unmask" | "collect" | "ended";

export type SessionEvent = { sessionId: string; at: number } & (
  | { type: "state"; state: SessionStatus; reason?: string }
  | { type: "phase"; round: number; attempt: number; phase: Phase; members: string[] }
  | { type: "dropout"; round: number; attempt: number; phase: Phase; nodes: string[] }
  | { type: "round"; round: number; attempt: number; modelHash: string; metrics: RoundMetrics }
  | { type: "alert"; kind: string; severity: "info" | "warning" | "critical"; message: string; nodeId?: string }
  | { type: "refused"; nodeId?: string; error: WireError; reason: string }
);

type EventBody = SessionEvent extends infer E ? (E extends unknown ? Omit<E, "sessionId" | "at"> : never) : never;

export interface Reply {
  status: number;
  error?: WireError;
  reason?: string;
}

/** One transition's output. Persist `blobs` then `records` (atomically) before sending `tasks`. */
export interface Step {
  records: SessionRecord[];
  blobs: Blob[];
  tasks: ServerTask[];
  events: SessionEvent[];
  reply?: Reply;
}

export interface CoordinatorDeps {
  /** Ed25519 private key: the server's FL signing key, pinned on the nodes (§5.2) */
  serverKey: KeyObject;
  /** the CA-certified Ed25519 public key of an enrolled node, undefined if unknown or revoked */
  nodeKey: (nodeId: string) => KeyObject | undefined;
  /** K("medtrace/v1/fl/dp-noise") of the deployment; required for central DP (§1.7, §8.2) */
  dpNoiseKey?: Uint8Array;
  /** payload cap (§5.6), default 256 MiB */
  maxPayload?: number;
  /** start as soon as every candidate has answered and ≥ nodes.min accepted */
  autoStart?: boolean;
}

export interface NodeMessage {
  /** the node id the transport authenticated (TLS SAN), when known */
  from?: string;
  frame: Uint8Array;
}

interface Attempt {
  round: number;
  attempt: number;
  selected: string[];
  roundPublicKey: string;
  roundNonce: string;
  deadlines: Deadlines;
  globalModelHash: string;
  maxWeight: number;
  phase: Phase;
  adverts: Map<string, { frame: string; advert: secagg.Advert }>;
  u1?: string[];
  t?: number;
  shares: Map<string, secagg.ShareCipher[]>;
  u2?: string[];
  masked: Map<string, string>;
  plain: Set<string>;
  u3?: string[];
  unmaskDeadline?: number;
  unmask: Map<string, secagg.UnmaskResponse>;
  evals: Map<string, EvalReport>;
  quorumAt?: number;
}

interface HistoryEntry {
  round: number;
  attempt: number;
  modelHash: string;
  metrics: RoundMetrics;
  at: number;
}

const REFUSAL_WINDOW_MS = 10 * 60_000;
const TERMINAL: SessionStatus[] = ["completed", "failed", "cancelled"];

function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function accountantOf(c: SessionConfig, zs: number[]): RdpAccountant {
  const a = new RdpAccountant(c.dp.delta);
  for (const z of zs) a.step(z);
  return a;
}

function floatsOf(bytes: Uint8Array): Float32Array {
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

function wordsOf(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(Uint8Array.from(bytes).buffer);
}

export class Coordinator {
  sessionId = "";
  config!: SessionConfig;
  planHash = "";
  manifestHash = "";
  seed = "";
  status: SessionStatus = "pending";
  reason?: string;
  private createdAt = 0;
  private candidates: string[] = [];
  private answers = new Map<string, { accept: boolean; n?: number; backend?: string }>();
  private lastSeq = new Map<string, number>();
  private rejections = new Map<string, number>();
  private att?: Attempt;
  private lastAttempt = { round: 0, attempt: 0 };
  private failedAttempts = 0;
  private retryAt?: number;
  private completedRound = 0;
  private globalBlob = "";
  private strategyBlobs: Record<string, string> = {};
  private dpNoise: number[] = [];
  private history: HistoryEntry[] = [];
  private finalEvals = new Map<string, EvalReport>();
  // in memory only: never persisted (§1.8)
  private global!: Float32Array;
  private strategy!: Strategy;
  private accountant?: RdpAccountant;
  private roundKey?: X25519Pair;
  private plainUpdates = new Map<string, FitResult>();
  private cache = new Map<string, Uint8Array>();
  private resumedFrozen = false;
  private awaitingReconnect?: Set<string>;
  private refusals = new Map<string, number[]>();
  private readonly signer: Signer;

  private constructor(private readonly deps: CoordinatorDeps) {
    this.signer = { signKey: deps.serverKey, seq: 0 };
  }

  /** A new session in `pending`: validates the config, offers the plan to the candidate nodes.
   * The model is built once to read its manifest, so a tfjs backend must be ready (cpu suffices). */
  static create(
    input: unknown,
    deps: CoordinatorDeps,
    o: { sessionId: string; candidates: string[]; now: number },
  ): { coordinator: Coordinator; step: Step } {
    const config = parseSessionConfig(input);
    if (config.dp.mode === "central" && !deps.dpNoiseKey)
      throw new FlError("CONFIG_INVALID", "central DP needs the deployment's dp-noise key");
    const seed = config.seed ?? randomBytes(32).toString("hex");
    const model = buildCnn(cnnOptions(config));
    const manifest = manifestOf(model);
    model.dispose();
    const mHash = manifestHash(manifest);
    const initial = blobOf(Uint8Array.from(weightBytes(initialWeights(manifest, seed))));
    const inc = config.nodes.include;
    const exc = new Set(config.nodes.exclude ?? []);
    const candidates = sortIds(new Set(o.candidates)).filter((n) => (!inc || inc.includes(n)) && !exc.has(n));
    const c = new Coordinator(deps);
    c.cache.set(initial.sha256, initial.bytes);
    const s = c.newStep();
    s.blobs.push(initial);
    c.emit(s, {
      kind: "session.created",
      sessionId: o.sessionId,
      config: { ...config, seed },
      planHash: planHash({ ...config, seed }, mHash),
      manifestHash: mHash,
      seed,
      candidates,
      globalBlob: initial.sha256,
      at: o.now,
    });
    c.global = floatsOf(initial.bytes);
    c.event(s, o.now, { type: "state", state: "pending" });
    const offer = { planHash: c.planHash, manifestHash: mHash, seed, config: c.config };
    for (const n of candidates) c.task(s, n, "session.offer", null, offer, o.now);
    return { coordinator: c, step: s };
  }

  /** Rebuilds a session from its committed records and resumes it (§1.8 "Resume on server start"). */
  static async restore(
    store: SessionStore,
    sessionId: string,
    deps: CoordinatorDeps,
    now: number,
  ): Promise<{ coordinator: Coordinator; step: Step }> {
    const records = await store.records(sessionId);
    if (records[0]?.kind !== "session.created")
      throw new FlError("SESSION_UNKNOWN", `no records for session ${sessionId}`);
    const c = new Coordinator(deps);
    for (const r of records) c.apply(r);
    const need = [c.globalBlob, ...Object.values(c.strategyBlobs), ...(c.att?.phase === "unmask" ? c.att.masked.values() : [])];
    for (const sha of need) {
      const b = await store.blob(sha);
      if (!b) throw new FlError("STORAGE", `blob ${sha} referenced by session ${sessionId} is missing`);
      c.cache.set(sha, b);
    }
    c.global = floatsOf(c.cache.get(c.globalBlob) as Uint8Array);
    const st = Object.fromEntries(
      Object.entries(c.strategyBlobs).map(([k, sha]) => [k, floatsOf(c.cache.get(sha) as Uint8Array)]),
    );
    c.strategy.loadState?.(st);
    return { coordinator: c, step: c.resume(now) };
  }

  // ---------------------------------------------------------------- inputs

  /** A node frame: §5.3 checks, then its effect. Refusals change nothing except a consumed seq. */
  handle(msg: NodeMessage, now: number): Step {
    const s = this.newStep();
    const auth = authenticate(msg.frame, {
      sender: "node",
      nodeId: msg.from,
      key: this.deps.nodeKey,
      lastSeq: undefined,
      now,
      maxBytes: this.deps.maxPayload ?? 256 * 1024 * 1024,
    });
    if (!auth.ok) return this.refuse(s, now, auth.error, auth.reason, auth.nodeId);
    const h = auth.frame.header;
    const last = this.lastSeq.get(h.nodeId);
    if (last !== undefined && h.seq <= last)
      return this.refuse(s, now, "replay", `seq ${h.seq} not above ${last}`, h.nodeId);
    if (h.sessionId !== this.sessionId)
      return this.refuse(s, now, "unknown-session", `session ${h.sessionId}`, h.nodeId);
    try {
      this.accept(s, auth.frame, msg.frame, now);
    } catch (e) {
      if (e instanceof WireRefusal) return this.refuse(s, now, e.code, e.message, h.nodeId);
      throw e;
    }
    this.advance(s, now);
    s.reply ??= { status: 200 };
    return s;
  }

  /** The passing of time: deadlines, waitAfterQuorum, retries, resume grace. */
  tick(now: number): Step {
    const s = this.newStep();
    this.advance(s, now);
    return s;
  }

  /** A node said hello: after a restart the new attempt starts once every selected node is back. */
  nodeConnected(nodeId: string, now: number): Step {
    const s = this.newStep();
    if (this.awaitingReconnect?.delete(nodeId) && this.awaitingReconnect.size === 0) {
      this.awaitingReconnect = undefined;
      this.retryAt = Math.min(this.retryAt ?? now, now);
    }
    this.advance(s, now);
    return s;
  }

  /** Data scientist's start (§1.4 pending -> running). */
  start(now: number): Step {
    const s = this.newStep();
    if (this.status !== "pending") throw new FlError("SESSION_STATE", `session is ${this.status}, not pending`);
    const accepted = this.accepted();
    if (accepted.length < this.config.nodes.min)
      throw new FlError("fl.round.quorum", `${accepted.length} nodes accepted, nodes.min is ${this.config.nodes.min}`);
    this.emit(s, { kind: "session.started", at: now });
    this.event(s, now, { type: "state", state: "running" });
    this.advance(s, now);
    return s;
  }

  cancel(now: number, reason = "cancelled by the data scientist"): Step {
    const s = this.newStep();
    if (TERMINAL.includes(this.status)) return s;
    this.abortTasks(s, now, reason);
    this.end(s, now, "cancelled", reason);
    return s;
  }

  // ---------------------------------------------------------------- views

  /** JSON view for GET /api/sessions/:id. */
  view() {
    const a = this.att;
    const last = this.history.at(-1);
    const finals = [...this.finalEvals.values()];
    return {
      sessionId: this.sessionId,
      state: this.status,
      reason: this.reason ?? null,
      planHash: this.planHash,
      seed: this.seed,
      rounds: this.config.rounds,
      round: a?.round ?? this.completedRound,
      attempt: a?.attempt ?? null,
      phase: a?.phase ?? null,
      secureAggregation: this.config.secureAggregation.enabled,
      nodes: [...this.answers].map(([nodeId, v]) => ({ nodeId, accepted: v.accept, n: v.n ?? null })),
      selected: a?.selected ?? [],
      sets: a ? { u1: a.u1 ?? null, u2: a.u2 ?? null, u3: a.u3 ?? null } : null,
      modelHash: last?.modelHash ?? null,
      history: this.history,
      finalEval: finals.length ? poolReports(finals) : null,
      epsilon: this.accountant ? this.accountant.peek().epsilon : null,
    };
  }

  /** The current global weights and their hash (the released model once `completed`). */
  model(): { weights: Float32Array; modelHash: string; round: number } {
    return { weights: Float32Array.from(this.global), modelHash: modelHash(Float32Array.from(this.global)), round: this.completedRound };
  }

  /** A blob this coordinator holds in memory (global models of this run), for /fl/v1/fetch. */
  blob(sha256: string): Uint8Array | undefined {
    return this.cache.get(sha256);
  }

  // ---------------------------------------------------------------- record folding

  private apply(r: SessionRecord): void {
    switch (r.kind) {
      case "session.created":
        this.sessionId = r.sessionId;
        this.config = r.config;
        this.planHash = r.planHash;
        this.manifestHash = r.manifestHash;
        this.seed = r.seed;
        this.candidates = r.candidates;
        this.globalBlob = r.globalBlob;
        this.createdAt = r.at;
        this.strategy = makeStrategy(r.config.strategy.name, strategyParams(r.config));
        if (r.config.dp.mode !== "off") this.accountant = new RdpAccountant(r.config.dp.delta);
        return;
      case "node.answer":
        this.answers.set(r.nodeId, { accept: r.accept, n: r.n, backend: r.backend });
        this.lastSeq.set(r.nodeId, r.seq);
        return;
      case "session.started":
        this.status = "running";
        return;
      case "attempt.started":
        this.att = {
          ...r,
          phase: this.config.secureAggregation.enabled ? "advertise" : "collect",
          adverts: new Map(),
          shares: new Map(),
          masked: new Map(),
          plain: new Set(),
          unmask: new Map(),
          evals: new Map(),
        };
        this.lastAttempt = { round: r.round, attempt: r.attempt };
        this.status = "running";
        this.retryAt = undefined;
        return;
      case "msg.accepted":
        this.lastSeq.set(r.nodeId, r.seq);
        this.applyMessage(r);
        return;
      case "msg.refused":
        this.lastSeq.set(r.nodeId, r.seq);
        if (r.error === "invalid-update") this.rejections.set(r.nodeId, (this.rejections.get(r.nodeId) ?? 0) + 1);
        return;
      case "set.frozen": {
        const a = this.att as Attempt;
        if (r.set === "u1") [a.u1, a.t, a.phase] = [r.members, r.t, "share"];
        else if (r.set === "u2") [a.u2, a.phase] = [r.members, "masked"];
        else if (r.set === "u3") {
          [a.u3, a.unmaskDeadline, a.phase] = [r.members, r.deadline, "unmask"];
          this.status = "aggregating";
        } else this.status = "aggregating";
        return;
      }
      case "attempt.ended":
        if (this.att) this.att.phase = "ended";
        this.att = undefined;
        if (r.outcome === "failed") this.failedAttempts++;
        this.retryAt = r.retryAt;
        this.status = "running";
        return;
      case "round.checkpoint":
        this.globalBlob = r.globalBlob;
        this.strategyBlobs = r.strategyState;
        this.dpNoise = r.dpNoise;
        if (this.accountant) this.accountant = accountantOf(this.config, r.dpNoise);
        this.history.push({ round: r.round, attempt: r.attempt, modelHash: r.modelHash, metrics: r.metrics, at: r.at });
        this.completedRound = r.round;
        this.failedAttempts = 0;
        this.att = undefined;
        this.status = r.next;
        if (r.reason) this.reason = r.reason;
        return;
      case "final.eval":
        this.lastSeq.set(r.nodeId, r.seq);
        this.finalEvals.set(r.nodeId, r.report);
        return;
      case "session.ended":
        this.status = r.status;
        this.reason = r.reason;
        this.att = undefined;
        return;
    }
  }

  private applyMessage(r: Extract<SessionRecord, { kind: "msg.accepted" }>): void {
    const a = this.att;
    if (!a) return;
    switch (r.type) {
      case "secagg.advertise": {
        const f = decodeFrame(unb64(r.frame as string));
        const body = JSON.parse(Buffer.from(f.body).toString("utf8")) as Omit<secagg.Advert, "nodeId">;
        a.adverts.set(r.nodeId, { frame: r.frame as string, advert: { nodeId: r.nodeId, ...body } });
        return;
      }
      case "secagg.share": {
        const f = decodeFrame(unb64(r.frame as string));
        const body = JSON.parse(Buffer.from(f.body).toString("utf8")) as { shares: { to: string; nonce: string; ct: string }[] };
        a.shares.set(
          r.nodeId,
          body.shares.map((x) => ({ from: r.nodeId, to: x.to, nonce: unb64(x.nonce), ct: unb64(x.ct) })),
        );
        return;
      }
      case "secagg.masked":
        a.masked.set(r.nodeId, r.blob as string);
        this.noteQuorum(a, a.masked.size, r.at);
        return;
      case "plain.update":
        a.plain.add(r.nodeId);
        this.noteQuorum(a, a.plain.size, r.at);
        return;
      case "secagg.unmask": {
        const b = r.body as { bShares: { of: string; y: string }[]; sShares: { of: string; y: string }[] };
        a.unmask.set(r.nodeId, {
          from: r.nodeId,
          bShares: b.bShares.map((x) => ({ of: x.of, y: unb64(x.y) })),
          sShares: b.sShares.map((x) => ({ of: x.of, y: unb64(x.y) })),
        });
        return;
      }
      case "eval.report":
        a.evals.set(r.nodeId, (r.body as { report: EvalReport }).report);
        return;
    }
  }

  private noteQuorum(a: Attempt, count: number, at: number): void {
    if (a.quorumAt === undefined && count >= this.quorum(a)) a.quorumAt = at;
  }

  /** q = max(nodes.min, t) once U1 fixed t; nodes.min before (§1.6). */
  private quorum(a: Attempt): number {
    return Math.max(this.config.nodes.min, a.t ?? 0);
  }

  // ---------------------------------------------------------------- accepting messages

  private accept(s: Step, f: ReturnType<typeof decodeFrame>, bytes: Uint8Array, now: number): void {
    const h = f.header;
    const node = h.nodeId;
    const base = { kind: "msg.accepted" as const, nodeId: node, seq: h.seq, type: h.type, round: h.round, attempt: h.attempt, at: now };
    if (h.type === "session.accept" || h.type === "session.decline") {
      if (this.status !== "pending") throw new WireRefusal("stale-round", `session is ${this.status}`);
      if (!this.candidates.includes(node)) throw new WireRefusal("not-selected", `${node} was not offered this session`);
      if (this.answers.has(node)) throw new WireRefusal("duplicate", `${node} already answered`);
      if (h.type === "session.decline") {
        const b = jsonBody(f, bodies.decline);
        this.emit(s, { kind: "node.answer", nodeId: node, seq: h.seq, accept: false, reason: b.reason, at: now });
        return;
      }
      const b = jsonBody(f, bodies.accept);
      if (b.planHash !== this.planHash) throw new WireRefusal("plan-not-approved", "accepted plan hash differs");
      this.emit(s, { kind: "node.answer", nodeId: node, seq: h.seq, accept: true, n: b.n, backend: b.backend, at: now });
      return;
    }
    if (h.type === "eval.report" && this.status === "completed" && h.round === null) {
      if (!this.answers.get(node)?.accept) throw new WireRefusal("not-selected", `${node} is not in this session`);
      if (this.finalEvals.has(node)) throw new WireRefusal("duplicate", "final evaluation already reported");
      const b = jsonBody(f, bodies.evalReport);
      if (b.modelHash !== this.history.at(-1)?.modelHash) throw new WireRefusal("stale-round", "report for another model");
      this.emit(s, { kind: "final.eval", nodeId: node, seq: h.seq, report: b.report, at: now });
      return;
    }
    const a = this.att;
    if (!a || h.round !== a.round || h.attempt !== a.attempt)
      throw new WireRefusal("stale-round", `frame for r${h.round} a${h.attempt}, current ${a ? `r${a.round} a${a.attempt}` : "none"}`);
    const expect: Record<string, { phase: Phase; members: string[] | undefined; seen: { has(k: string): boolean } }> = {
      "secagg.advertise": { phase: "advertise", members: a.selected, seen: a.adverts },
      "secagg.share": { phase: "share", members: a.u1, seen: a.shares },
      "secagg.masked": { phase: "masked", members: a.u2, seen: a.masked },
      "secagg.unmask": { phase: "unmask", members: a.u3, seen: a.unmask },
      "plain.update": { phase: "collect", members: a.selected, seen: a.plain },
      "eval.report": { phase: a.phase, members: a.selected, seen: a.evals },
    };
    const e = expect[h.type];
    if (!e) throw new WireRefusal("bad-frame", `unexpected message type ${h.type}`);
    if (e.phase !== a.phase) {
      const order: Phase[] = ["advertise", "share", "masked", "unmask"];
      const early = order.indexOf(e.phase) > order.indexOf(a.phase);
      throw new WireRefusal(early ? "wrong-phase" : "stale-round", `${h.type} during ${a.phase}`);
    }
    if (!e.members?.includes(node)) throw new WireRefusal("not-selected", `${node} is not in this phase's set`);
    if (e.seen.has(node)) throw new WireRefusal("duplicate", `${node} already sent ${h.type}`);
    switch (h.type) {
      case "secagg.advertise":
        jsonBody(f, bodies.advertise);
        this.emit(s, { ...base, frame: b64(bytes) });
        return;
      case "secagg.share": {
        const b = jsonBody(f, bodies.share);
        const want = sortIds((a.u1 as string[]).filter((v) => v !== node));
        const got = sortIds(b.shares.map((x) => x.to));
        if (got.join("\n") !== want.join("\n")) throw new WireRefusal("bad-frame", "one share per other U1 member is required");
        this.emit(s, { ...base, frame: b64(bytes) });
        return;
      }
      case "secagg.masked":
      case "plain.update":
        this.acceptUpdate(s, a, h.type, bytes, now, base);
        return;
      case "secagg.unmask": {
        const b = jsonBody(f, bodies.unmask);
        const u2 = a.u2 as string[];
        const u3 = a.u3 as string[];
        const okB = b.bShares.every((x) => u3.includes(x.of));
        const okS = b.sShares.every((x) => u2.includes(x.of) && !u3.includes(x.of));
        if (!okB || !okS) throw new WireRefusal("bad-frame", "b-shares only for U3, s-shares only for U2 \\ U3");
        this.emit(s, { ...base, body: b });
        return;
      }
      case "eval.report": {
        const b = jsonBody(f, bodies.evalReport);
        if (b.modelHash !== a.globalModelHash) throw new WireRefusal("stale-round", "evaluation of another model");
        this.emit(s, { ...base, body: b });
        return;
      }
    }
  }

  private acceptUpdate(
    s: Step,
    a: Attempt,
    type: "secagg.masked" | "plain.update",
    bytes: Uint8Array,
    now: number,
    base: Extract<SessionRecord, { kind: "msg.accepted" }>,
  ): void {
    if (!this.roundKey) throw new WireRefusal("stale-round", "the round key of this attempt is gone (restart)");
    const sa = type === "secagg.masked";
    const ticket: RoundTicket = {
      sessionId: this.sessionId,
      round: a.round,
      attempt: a.attempt,
      roundPublicKey: this.roundKey.publicKey,
      roundNonce: unb64(a.roundNonce),
      baseModelHash: a.globalModelHash,
      manifestHash: this.manifestHash,
      quant: sa ? { bits: this.config.secureAggregation.quantBits, clip: this.config.secureAggregation.clip } : undefined,
    };
    const node = base.nodeId;
    const got = receiveUpdate({ lastSeq: {}, accepted: [] }, bytes, {
      ticket,
      roundKey: this.roundKey,
      nodeKeys: new Map([[node, this.deps.nodeKey(node) as KeyObject]]),
      selected: new Set([node]),
      nowMs: now,
      maxPayload: this.deps.maxPayload,
      validation: { length: this.global.length + (sa ? 1 : 0), maxUpdateNorm: this.config.dp.mode !== "off" ? (this.config.dp.clipNorm as number) * (1 + 1e-6) : this.config.validation.maxUpdateNorm },
      declaredN: new Map([[node, this.config.dp.mode !== "off" ? 1 : (this.answers.get(node)?.n ?? 0)]]),
    });
    const o = got.outcome;
    if (!o.ok) {
      if (o.error === "decrypt-failed" || o.error === "invalid-update") {
        // authenticated but unusable: the seq is consumed, the node counts as dropped (§7.3)
        this.emit(s, { kind: "msg.refused", nodeId: node, seq: base.seq, error: o.error, reason: o.reason, at: now });
        if (o.error === "invalid-update") {
          this.event(s, now, { type: "alert", kind: "fl.update.rejected", severity: "warning", message: `round ${a.round}: ${o.reason}`, nodeId: node });
          if (this.rejections.get(node) === 3)
            this.event(s, now, { type: "alert", kind: "fl.node.quarantined", severity: "warning", message: "3 rejected updates in this session", nodeId: node });
        }
      }
      throw new WireRefusal(o.error === "not-selected" ? "not-selected" : (o.error as WireError), o.reason);
    }
    if (o.type === "secagg.masked") {
      const blob = blobOf(Uint8Array.from(new Uint8Array(o.masked.buffer, o.masked.byteOffset, o.masked.byteLength)));
      this.cache.set(blob.sha256, blob.bytes);
      s.blobs.push(blob);
      this.emit(s, { ...base, blob: blob.sha256 });
    } else {
      const copy = Float32Array.from(o.delta);
      this.plainUpdates.set(node, { nodeId: node, delta: copy, n: o.n });
      const sha = blobOf(new Uint8Array(copy.buffer)).sha256;
      this.emit(s, { ...base, receipt: { sha256: sha, size: copy.byteLength, n: o.n } });
    }
  }

  // ---------------------------------------------------------------- the machine

  private advance(s: Step, now: number): void {
    for (let guard = 0; guard < 16; guard++) if (!this.advanceOnce(s, now)) return;
  }

  /** One transition if one is due; false when nothing changed. */
  private advanceOnce(s: Step, now: number): boolean {
    const st = this.status;
    if (TERMINAL.includes(st)) return false;
    if (st === "pending") return this.advancePending(s, now);
    const a = this.att;
    if (!a) {
      if (this.retryAt !== undefined && now < this.retryAt) return false;
      this.awaitingReconnect = undefined;
      this.startAttempt(s, now);
      return true;
    }
    const q = this.quorum(a);
    const past = (t: number | undefined) => t !== undefined && now >= t;
    const waited = a.quorumAt !== undefined && now >= a.quorumAt + this.config.timeouts.waitAfterQuorum * 1000;
    switch (a.phase) {
      case "advertise":
        if (a.adverts.size === a.selected.length || (past(a.deadlines.advertise) && a.adverts.size >= this.config.nodes.min))
          return this.freezeU1(s, a, now);
        if (past(a.deadlines.advertise)) return this.failAttempt(s, a, now, `quorum: ${a.adverts.size} adverts`);
        return false;
      case "share":
        if (a.shares.size === a.u1?.length || (past(a.deadlines.share) && a.shares.size >= q)) return this.freezeU2(s, a, now);
        if (past(a.deadlines.share)) return this.failAttempt(s, a, now, `quorum: ${a.shares.size} share sets`);
        return false;
      case "masked":
        if (a.masked.size === a.u2?.length || waited || (past(a.deadlines.train) && a.masked.size >= q))
          return this.freezeU3(s, a, now);
        if (past(a.deadlines.train)) return this.failAttempt(s, a, now, `quorum: ${a.masked.size} masked inputs`);
        return false;
      case "unmask":
        if (a.unmask.size === a.u3?.length || (past(a.unmaskDeadline) && a.unmask.size >= q)) return this.finishSecAgg(s, a, now);
        if (past(a.unmaskDeadline)) {
          if (this.resumedFrozen) return this.end(s, now, "failed", "unmask-incomplete");
          return this.failAttempt(s, a, now, `unmask: ${a.unmask.size} responses`);
        }
        return false;
      case "collect":
        if (a.plain.size === a.selected.length || waited || (past(a.deadlines.train) && a.plain.size >= q))
          return this.finishPlain(s, a, now);
        if (past(a.deadlines.train)) return this.failAttempt(s, a, now, `quorum: ${a.plain.size} updates`);
        return false;
      default:
        return false;
    }
  }

  private advancePending(s: Step, now: number): boolean {
    const accepted = this.accepted().length;
    if (this.deps.autoStart && this.answers.size === this.candidates.length && accepted >= this.config.nodes.min) {
      this.emit(s, { kind: "session.started", at: now });
      this.event(s, now, { type: "state", state: "running" });
      return true;
    }
    if (now >= this.createdAt + this.config.timeouts.approval * 1000 && accepted < this.config.nodes.min)
      return this.end(s, now, "failed", `approval timeout: ${accepted} of ${this.config.nodes.min} nodes accepted`);
    return false;
  }

  private accepted(): string[] {
    return sortIds([...this.answers].filter(([, v]) => v.accept).map(([k]) => k));
  }

  /** §1.6: eligible ids sorted by UTF-8 bytes, Fisher–Yates with derive(seedBytes, "select/r<r>"), first m. */
  private select(round: number): string[] {
    const quarantined = (n: string) => (this.rejections.get(n) ?? 0) >= 3;
    const eligible = this.accepted().filter((n) => !quarantined(n));
    const { min, max, fraction } = this.config.nodes;
    const m = Math.min(max, Math.max(min, Math.ceil(fraction * eligible.length)));
    new Prg(flDerive(flSeedBytes(this.seed), `select/r${round}`)).shuffle(eligible);
    return sortIds(eligible.slice(0, m));
  }

  private startAttempt(s: Step, now: number): void {
    const round = this.completedRound + 1;
    const attempt = this.lastAttempt.round === round ? this.lastAttempt.attempt + 1 : 1;
    const selected = this.select(round);
    const t = this.config.timeouts;
    const sa = this.config.secureAggregation;
    const dp = this.config.dp.mode !== "off";
    const maxN = Math.max(1, ...selected.map((n) => this.answers.get(n)?.n ?? 1));
    const maxWeight = dp ? 1 : sa.maxWeight === "auto" ? 2 ** Math.ceil(Math.log2(maxN)) : sa.maxWeight;
    this.roundKey = x25519KeyPair();
    this.plainUpdates.clear();
    const advertise = now + t.advertise * 1000;
    const deadlines: Deadlines = { advertise, share: advertise + t.share * 1000, train: Math.max(now + t.train * 1000, advertise + t.share * 1000) };
    const globalModelHash = modelHash(Float32Array.from(this.global));
    const roundNonce = b64(randomBytes(32));
    const roundPublicKey = x25519PublicB64u(this.roundKey.publicKey);
    this.emit(s, { kind: "attempt.started", round, attempt, selected, roundPublicKey, roundNonce, deadlines, globalModelHash, maxWeight, at: now });
    const g = blobOf(Uint8Array.from(weightBytes(this.global)));
    if (!this.cache.has(g.sha256)) this.cache.set(g.sha256, g.bytes);
    const lr = roundLearningRate(this.config, round);
    const rc = this.strategy.configureRound({ round, learningRate: lr, proxMu: 0 });
    const body = {
      planHash: this.planHash,
      globalModelHash,
      manifestHash: this.manifestHash,
      roundPublicKey,
      roundNonce,
      deadlines,
      secagg: sa.enabled ? { quantBits: sa.quantBits, clip: sa.clip, maxWeight } : null,
      dp: dp ? { mode: this.config.dp.mode as "central" | "distributed", clipNorm: this.config.dp.clipNorm as number, noiseMultiplier: this.config.dp.noiseMultiplier as number } : null,
      learningRate: rc.learningRate,
      proxMu: rc.proxMu,
    };
    const deadline = sa.enabled ? deadlines.advertise : deadlines.train;
    for (const n of selected) this.task(s, n, "round.start", { round, attempt }, body, now, deadline);
    this.event(s, now, { type: "phase", round, attempt, phase: sa.enabled ? "advertise" : "collect", members: selected });
  }

  private freezeU1(s: Step, a: Attempt, now: number): boolean {
    const u1 = secagg.freezeU1([...a.adverts.values()].map((x) => x.advert));
    const members = u1.members.map((m) => m.nodeId);
    this.emit(s, { kind: "set.frozen", round: a.round, attempt: a.attempt, set: "u1", members, t: u1.t, at: now });
    this.dropouts(s, a, now, "advertise", a.selected, members);
    const adverts = members.map((m) => a.adverts.get(m)?.frame as string);
    for (const n of members) this.task(s, n, "secagg.u1", a, { n: u1.n, t: u1.t, adverts }, now, a.deadlines.share);
    this.event(s, now, { type: "phase", round: a.round, attempt: a.attempt, phase: "share", members });
    return true;
  }

  private freezeU2(s: Step, a: Attempt, now: number): boolean {
    const members = (a.u1 as string[]).filter((n) => a.shares.has(n));
    this.emit(s, { kind: "set.frozen", round: a.round, attempt: a.attempt, set: "u2", members, at: now });
    this.dropouts(s, a, now, "share", a.u1 as string[], members);
    for (const n of members) {
      const shares = members
        .filter((v) => v !== n)
        .map((v) => (a.shares.get(v) as secagg.ShareCipher[]).find((c) => c.to === n) as secagg.ShareCipher)
        .map((c) => ({ from: c.from, nonce: b64(c.nonce), ct: b64(c.ct) }));
      this.task(s, n, "secagg.u2", a, { u2: members, shares }, now, a.deadlines.train);
    }
    this.event(s, now, { type: "phase", round: a.round, attempt: a.attempt, phase: "masked", members });
    return true;
  }

  private freezeU3(s: Step, a: Attempt, now: number): boolean {
    const members = (a.u2 as string[]).filter((n) => a.masked.has(n));
    const deadline = now + this.config.timeouts.unmask * 1000;
    // U3 is persisted before any unmask request (§6.4 MaskedInput)
    this.emit(s, { kind: "set.frozen", round: a.round, attempt: a.attempt, set: "u3", members, deadline, at: now });
    this.dropouts(s, a, now, "masked", a.u2 as string[], members);
    this.event(s, now, { type: "state", state: "aggregating" });
    this.sendU3(s, a, members, now, deadline);
    return true;
  }

  private sendU3(s: Step, a: Attempt, to: string[], now: number, deadline: number): void {
    for (const n of to) this.task(s, n, "secagg.u3", a, { u3: a.u3 as string[], deadline }, now, deadline);
    this.event(s, now, { type: "phase", round: a.round, attempt: a.attempt, phase: "unmask", members: a.u3 as string[] });
  }

  private finishSecAgg(s: Step, a: Attempt, now: number): boolean {
    const u1 = secagg.freezeU1((a.u1 as string[]).map((n) => (a.adverts.get(n) as { advert: secagg.Advert }).advert));
    const u3 = a.u3 as string[];
    const p: secagg.SecAggParams = {
      sessionId: this.sessionId,
      round: a.round,
      attempt: a.attempt,
      roundNonce: unb64(a.roundNonce),
      quantBits: this.config.secureAggregation.quantBits,
      clip: this.config.secureAggregation.clip,
      maxWeight: a.maxWeight,
    };
    const masked = new Map(u3.map((n) => [n, wordsOf(this.cache.get(a.masked.get(n) as string) as Uint8Array)]));
    let res: secagg.UnmaskResult;
    try {
      res = secagg.unmask(u1, a.u2 as string[], u3, masked, [...a.unmask.values()], p);
    } catch (e) {
      if (!(e instanceof FlError)) throw e;
      this.event(s, now, { type: "alert", kind: e.code, severity: "critical", message: e.message });
      return this.resumedFrozen ? this.end(s, now, "failed", e.code) : this.failAttempt(s, a, now, e.code);
    }
    const dp = this.config.dp;
    const m = a.selected.length;
    let mean: Float32Array;
    let z: number | undefined;
    if (dp.mode === "distributed") {
      mean = Float32Array.from(res.sum.subarray(1), (v) => v / m);
      z = (dp.noiseMultiplier as number) * Math.sqrt(u3.length / (a.t as number));
    } else if (dp.mode === "central") {
      mean = noisyMean(res.sum.subarray(1), m, dp.noiseMultiplier as number, dp.clipNorm as number, this.noiseKey(a.round));
      z = dp.noiseMultiplier;
    } else mean = res.meanDelta;
    const maxNorm = this.config.validation.maxUpdateNorm;
    if (mean.some((v) => !Number.isFinite(v)) || (maxNorm !== undefined && dp.mode === "off" && l2(mean) > maxNorm)) {
      this.event(s, now, { type: "alert", kind: "fl.aggregate.invalid", severity: "critical", message: `round ${a.round}: aggregate not finite or above the norm bound` });
      return this.failAttempt(s, a, now, "fl.aggregate.invalid");
    }
    return this.checkpoint(s, a, now, mean, u3, z);
  }

  private finishPlain(s: Step, a: Attempt, now: number): boolean {
    const members = sortIds(a.plain).filter((n) => this.plainUpdates.has(n));
    this.emit(s, { kind: "set.frozen", round: a.round, attempt: a.attempt, set: "inputs", members, at: now });
    this.dropouts(s, a, now, "collect", a.selected, members);
    const updates = members.map((n) => this.plainUpdates.get(n) as FitResult);
    const outliers = detectOutliers(updates, a.round);
    for (const o of outliers)
      this.event(s, now, { type: "alert", kind: o.type, severity: "warning", message: `round ${a.round}: ${o.reason} (${o.value})`, nodeId: o.nodeId });
    const use = this.config.validation.excludeOutliers ? updates.filter((u) => !outliers.some((o) => o.nodeId === u.nodeId)) : updates;
    if (use.length === 0) return this.failAttempt(s, a, now, "no acceptable update");
    const dp = this.config.dp;
    let mean: Float32Array;
    if (dp.mode === "central") {
      const sum = new Float64Array(this.global.length);
      for (const u of use) for (let i = 0; i < sum.length; i++) sum[i] += u.delta[i];
      mean = noisyMean(sum, a.selected.length, dp.noiseMultiplier as number, dp.clipNorm as number, this.noiseKey(a.round));
    } else mean = this.strategy.aggregateFit(use);
    return this.checkpoint(s, a, now, mean, use.map((u) => u.nodeId), dp.mode === "central" ? dp.noiseMultiplier : undefined);
  }

  private noiseKey(round: number): Uint8Array {
    return flDerive(this.deps.dpNoiseKey as Uint8Array, `dpnoise/${this.sessionId}/r${round}`);
  }

  /** §1.8 item 7, one commit: weights, strategy state, DP state, metrics, next state. */
  private checkpoint(s: Step, a: Attempt, now: number, mean: Float32Array, participants: string[], z?: number): boolean {
    const next = this.strategy.applyAggregate(this.global, mean);
    const hash = modelHash(next); // also normalises −0
    const g = blobOf(Uint8Array.from(weightBytes(next)));
    s.blobs.push(g);
    this.cache.set(g.sha256, g.bytes);
    const strategyState: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.strategy.state())) {
      const b = blobOf(Uint8Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
      s.blobs.push(b);
      strategyState[k] = b.sha256;
    }
    const dpNoise = z === undefined ? this.dpNoise : [...this.dpNoise, z];
    const evals = [...a.evals.values()];
    const epsilonAfter = this.accountant && z !== undefined ? this.accountant.peek(z).epsilon : undefined;
    const metrics: RoundMetrics = {
      participants,
      dropouts: a.selected.filter((n) => !participants.includes(n)),
      ...(evals.length && this.config.model.classes.length === 2 ? { fedEval: poolReports(evals) } : {}),
      ...(epsilonAfter !== undefined ? { epsilon: epsilonAfter } : {}),
    };
    let done = a.round >= this.config.rounds;
    let reason: string | undefined;
    const maxEps = this.config.dp.maxEpsilon;
    // stop before a round that would exceed maxEpsilon (§8.1)
    if (!done && z !== undefined && maxEps !== undefined && accountantOf(this.config, dpNoise).peek(z).epsilon > maxEps)
      [done, reason] = [true, "privacy-budget"];
    this.global = next;
    this.emit(s, {
      kind: "round.checkpoint",
      round: a.round,
      attempt: a.attempt,
      globalBlob: g.sha256,
      modelHash: hash,
      strategyState,
      dpNoise,
      metrics,
      next: done ? "completed" : "running",
      ...(reason ? { reason } : {}),
      at: now,
    });
    this.roundKey = undefined;
    this.resumedFrozen = false;
    this.event(s, now, { type: "round", round: a.round, attempt: a.attempt, modelHash: hash, metrics });
    if (done) {
      this.event(s, now, { type: "state", state: "completed", reason });
      for (const n of this.accepted()) this.task(s, n, "session.end", null, { status: "completed", finalModelHash: hash }, now);
    }
    return true;
  }

  private failAttempt(s: Step, a: Attempt, now: number, reason: string): boolean {
    const retryAt = now + this.config.timeouts.retryDelay * 1000;
    this.abortTasks(s, now, reason);
    this.emit(s, { kind: "attempt.ended", round: a.round, attempt: a.attempt, outcome: "failed", reason, retryAt, at: now });
    this.roundKey = undefined;
    this.event(s, now, { type: "alert", kind: "fl.round.attempt-failed", severity: "warning", message: `round ${a.round} attempt ${a.attempt}: ${reason}` });
    if (this.failedAttempts >= this.config.timeouts.maxAttempts)
      this.end(s, now, "failed", `round ${a.round}: ${this.failedAttempts} attempts failed (${reason})`);
    return true;
  }

  private abortTasks(s: Step, now: number, reason: string): void {
    const a = this.att;
    if (a) for (const n of a.selected) this.task(s, n, "round.abort", a, { reason }, now);
  }

  private end(s: Step, now: number, status: "failed" | "cancelled", reason: string): boolean {
    this.emit(s, { kind: "session.ended", status, reason, at: now });
    this.roundKey = undefined;
    this.event(s, now, { type: "state", state: status, reason });
    for (const n of this.accepted()) this.task(s, n, "session.end", null, { status, reason }, now);
    return true;
  }

  /** §1.8: before U3 is frozen the open attempt is abandoned; after, the same attempt resumes. */
  private resume(now: number): Step {
    const s = this.newStep();
    const a = this.att;
    if (TERMINAL.includes(this.status) || this.status === "pending") return s;
    if (a?.phase === "unmask") {
      this.resumedFrozen = true;
      a.unmaskDeadline = now + this.config.timeouts.unmask * 1000;
      this.sendU3(s, a, (a.u3 as string[]).filter((n) => !a.unmask.has(n)), now, a.unmaskDeadline);
    } else if (a) {
      const retryAt = now + this.config.timeouts.resumeGrace * 1000;
      this.emit(s, { kind: "attempt.ended", round: a.round, attempt: a.attempt, outcome: "abandoned", reason: "server-restart", retryAt, at: now });
      this.awaitingReconnect = new Set(a.selected);
      this.event(s, now, { type: "state", state: "running", reason: `resuming round ${a.round} after a server restart` });
    }
    this.advance(s, now);
    return s;
  }

  // ---------------------------------------------------------------- helpers

  private newStep(): Step {
    return { records: [], blobs: [], tasks: [], events: [] };
  }

  private emit(s: Step, r: SessionRecord): void {
    s.records.push(r);
    this.apply(r);
  }

  private event(s: Step, at: number, e: EventBody): void {
    s.events.push({ sessionId: this.sessionId, at, ...e } as SessionEvent);
  }

  private task(
    s: Step,
    nodeId: string,
    type: TaskType,
    ctx: { round: number; attempt: number } | null,
    body: unknown,
    now: number,
    deadline?: number,
  ): void {
    const frame = signFrame(this.signer, "server", nodeId, type, { sessionId: this.sessionId, round: ctx?.round ?? null, attempt: ctx?.attempt ?? null }, body, now);
    s.tasks.push({ nodeId, type, frame, ...(deadline !== undefined ? { deadline } : {}) });
  }

  private dropouts(s: Step, a: Attempt, now: number, phase: Phase, before: string[], after: string[]): void {
    const gone = before.filter((n) => !after.includes(n));
    if (gone.length) this.event(s, now, { type: "dropout", round: a.round, attempt: a.attempt, phase, nodes: gone });
  }

  private refuse(s: Step, now: number, error: WireError, reason: string, nodeId?: string): Step {
    this.event(s, now, { type: "refused", nodeId, error, reason });
    if (nodeId && error !== "duplicate") {
      // five or more refusals from one node within 10 minutes raise an alert (§5.3)
      const times = (this.refusals.get(nodeId) ?? []).filter((t) => t > now - REFUSAL_WINDOW_MS);
      times.push(now);
      this.refusals.set(nodeId, times);
      if (times.length === 5)
        this.event(s, now, { type: "alert", kind: "fl.node.refusals", severity: "critical", message: `5 refused frames within 10 minutes (last: ${error})`, nodeId });
    }
    s.reply = { status: WIRE_STATUS[error], error, reason };
    return s;
  }
}
