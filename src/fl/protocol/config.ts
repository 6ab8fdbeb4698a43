// Session configuration (federated-learning.md §1.2): validated with zod, unknown fields rejected
// at every level, defaults filled in; planHash over the canonical plan (§1.3).
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../../crypto/jcs.ts";
import { FlError } from "../errors.ts";
import type { CnnOptions } from "../model.ts";
import { makeStrategy, STRATEGY_NAMES } from "../strategies/index.ts";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const seconds = (dflt: number) => int(1, 30 * 86400).default(dflt);

const modelSchema = z.strictObject({
  arch: z.literal("mt-cnn-s").default("mt-cnn-s"),
  inputSize: int(8, 256).default(28),
  channels: int(1, 4).default(1),
  classes: z.array(z.string().min(1).max(64)).min(2).max(64).default(["normal", "pneumonia"]),
  padding: z.enum(["valid", "same"]).default("valid"),
  width: z.union([z.literal(1), z.literal(2)]).default(1),
});

const strategySchema = z.strictObject({
  name: z.enum(STRATEGY_NAMES).default("fedavg"),
  serverLr: z.number().positive().max(100).optional(),
  mu: z.number().min(0).max(100).optional(),
  eta: z.number().positive().max(100).optional(),
  beta1: z.number().min(0).max(1).optional(),
  beta2: z.number().min(0).max(1).optional(),
  tau: z.number().positive().max(1).optional(),
  beta: z.number().min(0).max(0.5).optional(),
  f: int(0, 100).optional(),
});

const timeoutsSchema = z.strictObject({
  approval: seconds(86400),
  advertise: seconds(60),
  share: seconds(60),
  train: seconds(1800),
  unmask: seconds(60),
  waitAfterQuorum: int(0, 86400).default(30),
  resumeGrace: int(0, 86400).default(120),
  retryDelay: int(0, 86400).default(30),
  maxAttempts: int(1, 100).default(3),
});

export const sessionConfigSchema = z
  .strictObject({
    name: z.string().max(200).optional(),
    description: z.string().max(4000).optional(),
    model: modelSchema.default(modelSchema.parse({})),
    dataset: z.strictObject({
      tag: z.string().min(1).max(200),
      labelColumn: z.string().min(1).max(100).default("label"),
      minExamples: int(1, 1e9).default(50),
    }),
    rounds: int(1, 1000).default(20),
    localEpochs: int(1, 1000).default(1),
    maxLocalSteps: int(1, 1e9).optional(),
    batchSize: int(1, 1024).default(32),
    optimizer: z
      .strictObject({
        name: z.enum(["adam", "sgd"]).default("adam"),
        learningRate: z.number().positive().max(10).default(1e-3),
        lrDecayPerRound: z.number().positive().max(1).default(1),
        momentum: z.number().min(0).max(1).default(0),
      })
      .default({ name: "adam", learningRate: 1e-3, lrDecayPerRound: 1, momentum: 0 }),
    augment: z.strictObject({ shiftPx: int(0, 16).default(0) }).default({ shiftPx: 0 }),
    strategy: strategySchema.default({ name: "fedavg" }),
    nodes: z
      .strictObject({
        min: int(2, 255).default(3),
        max: int(2, 255).default(50),
        fraction: z.number().gt(0).max(1).default(1),
        include: z.array(z.string().min(1).max(200)).max(1000).optional(),
        exclude: z.array(z.string().min(1).max(200)).max(1000).optional(),
      })
      .default({ min: 3, max: 50, fraction: 1 }),
    timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
    secureAggregation: z
      .strictObject({
        enabled: z.boolean().default(true),
        quantBits: int(8, 24).default(22),
        clip: z.number().positive().max(1e6).default(8),
        maxWeight: z.union([z.literal("auto"), int(1, 2 ** 30)]).default("auto"),
        // The ConsistencyCheck round (§6.4, malicious server) is not implemented: refuse it
        // rather than run without it.
        consistencyCheck: z.literal(false).default(false),
      })
      .default({ enabled: true, quantBits: 22, clip: 8, maxWeight: "auto", consistencyCheck: false }),
    dp: z
      .strictObject({
        mode: z.enum(["off", "central", "distributed"]).default("off"),
        clipNorm: z.number().positive().optional(),
        noiseMultiplier: z.number().positive().optional(),
        delta: z.number().gt(0).lt(1).default(1e-5),
        maxEpsilon: z.number().positive().optional(),
      })
      .default({ mode: "off", delta: 1e-5 }),
    validation: z
      .strictObject({
        maxUpdateNorm: z.number().positive().optional(),
        excludeOutliers: z.boolean().default(false),
      })
      .default({ excludeOutliers: false }),
    seed: z.string().min(1).max(128).optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const sa = c.secureAggregation.enabled;
    if (sa && !makeStrategy(c.strategy.name).secureAggregationCompatible)
      issue(["strategy", "name"], `${c.strategy.name} needs every update in clear: only with secureAggregation.enabled=false`);
    if (c.nodes.min < (sa ? 3 : 2))
      issue(["nodes", "min"], `nodes.min must be ≥ ${sa ? 3 : 2}${sa ? " with secure aggregation" : ""}`);
    if (c.nodes.max < c.nodes.min) issue(["nodes", "max"], "nodes.max must be ≥ nodes.min");
    if (c.dp.mode === "distributed" && !sa)
      issue(["dp", "mode"], "distributed DP requires secure aggregation");
    if (c.dp.mode !== "off" && (c.dp.clipNorm === undefined || c.dp.noiseMultiplier === undefined))
      issue(["dp"], "DP needs clipNorm and noiseMultiplier");
    if (c.dp.mode !== "off" && !makeStrategy(c.strategy.name).secureAggregationCompatible)
      issue(["strategy", "name"], "DP aggregates a uniform sum; robust strategies cannot be combined with it");
  });

export type SessionConfig = z.output<typeof sessionConfigSchema>;
export type SessionConfigInput = z.input<typeof sessionConfigSchema>;

/** Parses user input; the first problems are named in the error (`CONFIG_INVALID`). */
export function parseSessionConfig(input: unknown): SessionConfig {
  const r = sessionConfigSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new FlError("CONFIG_INVALID", msg);
  }
  return r.data;
}

export function cnnOptions(c: SessionConfig): CnnOptions {
  return {
    inputSize: c.model.inputSize,
    channels: c.model.channels,
    classes: c.model.classes.length,
    padding: c.model.padding,
    width: c.model.width,
  };
}

export const PREPROCESSING = { range: "[0,1]", crop: "centre-square", resize: "area|bilinear" };

/** planHash = SHA-256(JCS({config without name/description, manifestHash, initialModelHash, preprocessing})) (§1.3). */
export function planHash(c: SessionConfig, manifestHash: string): string {
  const { name: _n, description: _d, ...plan } = c;
  return createHash("sha256")
    .update(
      canonicalJson({
        config: plan,
        modelTopology: { arch: c.model.arch, manifestHash },
        initialModelHash: null,
        preprocessing: PREPROCESSING,
      }),
    )
    .digest("hex");
}

/** Learning rate of round r: lr·decay^(r−1) (§1.2). */
export function roundLearningRate(c: SessionConfig, round: number): number {
  return c.optimizer.learningRate * c.optimizer.lrDecayPerRound ** (round - 1);
}

export function strategyParams(c: SessionConfig): Record<string, number> {
  const { name: _n, ...p } = c.strategy;
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Record<
    string,
    number
  >;
}
