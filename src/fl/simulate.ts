// In-process federated simulator: K logical hospitals, one tfjs model instance reused for each
// node's local training (sequentially; no worker threads yet), the real message path (sealed,
// signed updates through the server inbox) and secure aggregation when on. Pure: the caller
// loads the data and prints.
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { x25519KeyPair } from "../crypto/envelope.ts";
import { flDerive, flSeedBytes, Prg } from "../crypto/prg.ts";
import type { BackendName } from "./backend.ts";
import { type Dataset, partition, type Split, subset } from "./dataset.ts";
import { clipUpdate, noisyMean, RdpAccountant } from "./dp.ts";
import { FlError } from "./errors.ts";
import {
  emptyInbox,
  type InboxContext,
  type InboxState,
  type NodeIdentity,
  type RoundTicket,
  receiveUpdate,
  sealUpdate,
} from "./messages.ts";
import {
  buildCnn,
  type CnnOptions,
  initialWeights,
  manifestHash,
  manifestOf,
  modelHash,
  setFlat,
} from "./model.ts";
import { accuracyAt, bestThreshold } from "./metrics.ts";
import { defaultSecAggParams } from "./secagg.ts";
import { secureAggregateLocal } from "./secagg-local.ts";
import { type FitResult, makeStrategy } from "./strategies/index.ts";
import { balancedClassWeights, evaluate } from "./train.ts";
import { inProcessTrainer, workerTrainer } from "./trainer-pool.ts";
import { type AlertEvent, degraded, detectOutliers, l2 } from "./validate.ts";

export interface SimConfig {
  nodes: number;
  rounds: number;
  split: Split;
  seed: string;
  strategy?: string;
  strategyParams?: Record<string, number>;
  secagg?: boolean;
  model?: CnnOptions;
  epochs?: number;
  maxLocalSteps?: number;
  batchSize?: number;
  learningRate?: number;
  lrDecayPerRound?: number;
  shiftPx?: number;
  /** "balanced": each node weighs its loss by its own inverse class frequency (capped, train.ts) */
  classWeighting?: "none" | "balanced";
  maxUpdateNorm?: number;
  excludeOutliers?: boolean;
  /** fraction of nodes dropping after ShareKeys each round (secure aggregation) or not sending (plain) */
  dropout?: number;
  /** node index (0-based) that poisons its update */
  attack?: { node: number; kind: "signflip" | "noise" };
  /** central DP (§8.2): nodes clip to S, the server adds N(0, z²S²) to the sum and divides by m */
  dp?: { clipNorm: number; noiseMultiplier: number; delta?: number; mode?: "central" | "distributed" };
  /** worker threads for local training; 0 or absent = in this thread */
  workers?: number;
  /** backend the workers initialise (the caller initialises this thread's) */
  backend?: BackendName;
}

export interface RoundReport {
  round: number;
  trainLoss: number;
  testLoss: number;
  acc: number;
  auc: number;
  valAcc?: number;
  /** binary with a val split: test ACC at the p[1] cut that is best on val (§10 keeps 0.5 as the headline) */
  accValThreshold?: { threshold: number; acc: number };
  participants: number;
  modelHash: string;
  ms: { wall: number; trainMax: number; trainSum: number; nodeCryptoMax: number; server: number };
  bytesUpPerNode: number;
  alerts: AlertEvent[];
  rejected: { nodeId: string; error: string; reason: string }[];
  /** (ε, δ) spent so far with DP on */
  epsilon?: number;
}

export interface SimResult {
  rounds: RoundReport[];
  partitionCounts: number[][];
  params: number;
  finalHash: string;
  weights: Float32Array;
}

export interface SimData {
  train: Dataset;
  test: Dataset;
  val?: Dataset;
}

export async function simulate(
  cfg: SimConfig,
  data: SimData,
  onRound?: (r: RoundReport) => void,
  onProgress?: (round: number, trained: number, total: number) => void,
): Promise<SimResult> {
  const strategy = makeStrategy(cfg.strategy ?? "fedavg", cfg.strategyParams);
  const secagg = cfg.secagg ?? true;
  if (secagg && !strategy.secureAggregationCompatible) {
    throw new FlError(
      "CONFIG_INVALID",
      `strategy ${strategy.name} needs every update in clear and cannot run with secure aggregation; use --secagg off`,
    );
  }
  if (secagg && cfg.nodes < 3)
    throw new FlError("CONFIG_INVALID", "secure aggregation needs at least 3 nodes");
  const seedBytes = flSeedBytes(cfg.seed);
  if (cfg.dp && !strategy.secureAggregationCompatible) {
    throw new FlError(
      "CONFIG_INVALID",
      "DP aggregates a uniform sum; robust strategies cannot be combined with it",
    );
  }
  // The simulator has no deployment key; its central noise is keyed from the seed (a real server
  // uses K("medtrace/v1/fl/dp-noise"), §1.7, so the data scientist cannot reproduce it).
  const dp = cfg.dp
    ? {
        z: cfg.dp.noiseMultiplier,
        s: cfg.dp.clipNorm,
        key: (r: number) => flDerive(seedBytes, `dpnoise/central/r${r}`),
      }
    : null;
  const accountant = cfg.dp ? new RdpAccountant(cfg.dp.delta ?? 1e-5) : null;
  if (cfg.dp?.mode === "distributed" && !secagg) {
    throw new FlError("CONFIG_INVALID", "distributed DP requires secure aggregation");
  }
  const modelOpts: CnnOptions = {
    inputSize: data.train.h,
    channels: data.train.c,
    classes: data.train.classes,
    ...cfg.model,
  };
  const model = buildCnn(modelOpts);
  const manifest = manifestOf(model);
  const mHash = manifestHash(manifest);
  let global = initialWeights(manifest, cfg.seed);
  const parts = partition(data.train.y, data.train.classes, cfg.nodes, cfg.split, cfg.seed);
  const nodeIds = parts.map((_, k) => `hospital-${String(k + 1).padStart(2, "0")}`);
  const shards = parts.map((idx) => subset(data.train, idx));
  const counts = shards.map((s) => {
    const c = new Array<number>(s.classes).fill(0);
    for (const v of s.y) c[v]++;
    return c;
  });
  const ids: NodeIdentity[] = [];
  const nodeKeys = new Map<string, KeyObject>();
  const nodeSecrets = new Map<string, Uint8Array>();
  for (const id of nodeIds) {
    const k = generateKeyPairSync("ed25519");
    ids.push({ nodeId: id, signKey: k.privateKey, seq: 0 });
    nodeKeys.set(id, k.publicKey);
    nodeSecrets.set(id, randomBytes(32));
  }
  const classWeights = shards.map((s) =>
    cfg.classWeighting === "balanced" ? balancedClassWeights(s) : undefined,
  );
  const declaredN = new Map(nodeIds.map((id, k) => [id, shards[k].n]));
  const trainer =
    cfg.workers && cfg.workers > 0
      ? await workerTrainer(modelOpts, shards, cfg.backend ?? "wasm", cfg.workers)
      : inProcessTrainer(modelOpts, shards);
  const reports: RoundReport[] = [];
  let inbox: InboxState = emptyInbox;
  // §7.4: 3 rejections of one node in a session quarantine it; pooled loss up > 50 % twice → degraded
  const rejections = new Map<string, number>();
  const quarantined = new Set<string>();
  const evalLosses: number[] = [];
  try {
    for (let r = 1; r <= cfg.rounds; r++) {
      const t0 = performance.now();
      inbox = { ...inbox, accepted: [] }; // per-round acceptance; seq numbers persist
      const lr = (cfg.learningRate ?? 1e-3) * (cfg.lrDecayPerRound ?? 1) ** (r - 1);
      const rc = strategy.configureRound({ round: r, learningRate: lr, proxMu: 0 });
      const roundKey = x25519KeyPair();
      const ticket: RoundTicket = {
        sessionId: `sim-${cfg.seed}`,
        round: r,
        attempt: 1,
        roundPublicKey: roundKey.publicKey,
        roundNonce: randomBytes(32),
        baseModelHash: modelHash(global),
        manifestHash: mHash,
        quant: secagg ? { bits: 22, clip: 8 } : undefined,
      };
      // dropouts: a deterministic choice per round from the seed
      const dropCount = Math.round((cfg.dropout ?? 0) * cfg.nodes);
      const order = [...nodeIds];
      new Prg(flDerive(seedBytes, `drop/r${r}`)).shuffle(order);
      const dropped = new Set(order.slice(0, dropCount));
      const trained: FitResult[] = [];
      let trainMax = 0;
      let trainSum = 0;
      let lossSum = 0;
      let lossN = 0;
      const jobs: Promise<void>[] = [];
      const results: (FitResult | undefined)[] = new Array(cfg.nodes);
      for (let k = 0; k < cfg.nodes; k++) {
        const id = nodeIds[k];
        if ((dropped.has(id) && !secagg) || quarantined.has(id)) continue;
        const job = trainer
          .train(k, global, {
            round: r,
            nodeId: id,
            seedBytes,
            epochs: cfg.epochs ?? 1,
            maxSteps: cfg.maxLocalSteps,
            batchSize: cfg.batchSize ?? 32,
            learningRate: rc.learningRate,
            proxMu: rc.proxMu,
            shiftPx: cfg.shiftPx ?? 0,
            classWeights: classWeights[k],
          })
          .then((res) => {
            trainMax = Math.max(trainMax, res.ms);
            trainSum += res.ms;
            lossSum += res.loss * res.n;
            lossN += res.n;
            if (cfg.attack && cfg.attack.node === k)
              poison(res.delta, cfg.attack.kind, flDerive(seedBytes, `attack/r${r}`));
            if (cfg.dp) clipUpdate(res.delta, cfg.dp.clipNorm);
            if (cfg.dp?.mode === "distributed") {
              // §8.3: each node adds N(0, z²S²/t) before masking, from its own secret PRG
              const t = Math.floor(cfg.nodes / 2) + 1;
              const sd = (cfg.dp.noiseMultiplier * cfg.dp.clipNorm) / Math.sqrt(t);
              const prg = new Prg(flDerive(nodeSecrets.get(id) as Uint8Array, `dpnoise/${ticket.sessionId}/r${r}`));
              for (let i = 0; i < res.delta.length; i++) res.delta[i] += sd * prg.normal();
            }
            // with DP the weights are uniform (§8.1): n = 1 for every node
            results[k] = { nodeId: id, delta: res.delta, n: cfg.dp ? 1 : res.n };
            onProgress?.(r, results.filter(Boolean).length, cfg.nodes);
          });
        jobs.push(job);
      }
      await Promise.all(jobs);
      for (const x of results) if (x) trained.push(x);
      const alerts: AlertEvent[] = [];
      const rejected: RoundReport["rejected"] = [];
      let nodeCryptoMax = 0;
      let server = 0;
      let bytesUp = 0;
      const inboxCtx = (len: number): InboxContext => ({
        ticket,
        roundKey,
        nodeKeys,
        selected: new Set(nodeIds),
        nowMs: Date.now(),
        validation: { length: len, maxUpdateNorm: secagg ? undefined : cfg.maxUpdateNorm },
        declaredN,
      });
      let meanDelta: Float32Array;
      let zEff: number | undefined;
      let participants: number;
      if (secagg) {
        const p = defaultSecAggParams(ticket, cfg.dp ? 1 : Math.max(...shards.map((s) => s.n)));
        const nodeSealMs = new Map<string, number>();
        // node self-check before masking (§7.3): finite, length and norm
        const selfOk = trained.filter((t) => {
          const bad =
            t.delta.some((v) => !Number.isFinite(v)) ||
            (cfg.maxUpdateNorm !== undefined && l2(t.delta) > cfg.maxUpdateNorm);
          if (bad)
            rejected.push({
              nodeId: t.nodeId,
              error: "self-check",
              reason: "update failed the node's self-check",
            });
          return !bad;
        });
        const sa = secureAggregateLocal(
          selfOk.map((t) => ({ ...t, nodeSecret: nodeSecrets.get(t.nodeId) as Uint8Array })),
          p,
          dropped,
          (nodeId, y) => {
            const ts = performance.now();
            const frame = sealUpdate(
              ids[nodeIds.indexOf(nodeId)],
              ticket,
              { type: "secagg.masked", masked: y },
              Date.now(),
            );
            nodeSealMs.set(nodeId, performance.now() - ts);
            bytesUp = Math.max(bytesUp, frame.length);
            const ss = performance.now();
            const got = receiveUpdate(inbox, frame, inboxCtx(y.length));
            server += performance.now() - ss;
            inbox = got.state;
            if (!got.outcome.ok) {
              rejected.push({ nodeId, error: got.outcome.error, reason: got.outcome.reason });
              return null;
            }
            return got.outcome.type === "secagg.masked" ? got.outcome.masked : null;
          },
        );
        nodeCryptoMax = sa.clientMsMax + Math.max(0, ...nodeSealMs.values());
        server += sa.serverMs;
        if (cfg.dp?.mode === "distributed") {
          // the server adds nothing; Σ over |U3| ≥ t survivors already carries variance ≥ z²S²
          meanDelta = Float32Array.from(sa.sum.subarray(1), (v) => v / cfg.nodes);
          zEff = cfg.dp.noiseMultiplier * Math.sqrt(sa.u3.length / (Math.floor(cfg.nodes / 2) + 1));
        } else {
          meanDelta = dp ? noisyMean(sa.sum.subarray(1), cfg.nodes, dp.z, dp.s, dp.key(r)) : sa.meanDelta;
        }
        participants = sa.u3.length;
        if (meanDelta.some((v) => !Number.isFinite(v)))
          throw new FlError("fl.aggregate.invalid", `round ${r}: non-finite aggregate`);
      } else {
        const accepted: FitResult[] = [];
        for (const t of trained) {
          const ts = performance.now();
          const frame = sealUpdate(
            ids[nodeIds.indexOf(t.nodeId)],
            ticket,
            { type: "plain.update", delta: t.delta, n: t.n },
            Date.now(),
          );
          nodeCryptoMax = Math.max(nodeCryptoMax, performance.now() - ts);
          bytesUp = Math.max(bytesUp, frame.length);
          const ss = performance.now();
          const got = receiveUpdate(inbox, frame, inboxCtx(t.delta.length));
          server += performance.now() - ss;
          inbox = got.state;
          if (got.outcome.ok && got.outcome.type === "plain.update") {
            accepted.push({
              nodeId: t.nodeId,
              delta: Float32Array.from(got.outcome.delta),
              n: got.outcome.n,
            });
          } else if (!got.outcome.ok) {
            rejected.push({
              nodeId: t.nodeId,
              error: got.outcome.error,
              reason: got.outcome.reason,
            });
            alerts.push({
              type: "fl.update.rejected",
              round: r,
              nodeId: t.nodeId,
              reason: got.outcome.reason,
            });
          }
        }
        const ss = performance.now();
        const outl = detectOutliers(accepted, r);
        alerts.push(...outl);
        const use = cfg.excludeOutliers
          ? accepted.filter((a) => !outl.some((o) => o.nodeId === a.nodeId))
          : accepted;
        if (use.length === 0)
          throw new FlError("fl.round.quorum", `round ${r}: no acceptable update`);
        if (dp) {
          const sum = new Float64Array(use[0].delta.length);
          for (const u of [...use].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)))
            for (let i = 0; i < sum.length; i++) sum[i] += u.delta[i];
          meanDelta = noisyMean(sum, cfg.nodes, dp.z, dp.s, dp.key(r));
        } else meanDelta = strategy.aggregateFit(use);
        server += performance.now() - ss;
        participants = use.length;
      }
      const ss = performance.now();
      global = strategy.applyAggregate(global, meanDelta);
      accountant?.step(zEff ?? (cfg.dp?.noiseMultiplier as number));
      server += performance.now() - ss;
      setFlat(model, global);
      const ev = evaluate(model, data.test);
      const val = data.val ? evaluate(model, data.val) : undefined;
      const cut =
        val && data.val && data.val.classes === 2 ? bestThreshold(val.probs, data.val.y) : undefined;
      for (const x of rejected) {
        const count = (rejections.get(x.nodeId) ?? 0) + 1;
        rejections.set(x.nodeId, count);
        if (count === 3) {
          quarantined.add(x.nodeId);
          alerts.push({ type: "fl.node.quarantined", round: r, nodeId: x.nodeId, reason: "3 rejected updates in this session" });
        }
      }
      evalLosses.push(val?.loss ?? ev.loss);
      if (degraded(evalLosses)) {
        alerts.push({
          type: "fl.aggregate.degraded",
          round: r,
          reason: secagg
            ? "pooled evaluation loss rose > 50 % in two consecutive rounds; under secure aggregation the culprit cannot be identified"
            : "pooled evaluation loss rose > 50 % in two consecutive rounds",
        });
      }
      const rep: RoundReport = {
        round: r,
        trainLoss: lossN ? lossSum / lossN : Number.NaN,
        testLoss: ev.loss,
        acc: ev.acc,
        auc: ev.auc,
        valAcc: val?.acc,
        accValThreshold:
          cut === undefined ? undefined : { threshold: cut, acc: accuracyAt(ev.probs, data.test.y, cut) },
        participants,
        modelHash: modelHash(global),
        ms: { wall: performance.now() - t0, trainMax, trainSum, nodeCryptoMax, server },
        bytesUpPerNode: bytesUp,
        alerts,
        rejected,
        epsilon: accountant?.peek().epsilon,
      };
      reports.push(rep);
      onRound?.(rep);
    }
  } finally {
    await trainer.close();
  }
  model.dispose();
  return {
    rounds: reports,
    partitionCounts: counts,
    params: manifest.length,
    finalHash: modelHash(global),
    weights: global,
  };
}

function poison(delta: Float32Array, kind: "signflip" | "noise", key: Uint8Array): void {
  if (kind === "signflip") {
    for (let i = 0; i < delta.length; i++) delta[i] *= -10;
    return;
  }
  // Gaussian N(0, 1) noise replaces the update (§10 experiment 6)
  const prg = new Prg(key);
  for (let i = 0; i < delta.length; i++) delta[i] = prg.normal();
}
