// `npm run bench -- ledger [--sizes=1000,100000] [--1m] [--trace-sizes=1000,100000,1000000]
// [--no-trace] [--json] [--check]` (ledger.md §17.3).
// Fresh SQLite (WAL, synchronous FULL) in a temporary directory; the deterministic 70/20/10 mix;
// batches of 1,000 with a checkpoint every 1,000 entries; then lookups, proofs, audit, rebuild.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ImageSharedBody,
  Ledger,
  ledgerSigner,
  type NewEntry,
  SqliteLedgerStore,
  verifyConsistency,
  verifyInclusion,
  verifyLogParallel,
} from "../src/ledger/index.ts";
import { DEMO_MASTER, mixEntry } from "../test/ledger/mix.ts";
import { DEFAULT_TRACE_SIZES, traceLatency, traceTable } from "./ledger-trace.ts";

interface Check {
  size: number;
  metric: string;
  target: string;
  anchor: string;
  value: string;
  pass: boolean | null;
}

const SAMPLES = 10_000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const fmt = (x: number, d = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

async function runSize(
  n: number,
  log: (s: string) => void,
): Promise<{ checks: Check[]; raw: Record<string, unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-bench-ledger-"));
  const path = join(dir, "ledger.db");
  const store = SqliteLedgerStore.open(path, { synchronous: "FULL" });
  const signer = ledgerSigner(DEMO_MASTER, 1);
  const ledger = await Ledger.open(store, signer, {
    deploymentId: DEMO_MASTER.deploymentId,
    checkpointEvery: 1000,
    checkpointAfterMs: 0,
  });
  const checks: Check[] = [];
  const raw: Record<string, unknown> = { size: n };
  const add = (
    metric: string,
    target: string,
    anchor: string,
    value: string,
    pass: boolean | null,
  ) => checks.push({ size: n, metric, target, anchor, value, pass });
  try {
    // 1. Single durable appends (one commit each), 500 of them.
    const single: number[] = [];
    for (let k = 0; k < 500; k++) {
      const e = mixEntry(10_000_000 + k);
      const t = performance.now();
      await ledger.append([e]);
      single.push(performance.now() - t);
    }
    const singleRate = 500 / (single.reduce((a, b) => a + b, 0) / 1000);
    add(
      "append, one durable commit each",
      "p99 ≤ 20 ms",
      "1,242–3,616 /s (FULL)",
      `${fmt(singleRate)} /s, p99 ${fmt(pct(single, 99), 2)} ms`,
      pct(single, 99) <= 20,
    );

    // 2. Batched appends of 1,000 (realistic mix), checkpoint every 1,000.
    // Entry generation (the mix) is excluded from the timing.
    const blocks: number[] = [];
    let spent = 0;
    let spentBlock = 0;
    let cpuSpent = 0;
    for (let k = 0; k < n; k += 1000) {
      const m = Math.min(1000, n - k);
      const batch: NewEntry[] = new Array(m);
      for (let j = 0; j < m; j++) batch[j] = mixEntry(k + j);
      const t = performance.now();
      const c0 = process.cpuUsage();
      await ledger.append(batch);
      const c = process.cpuUsage(c0);
      cpuSpent += (c.user + c.system) / 1000;
      const dt = performance.now() - t;
      spent += dt;
      spentBlock += dt;
      if ((k + m) % 100_000 === 0) {
        blocks.push(100_000 / (spentBlock / 1000));
        spentBlock = 0;
      }
    }
    const batchRate = n / (spent / 1000);
    raw.loadAverage = loadavg();
    raw.appendPer100k = blocks.map((x) => Math.round(x));
    add(
      "append, batches of 1,000, durable",
      "≥ 5,000 /s",
      "38,310–42,911 /s",
      `${fmt(batchRate)} /s wall; ${fmt(n / (cpuSpent / 1000))} /s per CPU-second`,
      batchRate >= 5000,
    );

    const size = ledger.size;
    // Checkpoint signing (Ed25519 + insert), 200 times on one extra entry each.
    const signTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      await ledger.append([mixEntry(20_000_000 + i)]);
      const t = performance.now();
      await ledger.checkpoint();
      signTimes.push(performance.now() - t);
    }
    add(
      "checkpoint signing",
      "≤ 5 ms",
      "0.9–2.6 ms",
      `p50 ${fmt(pct(signTimes, 50), 2)} ms, p99 ${fmt(pct(signTimes, 99), 2)} ms`,
      pct(signTimes, 50) <= 5,
    );

    // 3. Lookups: random tokens and marked-pixel hashes of image.shared entries.
    const r = rng(42);
    const shared: ImageSharedBody[] = [];
    while (shared.length < 1000) {
      const e = mixEntry(Math.floor(r() * n));
      if (e.type === "image.shared") shared.push(e.body as ImageSharedBody);
    }
    const tokens = shared.map((b) => Buffer.from(b.copy.token, "hex"));
    const pixels = shared.map((b) => Buffer.from(b.copy.pixelSha256, "hex"));
    const lat = (fn: (i: number) => unknown) => {
      const xs: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const t = performance.now();
        if (fn(i) === null) throw new Error("lookup missed");
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const tok = lat((i) => ledger.lookupToken(tokens[i % tokens.length]));
    const pix = lat((i) => ledger.lookupMarkedPixels(pixels[i % pixels.length]));
    add(
      "token lookup",
      "p99 < 1 ms",
      "–",
      `p50 ${fmt(pct(tok, 50) * 1000)} µs, p99 ${fmt(pct(tok, 99) * 1000)} µs`,
      pct(tok, 99) < 1,
    );
    add(
      "marked-pixel lookup",
      "p99 < 1 ms",
      "–",
      `p50 ${fmt(pct(pix, 50) * 1000)} µs, p99 ${fmt(pct(pix, 99) * 1000)} µs`,
      pct(pix, 99) < 1,
    );

    // 4. Proofs with random sizes up to the tip.
    const ti = performance.now();
    for (let i = 0; i < SAMPLES; i++) {
      const s = 1 + Math.floor(r() * size);
      const m = Math.floor(r() * s);
      const proof = ledger.inclusionProof(m, s);
      verifyInclusion(m, s, store.leafHash(m)!, proof, ledger.rootAt(s));
    }
    const inclRate = SAMPLES / ((performance.now() - ti) / 1000);
    add(
      "inclusion proof, generate + verify",
      "≥ 5,000 /s",
      "5,691–6,491 /s",
      `${fmt(inclRate)} /s`,
      inclRate >= 5000,
    );
    const tc = performance.now();
    for (let i = 0; i < SAMPLES; i++) {
      const s2 = 1 + Math.floor(r() * size);
      const s1 = 1 + Math.floor(r() * s2);
      const proof = ledger.consistencyProof(s1, s2);
      verifyConsistency(s1, s2, ledger.rootAt(s1), ledger.rootAt(s2), proof);
    }
    const consRate = SAMPLES / ((performance.now() - tc) / 1000);
    add(
      "consistency proof, generate + verify",
      "≥ 3,000 /s",
      "3,478–4,539 /s",
      `${fmt(consRate)} /s`,
      consRate >= 3000,
    );

    // 5. Full audit and index rebuild.
    // CPU time is reported beside wall time: on a shared machine the wall clock mostly measures
    // the other tenants.
    const timed = async (schema: boolean) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const report = await verifyLogParallel(path, { trustedKeys: [signer], schema });
      const c = process.cpuUsage(c0);
      if (!report.ok) throw new Error(`audit failed: ${JSON.stringify(report.firstError)}`);
      return { report, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
    };
    const full = await timed(true);
    const lean = await timed(false);
    const report = full.report;
    const audit = full.wall;
    // verifyLogParallel's default: the main thread plus cores − 1 workers (1 to 4).
    raw.auditWorkers = Math.max(1, Math.min(4, availableParallelism() - 1));
    raw.audit = { full, lean: { wall: lean.wall, cpu: lean.cpu } };
    const auditTarget = (3 * size) / 100_000;
    add(
      "full audit, with schemas",
      `< ${fmt(auditTarget, 2)} s (3 s per 10⁵)`,
      "2.3–2.6 s at 10⁵",
      `${fmt(audit, 2)} s wall, ${fmt(full.cpu, 1)} CPU-s (${report.checkpointsChecked} checkpoints, ${raw.auditWorkers} workers + main thread)`,
      audit < auditTarget,
    );
    add(
      "audit, integrity only (--no-schema)",
      `< ${fmt(auditTarget, 2)} s`,
      "2.3–2.6 s at 10⁵",
      `${fmt(lean.wall, 2)} s wall, ${fmt(lean.cpu, 1)} CPU-s`,
      lean.wall < auditTarget,
    );
    const tr = performance.now();
    const cr = process.cpuUsage();
    await ledger.rebuildIndex();
    const rebuild = (performance.now() - tr) / 1000;
    const rebuildCpu = process.cpuUsage(cr);
    const rebuildTarget = (60 * size) / 1_000_000;
    add(
      "trace-index rebuild",
      `< ${fmt(rebuildTarget, 2)} s (60 s per 10⁶)`,
      "–",
      `${fmt(rebuild, 2)} s wall, ${fmt((rebuildCpu.user + rebuildCpu.system) / 1e6, 1)} CPU-s`,
      rebuild < rebuildTarget,
    );

    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const bytes = statSync(path).size;
    add(
      "database size",
      "≤ 1,200 B / entry",
      "≈ 433 B / entry (170-B entries)",
      `${fmt(bytes / size)} B / entry`,
      bytes / size <= 1200,
    );
    Object.assign(raw, {
      singleRate,
      batchRate,
      inclRate,
      consRate,
      audit,
      rebuild,
      bytes,
      entries: size,
    });
    log(`  size ${fmt(n)} done`);
  } finally {
    await ledger.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { checks, raw };
}

export default async function (argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const check = argv.includes("--check");
  const sizesArg = argv.find((a) => a.startsWith("--sizes="))?.slice(8);
  const sizes = sizesArg ? sizesArg.split(",").map(Number) : [1000, 100_000];
  if (argv.includes("--1m")) sizes.push(1_000_000);
  const log = (s: string) => {
    if (!json) process.stderr.write(`${s}\n`);
  };
  const all: Check[] = [];
  const raws: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const { checks, raw } = await runSize(n, log);
    all.push(...checks);
    raws.push(raw);
  }
  const rows = all.map(
    (c) =>
      `| ${fmt(c.size)} | ${c.metric} | ${c.target} | ${c.anchor} | ${c.value} | ${c.pass === null ? "–" : c.pass ? "PASS" : "FAIL"} |`,
  );
  const traceArg = argv.find((a) => a.startsWith("--trace-sizes="))?.slice(14);
  const traceSizes = traceArg ? traceArg.split(",").map(Number) : DEFAULT_TRACE_SIZES;
  const trace = argv.includes("--no-trace") ? [] : await traceLatency(traceSizes, { log });
  const md = [
    "# ledger benchmark (SQLite WAL, synchronous = FULL, ledger.md §17)",
    "",
    `Node ${process.version}, ${availableParallelism()} CPUs, load average at the end ${loadavg().map((x) => x.toFixed(1)).join(" / ")}.`,
    "",
    "| entries | metric | target | anchor | measured | |",
    "|---:|---|---|---|---|---|",
    ...rows,
    ...(trace.length > 0
      ? [
          "",
          "Trace latency: the trace index against the seed design's scan of every block (same run, same databases).",
          "",
          traceTable(trace),
        ]
      : []),
  ].join("\n");
  mkdirSync("bench/out", { recursive: true });
  const result = { node: process.version, sizes, checks: all, raw: raws, trace };
  writeFileSync("bench/out/ledger.json", `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${md}\n`);
  return check && all.some((c) => c.pass === false) ? 1 : 0;
}
