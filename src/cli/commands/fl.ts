import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { buildCnn, saveModel, setFlat } from "../../fl/model.ts";
import { exportOnnx } from "../../fl/onnx.ts";
import { join } from "node:path";
import { imageDataset, parseCsv } from "../../fl/images.ts";
import type { Dataset } from "../../fl/dataset.ts";
import { availableParallelism } from "node:os";
import { type BackendName, initBackend } from "../../fl/backend.ts";
import { head, npzDatasets, parseSplit } from "../../fl/dataset.ts";
import { type RoundReport, simulate } from "../../fl/simulate.ts";
import { STRATEGY_NAMES } from "../../fl/strategies/index.ts";
import { dataPath } from "../../util/data-path.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "-");

function row(r: RoundReport): string {
  const ms = r.ms;
  return `| ${String(r.round).padStart(5)} | ${f3(r.trainLoss)} | ${f3(r.testLoss)} | ${f3(r.acc)} | ${f3(r.auc)} | ${String(r.participants).padStart(5)} | ${(ms.wall / 1000).toFixed(1).padStart(6)} | ${(ms.trainMax / 1000).toFixed(1).padStart(6)} | ${ms.nodeCryptoMax.toFixed(1).padStart(7)} | ${ms.server.toFixed(1).padStart(7)} | ${r.alerts.length + r.rejected.length} |`;
}

const HEADER = [
  "| round | train loss | test loss | ACC | AUC | nodes | wall s | train s (max node) | node crypto ms | server ms | alerts |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
];

/** A folder with labels.csv (federated-learning.md §4.1); test = the rows marked test, else val. */
function folderDatasets(dir: string, classes: string[]): { train: Dataset; val: Dataset; test: Dataset } {
  const csv = readFileSync(join(dir, "labels.csv"), "utf8");
  const files = new Map<string, Uint8Array>();
  for (const row of parseCsv(csv)) {
    const key = row.file;
    if (!key || files.has(key)) continue;
    try {
      files.set(key, new Uint8Array(readFileSync(join(dir, ...key.split("/")))));
    } catch {
      // reported by imageDataset as a missing file, with its row
    }
  }
  const ds = imageDataset(files, csv, { datasetId: dir, classes, inputSize: 28 });
  for (const w of ds.warnings) process.stderr.write(`warning: ${w}\n`);
  return { train: ds.train, val: ds.val, test: ds.test ?? ds.val };
}

export const flCommand: Command = {
  name: "fl",
  usage: [
    "fl simulate --nodes K --rounds R --split iid|dirichlet:ALPHA [--data NPZ] [--secagg on|off]",
    "            [--strategy NAME] [--seed S] [--epochs E] [--lr X] [--lr-decay X] [--shift PX]",
    "            [--padding valid|same] [--subset N] [--dropout F] [--dp central|distributed:Z:S]",
    "            [--workers W] [--backend auto|wasm|cpu] [--classes A,B] [--json]",
    "            [--balanced] [--max-norm X] [--exclude-outliers] [--out DIR]   federated simulation; --data is an NPZ or a folder of DICOM/PNG +",
    "            labels.csv; --out writes model.json, weights.bin and model.onnx",
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "simulate") throw new UsageError("expected 'fl simulate ...'");
    const { values: v } = parse(
      rest,
      {
        nodes: { type: "string", default: "3" },
        rounds: { type: "string", default: "20" },
        split: { type: "string", default: "iid" },
        data: { type: "string" },
        secagg: { type: "string", default: "on" },
        strategy: { type: "string", default: "fedavg" },
        seed: { type: "string", default: "1" },
        epochs: { type: "string", default: "1" },
        "max-steps": { type: "string" },
        lr: { type: "string", default: "0.001" },
        "lr-decay": { type: "string", default: "1" },
        shift: { type: "string", default: "0" },
        padding: { type: "string", default: "valid" },
        subset: { type: "string" },
        dropout: { type: "string", default: "0" },
        backend: { type: "string" },
        dp: { type: "string" },
        workers: { type: "string" },
        classes: { type: "string", default: "normal,pneumonia" },
        out: { type: "string" },
        "max-norm": { type: "string" },
        "exclude-outliers": { type: "boolean" },
        balanced: { type: "boolean" },
        json: { type: "boolean" },
      },
      [],
    );
    const int = (name: string, s: string, min: number) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < min)
        throw new UsageError(`--${name} must be an integer ≥ ${min}`);
      return n;
    };
    const num = (name: string, s: string) => {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
      return n;
    };
    if (v.secagg !== "on" && v.secagg !== "off") throw new UsageError("--secagg on|off");
    if (!(STRATEGY_NAMES as readonly string[]).includes(v.strategy as string)) {
      throw new UsageError(`--strategy: one of ${STRATEGY_NAMES.join(", ")}`);
    }
    if (v.padding !== "valid" && v.padding !== "same") throw new UsageError("--padding valid|same");
    const backend = (v.backend ?? process.env.MEDTRACE_TF_BACKEND ?? "auto") as BackendName;
    if (!["auto", "wasm", "cpu", "tensorflow"].includes(backend))
      throw new UsageError("--backend auto|wasm|cpu|tensorflow");
    let split: ReturnType<typeof parseSplit>;
    try {
      split = parseSplit(v.split as string);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let dp: { mode: "central" | "distributed"; noiseMultiplier: number; clipNorm: number } | undefined;
    if (v.dp !== undefined && v.dp !== "off") {
      const m = /^(central|distributed):([0-9.]+):([0-9.]+)$/.exec(v.dp);
      if (!m || !(Number(m[2]) > 0) || !(Number(m[3]) > 0))
        throw new UsageError("--dp central|distributed:Z:S (noise multiplier, clip norm)");
      dp = { mode: m[1] as "central" | "distributed", noiseMultiplier: Number(m[2]), clipNorm: Number(m[3]) };
    }
    const out = output(v.json ?? false);
    const info = await initBackend(backend);
    const file = v.data ?? dataPath("pneumoniamnist", "pneumoniamnist.npz");
    const ds = statSync(file).isDirectory()
      ? folderDatasets(file, (v.classes as string).split(","))
      : npzDatasets(readFileSync(file));
    const train = v.subset ? head(ds.train, int("subset", v.subset, 10)) : ds.train;
    const cfg = {
      nodes: int("nodes", v.nodes as string, 1),
      rounds: int("rounds", v.rounds as string, 1),
      split,
      seed: v.seed as string,
      strategy: v.strategy,
      secagg: v.secagg === "on",
      epochs: int("epochs", v.epochs as string, 1),
      maxLocalSteps: v["max-steps"] ? int("max-steps", v["max-steps"], 1) : undefined,
      learningRate: num("lr", v.lr as string),
      lrDecayPerRound: num("lr-decay", v["lr-decay"] as string),
      shiftPx: int("shift", v.shift as string, 0),
      classWeighting: v.balanced ? ("balanced" as const) : ("none" as const),
      model: { padding: v.padding as "valid" | "same" },
      dropout: num("dropout", v.dropout as string),
      dp,
      maxUpdateNorm: v["max-norm"] !== undefined ? num("max-norm", v["max-norm"]) : undefined,
      excludeOutliers: v["exclude-outliers"] ?? false,
      workers: v.workers !== undefined ? int("workers", v.workers, 0) : availableParallelism(),
      backend: info.name,
    };
    if (!out.json) {
      process.stdout.write(
        `backend ${info.name}${info.simd ? " (SIMD)" : ""}, ${cfg.nodes} hospitals, ${v.split}, strategy ${cfg.strategy}, secure aggregation ${v.secagg}, seed ${cfg.seed}\n` +
          `${cfg.workers > 0 ? `local training on ${Math.min(cfg.workers, cfg.nodes)} worker thread(s)` : "local training in this thread, one hospital after another"}\n\n`,
      );
    }
    const t0 = performance.now();
    let printedHeader = false;
    const res = await simulate(cfg, { train, test: ds.test, val: ds.val }, (r) => {
      if (out.json) return;
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
      if (!printedHeader) {
        process.stdout.write(`${HEADER.join("\n")}\n`);
        printedHeader = true;
      }
      process.stdout.write(`${row(r)}\n`);
      for (const a of r.alerts)
        process.stdout.write(`  alert ${a.type} ${a.nodeId ?? ""} ${a.reason}\n`);
      for (const x of r.rejected)
        process.stdout.write(`  rejected ${x.nodeId}: ${x.error} (${x.reason})\n`);
    }, (round, done, total) => {
      if (out.json || !process.stderr.isTTY) return;
      const bar = "#".repeat(Math.round((done / total) * 20)).padEnd(20, ".");
      process.stderr.write(`\rround ${round}/${cfg.rounds} [${bar}] ${done}/${total} hospitals trained\x1b[K`);
    });
    const last = res.rounds[res.rounds.length - 1];
    if (v.out) {
      const m = buildCnn({ inputSize: train.h, channels: train.c, classes: train.classes, padding: cfg.model.padding });
      setFlat(m, res.weights);
      const classes = (v.classes as string).split(",");
      const art = await saveModel(m, { classes, backend: info.name, rounds: cfg.rounds, seed: cfg.seed });
      mkdirSync(v.out, { recursive: true });
      writeFileSync(join(v.out, "model.json"), `${JSON.stringify(art.modelJson, null, 2)}\n`);
      writeFileSync(join(v.out, "weights.bin"), art.weightsBin);
      writeFileSync(
        join(v.out, "model.onnx"),
        exportOnnx(m, { "medtrace.modelHash": res.finalHash, "medtrace.classes": JSON.stringify(classes) }),
      );
    }
    out.result(
      {
        ok: true,
        backend: info.name,
        config: { ...cfg, split: v.split },
        params: res.params,
        partitionCounts: res.partitionCounts,
        rounds: res.rounds,
        final: { acc: last.acc, auc: last.auc, modelHash: res.finalHash, out: v.out ?? null },
        seconds: (performance.now() - t0) / 1000,
      },
      [
        "",
        `hospitals' class counts: ${res.partitionCounts.map((c) => c.join("/")).join(", ")}`,
        `final test ACC ${f3(last.acc)}, AUC ${f3(last.auc)}${last.epsilon !== undefined ? `, ε ${last.epsilon.toFixed(3)} (δ 1e-5)` : ""}, model ${res.finalHash.slice(0, 16)}…, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      ],
    );
    return EXIT.ok;
  },
};
