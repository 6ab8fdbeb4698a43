// Local training for simulated hospitals: in this thread, or on a pool of W worker threads
// (federated-learning.md §2.5; wasm is single-threaded, so parallel nodes need workers). Results
// are identical either way: training is bit-reproducible within one backend.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { BackendName } from "./backend.ts";
import type { Dataset } from "./dataset.ts";
import { FlError } from "./errors.ts";
import { buildCnn, type CnnOptions } from "./model.ts";
import { localTrain, type TrainOptions, type TrainResult } from "./train.ts";

export interface Trainer {
  readonly workers: number;
  train(
    shard: number,
    global: Float32Array,
    opts: TrainOptions,
  ): Promise<TrainResult & { ms: number }>;
  close(): Promise<void>;
}

export function inProcessTrainer(modelOpts: CnnOptions, shards: Dataset[]): Trainer {
  const model = buildCnn(modelOpts);
  return {
    workers: 0,
    async train(shard, global, opts) {
      const t0 = performance.now();
      const r = localTrain(model, global, shards[shard], opts);
      return { ...r, ms: performance.now() - t0 };
    },
    async close() {
      model.dispose();
    },
  };
}

interface Pending {
  resolve: (r: TrainResult & { ms: number }) => void;
  reject: (e: Error) => void;
}

/** W workers (default: available parallelism); shard k lives on worker k mod W. */
export async function workerTrainer(
  modelOpts: CnnOptions,
  shards: Dataset[],
  backend: BackendName,
  workers = availableParallelism(),
): Promise<Trainer> {
  const w = Math.max(1, Math.min(workers, shards.length));
  const url = new URL("./trainer-worker.ts", import.meta.url);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const pool: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  for (let i = 0; i < w; i++) {
    const mine: Record<number, Dataset> = {};
    shards.forEach((s, k) => {
      if (k % w === i) mine[k] = s;
    });
    // The sources are TypeScript: the worker registers tsx's loader before importing them
    // (Node 20 does not apply the parent's --import hooks to a worker's entry module).
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
    const worker = new Worker(boot, { eval: true });
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { kind: string; message?: string }) => {
        if (m.kind === "ready") {
          worker.off("message", onMsg);
          resolve();
        } else if (m.kind === "error")
          reject(new FlError("WORKER_FAILED", m.message ?? "worker init failed"));
      };
      worker.on("message", onMsg);
      worker.once("error", reject);
      worker.postMessage({ kind: "init", backend, model: modelOpts, shards: mine });
    });
    worker.on(
      "message",
      (m: { kind: string; id: number; result?: TrainResult; ms?: number; message?: string }) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.kind === "done" && m.result) p.resolve({ ...m.result, ms: m.ms ?? 0 });
        else p.reject(new FlError("WORKER_FAILED", m.message ?? "training failed in a worker"));
      },
    );
    pool.push(worker);
  }
  return {
    workers: w,
    train(shard, global, opts) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        pool[shard % w].postMessage({ kind: "train", id, shard, global, opts });
      });
    },
    async close() {
      await Promise.all(pool.map((p) => p.terminate()));
    },
  };
}
