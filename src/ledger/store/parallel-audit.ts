// The audit of ledger.md §12 over a SQLite file with worker threads: workers do the per-entry
// work (parse, re-canonicalise, hash, schema) on their own read-only connections; this thread
// feeds the results, in index order, to the sequential Auditor (chain, nodes, roots, checkpoints).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { Auditor, DEFAULT_CHUNK, verifyLog, type ChunkCheck, type VerifyOptions, type VerifyReport } from "../audit/verify-log.ts";
import { SqliteLedgerStore } from "./sqlite.ts";

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Worker threads (default: available parallelism, at most 4). */
  workers?: number;
  /** Below this many entries the audit runs on this thread: a worker costs ~1 s to start. */
  minEntries?: number;
}

export async function verifyLogParallel(path: string, opts: ParallelVerifyOptions = {}): Promise<VerifyReport> {
  const n = Math.max(1, opts.workers ?? Math.min(4, availableParallelism()));
  const chunk = opts.chunk ?? DEFAULT_CHUNK;
  const store = SqliteLedgerStore.open(path, { readonly: true });
  if (store.size() < (opts.minEntries ?? 50_000)) {
    try {
      return verifyLog(store, opts);
    } finally {
      store.close();
    }
  }
  // The worker entry is plain JavaScript that registers tsx before loading the TypeScript worker.
  const entry = new URL("./audit-worker.mjs", import.meta.url);
  const pool = Array.from({ length: n }, () => new Worker(entry, { workerData: { path, schema: opts.schema ?? true } }));
  const waiting = new Map<number, { resolve: (c: ChunkCheck) => void; reject: (e: unknown) => void }>();
  for (const w of pool) {
    w.on("message", (m: { id: number; check: ChunkCheck }) => {
      waiting.get(m.id)?.resolve(m.check);
      waiting.delete(m.id);
    });
    w.on("error", (err) => {
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
    });
  }
  const request = (k: number) =>
    new Promise<ChunkCheck>((resolve, reject) => {
      waiting.set(k, { resolve, reject });
      pool[k % n].postMessage({ id: k, from: k * chunk, limit: chunk });
    });
  try {
    const auditor = new Auditor(store, opts);
    const chunks = Math.ceil(store.size() / chunk);
    const inFlight = new Map<number, Promise<ChunkCheck>>();
    let asked = 0;
    for (let k = 0; k < chunks; k++) {
      while (asked < chunks && asked < k + 2 * n) {
        inFlight.set(asked, request(asked));
        asked++;
      }
      const checks = await inFlight.get(k)!;
      inFlight.delete(k);
      // A missing row shows up as a jump in idx, within a chunk or at the next one: a gap.
      if (!auditor.feed(checks)) break;
    }
    await Promise.allSettled(inFlight.values());
    return auditor.finish();
  } finally {
    for (const w of pool) w.postMessage("close");
    await Promise.all(pool.map((w) => new Promise((r) => w.once("exit", r))));
    store.close();
  }
}
