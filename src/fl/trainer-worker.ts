// Worker-thread side of the trainer pool (federated-learning.md §2.5): one tfjs + wasm instance
// per worker, holding the shards it was given at start; trains on request and returns Δ.
import { parentPort } from "node:worker_threads";
import { type BackendName, initBackend } from "./backend.ts";
import type { Dataset } from "./dataset.ts";
import { buildCnn, type CnnOptions } from "./model.ts";
import { localTrain, type TrainOptions } from "./train.ts";

type Msg =
  | { kind: "init"; backend: BackendName; model: CnnOptions; shards: Record<number, Dataset> }
  | { kind: "train"; id: number; shard: number; global: Float32Array; opts: TrainOptions };

const port = parentPort;
if (!port) throw new Error("trainer-worker must run in a worker thread");
let model: ReturnType<typeof buildCnn> | null = null;
let shards: Record<number, Dataset> = {};

port.on("message", async (m: Msg) => {
  try {
    if (m.kind === "init") {
      await initBackend(m.backend);
      model = buildCnn(m.model);
      shards = m.shards;
      port.postMessage({ kind: "ready" });
      return;
    }
    if (!model) throw new Error("worker not initialised");
    const t0 = performance.now();
    const r = localTrain(model, m.global, shards[m.shard], m.opts);
    port.postMessage({ kind: "done", id: m.id, result: r, ms: performance.now() - t0 }, [
      r.delta.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    port.postMessage({
      kind: "error",
      id: m.kind === "train" ? m.id : -1,
      message: (e as Error).message,
    });
  }
});
