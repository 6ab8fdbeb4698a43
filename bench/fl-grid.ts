// `npm run bench -- fl --grid` (or `npm run bench -- fl-grid`): federated-learning.md §10
// experiment 1 as a grid: centralised and FedAvg over seeds × hospitals × splits, mean ± sd of the
// final round's test ACC/AUC at threshold 0.5, plus test ACC at the cut chosen on val.
// Options: --seeds 1,2,3  --nodes 3,5  --splits iid,dirichlet:0.5,dirichlet:0.1  --rounds 20
// --train N (first N training images after the seeded shuffle of `head`: a reduced run)
// --balanced (class-balanced loss at every node) --secagg off.
// The full grid is 3 centralised + 18 federated runs of R rounds: about an hour on 2 cores.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { initBackend } from "../src/fl/backend.ts";
import { head, npzDatasets, parseSplit } from "../src/fl/dataset.ts";
import { type SimConfig, type SimResult, simulate } from "../src/fl/simulate.ts";
import { dataPath } from "../src/util/data-path.ts";

function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

/** mean and sample standard deviation (0 for one value) */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, sd: Math.sqrt(v) };
}

const pm = (xs: number[]) => {
  const { mean, sd } = meanSd(xs);
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
};

interface Cell {
  name: string;
  acc: number[];
  auc: number[];
  accVal: number[];
  seconds: number;
}

export default async function grid(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const log = (s: string) => {
    if (!json) process.stdout.write(`${s}\n`);
  };
  await initBackend("wasm");
  const ds = npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));
  const seeds = option(argv, "--seeds", "1,2,3").split(",");
  const nodes = option(argv, "--nodes", "3,5").split(",").map(Number);
  const splits = option(argv, "--splits", "iid,dirichlet:0.5,dirichlet:0.1").split(",").map(parseSplit);
  const rounds = Number(option(argv, "--rounds", "20"));
  const trainN = Number(option(argv, "--train", String(ds.train.n)));
  const train = trainN < ds.train.n ? head(ds.train, trainN) : ds.train;
  const secagg = option(argv, "--secagg", "on") !== "off";
  // the measured best recipe of §10 (same padding, ±3 px shifts, lr × 0.85 per round)
  const recipe: Partial<SimConfig> = {
    model: { padding: "same" },
    shiftPx: 3,
    lrDecayPerRound: 0.85,
    classWeighting: argv.includes("--balanced") ? "balanced" : "none",
  };
  const reduced = rounds < 20 || seeds.length < 3 || train.n < ds.train.n;
  log(
    `# fl accuracy grid${reduced ? " (REDUCED)" : ""}: seeds ${seeds.join(",")}, R = ${rounds}, ${train.n} training images, secagg ${secagg ? "on" : "off"}, recipe ${JSON.stringify(recipe)}\n`,
  );
  const cells: Cell[] = [];
  const run = async (name: string, cfg: Omit<SimConfig, "seed">) => {
    const cell: Cell = { name, acc: [], auc: [], accVal: [], seconds: 0 };
    const t0 = performance.now();
    for (const seed of seeds) {
      const res: SimResult = await simulate({ ...cfg, seed }, { train, test: ds.test, val: ds.val });
      const last = res.rounds[res.rounds.length - 1];
      cell.acc.push(last.acc);
      cell.auc.push(last.auc);
      cell.accVal.push(last.accValThreshold?.acc ?? Number.NaN);
      log(
        `  ${name} seed ${seed}: ACC ${last.acc.toFixed(3)} AUC ${last.auc.toFixed(3)} ACC@val-cut ${last.accValThreshold?.acc.toFixed(3)} (cut ${last.accValThreshold?.threshold}); hospitals ${res.partitionCounts.map((c) => c.join("/")).join(", ")}`,
      );
    }
    cell.seconds = (performance.now() - t0) / 1000;
    cells.push(cell);
  };
  await run("centralised", { nodes: 1, rounds, split: { kind: "iid" }, secagg: false, ...recipe });
  for (const k of nodes)
    for (const split of splits) {
      const label = split.kind === "iid" ? "IID" : `Dirichlet ${split.alpha}`;
      await run(`FedAvg k=${k} ${label}`, { nodes: k, rounds, split, secagg, ...recipe });
    }
  const central = meanSd(cells[0].acc).mean;
  const centralAuc = meanSd(cells[0].auc).mean;
  log("\n| run | ACC (0.5) | AUC | ACC at val cut | ACC / central | AUC / central | s |");
  log("|---|---|---|---|---|---|---|");
  for (const c of cells) {
    log(
      `| ${c.name} | ${pm(c.acc)} | ${pm(c.auc)} | ${pm(c.accVal)} | ${(meanSd(c.acc).mean / central).toFixed(3)} | ${(meanSd(c.auc).mean / centralAuc).toFixed(3)} | ${c.seconds.toFixed(0)} |`,
    );
  }
  log(
    "\nPublished: FL on paediatric pneumonia CXR, 5 hospitals Dirichlet: 0.900 / 0.966 (arXiv 2511.11714); Sheller et al. 2020: FL reaches 99 % of centralised. Target: k=3 Dirichlet 0.5 ACC ≥ 0.90, AUC ≥ 0.96, within 0.01 of centralised.",
  );
  mkdirSync("bench/out", { recursive: true });
  const out = { reduced, seeds, rounds, trainImages: train.n, secagg, recipe, cells };
  writeFileSync("bench/out/fl-grid.json", `${JSON.stringify(out, null, 2)}\n`);
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  return 0;
}
