// The hospital's training policy (node.json "training", federated-learning.md §1.3, §4.1): the
// datasets it offers (a tag, its classes and which of its images) and which sessions it joins.
import { z } from "zod";
import type { SessionConfig } from "../fl/protocol/index.ts";

const term = z.string().min(1).max(64);
const trainingDatasetSchema = z.strictObject({
  /** matched against a session's dataset.tag */
  tag: z.string().min(1).max(200),
  /** class names in label order: a label outside them makes the dataset invalid (§4.1) */
  classes: z.array(term).min(2).max(64),
  inputSize: z.number().int().min(8).max(256).default(28),
  modality: z.array(term).max(32).optional(),
  bodyPart: z.array(term).max(32).optional(),
});

/** node.json "training": what the hospital offers and which sessions it accepts (§1.3). */
export const trainingPolicySchema = z.strictObject({
  enabled: z.boolean().default(true),
  datasets: z.array(trainingDatasetSchema).max(32).default([]),
  /** refuse plans that would show this hospital's update to the server in clear */
  requireSecureAggregation: z.boolean().default(true),
  maxRounds: z.number().int().positive().max(1000).default(1000),
  /** when set, only these plan hashes (the admin's explicit approvals) */
  approvedPlans: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1000).optional(),
});
export type TrainingPolicy = z.output<typeof trainingPolicySchema>;
export const DEFAULT_TRAINING: TrainingPolicy = trainingPolicySchema.parse({});

/** The hospital's decision on a session plan: a reason when refused. */
export function refuseSession(policy: TrainingPolicy, offer: { planHash: string; config: SessionConfig }): string | undefined {
  const c = offer.config;
  if (!policy.enabled) return "training is disabled on this node";
  if (!policy.datasets.some((d) => d.tag === c.dataset.tag)) return `no dataset tagged "${c.dataset.tag}"`;
  if (policy.requireSecureAggregation && !c.secureAggregation.enabled) return "this hospital requires secure aggregation";
  if (c.rounds > policy.maxRounds) return `${c.rounds} rounds asked; this hospital allows ${policy.maxRounds}`;
  if (policy.approvedPlans && !policy.approvedPlans.includes(offer.planHash)) return "plan not among the admin's approvals";
  return undefined;
}

