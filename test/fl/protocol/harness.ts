// The in-process "network" of the protocol tests: one coordinator and N participants exchange the
// real signed frames; only the sockets are missing. Steps are committed to a memory store before
// their tasks are delivered (write-ahead, §1.8). Faults: drop a task or a reply, kill the
// coordinator after a given record, restore it from the store. The clock is virtual.
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Dataset, head, npzDatasets, partition, subset } from "../../../src/fl/dataset.ts";
import { type CnnOptions } from "../../../src/fl/model.ts";
import {
  Coordinator,
  type CoordinatorDeps,
  type LocalDataset,
  memoryStore,
  Participant,
  type ServerTask,
  type SessionEvent,
  type SessionRecord,
  type SessionStore,
  type Step,
} from "../../../src/fl/protocol/index.ts";
import { type Trainer, workerTrainer } from "../../../src/fl/trainer-pool.ts";
import { dataPath } from "../../../src/util/data-path.ts";

export const T0 = 1_800_000_000_000;

export interface NodeSetup {
  nodeId: string;
  signKey: KeyObject;
  publicKey: KeyObject;
  nodeSecret: Uint8Array;
  data: LocalDataset;
}

let npz: ReturnType<typeof npzDatasets> | null = null;
export function pneumonia() {
  npz ??= npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));
  return npz;
}

/** k hospitals with an IID share of the first `perNode·k` training images and a slice of val. */
export function hospitals(k: number, perNode: number, seed = "1"): NodeSetup[] {
  const d = pneumonia();
  const train = head(d.train, perNode * k, seed);
  const parts = partition(train.y, train.classes, k, { kind: "iid" }, seed);
  const val = head(d.val, 40 * k, seed);
  return parts.map((idx, i) => {
    const kp = generateKeyPairSync("ed25519");
    const valIdx = Array.from({ length: 40 }, (_, j) => i * 40 + j);
    return {
      nodeId: `hospital-${String.fromCharCode(97 + i)}`,
      signKey: kp.privateKey,
      publicKey: kp.publicKey,
      nodeSecret: randomBytes(32),
      data: { tag: "pneumonia", train: subset(train, idx), val: subset(val, valIdx) },
    };
  });
}

/** One pool of worker threads shared by every participant of a test file (2 cores). */
export async function sharedPool(model: CnnOptions, nodes: NodeSetup[]): Promise<{ pool: Trainer; makeTrainer: (id: string) => () => Promise<Trainer> }> {
  const pool = await workerTrainer(model, nodes.map((n) => n.data.train), "wasm", 2);
  return {
    pool,
    makeTrainer: (id) => async () => {
      const k = nodes.findIndex((n) => n.nodeId === id);
      return { workers: pool.workers, train: (_s, g, o) => pool.train(k, g, o), close: async () => {} };
    },
  };
}

export interface NetOptions {
  nodes: NodeSetup[];
  config: Record<string, unknown>;
  sessionId?: string;
  makeTrainer: (id: string) => () => Promise<Trainer>;
  /** drop this task (the node never sees it) */
  dropTask?: (t: ServerTask) => boolean;
  /** kill the coordinator right after committing a step holding a matching record */
  killAfter?: (r: SessionRecord) => boolean;
}

export class Net {
  now = T0;
  readonly store: SessionStore = memoryStore();
  readonly serverKeys = generateKeyPairSync("ed25519");
  readonly events: SessionEvent[] = [];
  readonly replies: { nodeId: string; type: string; status: number; error?: string }[] = [];
  readonly nodeErrors: { nodeId: string; task: string; message: string }[] = [];
  readonly participants = new Map<string, Participant>();
  readonly sent: { nodeId: string; type: string; frame: Uint8Array }[] = [];
  readonly delivered: ServerTask[] = [];
  coordinator?: Coordinator;
  killed = false;
  private inflight = new Set<Promise<void>>();
  private outq = new Map<string, Promise<void>>();
  readonly deps: CoordinatorDeps;
  readonly sessionId: string;

  constructor(readonly o: NetOptions) {
    this.sessionId = o.sessionId ?? "sess-1";
    const keys = new Map(o.nodes.map((n) => [n.nodeId, n.publicKey]));
    this.deps = { serverKey: this.serverKeys.privateKey, nodeKey: (id) => keys.get(id), autoStart: true };
    for (const n of o.nodes) this.participants.set(n.nodeId, this.participant(n));
  }

  participant(n: NodeSetup, approve = true): Participant {
    const keys = new Map(this.o.nodes.map((x) => [x.nodeId, x.publicKey]));
    return new Participant({
      nodeId: n.nodeId,
      signKey: n.signKey,
      nodeSecret: n.nodeSecret,
      serverKey: this.serverKeys.publicKey,
      peerKey: (id) => keys.get(id),
      datasets: [n.data],
      approve: () => approve,
      fetchBlob: async (sha) => {
        const b = (await this.store.blob(sha)) ?? this.coordinator?.blob(sha);
        if (!b) throw new Error(`blob ${sha} not found`);
        return b;
      },
      clock: () => this.now,
      makeTrainer: this.o.makeTrainer(n.nodeId),
    });
  }

  async create(candidates = this.o.nodes.map((n) => n.nodeId)): Promise<void> {
    const { coordinator, step } = Coordinator.create(this.o.config, this.deps, { sessionId: this.sessionId, candidates, now: this.now });
    this.coordinator = coordinator;
    await this.commit(step);
  }

  async commit(step: Step): Promise<void> {
    if (this.killed) return;
    await this.store.commit(this.sessionId, step.records, step.blobs);
    this.events.push(...step.events);
    if (this.o.killAfter && step.records.some(this.o.killAfter)) {
      this.killed = true; // crash after the commit, before any task of this step is sent
      this.o.killAfter = undefined;
      return;
    }
    for (const t of step.tasks) this.deliver(t);
  }

  deliver(t: ServerTask): void {
    if (this.o.dropTask?.(t)) return;
    const p = this.participants.get(t.nodeId);
    if (!p) return;
    this.delivered.push(t);
    const coord = this.coordinator;
    const job = p
      .handle({ type: t.type, frame: t.frame })
      .then((frames) => this.enqueue(t.nodeId, frames, coord))
      .catch((e: Error) => {
        this.nodeErrors.push({ nodeId: t.nodeId, task: t.type, message: e.message });
      });
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
  }

  /** A node sends its frames in seq order, one at a time, like its single outbound channel. */
  private enqueue(nodeId: string, frames: Uint8Array[], coord: Coordinator | undefined): Promise<void> {
    const prev = this.outq.get(nodeId) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const frame of frames) await this.send(nodeId, frame, coord);
    });
    this.outq.set(nodeId, next);
    return next;
  }

  /** A node -> server frame; frames meant for a coordinator that has since died are lost. */
  async send(nodeId: string, frame: Uint8Array, to = this.coordinator): Promise<void> {
    if (this.killed || !to || to !== this.coordinator) return;
    const step = to.handle({ from: nodeId, frame }, this.now);
    const r = step.reply ?? { status: 200 };
    const type = JSON.parse(Buffer.from(frame.subarray(8, 8 + new DataView(frame.buffer, frame.byteOffset).getUint32(4))).toString()).type as string;
    this.replies.push({ nodeId, type, status: r.status, error: r.error });
    this.sent.push({ nodeId, type, frame });
    await this.commit(step);
  }

  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Runs until the session is terminal: deliver, settle, then let time pass in `stepMs` jumps. */
  async run(stepMs = 31_000, maxTicks = 200): Promise<void> {
    await this.settle();
    for (let i = 0; i < maxTicks && !this.killed; i++) {
      const c = this.coordinator as Coordinator;
      if (["completed", "failed", "cancelled"].includes(c.status)) break;
      this.now += stepMs;
      await this.commit(c.tick(this.now));
      await this.settle();
    }
    await this.settle();
  }

  /** Restart: a new coordinator from the committed records, every node says hello again. */
  async restart(): Promise<void> {
    await this.settle();
    this.killed = false;
    this.now += 5_000;
    const { coordinator, step } = await Coordinator.restore(this.store, this.sessionId, this.deps, this.now);
    this.coordinator = coordinator;
    await this.commit(step);
    for (const n of this.o.nodes) await this.commit(coordinator.nodeConnected(n.nodeId, this.now));
  }

  async close(): Promise<void> {
    await this.settle();
    for (const p of this.participants.values()) await p.close();
  }
}

export function dataset(d: Dataset): LocalDataset {
  return { tag: "pneumonia", train: d };
}
