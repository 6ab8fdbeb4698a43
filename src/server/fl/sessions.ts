// Training sessions on the server (issue 7): one Coordinator per session, driven by the node hub
// and a clock. Each step is committed (blobs, then records) before its tasks leave (§1.8); node
// replies come back as protocol frames; events go to SSE listeners, alerts and the audit log.
// On start every unfinished session is restored from its records and resumes (§1.8).
import { createHash, type KeyObject, randomUUID, X509Certificate } from "node:crypto";
import { zipSync } from "fflate";
import { initBackend, tf } from "../../fl/backend.ts";
import { FlError } from "../../fl/errors.ts";
import { buildCnn, saveModel, setFlat, weightBytes } from "../../fl/model.ts";
import { exportOnnx } from "../../fl/onnx.ts";
import {
  cnnOptions,
  Coordinator,
  type SessionEvent,
  type Step,
} from "../../fl/protocol/index.ts";
import { encodeTask, FL_TASK, taskReplyFrames } from "../../fl/protocol/hub.ts";
import type { NewEntry } from "../../ledger/index.ts";
import { userPseudonym } from "../../tracing/keys.ts";
import type { ServerContext } from "../context.ts";
import { badRequest, conflict, forbidden, HttpError, notFound } from "../errors.ts";
import { serverFlSigningKey } from "../nodes/keys.ts";
import { seesEverySession } from "./access.ts";
import { DbSessionStore } from "./store.ts";

/** The protocol's events, and one the server adds: a node's final evaluation arrived. It is a record
 * with no protocol event, and without it a live view would not learn that finalEval changed. */
export type ServerSessionEvent = SessionEvent | { type: "final.eval"; sessionId: string; at: number; nodeId: string };
export type Listener = (e: ServerSessionEvent) => void;

interface Live {
  c: Coordinator;
  owner: string;
  queue: Promise<void>;
  listeners: Set<Listener>;
  released: boolean;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export class FlSessions {
  private readonly live = new Map<string, Live>();
  private readonly store: DbSessionStore;
  private nodeKeys = new Map<string, KeyObject>();
  private nodeCerts = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private keyTimer?: NodeJS.Timeout;
  private readonly serverKey: KeyObject;

  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: { tickMs?: number } = {},
  ) {
    this.store = new DbSessionStore(ctx.database.db, ctx.config.dataDir);
    this.serverKey = serverFlSigningKey(ctx.master);
  }

  /** Restores every unfinished session and starts the clock. */
  async init(): Promise<void> {
    const rows = await this.ctx.database.db.selectFrom("fl_sessions").selectAll().execute();
    const open = rows.filter((r) => !TERMINAL.has(r.state));
    await this.loadNodeKeys();
    if (open.length) await this.ready();
    for (const r of open) {
      const { coordinator, step } = await Coordinator.restore(this.store, r.id, this.deps(), Date.now());
      this.live.set(r.id, { c: coordinator, owner: r.created_by, queue: Promise.resolve(), listeners: new Set(), released: false });
      void this.enqueue(r.id, step).catch(() => {}); // a storage failure is raised as an alert
    }
    this.timer = setInterval(() => this.tickAll(), this.opts.tickMs ?? 1000);
    this.timer.unref();
    // enrolments and revocations reach running sessions within this period
    this.keyTimer = setInterval(() => void this.loadNodeKeys().catch(() => {}), 30_000);
    this.keyTimer.unref();
  }

  async create(userId: string, input: unknown): Promise<{ id: string; planHash: string; seed: string; state: string; warnings: string[] }> {
    await this.ready();
    await this.loadNodeKeys();
    const id = randomUUID();
    const candidates = (this.ctx.hub?.connectedNodes() ?? []).map((n) => n.nodeId).filter((n) => this.nodeKeys.has(n));
    let made: ReturnType<typeof Coordinator.create>;
    try {
      made = Coordinator.create(input, this.deps(), { sessionId: id, candidates, now: Date.now() });
    } catch (e) {
      if (e instanceof FlError) throw badRequest(e.message, e.code === "CONFIG_INVALID" ? "validation" : e.code);
      throw e;
    }
    const c = made.coordinator;
    const now = new Date().toISOString();
    await this.ctx.database.db
      .insertInto("fl_sessions")
      .values({ id, created_by: userId, created_at: now, updated_at: now, state: c.status, plan_hash: c.planHash, model_hash: null })
      .execute();
    this.live.set(id, { c, owner: userId, queue: Promise.resolve(), listeners: new Set(), released: false });
    await this.enqueue(id, made.step);
    const warnings: string[] = [];
    if (!c.config.secureAggregation.enabled) warnings.push("secure aggregation: OFF (every hospital's update is seen in clear by the server)");
    if (candidates.length < c.config.nodes.min) warnings.push(`${candidates.length} eligible nodes connected, nodes.min is ${c.config.nodes.min}`);
    await this.ctx.audit.record({ action: "fl.session.create", outcome: "success", actor: { userId }, entity: { type: "fl-session", id }, detail: { planHash: c.planHash, secureAggregation: c.config.secureAggregation.enabled, candidates } });
    return { id, planHash: c.planHash, seed: c.seed, state: c.status, warnings };
  }

  /** The session, if this user may see it (its creator, a consortium-admin or a dpo). */
  async get(id: string, user: { id: string; roles: string[] }): Promise<Live> {
    const l = this.live.get(id) ?? (await this.restoreFinished(id));
    if (!l) throw notFound(`no training session ${id}`);
    if (l.owner !== user.id && !seesEverySession(user))
      throw forbidden("only the session's creator, a consortium-admin or a dpo may see it");
    return l;
  }

  async start(id: string, user: { id: string; roles: string[] }): Promise<void> {
    const l = await this.get(id, user);
    this.owned(l, user);
    await this.transition(id, () => {
      try {
        return l.c.start(Date.now());
      } catch (e) {
        if (e instanceof FlError) throw conflict(e.message);
        throw e;
      }
    });
  }

  async cancel(id: string, user: { id: string; roles: string[] }): Promise<void> {
    const l = await this.get(id, user);
    if (l.owner !== user.id && !user.roles.includes("consortium-admin")) throw forbidden("only the creator or a consortium-admin may cancel");
    await this.transition(id, () => l.c.cancel(Date.now(), `cancelled by ${user.id}`));
  }

  subscribe(id: string, fn: Listener): () => void {
    const l = this.live.get(id) as Live;
    l.listeners.add(fn);
    return () => l.listeners.delete(fn);
  }

  /** The model of the last checkpoint as tfjs (zip of model.json + weights.bin) or ONNX bytes. */
  async model(id: string, user: { id: string; roles: string[] }, format: "tfjs" | "onnx"): Promise<{ bytes: Uint8Array; contentType: string; filename: string }> {
    const l = await this.get(id, user);
    this.owned(l, user);
    const v = l.c.view();
    if (v.history.length === 0) throw new HttpError(409, "no-model", "no round has completed yet");
    await this.ready();
    const m = l.c.model();
    const model = buildCnn(cnnOptions(l.c.config));
    try {
      setFlat(model, m.weights);
      const meta = { sessionId: id, round: m.round, planHash: l.c.planHash, classes: l.c.config.model.classes, incomplete: v.state !== "completed" };
      if (format === "onnx") {
        const bytes = exportOnnx(model, { "medtrace.modelHash": m.modelHash, "medtrace.classes": JSON.stringify(l.c.config.model.classes) });
        return { bytes, contentType: "application/octet-stream", filename: `${id}.onnx` };
      }
      const a = await saveModel(model, meta);
      const zip = zipSync({ "model.json": Buffer.from(JSON.stringify(a.modelJson)), "weights.bin": a.weightsBin });
      return { bytes: zip, contentType: "application/zip", filename: `${id}-tfjs.zip` };
    } finally {
      model.dispose();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.keyTimer);
    await Promise.allSettled([...this.live.values()].map((l) => l.queue));
  }

  // ---------------------------------------------------------------- driving

  private deps() {
    return { serverKey: this.serverKey, nodeKey: (n: string) => this.nodeKeys.get(n), autoStart: true };
  }

  /** The coordinator reads a manifest through tfjs: a backend must be up (§2.2; wasm by default). */
  private async ready(): Promise<void> {
    if (!tf.engine().backendName) await initBackend("wasm");
  }

  /** The CA-certified Ed25519 keys of active nodes (their certificates' public keys). */
  private async loadNodeKeys(): Promise<void> {
    const rows = await this.ctx.database.db.selectFrom("nodes").select(["node_id", "cert_pem"]).where("status", "=", "active").execute();
    const keys = new Map<string, KeyObject>();
    const certs = new Map<string, string>();
    for (const r of rows) {
      if (!r.cert_pem) continue;
      const k = new X509Certificate(r.cert_pem).publicKey;
      if (k.asymmetricKeyType !== "ed25519") continue;
      keys.set(r.node_id, k);
      certs.set(r.node_id, r.cert_pem);
    }
    this.nodeKeys = keys;
    this.nodeCerts = certs;
  }

  /** A session that ended before this server started is not held in memory: it is read back from
   * its records when first asked for (view and model), and nothing of its resume step is sent. */
  private async restoreFinished(id: string): Promise<Live | undefined> {
    const row = await this.ctx.database.db.selectFrom("fl_sessions").select(["created_by", "state"]).where("id", "=", id).executeTakeFirst();
    if (!row || !TERMINAL.has(row.state)) return undefined;
    await this.ready();
    const { coordinator } = await Coordinator.restore(this.store, id, this.deps(), Date.now());
    const known = this.live.get(id); // another request restored it meanwhile
    if (known) return known;
    const l: Live = { c: coordinator, owner: row.created_by, queue: Promise.resolve(), listeners: new Set(), released: true };
    this.live.set(id, l);
    return l;
  }

  private owned(l: Live, user: { id: string }): void {
    if (l.owner !== user.id) throw forbidden("only the session's creator may do this");
  }

  /** One coordinator transition and its commit and sends, in one slot of the session's queue:
   * nothing else touches the coordinator between a step and its write-ahead commit (§1.8). */
  private transition(id: string, f: () => Step): Promise<void> {
    const l = this.live.get(id) as Live;
    const run = l.queue.then(() => this.apply(id, l, f()));
    l.queue = run.catch((e) => this.storageFailure(id, e));
    return run;
  }

  private enqueue(id: string, step: Step): Promise<void> {
    return this.transition(id, () => step);
  }

  private async storageFailure(id: string, e: unknown): Promise<void> {
    if (e instanceof HttpError) return; // a refused request, not a storage problem
    await this.ctx.alerts.raise({ kind: "fl.session.storage", severity: "critical", message: `session ${id}: ${(e as Error).message}` }).catch(() => {});
  }

  private async apply(id: string, l: Live, step: Step): Promise<void> {
    if (step.records.length === 0 && step.blobs.length === 0 && step.tasks.length === 0 && step.events.length === 0) return;
    await this.store.commit(id, step.records, step.blobs);
    if (step.records.length) {
      const v = l.c.view();
      await this.ctx.database.db.updateTable("fl_sessions").set({ state: v.state, model_hash: v.modelHash, updated_at: new Date().toISOString() }).where("id", "=", id).execute();
    }
    for (const t of step.tasks) this.send(id, l, t);
    for (const e of step.events) await this.publish(id, l, e);
    for (const r of step.records) if (r.kind === "final.eval") for (const fn of l.listeners) fn({ type: "final.eval", sessionId: id, at: r.at, nodeId: r.nodeId });
    if (l.c.status === "completed" && !l.released) {
      l.released = true;
      await this.release(id, l).catch((e) => this.ctx.alerts.raise({ kind: "fl.release.failed", severity: "warning", message: `session ${id}: ${(e as Error).message}` }));
    }
  }

  private send(id: string, l: Live, t: Step["tasks"][number]): void {
    const hub = this.ctx.hub;
    if (!hub) return;
    const model = t.type === "round.start" || t.type === "session.end" ? weightBytes(l.c.model().weights) : undefined;
    // a node verifies the other nodes' adverts with their CA-certified keys (§6.4): it gets the
    // certificates with the task that carries the adverts
    const peers = t.type === "secagg.u1" ? [...this.nodeCerts.values()] : undefined;
    const timeoutMs = Math.max(1000, (t.deadline ?? Date.now() + 120_000) - Date.now());
    hub
      .call(t.nodeId, FL_TASK, encodeTask(t, model, peers), { timeoutMs })
      .then((r) => {
        for (const frame of taskReplyFrames(r.blobs)) {
          void this.transition(id, () => l.c.handle({ from: t.nodeId, frame }, Date.now())).catch(() => {});
        }
      })
      .catch(() => {
        // an unreachable or refusing node is a dropout; the deadlines decide (§1.6)
      });
  }

  private async publish(id: string, l: Live, e: SessionEvent): Promise<void> {
    for (const fn of l.listeners) fn(e);
    if (e.type === "alert") await this.ctx.alerts.raise({ kind: e.kind, severity: e.severity, message: e.message, detail: { sessionId: id, nodeId: e.nodeId } });
    if (e.type === "refused")
      await this.ctx.audit.record({ action: "fl.frame.refused", outcome: "failure", actor: { nodeId: e.nodeId }, entity: { type: "fl-session", id }, detail: { error: e.error, reason: e.reason } });
    if (e.type === "round" || e.type === "state")
      await this.ctx.audit.record({ action: `fl.${e.type}`, outcome: "success", actor: {}, entity: { type: "fl-session", id }, detail: e.type === "round" ? { round: e.round, modelHash: e.modelHash, participants: e.metrics.participants } : { state: e.state, reason: e.reason } });
  }

  /** Completion: the ledger's model.released entry (ledger.md §6) with both artefact hashes. */
  private async release(id: string, l: Live): Promise<void> {
    const v = l.c.view();
    const owner = { id: l.owner, roles: [] };
    const onnx = await this.model(id, owner, "onnx");
    const metrics: Record<string, string> = {};
    if (v.finalEval) for (const k of ["acc", "auc", "loss"] as const) if (Number.isFinite(v.finalEval[k])) metrics[k] = v.finalEval[k].toFixed(6);
    if (v.epsilon !== null) metrics.epsilon = v.epsilon.toFixed(6);
    const hospitals = [...new Set(v.history.flatMap((h) => h.metrics.participants))].sort();
    const entry: NewEntry<"model.released"> = {
      type: "model.released",
      actor: "system",
      body: {
        sessionId: id,
        recipient: userPseudonym(this.ctx.master, l.owner),
        modelSha256: { tfjs: v.modelHash as string, onnx: createHash("sha256").update(onnx.bytes).digest("hex") },
        rounds: v.history.length,
        strategy: l.c.config.strategy.name,
        hospitals,
        metrics,
      },
    };
    await this.ctx.ledger.appendOne(entry);
  }

  /** The clock, and presence: after a restart a new attempt starts once every selected node is back (§1.8). */
  private tickAll(): void {
    const connected = (this.ctx.hub?.connectedNodes() ?? []).map((n) => n.nodeId);
    for (const [id, l] of this.live) {
      if (TERMINAL.has(l.c.status)) continue;
      void this.transition(id, () => {
        const now = Date.now();
        const steps = [...connected.map((n) => l.c.nodeConnected(n, now)), l.c.tick(now)];
        return {
          records: steps.flatMap((s) => s.records),
          blobs: steps.flatMap((s) => s.blobs),
          tasks: steps.flatMap((s) => s.tasks),
          events: steps.flatMap((s) => s.events),
        };
      }).catch(() => {});
    }
  }
}
