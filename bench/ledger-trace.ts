// Trace latency against ledger size (ledger.md §17, issue 4): the trace index answers a
// marked-pixel hash, a token or a zero-watermark share in one B-tree lookup, at 1k, 100k and 1M
// entries; the seed design's baseline scans every block until it finds the value. Both are
// measured here, in the same run, on the same database.
// `npm run bench -- ledger-trace [--trace-sizes=1000,100000,1000000] [--rebuild]`
// Databases are built with batched appends and cached in os.tmpdir() between runs, keyed by the
// schema and the entry mix, so the 1M-entry log is built once.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ImageSharedBody,
  Ledger,
  ledgerSigner,
  type NewEntry,
  SqliteLedgerStore,
  type ZwRegisteredBody,
} from "../src/ledger/index.ts";
import { indexTablesSql, LEDGER_TABLES_SQL } from "../src/ledger/store/schema.ts";
import { DEMO_MASTER, mixEntry } from "../test/ledger/mix.ts";

export const DEFAULT_TRACE_SIZES = [1000, 100_000, 1_000_000];
const INDEXED_SAMPLES = 10_000;
const TARGETS = 1000;

type Kind = "marked-pixel hash" | "token" | "zero-watermark share";
const KINDS: Kind[] = ["marked-pixel hash", "token", "zero-watermark share"];

export interface TraceRow {
  kind: Kind;
  entries: number;
  indexedP50Us: number;
  indexedP99Us: number;
  scanMeanMs: number;
  scanSamples: number;
  blocksScannedMean: number;
  ratio: number;
}

/** What one looks up, and how the baseline recognises it inside a parsed block. */
interface Target {
  index: number;
  key: Uint8Array;
  matches: (entry: { type?: string; body?: Record<string, unknown> }) => boolean;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function cacheFile(n: number): string {
  const mix = readFileSync(new URL("../test/ledger/mix.ts", import.meta.url));
  const tag = createHash("sha256")
    .update(LEDGER_TABLES_SQL)
    .update(indexTablesSql("main", ""))
    .update(mix)
    .digest("hex")
    .slice(0, 12);
  const dir = join(tmpdir(), "medtrace-bench-ledger-cache");
  mkdirSync(dir, { recursive: true });
  return join(dir, `trace-${n}-${tag}.db`);
}

/** Opens (building if needed) a log of exactly n entries: genesis + mix entries 0 … n−2. */
async function cachedLog(n: number, rebuild: boolean, log: (s: string) => void) {
  const path = cacheFile(n);
  if (rebuild) rmSync(path, { force: true });
  if (!existsSync(path)) {
    const tmp = `${path}.building`;
    rmSync(tmp, { force: true });
    const store = SqliteLedgerStore.open(tmp, { synchronous: "NORMAL" });
    const ledger = await Ledger.open(store, ledgerSigner(DEMO_MASTER, 1), {
      deploymentId: DEMO_MASTER.deploymentId,
      checkpointEvery: 1000,
      checkpointAfterMs: 0,
    });
    const t0 = performance.now();
    for (let k = 0; k < n - 1; k += 1000) {
      const batch: NewEntry[] = [];
      for (let j = k; j < Math.min(n - 1, k + 1000); j++) batch.push(mixEntry(j));
      await ledger.append(batch);
      if ((k + 1000) % 100_000 === 0)
        log(`  building ${n.toLocaleString("en-US")}: ${(k + 1000).toLocaleString("en-US")} entries, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    await ledger.close();
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    store.close();
    for (const s of ["-wal", "-shm"]) rmSync(tmp + s, { force: true });
    renameSync(tmp, path);
  }
  const store = SqliteLedgerStore.open(path, { readonly: true });
  if (store.size() !== n) {
    store.close();
    rmSync(path, { force: true });
    throw new Error(`cached log ${path} has the wrong size; removed, run again`);
  }
  return store;
}

/** Random entries of the mix holding the looked-up value; index = mix k + 1 (genesis is 0). */
function targets(kind: Kind, n: number, seed: number): Target[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: Target[] = [];
  const wantType = kind === "zero-watermark share" ? "zw.registered" : "image.shared";
  while (out.length < TARGETS) {
    const k = Math.floor(next() * (n - 1));
    const e = mixEntry(k);
    if (e.type !== wantType) continue;
    if (kind === "zero-watermark share") {
      const share = (e.body as ZwRegisteredBody).share;
      out.push({
        index: k + 1,
        key: new Uint8Array(Buffer.from(share, "base64")),
        matches: (x) => x.type === "zw.registered" && x.body?.share === share,
      });
    } else {
      const copy = (e.body as ImageSharedBody).copy;
      const hex = kind === "token" ? copy.token : copy.pixelSha256;
      const field = kind === "token" ? "token" : "pixelSha256";
      out.push({
        index: k + 1,
        key: new Uint8Array(Buffer.from(hex, "hex")),
        matches: (x) =>
          x.type === "image.shared" &&
          (x.body?.copy as Record<string, unknown> | undefined)?.[field] === hex,
      });
    }
  }
  return out;
}

function indexedLookup(store: SqliteLedgerStore, kind: Kind, key: Uint8Array): number | null {
  if (kind === "token") return store.findToken(key);
  if (kind === "marked-pixel hash") return store.findMarkedPixels(key);
  return store.findShare(key)[0] ?? null;
}

/**
 * The seed's trace: walk the chain block by block, decode each block and compare its recorded
 * value, stopping at the first match (the fairest reading of "scan every block").
 */
function scanEveryBlock(store: SqliteLedgerStore, t: Target): { index: number; blocks: number } {
  let blocks = 0;
  for (let i = 0; ; ) {
    const rows = store.entries(i, 10_000);
    if (rows.length === 0) return { index: -1, blocks };
    for (const r of rows) {
      blocks++;
      const entry = JSON.parse(Buffer.from(r.body).toString("utf8")) as Parameters<Target["matches"]>[0];
      if (t.matches(entry)) return { index: r.index, blocks };
    }
    i = rows[rows.length - 1].index + 1;
  }
}

function measure(store: SqliteLedgerStore, kind: Kind, n: number, scanBudgetMs: number): TraceRow {
  const ts = targets(kind, n, 7 + KINDS.indexOf(kind));
  const lat: number[] = [];
  for (let i = 0; i < INDEXED_SAMPLES; i++) {
    const t = ts[i % ts.length];
    const t0 = performance.now();
    const got = indexedLookup(store, kind, t.key);
    lat.push(performance.now() - t0);
    if (got !== t.index) throw new Error(`${kind}: index answered ${got}, expected ${t.index}`);
  }
  // The scan costs O(n) each: as many samples as fit the budget, at least 3.
  const scans: number[] = [];
  let blocks = 0;
  const start = performance.now();
  for (let i = 0; i < ts.length && (scans.length < 3 || performance.now() - start < scanBudgetMs); i++) {
    const t0 = performance.now();
    const r = scanEveryBlock(store, ts[i]);
    scans.push(performance.now() - t0);
    if (r.index !== ts[i].index) throw new Error(`${kind}: scan found ${r.index}, expected ${ts[i].index}`);
    blocks += r.blocks;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    kind,
    entries: n,
    indexedP50Us: pct(lat, 50) * 1000,
    indexedP99Us: pct(lat, 99) * 1000,
    scanMeanMs: mean(scans),
    scanSamples: scans.length,
    blocksScannedMean: blocks / scans.length,
    ratio: mean(scans) / mean(lat),
  };
}

export async function traceLatency(
  sizes: number[],
  opts: { rebuild?: boolean; log?: (s: string) => void; scanBudgetMs?: number } = {},
): Promise<TraceRow[]> {
  const log = opts.log ?? (() => {});
  const rows: TraceRow[] = [];
  for (const n of sizes) {
    const store = await cachedLog(n, opts.rebuild ?? false, log);
    try {
      for (const kind of KINDS) rows.push(measure(store, kind, n, opts.scanBudgetMs ?? 3000));
    } finally {
      store.close();
    }
    log(`  trace latency at ${n.toLocaleString("en-US")} done`);
  }
  return rows;
}

const f = (x: number, d = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

export function traceTable(rows: TraceRow[]): string {
  const first = new Map<Kind, TraceRow>();
  for (const r of rows) if (!first.has(r.kind)) first.set(r.kind, r);
  return [
    "| lookup | entries | trace index p50 / p99 | index p50 vs smallest log | scan every block (seed), mean | blocks read, mean | scan / index |",
    "|---|---:|---|---:|---|---:|---:|",
    ...rows.map((r) => {
      const base = first.get(r.kind)!;
      return `| ${r.kind} | ${f(r.entries)} | ${f(r.indexedP50Us, 1)} µs / ${f(r.indexedP99Us, 1)} µs | ×${f(r.indexedP50Us / base.indexedP50Us, 2)} | ${f(r.scanMeanMs, r.scanMeanMs < 10 ? 2 : 0)} ms (${r.scanSamples} lookups) | ${f(r.blocksScannedMean)} | ${f(r.ratio)}× |`;
    }),
  ].join("\n");
}

export default async function (argv: string[]): Promise<number> {
  const arg = argv.find((a) => a.startsWith("--trace-sizes="))?.slice(14);
  const sizes = arg ? arg.split(",").map(Number) : DEFAULT_TRACE_SIZES;
  const rows = await traceLatency(sizes, {
    rebuild: argv.includes("--rebuild"),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(`${traceTable(rows)}\n`);
  return 0;
}
