// The audit of ledger.md §12 over a SQLite file with worker threads: workers and this thread do
// the per-entry work (parse, re-canonicalise, hash, schema), each on its own read-only
// connection; this thread feeds the results, in index order, to the sequential Auditor (chain,
// nodes, roots, checkpoints).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { checkRange } from "../audit/entry-check.ts";
import { Auditor, DEFAULT_CHUNK, verifyLog, type ChunkCheck, type VerifyOptions, type VerifyReport } from "../audit/verify-log.ts";
import { SqliteLedgerStore } from "./sqlite.ts";

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Worker threads besides this one, which checks chunks too (default: cores − 1, 1 to 4). */
  workers?: number;
  /** Below this many entries the audit runs on this thread: a worker costs ~1 s to start. */
  minEntries?: number;
}

export async function verifyLogParallel(path: string, opts: ParallelVerifyOptions = {}): Promise<VerifyReport> {
  // This thread checks chunks too, so one worker fewer than the cores: a worker spends about
  // half a second of CPU starting (tsx, zod), during which this thread is already checking.
  const n = Math.max(1, opts.workers ?? Math.min(4, availableParallelism() - 1));
  const chunk = opts.chunk ?? DEFAULT_CHUNK;
  const schema = opts.schema ?? true;
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
  const pool = Array.from({ length: n }, () => new Worker(entry, { workerData: { path, schema } }));
  const done = new Map<number, ChunkCheck>();
  const outstanding = new Array<number>(n).fill(0);
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    wake?.();
    wake = null;
  };
  pool.forEach((w, k) => {
    w.on("message", (m: { id: number; check: ChunkCheck }) => {
      done.set(m.id, m.check);
      outstanding[k]--;
      signal();
    });
    w.on("error", (err) => {
      failure = err;
      signal();
    });
  });
  try {
    const auditor = new Auditor(store, opts);
    const chunks = Math.ceil(store.size() / chunk);
    // Chunks checked ahead of the one being fed are held in memory: bound how far ahead.
    const window = 4 * (n + 1);
    let next = 0;
    for (let k = 0; k < chunks; k++) {
      while (!done.has(k)) {
        if (failure) throw failure;
        for (let w = 0; w < n; w++)
          while (outstanding[w] < 2 && next < chunks && next < k + window) {
            pool[w].postMessage({ id: next, from: next * chunk, limit: chunk });
            outstanding[w]++;
            next++;
          }
        if (next < chunks && next < k + window) {
          const j = next++;
          done.set(j, checkRange(store, j * chunk, chunk, { schema }));
          // Let the workers' answers in before choosing what to do next.
          await new Promise((r) => setImmediate(r));
        } else if (!done.has(k)) {
          await new Promise<void>((r) => (wake = r));
        }
      }
      const checks = done.get(k)!;
      done.delete(k);
      // A missing row shows up as a jump in idx, within a chunk or at the next one: a gap.
      if (!auditor.feed(checks)) break;
    }
    return auditor.finish();
  } finally {
    for (const w of pool) w.postMessage("close");
    await Promise.all(pool.map((w) => new Promise((r) => w.once("exit", r))));
    store.close();
  }
}
