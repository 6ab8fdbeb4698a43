// PostgreSQL implementation of LedgerStore (ledger.md §11, `pg`), for `--db postgres://…`
// deployments. The LedgerStore contract is synchronous (the ledger's writer relies on it, as
// better-sqlite3 is), while `pg` is asynchronous: the connection lives in a worker thread and
// each call blocks this thread on Atomics.wait until the worker answers, which is what
// better-sqlite3 does with its own I/O. One connection, one writer, as §2 asks.
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { LedgerError } from "../errors.ts";
import { bytesView as u8, type Row, toAnchor, toCheckpoint, toStored } from "./rows.ts";
import type { IndexRows } from "../trace/rows.ts";
import { APPEND_ONLY_MESSAGE, CONTIGUOUS_MESSAGE } from "./schema.ts";
import type {
  AnchorRow,
  AppendRow,
  CheckpointRow,
  LedgerStore,
  StoredRow,
  ZwIndexRow,
} from "./types.ts";

export interface PostgresStoreOptions {
  /** Longest wait for one database call, in ms (default 5 minutes). */
  timeoutMs?: number;
}

type Reply = { result?: unknown; error?: { message: string; constraint?: string; code?: string } };

const REBUILD_CHUNK = 5000;

/** Maps errors raised by the ledger's triggers and constraints in PostgreSQL to ledger codes. */
export function mapPgError(e: { message: string; constraint?: string }): Error {
  if (e.message.includes(APPEND_ONLY_MESSAGE)) return new LedgerError("LEDGER_APPEND_ONLY", e.message);
  if (e.message.includes(CONTIGUOUS_MESSAGE)) return new LedgerError("LEDGER_GAP", e.message);
  if (/^idx_(tokens|marked_pixels)_pkey$/.test(e.constraint ?? ""))
    return new LedgerError("LEDGER_DUPLICATE", e.message);
  return new Error(`postgres: ${e.message}`);
}

export class PostgresLedgerStore implements LedgerStore {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port;
  private readonly worker: Worker;
  private closed = false;

  private constructor(
    url: string,
    private readonly opts: PostgresStoreOptions,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL("./pg-worker.mjs", import.meta.url), {
      workerData: { url, flag: this.flag, port: port2 },
      transferList: [port2],
    });
    // The worker must not keep the process alive once the store is forgotten.
    this.worker.unref();
  }

  /** Connects and creates the schema and triggers if they are missing. */
  static open(url: string, opts: PostgresStoreOptions = {}): PostgresLedgerStore {
    const store = new PostgresLedgerStore(url, opts);
    try {
      store.call("init");
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  private call<T>(op: string, ...args: unknown[]): T {
    if (this.closed) throw new LedgerError("LEDGER_CLOSED", "store is closed");
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ op, args });
    const woke = Atomics.wait(this.flag, 0, 0, this.opts.timeoutMs ?? 300_000);
    const m = receiveMessageOnPort(this.port)?.message as Reply | undefined;
    if (!m) throw new Error(`postgres: no answer to '${op}' (${woke})`);
    if (m.error) throw mapPgError(m.error);
    return m.result as T;
  }

  /** Raw SQL: for tests and tamper drills only (the ledger never calls it). */
  sql(text: string, values: unknown[] = []): Row[] {
    return this.call("sql", text, values);
  }

  size(): number {
    return this.call("size");
  }

  entry(index: number): StoredRow | null {
    return this.entries(index, 1).find((r) => r.index === index) ?? null;
  }

  entries(from: number, limit: number): StoredRow[] {
    return this.call<Row[]>("entries", from, limit).map(toStored);
  }

  leafHash(index: number): Uint8Array | null {
    return this.entry(index)?.leafHash ?? null;
  }

  node(level: number, idx: number): Uint8Array | null {
    const h = this.call<Uint8Array | null>("node", level, idx);
    return h ? u8(h) : null;
  }

  nodeRange(level: number, lo: number, hi: number): Map<number, Uint8Array> {
    return new Map(this.call<Row[]>("nodeRange", level, lo, hi).map((r) => [r.idx as number, u8(r.hash)]));
  }

  append(rows: readonly AppendRow[]): void {
    this.call("append", rows);
  }

  addCheckpoint(cp: CheckpointRow): void {
    this.call("addCheckpoint", cp);
  }

  checkpoints(): CheckpointRow[] {
    return this.call<Row[]>("checkpoints", false).map(toCheckpoint);
  }

  latestCheckpoint(): CheckpointRow | null {
    const [r] = this.call<Row[]>("checkpoints", true);
    return r ? toCheckpoint(r) : null;
  }

  addAnchor(a: AnchorRow): void {
    this.call("addAnchor", a);
  }

  anchors(): AnchorRow[] {
    return this.call<Row[]>("anchors").map(toAnchor);
  }

  findMarkedPixels(pixelSha256: Uint8Array): number | null {
    return this.call<number[]>("find", "idx_marked_pixels", pixelSha256)[0] ?? null;
  }

  findToken(token: Uint8Array): number | null {
    return this.call<number[]>("find", "idx_tokens", token)[0] ?? null;
  }

  findSourcePixels(pixelSha256: Uint8Array): number[] {
    return this.call("find", "idx_source_pixels", pixelSha256);
  }

  findShare(share: Uint8Array): number[] {
    return this.call("findShare", share);
  }

  zwCandidates(paramsId?: string): ZwIndexRow[] {
    return this.call<Row[]>("zwCandidates", paramsId ?? null).map((r) => ({
      entryIndex: r.entry_index as number,
      paramsId: r.params_id as string,
      mask: u8(r.mask),
      share: u8(r.share),
      fullbits: r.fullbits ? u8(r.fullbits) : null,
    }));
  }

  rebuildIndex(rows: Iterable<{ index: number; rows: IndexRows }>, scratch = false): void {
    this.call("rebuildBegin", scratch);
    try {
      let chunk: { index: number; rows: IndexRows }[] = [];
      for (const r of rows) {
        chunk.push(r);
        if (chunk.length === REBUILD_CHUNK) {
          this.call("rebuildRows", scratch, chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) this.call("rebuildRows", scratch, chunk);
    } catch (err) {
      this.call("rebuildEnd", false);
      throw err;
    }
    this.call("rebuildEnd", true);
  }

  indexDigest(scratch = false): Record<string, string> {
    return this.call("indexDigest", scratch);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call("close");
    } catch {
      // The connection may already be gone; the worker is ended below either way.
    }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
