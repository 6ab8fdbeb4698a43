// The contract's DataQuery and CatalogueEntry, validated with zod (a node's catalogue is input
// like any other), and the match that decides which nodes a request is sent to.
import { z } from "zod";

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const term = z.string().min(1).max(64);

export const dataQuerySchema = z.strictObject({
  modality: z.array(term).min(1).max(32).optional(),
  bodyPart: z.array(term).min(1).max(32).optional(),
  studyMonthFrom: z.string().regex(MONTH, "must be YYYY-MM").optional(),
  studyMonthTo: z.string().regex(MONTH, "must be YYYY-MM").optional(),
  labels: z.array(term).min(1).max(64).optional(),
  studyKeys: z.array(z.string().min(1).max(128)).min(1).max(1000).optional(),
});
export type DataQuery = z.output<typeof dataQuerySchema>;

export const catalogueEntrySchema = z.object({
  nodeId: z.string().min(1).max(128),
  studyKey: z.string().min(1).max(128),
  modality: z.string().max(64),
  bodyPart: z.string().max(64),
  studyMonth: z.string().max(7),
  labels: z.array(z.string().max(64)).max(256),
  seriesCount: z.number().int().nonnegative(),
  instanceCount: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  columns: z.number().int().nonnegative(),
});
export type CatalogueEntry = z.output<typeof catalogueEntrySchema>;
export const catalogueSchema = z.array(catalogueEntrySchema).max(100_000);

const same = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

export function entryMatches(e: CatalogueEntry, q: DataQuery): boolean {
  if (q.modality && !q.modality.some((m) => same(m, e.modality))) return false;
  if (q.bodyPart && !q.bodyPart.some((b) => same(b, e.bodyPart))) return false;
  if (q.studyMonthFrom && e.studyMonth < q.studyMonthFrom) return false;
  if (q.studyMonthTo && e.studyMonth > q.studyMonthTo) return false;
  if (q.labels && !q.labels.some((l) => e.labels.some((x) => same(x, l)))) return false;
  if (q.studyKeys && !q.studyKeys.includes(e.studyKey)) return false;
  return true;
}

/** The node's answer to `data.request` (contract), checked before any blob is looked at. */
export const dataReplySchema = z.object({
  status: z.enum(["ok", "refused", "pending-approval"]),
  reason: z.string().max(2000).optional(),
  instances: z
    .array(z.object({ sopInstanceUid: z.string().min(1).max(64), studyInstanceUid: z.string().min(1).max(64), seriesInstanceUid: z.string().min(1).max(64) }))
    .max(100_000),
});
export type DataReply = z.output<typeof dataReplySchema>;
