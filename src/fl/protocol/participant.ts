// Node side of networked federated training (federated-learning.md §1.3, §1.5, §5.3–5.5, §6.4):
// verifies every server frame against the pinned server key, accepts only plans its hospital
// approved, trains on its local data in a worker thread (the trainer pool) while the secure-
// aggregation key rounds run, and answers each task with its own signed frames.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { decodeFrame, type Frame, verifyFrameSignature, bodyDigestOk } from "../../crypto/frame.ts";
import { x25519PublicFromB64u } from "../../crypto/envelope.ts";
import { flDerive, flSeedBytes, Prg } from "../../crypto/prg.ts";
import type { BackendName } from "../backend.ts";
import type { Dataset } from "../dataset.ts";
import { clipUpdate } from "../dp.ts";
import { FlError } from "../errors.ts";
import { evalReport } from "../fedeval.ts";
import { type NodeIdentity, type RoundTicket, sealUpdate } from "../messages.ts";
import { buildCnn, type CnnOptions, manifestHash, manifestOf, setFlat } from "../model.ts";
import * as secagg from "../secagg.ts";
import { predict, type TrainResult } from "../train.ts";
import { type Trainer, workerTrainer } from "../trainer-pool.ts";
import { l2 } from "../validate.ts";
import { cnnOptions, parseSessionConfig, planHash, type SessionConfig } from "./config.ts";
import {
  authenticate,
  b64,
  bodies,
  type FrameContext,
  jsonBody,
  type RoundStartBody,
  signFrame,
  unb64,
  WireRefusal,
} from "./wire.ts";

export interface LocalDataset {
  /** matched against the session's `dataset.tag` (§4.1) */
  tag: string;
  train: Dataset;
  val?: Dataset;
}

export interface ParticipantOptions {
  nodeId: string;
  /** Ed25519 private key certified by the consortium CA (§5.2) */
  signKey: KeyObject;
  /** 32 random bytes kept with the node identity: stochastic rounding and DP noise (§1.7) */
  nodeSecret: Uint8Array;
  /** the server's FL signing public key, pinned at enrolment */
  serverKey: KeyObject;
  /** CA-certified Ed25519 public keys of the other nodes, to verify their adverts (§6.4) */
  peerKey: (nodeId: string) => KeyObject | undefined;
  datasets: LocalDataset[];
  /** the hospital-admin's decision on a plan (§1.3), e.g. "planHash is in my approvals" */
  approve: (offer: { sessionId: string; planHash: string; config: SessionConfig }) => boolean;
  /** content-addressed fetch of the global model (/fl/v1/fetch); the hash is verified here */
  fetchBlob: (sha256: string) => Promise<Uint8Array>;
  /** wall clock for frame timestamps and the server-frame skew check */
  clock?: () => number;
  backend?: BackendName;
  /** default: one worker thread with this node's training data (§2.5) */
  makeTrainer?: (model: CnnOptions, train: Dataset, backend: BackendName) => Promise<Trainer>;
}

export interface IncomingTask {
  type?: string;
  frame: Uint8Array;
}

interface Current {
  round: number;
  attempt: number;
  start: RoundStartBody;
  ticket: RoundTicket;
  global: Float32Array;
  train: Promise<TrainResult>;
  node?: secagg.SecAggNode;
  advert?: secagg.Advert;
  params?: secagg.SecAggParams;
  u1?: secagg.U1;
  u2?: string[];
}

interface Session {
  id: string;
  config: SessionConfig;
  planHash: string;
  seedBytes: Uint8Array;
  data: LocalDataset;
  trainer?: Promise<Trainer>;
  /** Δ per (round, base model hash): a re-run attempt needs no retraining (§4.4) */
  deltas: Map<string, Promise<TrainResult>>;
  /** per round: the highest attempt seen and the U3 hash answered (§1.8, nodes persist these) */
  rounds: Map<number, { attempt: number; u3?: string }>;
  current?: Current;
  ended: boolean;
}

export class Participant {
  readonly nodeId: string;
  private readonly identity: NodeIdentity;
  private readonly sessions = new Map<string, Session>();
  private readonly declined = new Set<string>();
  private lastServerSeq: number | undefined;
  private evalModel?: { opts: string; model: ReturnType<typeof buildCnn> };
  private readonly clock: () => number;
  private readonly publicKey: KeyObject;

  constructor(private readonly o: ParticipantOptions) {
    this.nodeId = o.nodeId;
    this.publicKey = createPublicKey(o.signKey);
    this.identity = { nodeId: o.nodeId, signKey: o.signKey, seq: 0 };
    this.clock = o.clock ?? Date.now;
  }

  /** One server task; resolves with the frames to send back (possibly none). Refusals throw FlError/WireRefusal. */
  async handle(task: IncomingTask): Promise<Uint8Array[]> {
    const f = this.verifyServerFrame(task.frame);
    const h = f.header;
    if (task.type !== undefined && task.type !== h.type)
      throw new WireRefusal("bad-frame", `task type ${task.type} differs from the signed ${h.type}`);
    if (h.type === "session.offer") return this.onOffer(f);
    const s = this.sessions.get(h.sessionId ?? "");
    if (!s) throw new WireRefusal("plan-not-approved", `this node did not accept session ${h.sessionId}`);
    switch (h.type) {
      case "round.start":
        return this.onRoundStart(s, f);
      case "secagg.u1":
        return this.onU1(s, f);
      case "secagg.u2":
        return this.onU2(s, f);
      case "secagg.u3":
        return this.onU3(s, f);
      case "round.abort":
        jsonBody(f, bodies.abort);
        if (s.current && s.current.round === h.round && s.current.attempt === h.attempt) s.current = undefined;
        return [];
      case "session.end":
        return this.onEnd(s, f);
      default:
        throw new WireRefusal("bad-frame", `unknown task ${h.type}`);
    }
  }

  /** Round secrets are dropped; the trainer threads stop. */
  async close(): Promise<void> {
    for (const s of this.sessions.values()) await this.closeSession(s);
    this.evalModel?.model.dispose();
    this.evalModel = undefined;
  }

  // ---------------------------------------------------------------- server frames

  /** §5.3 against the pinned server key and the per-node server seq; the seq advances only here. */
  private verifyServerFrame(bytes: Uint8Array): Frame {
    const auth = authenticate(bytes, {
      sender: "server",
      nodeId: undefined,
      key: () => this.o.serverKey,
      lastSeq: this.lastServerSeq,
      now: this.clock(),
      maxBytes: 16 * 1024 * 1024,
    });
    if (!auth.ok) throw new WireRefusal(auth.error, auth.reason);
    if (auth.frame.header.nodeId !== this.nodeId)
      throw new WireRefusal("bad-signature", `task addressed to ${auth.frame.header.nodeId}`);
    if (!bodyDigestOk(auth.frame)) throw new WireRefusal("bad-frame", "body digest mismatch");
    this.lastServerSeq = auth.frame.header.seq;
    return auth.frame;
  }

  private send(type: string, ctx: FrameContext, body: unknown): Uint8Array {
    return signFrame(this.identity, "node", this.nodeId, type, ctx, body, this.clock());
  }

  // ---------------------------------------------------------------- tasks

  private onOffer(f: Frame): Uint8Array[] {
    const b = jsonBody(f, bodies.offer);
    const sessionId = f.header.sessionId as string;
    const ctx = { sessionId, round: null, attempt: null };
    const decline = (reason: string) => {
      this.declined.add(sessionId);
      return [this.send("session.decline", ctx, { planHash: b.planHash, reason })];
    };
    let config: SessionConfig;
    try {
      config = parseSessionConfig(b.config);
    } catch (e) {
      return decline(`invalid plan: ${(e as Error).message}`);
    }
    // the plan hash is recomputed here: the node approves what it will actually run
    const model = buildCnn(cnnOptions(config));
    const mHash = manifestHash(manifestOf(model));
    model.dispose();
    if (mHash !== b.manifestHash || planHash(config, mHash) !== b.planHash || config.seed !== b.seed)
      return decline("plan hash does not match the plan");
    const data = this.o.datasets.find((d) => d.tag === config.dataset.tag);
    if (!data || data.train.n < config.dataset.minExamples) return decline("no-match");
    if (data.train.classes !== config.model.classes.length || data.train.h !== config.model.inputSize || data.train.c !== config.model.channels)
      return decline("no-match: classes or image size differ");
    if (!this.o.approve({ sessionId, planHash: b.planHash, config })) return decline("plan not approved by the hospital");
    this.sessions.set(sessionId, {
      id: sessionId,
      config,
      planHash: b.planHash,
      seedBytes: flSeedBytes(b.seed),
      data,
      deltas: new Map(),
      rounds: new Map(),
      ended: false,
    });
    return [this.send("session.accept", ctx, { planHash: b.planHash, n: data.train.n, backend: this.o.backend ?? "wasm" })];
  }

  private async onRoundStart(s: Session, f: Frame): Promise<Uint8Array[]> {
    const b = jsonBody(f, bodies.roundStart);
    const round = f.header.round as number;
    const attempt = f.header.attempt as number;
    if (s.ended) throw new WireRefusal("stale-round", "session ended");
    if (b.planHash !== s.planHash) throw new WireRefusal("plan-not-approved", "round.start names another plan");
    const seen = s.rounds.get(round);
    if (seen && attempt <= seen.attempt) throw new WireRefusal("stale-round", `attempt ${attempt} not above ${seen.attempt}`);
    if ((s.current && round < s.current.round) || !Number.isInteger(round) || round < 1)
      throw new WireRefusal("stale-round", `round ${round}`);
    if (b.secagg === null && s.config.secureAggregation.enabled)
      throw new WireRefusal("plan-not-approved", "secure aggregation required by the approved plan");
    s.rounds.set(round, { attempt, u3: seen?.u3 });
    const bytes = await this.o.fetchBlob(b.globalModelHash);
    if (createHash("sha256").update(bytes).digest("hex") !== b.globalModelHash)
      throw new FlError("MODEL_HASH_MISMATCH", "fetched global model does not match its hash");
    const global = new Float32Array(Uint8Array.from(bytes).buffer);
    const ticket: RoundTicket = {
      sessionId: s.id,
      round,
      attempt,
      roundPublicKey: x25519PublicFromB64u(b.roundPublicKey),
      roundNonce: unb64(b.roundNonce),
      baseModelHash: b.globalModelHash,
      manifestHash: b.manifestHash,
      quant: b.secagg ? { bits: b.secagg.quantBits, clip: b.secagg.clip } : undefined,
    };
    const cur: Current = { round, attempt, start: b, ticket, global, train: this.train(s, round, global, b) };
    s.current = cur;
    const ctx = { sessionId: s.id, round, attempt };
    const out: Uint8Array[] = [];
    const ev = this.evaluate(s, global, b.globalModelHash);
    if (b.secagg) {
      cur.params = { sessionId: s.id, round, attempt, roundNonce: ticket.roundNonce, ...b.secagg };
      const a = secagg.advertise(this.nodeId, this.o.nodeSecret);
      cur.node = a.node;
      cur.advert = a.advert;
      out.push(this.send("secagg.advertise", ctx, { cPk: a.advert.cPk, sPk: a.advert.sPk, bCommit: a.advert.bCommit }));
      if (ev) out.push(this.send("eval.report", ctx, ev));
      return out;
    }
    if (ev) out.push(this.send("eval.report", ctx, ev));
    const r = await cur.train;
    if (s.current !== cur) return out; // aborted or superseded while training
    const delta = this.finalDelta(s, cur, r.delta, undefined);
    out.push(sealUpdate(this.identity, ticket, { type: "plain.update", delta, n: b.dp ? 1 : r.n }, this.clock()));
    return out;
  }

  /** ShareKeys: every advert is checked against the consortium-certified keys, not the server's word. */
  private onU1(s: Session, f: Frame): Uint8Array[] {
    const cur = this.currentFor(s, f);
    const b = jsonBody(f, bodies.u1);
    const adverts: secagg.Advert[] = b.adverts.map((x) => this.verifyAdvert(s, cur, unb64(x)));
    if (new Set(adverts.map((a) => a.nodeId)).size !== adverts.length) throw new FlError("fl.secagg.bad-set", "duplicate node in U1");
    const u1 = secagg.freezeU1(adverts);
    if (u1.n !== b.n || u1.t !== b.t) throw new FlError("fl.secagg.bad-set", `server claims n=${b.n} t=${b.t}, adverts give n=${u1.n} t=${u1.t}`);
    if (!u1.index.has(this.nodeId)) throw new FlError("fl.secagg.bad-set", "this node is not in U1");
    const node = cur.node as secagg.SecAggNode;
    cur.u1 = u1;
    const shares = secagg.shareKeys(node, u1, cur.params as secagg.SecAggParams);
    return [
      this.send("secagg.share", { sessionId: s.id, round: cur.round, attempt: cur.attempt }, {
        shares: shares.map((c) => ({ to: c.to, nonce: b64(c.nonce), ct: b64(c.ct) })),
      }),
    ];
  }

  private verifyAdvert(s: Session, cur: Current, bytes: Uint8Array): secagg.Advert {
    let f: Frame;
    try {
      f = decodeFrame(bytes);
    } catch {
      throw new FlError("fl.secagg.bad-advert", "advert is not a frame");
    }
    const h = f.header;
    const own = h.nodeId === this.nodeId;
    const key = own ? this.publicKey : this.o.peerKey(h.nodeId);
    if (!key || !verifyFrameSignature(f, key))
      throw new FlError("fl.secagg.bad-advert", `advert of ${h.nodeId} is not signed by its certified key`);
    if (h.sender !== "node" || h.type !== "secagg.advertise" || h.sessionId !== s.id || h.round !== cur.round || h.attempt !== cur.attempt || !bodyDigestOk(f))
      throw new FlError("fl.secagg.bad-advert", `advert of ${h.nodeId} is for another round or altered`);
    const body = jsonBody(f, bodies.advertise);
    const mine = cur.advert as secagg.Advert;
    if (own && (body.cPk !== mine.cPk || body.sPk !== mine.sPk || body.bCommit !== mine.bCommit))
      throw new FlError("fl.secagg.bad-advert", "the server altered this node's own advert");
    return { nodeId: h.nodeId, ...body };
  }

  private onU2(s: Session, f: Frame): Promise<Uint8Array[]> {
    const cur = this.currentFor(s, f);
    const b = jsonBody(f, bodies.u2);
    const u1 = cur.u1;
    if (!u1) throw new WireRefusal("wrong-phase", "secagg.u2 before secagg.u1");
    if (!b.u2.includes(this.nodeId) || !b.u2.every((v) => u1.index.has(v)) || b.u2.length < u1.t || new Set(b.u2).size !== b.u2.length)
      throw new FlError("fl.secagg.bad-set", "U2 must be a subset of U1 with |U2| ≥ t containing this node");
    const from = b.shares.map((x) => x.from).sort();
    const want = b.u2.filter((v) => v !== this.nodeId).sort();
    if (from.join("\n") !== want.join("\n")) throw new FlError("fl.secagg.bad-set", "one share from every other U2 member is required");
    const node = cur.node as secagg.SecAggNode;
    const params = cur.params as secagg.SecAggParams;
    secagg.receiveShares(node, u1, params, b.shares.map((x) => ({ from: x.from, to: this.nodeId, nonce: unb64(x.nonce), ct: unb64(x.ct) })));
    cur.u2 = b.u2;
    return this.maskedInput(s, cur, node, u1, b.u2, params);
  }

  private async maskedInput(s: Session, cur: Current, node: secagg.SecAggNode, u1: secagg.U1, u2: string[], params: secagg.SecAggParams): Promise<Uint8Array[]> {
    const r = await cur.train;
    if (s.current !== cur) return [];
    const delta = this.finalDelta(s, cur, r.delta, u1.t);
    const y = secagg.maskedInput(node, u1, u2, params, delta, cur.start.dp ? 1 : r.n);
    return [sealUpdate(this.identity, cur.ticket, { type: "secagg.masked", masked: y }, this.clock())];
  }

  /** Unmask, with the local U3 rule (§1.8): one U3 per (session, round), and never an older attempt. */
  private onU3(s: Session, f: Frame): Uint8Array[] {
    const cur = this.currentFor(s, f);
    const b = jsonBody(f, bodies.u3);
    if (!cur.u1 || !cur.u2 || !cur.node) throw new WireRefusal("wrong-phase", "secagg.u3 before secagg.u2");
    const h = secagg.u3Hash(b.u3);
    const seen = s.rounds.get(cur.round);
    if (seen?.u3 !== undefined && seen.u3 !== h) throw new FlError("unmask-conflict", "this node already answered for a different U3 in this round");
    const resp = secagg.unmaskResponse(cur.node, cur.u1, cur.u2, b.u3);
    s.rounds.set(cur.round, { attempt: cur.attempt, u3: h });
    return [
      this.send("secagg.unmask", { sessionId: s.id, round: cur.round, attempt: cur.attempt }, {
        bShares: resp.bShares.map((x) => ({ of: x.of, y: b64(x.y) })),
        sShares: resp.sShares.map((x) => ({ of: x.of, y: b64(x.y) })),
      }),
    ];
  }

  private async onEnd(s: Session, f: Frame): Promise<Uint8Array[]> {
    const b = jsonBody(f, bodies.end);
    s.ended = true;
    s.current = undefined;
    const out: Uint8Array[] = [];
    if (b.status === "completed" && b.finalModelHash) {
      const bytes = await this.o.fetchBlob(b.finalModelHash);
      if (createHash("sha256").update(bytes).digest("hex") !== b.finalModelHash)
        throw new FlError("MODEL_HASH_MISMATCH", "fetched final model does not match its hash");
      const ev = this.evaluate(s, new Float32Array(Uint8Array.from(bytes).buffer), b.finalModelHash);
      if (ev) out.push(this.send("eval.report", { sessionId: s.id, round: null, attempt: null }, ev));
    }
    await this.closeSession(s);
    return out;
  }

  // ---------------------------------------------------------------- local work

  private currentFor(s: Session, f: Frame): Current {
    const cur = s.current;
    if (!cur || f.header.round !== cur.round || f.header.attempt !== cur.attempt)
      throw new WireRefusal("stale-round", `task for r${f.header.round} a${f.header.attempt}, current ${cur ? `r${cur.round} a${cur.attempt}` : "none"}`);
    return cur;
  }

  private train(s: Session, round: number, global: Float32Array, b: RoundStartBody): Promise<TrainResult> {
    const key = `${round}/${b.globalModelHash}`;
    const cached = s.deltas.get(key);
    if (cached) return cached;
    s.trainer ??= (this.o.makeTrainer ?? ((m, t, be) => workerTrainer(m, [t], be, 1)))(cnnOptions(s.config), s.data.train, this.o.backend ?? "wasm");
    const c = s.config;
    const job = s.trainer.then((t) =>
      t.train(0, global, {
        round,
        nodeId: this.nodeId,
        seedBytes: s.seedBytes,
        epochs: c.localEpochs,
        maxSteps: c.maxLocalSteps,
        batchSize: c.batchSize,
        optimizer: c.optimizer.name,
        learningRate: b.learningRate,
        momentum: c.optimizer.momentum,
        proxMu: b.proxMu,
        shiftPx: c.augment.shiftPx,
      }),
    );
    s.deltas.set(key, job);
    job.catch(() => s.deltas.delete(key));
    return job;
  }

  /** DP clipping and distributed noise on a copy (the cached Δ stays as trained), then the self-check (§7.3). */
  private finalDelta(s: Session, cur: Current, trained: Float32Array, t: number | undefined): Float32Array {
    const delta = Float32Array.from(trained);
    const dp = cur.start.dp;
    if (dp) clipUpdate(delta, dp.clipNorm);
    if (dp?.mode === "distributed" && t !== undefined) {
      // §8.3: N(0, z²S²/t) from this node's secret PRG, before masking
      const sd = (dp.noiseMultiplier * dp.clipNorm) / Math.sqrt(t);
      const prg = new Prg(flDerive(this.o.nodeSecret, `dpnoise/${s.id}/r${cur.round}`));
      for (let i = 0; i < delta.length; i++) delta[i] += sd * prg.normal();
    }
    // distributed noise is added after clipping, so only the plain norm bound applies then
    const max = dp ? (dp.mode === "distributed" ? undefined : dp.clipNorm * (1 + 1e-6)) : s.config.validation.maxUpdateNorm;
    if (delta.some((v) => !Number.isFinite(v)) || (max !== undefined && l2(delta) > max))
      throw new FlError("invalid-update", "the local update failed this node's self-check");
    return delta;
  }

  /** Federated evaluation of the incoming model on the local validation split (§1.5 step 6, binary tasks). */
  private evaluate(s: Session, weights: Float32Array, hash: string) {
    const val = s.data.val;
    if (!val || val.n === 0 || s.config.model.classes.length !== 2) return undefined;
    const opts = cnnOptions(s.config);
    const key = JSON.stringify(opts);
    if (this.evalModel?.opts !== key) {
      this.evalModel?.model.dispose();
      this.evalModel = { opts: key, model: buildCnn(opts) };
    }
    setFlat(this.evalModel.model, weights);
    return { modelHash: hash, report: evalReport(predict(this.evalModel.model, val), val) };
  }

  private async closeSession(s: Session): Promise<void> {
    const t = s.trainer;
    s.trainer = undefined;
    if (t) await (await t).close();
  }
}
