// `npm run bench -- fl [--quick] [--accuracy] [--json] [--check]`: federated-learning.md §10.
// Default: the cheap experiments (secure-aggregation overhead and expansion at 0–30 % dropouts
// for n ∈ {3, 5, 10, 20, 50}; 50-node round; DP ε table) plus a --quick accuracy smoke (1 seed,
// 3 rounds, k = 3 IID). `--accuracy` adds centralised vs FedAvg k = 3 Dirichlet 0.5 at
// R = 20 (one seed, tens of minutes on 2 cores). `--grid` runs the seeds × hospitals × splits
// grid instead (bench/fl-grid.ts, its options there).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { x25519KeyPair } from "../src/crypto/envelope.ts";
import { flSeedBytes } from "../src/crypto/prg.ts";
import { initBackend } from "../src/fl/backend.ts";
import { head, npzDatasets, partition } from "../src/fl/dataset.ts";
import { epsilon } from "../src/fl/dp.ts";
import { emptyInbox, receiveUpdate, sealUpdate } from "../src/fl/messages.ts";
import { buildCnn, initialWeights, manifestOf } from "../src/fl/model.ts";
import { defaultSecAggParams } from "../src/fl/secagg.ts";
import { secureAggregateLocal } from "../src/fl/secagg-local.ts";
import { type SimConfig, simulate } from "../src/fl/simulate.ts";
import { localTrain } from "../src/fl/train.ts";
import { dataPath } from "../src/util/data-path.ts";
import grid from "./fl-grid.ts";

interface Check {
  name: string;
  target: string;
  value: string;
  pass: boolean;
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export default async function (argv: string[]): Promise<number> {
  if (argv.includes("--grid")) return grid(argv);
  const json = argv.includes("--json");
  const check = argv.includes("--check");
  const withAccuracy = argv.includes("--accuracy");
  const log = (s: string) => {
    if (!json) process.stdout.write(`${s}\n`);
  };
  const info = await initBackend("wasm");
  const ds = npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));
  const model = buildCnn();
  const manifest = manifestOf(model);
  const d = manifest.length;
  const checks: Check[] = [];
  const repArg = argv.indexOf("--reps");
  const REPS = repArg >= 0 ? Math.max(1, Number(argv[repArg + 1]) || 1) : 3;
  const out: Record<string, unknown> = { backend: info, params: d };
  log(
    `# fl benchmark (backend ${info.name}${info.simd ? " + SIMD" : ""}, mt-cnn-s 28×28, d = ${d})\n`,
  );

  // ---- local training throughput (one node, 1 epoch on 1,000 images)
  const g0 = initialWeights(manifest, "bench");
  // warm-up (kernel compilation, first allocations) before timing
  localTrain(model, g0, head(ds.train, 64), { round: 0, nodeId: "warm", seedBytes: flSeedBytes("bench") });
  const t0 = performance.now();
  const tr = localTrain(model, g0, head(ds.train, 1000), {
    round: 1,
    nodeId: "bench",
    seedBytes: flSeedBytes("bench"),
  });
  const samplesPerSec = (1000 / (performance.now() - t0)) * 1000;
  log(
    `local training: ${f(samplesPerSec, 0)} samples/s (Measured anchor: ≈ 750, 700–860, for this model on an idle 2-core machine)\n`,
  );
  out.trainSamplesPerSec = samplesPerSec;

  // ---- crypto and secure-aggregation overhead (§10 experiments 3–5)
  const rows: (string | number)[][] = [];
  const overhead: unknown[] = [];
  for (const n of [3, 5, 10, 20, 50]) {
    const parts = partition(ds.train.y, 2, n, { kind: "iid" }, "1");
    const maxN = Math.max(...parts.map((p) => p.length));
    const trainMs = (maxN / samplesPerSec) * 1000;
    const measure = (drop: number) => {
      const inputs = parts.map((p, k) => ({
        nodeId: `h${String(k).padStart(2, "0")}`,
        nodeSecret: randomBytes(32),
        delta: Float32Array.from(tr.delta, (v, i) => v * (1 + ((i + k) % 7) / 10)),
        n: p.length,
      }));
      const roundKey = x25519KeyPair();
      const ticket = {
        sessionId: "bench",
        round: 1,
        attempt: 1,
        roundPublicKey: roundKey.publicKey,
        roundNonce: randomBytes(32),
        baseModelHash: "0".repeat(64),
        manifestHash: "0".repeat(64),
        quant: { bits: 22, clip: 8 },
      };
      const ids = new Map(
        inputs.map((i) => [
          i.nodeId,
          {
            nodeId: i.nodeId,
            seq: 0,
            ...(() => {
              const k = generateKeyPairSync("ed25519");
              return { signKey: k.privateKey, pub: k.publicKey };
            })(),
          },
        ]),
      );
      const nodeKeys = new Map([...ids.values()].map((v) => [v.nodeId, v.pub]));
      let inbox = emptyInbox;
      let sealMax = 0;
      let serverRecv = 0;
      let bytes = 0;
      const p = defaultSecAggParams(ticket, maxN);
      const dropped = new Set(inputs.slice(0, Math.round(drop * n)).map((i) => i.nodeId));
      const wall0 = performance.now();
      const r0 = secureAggregateLocal(inputs, p, dropped, (id, y) => {
        const s0 = performance.now();
        const frame = sealUpdate(
          ids.get(id) as never,
          ticket,
          { type: "secagg.masked", masked: y },
          Date.now(),
        );
        sealMax = Math.max(sealMax, performance.now() - s0);
        bytes = Math.max(bytes, frame.length);
        const s1 = performance.now();
        const got = receiveUpdate(inbox, frame, {
          ticket,
          roundKey,
          nodeKeys,
          selected: new Set(ids.keys()),
          nowMs: Date.now(),
          validation: { length: d + 1 },
        });
        serverRecv += performance.now() - s1;
        inbox = got.state;
        return got.outcome.ok && got.outcome.type === "secagg.masked" ? got.outcome.masked : null;
      });
      const wall = performance.now() - wall0;
      return { clientMs: r0.clientMsMax, sealMs: sealMax, unmaskMs: r0.serverMs, serverRecvMs: serverRecv, wall, bytes, u3: r0.u3.length };
    };
    for (const drop of [0, 0.1, 0.2, 0.3]) {
      // median of REPS repetitions: single timings on a shared 2-core machine carry preemption spikes
      const reps = Array.from({ length: REPS }, () => measure(drop));
      const med = (f: (m: (typeof reps)[number]) => number) => reps.map(f).sort((x, y) => x - y)[Math.floor(REPS / 2)];
      const r = { clientMsMax: med((m) => m.clientMs), serverMs: med((m) => m.unmaskMs), u3: { length: reps[0].u3 } };
      const sealMax = med((m) => m.sealMs);
      const serverRecv = med((m) => m.serverRecvMs);
      const bytes = reps[0].bytes;
      const wall = med((m) => m.wall);
      const nodeCrypto = r.clientMsMax + sealMax;
      const server = r.serverMs + serverRecv;
      const ideal = trainMs + nodeCrypto + server;
      const ratio = (nodeCrypto + server) / ideal;
      const expansion = bytes / (4 * d);
      rows.push([
        n,
        `${Math.round(drop * 100)} %`,
        f(trainMs, 0),
        f(r.clientMsMax, 1),
        f(sealMax, 1),
        f(r.serverMs, 1),
        f(serverRecv, 1),
        f(wall, 0),
        `${f(ratio * 100, 1)} %`,
        f(expansion, 4),
      ]);
      overhead.push({
        n,
        drop,
        trainMs,
        clientMs: r.clientMsMax,
        sealMs: sealMax,
        unmaskMs: r.serverMs,
        serverRecvMs: serverRecv,
        wallMs: wall,
        ratio,
        expansion,
        u3: r.u3.length,
      });
      checks.push({
        name: `overhead n=${n} drop=${drop}`,
        target: "≤ 5 %",
        value: `${f(ratio * 100, 1)} %`,
        pass: ratio <= 0.05,
      });
      checks.push({
        name: `expansion n=${n} drop=${drop}`,
        target: "≤ 1.01",
        value: f(expansion, 4),
        pass: expansion <= 1.01,
      });
      if (n === 50 && drop === 0.2)
        checks.push({
          name: "50 nodes complete a round at 20 % dropouts",
          target: "completes",
          value: `${r.u3.length}/50 in U3, ${f(wall / 1000, 1)} s wall`,
          pass: r.u3.length === 40,
        });
    }
  }
  log("## Secure aggregation overhead (§10 exp. 2–5), 28×28 model, dropouts after ShareKeys\n");
  log(
    "train ms = ideal-parallel local training of the largest IID shard at the measured rate; overhead = (max node crypto + server crypto and unmask) / ideal-parallel round time.\n",
  );
  log(
    table(
      [
        "n",
        "dropped",
        "train ms",
        "node secagg ms (max)",
        "encrypt+sign ms",
        "server unmask ms",
        "server verify+decrypt ms",
        "wall ms (all in one thread)",
        "overhead",
        "upload / 4d",
      ],
      rows,
    ),
  );
  log(
    "\nPublished (Bonawitz et al. 2017, 500 users): expansion 1.73–1.98×; server ≈ 2 s → 143 s at 0 → 30 % dropouts. Measured anchor (spec §6.6, 64×64 model, d = 406,402): client 21–106 ms, unmask 79–978 ms, expansion 1.0004–1.0046×.\n",
  );
  out.overhead = overhead;

  // ---- DP ε table (§8.4, §10 exp. 7: the accountant part)
  log("## DP accountant, δ = 1e-5, T = 20 (§10 exp. 7 targets: ε ≈ 12.3, 5.38, 2.46, 1.14)\n");
  const dpRows = [2, 4, 8, 16].map((z) => {
    const e = epsilon(z, 20);
    return [z, f(e.epsilon, 3), e.order];
  });
  log(`${table(["z", "ε", "best α"], dpRows)}\n`);
  out.dp = dpRows;

  // ---- accuracy (§10 exp. 1)
  const accRows: (string | number)[][] = [];
  const runs: { name: string; cfg: SimConfig; train: ReturnType<typeof head> }[] = [
    {
      name: "FedAvg k=3 IID, 3 rounds (quick)",
      cfg: { nodes: 3, rounds: 3, split: { kind: "iid" }, seed: "1", learningRate: 3e-3 },
      train: head(ds.train, 1500),
    },
  ];
  const recipe = { model: { padding: "same" as const }, shiftPx: 3, lrDecayPerRound: 0.85 };
  if (withAccuracy) {
    runs.push(
      {
        name: "centralised (1 node, 20 epochs)",
        cfg: { nodes: 1, rounds: 20, split: { kind: "iid" }, seed: "1", secagg: false, ...recipe },
        train: ds.train,
      },
      {
        name: "FedAvg k=3 Dirichlet 0.5, secagg on, R=20",
        cfg: {
          nodes: 3,
          rounds: 20,
          split: { kind: "dirichlet", alpha: 0.5 },
          seed: "1",
          ...recipe,
        },
        train: ds.train,
      },
      {
        // option, not the spec's loss (§4.4 fixes plain mean cross-entropy): train is 74 % pneumonia, test 62.5 %
        name: "centralised, class-balanced loss (20 epochs)",
        cfg: {
          nodes: 1,
          rounds: 20,
          split: { kind: "iid" },
          seed: "1",
          secagg: false,
          ...recipe,
          classWeighting: "balanced",
        },
        train: ds.train,
      },
    );
  }
  const accOut: unknown[] = [];
  for (const run of runs) {
    const w0 = performance.now();
    const res = await simulate(run.cfg, { train: run.train, test: ds.test, val: ds.val });
    const last = res.rounds[res.rounds.length - 1];
    const tail = res.rounds.slice(-5);
    const meanRound = res.rounds.reduce((a, r) => a + r.ms.wall, 0) / res.rounds.length;
    accRows.push([
      run.name,
      f(last.acc),
      f(last.auc),
      `${f(Math.min(...tail.map((r) => r.acc)))}–${f(Math.max(...tail.map((r) => r.acc)))}`,
      f(last.valAcc ?? Number.NaN),
      f(meanRound / 1000, 1),
      res.partitionCounts.map((c) => c.join("/")).join(", "),
    ]);
    accOut.push({
      name: run.name,
      rounds: res.rounds.map(({ round, acc, auc, testLoss, valAcc, ms }) => ({
        round,
        acc,
        auc,
        testLoss,
        valAcc,
        ms,
      })),
      counts: res.partitionCounts,
      seconds: (performance.now() - w0) / 1000,
    });
  }
  log("## Accuracy on the official test split (624 images), one seed\n");
  log(
    table(
      [
        "run",
        "ACC",
        "AUC",
        "ACC last 5 rounds",
        "val ACC",
        "s / round",
        "hospitals normal/pneumonia",
      ],
      accRows,
    ),
  );
  log(
    "\nTarget: FedAvg k=3 Dirichlet 0.5 ACC ≥ 0.90, AUC ≥ 0.96, within 0.01 of centralised (mean of ≥ 3 seeds). Published: MedMNIST v2 ResNet-18 (28) 0.854 / 0.944; AutoML Vision 0.946 / 0.991. Measured anchor: centralised best recipe 0.888 / 0.955; FedAvg Dir 0.5 0.862 / 0.948.\n",
  );
  out.accuracy = accOut;

  log("## Checks\n");
  log(
    table(
      ["check", "target", "value", "result"],
      checks.map((c) => [c.name, c.target, c.value, c.pass ? "PASS" : "FAIL"]),
    ),
  );
  out.checks = checks;
  mkdirSync("bench/out", { recursive: true });
  writeFileSync("bench/out/fl.json", `${JSON.stringify(out, null, 2)}\n`);
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  return check && checks.some((c) => !c.pass) ? 1 : 0;
}
