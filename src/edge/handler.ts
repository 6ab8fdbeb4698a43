// The edge node's answers to the server's tasks (contract: catalogue.get, data.request,
// annotation.deliver). Every body is validated first; every DICOM file is de-identified before it
// is returned; what was released and what came back is appended to the node's own data directory.
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { deidentifyDicom, ImagingError } from "../imaging/index.ts";
import { buildCatalogue, type CatalogueEntry, seriesGroups, studyKey, studyMonth } from "./catalogue.ts";
import { EdgeError } from "./errors.ts";
import { ApprovalStore, checkPolicy, type EdgePolicy, requestDigest } from "./policy.ts";
import type { DataSource, InstanceRef, SourceInstance, SourceStudy } from "./sources/index.ts";

export interface EdgeTask {
  type: string;
  body: unknown;
}
export interface EdgeTaskResult {
  json: unknown;
  blobs?: Uint8Array[];
}
/** The contract's TaskHandler, the function helper C's channel dispatches tasks to. */
export type TaskHandler = (task: EdgeTask) => Promise<EdgeTaskResult>;

export interface EdgeKeys {
  /** Keys replacement UIDs and patient pseudonyms (src/imaging/deidentify.ts). */
  deid: Uint8Array;
  /** Keys catalogue study keys. */
  catalogue: Uint8Array;
}

export interface HandlerContext {
  nodeId: string;
  /** The node's data directory: approvals/, released.jsonl, annotations.jsonl. */
  dir: string;
  source: DataSource;
  policy: EdgePolicy;
  keys: EdgeKeys;
  /** Where failures are logged in full on the node (default: stderr). */
  log?: (line: string) => void;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const term = z.string().min(1).max(64);
const dataQuerySchema = z.strictObject({
  modality: z.array(term).max(32).optional(),
  bodyPart: z.array(term).max(32).optional(),
  studyMonthFrom: z.string().regex(MONTH, "must be YYYY-MM").optional(),
  studyMonthTo: z.string().regex(MONTH, "must be YYYY-MM").optional(),
  labels: z.array(term).max(64).optional(),
  studyKeys: z.array(z.string().min(1).max(128)).max(1000).optional(),
});
export type DataQuery = z.output<typeof dataQuerySchema>;

const dataRequestSchema = z.strictObject({
  requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 letters, digits or ._:-"),
  query: dataQuerySchema,
  purpose: z.string().trim().min(1).max(200),
  maxInstances: z.number().int().positive().max(1_000_000),
  requester: z.string().min(1).max(128),
});
export type DataRequest = z.output<typeof dataRequestSchema>;

const point = z.tuple([z.number().finite(), z.number().finite()]);
const annotationDeliverSchema = z.strictObject({
  grantId: z.string().min(1).max(128),
  sopInstanceUid: z.string().regex(/^[0-9]+(\.[0-9]+)*$/, "must be a UID").max(64),
  annotation: z.strictObject({
    labels: z.array(z.string().min(1).max(200)).max(256),
    regions: z
      .array(z.strictObject({ kind: z.enum(["rect", "polygon", "point"]), points: z.array(point).min(1).max(10_000) }))
      .max(1000),
    measurements: z
      .array(z.strictObject({ kind: z.enum(["length", "area"]), value: z.number().finite(), unit: z.string().min(1).max(32) }))
      .max(1000),
    author: z.string().min(1).max(128),
    createdAt: z.iso.datetime({ offset: true }),
  }),
});
export type AnnotationDelivery = z.output<typeof annotationDeliverSchema>;

export interface DataReply {
  status: "ok" | "refused" | "pending-approval";
  reason?: string;
  instances: InstanceRef[];
}

function parseBody<T>(type: string, schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`);
  throw new EdgeError("EDGE_BAD_TASK", `${type}: ${issues.slice(0, 5).join("; ")}`);
}

const same = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/** Instances of `studies` the query selects, in catalogue order (study, group, series, instance). */
export function matchInstances(studies: SourceStudy[], query: DataQuery, catalogueKey: Uint8Array): SourceInstance[] {
  const out: SourceInstance[] = [];
  for (const study of studies) {
    const month = studyMonth(study.studyDate);
    if (query.studyMonthFrom && (month === "" || month < query.studyMonthFrom)) continue;
    if (query.studyMonthTo && (month === "" || month > query.studyMonthTo)) continue;
    if (query.studyKeys && !query.studyKeys.includes(studyKey(catalogueKey, study.studyInstanceUid))) continue;
    for (const g of seriesGroups(study)) {
      if (query.modality && !query.modality.some((m) => same(m, g.modality))) continue;
      if (query.bodyPart && !query.bodyPart.some((b) => same(b, g.bodyPart))) continue;
      const instances = g.series.flatMap((s) => s.instances);
      const labels = instances.flatMap((i) => i.labels);
      if (query.labels && !query.labels.some((l) => labels.some((x) => same(x, l)))) continue;
      out.push(...instances);
    }
  }
  return out;
}

function appendJsonLine(path: string, record: unknown): void {
  // Append-only: O_APPEND, one JSON object per line, never rewritten.
  appendFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: "a" });
}

export class EdgeHandler {
  readonly approvals: ApprovalStore;
  readonly annotationsFile: string;
  readonly releasedFile: string;

  constructor(private readonly ctx: HandlerContext) {
    mkdirSync(ctx.dir, { recursive: true, mode: 0o700 });
    this.approvals = new ApprovalStore(ctx.dir);
    this.annotationsFile = join(ctx.dir, "annotations.jsonl");
    this.releasedFile = join(ctx.dir, "released.jsonl");
  }

  /**
   * The contract's TaskHandler, bound. Errors about the task itself go back as they are; any other
   * failure (a PACS error naming a study UID, a file path) is logged here and replaced by a
   * message that carries nothing from the hospital's data.
   */
  readonly handle: TaskHandler = async (task) => {
    try {
      return await this.dispatch(task);
    } catch (err) {
      if (err instanceof EdgeError && (err.code === "EDGE_BAD_TASK" || err.code === "EDGE_UNKNOWN_TASK")) throw err;
      const code = (err as { code?: unknown }).code;
      (this.ctx.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`${task?.type} failed: ${(err as Error).stack ?? String(err)}`);
      throw new EdgeError(
        "EDGE_SOURCE_FAILED",
        `the node could not answer ${String(task?.type).slice(0, 64)}${typeof code === "string" ? ` (${code})` : ""}; details are in the node's log`,
      );
    }
  };

  private async dispatch(task: EdgeTask): Promise<EdgeTaskResult> {
    if (!task || typeof task.type !== "string") throw new EdgeError("EDGE_BAD_TASK", "a task needs a type");
    switch (task.type) {
      case "catalogue.get":
        return { json: await this.catalogue() };
      case "data.request": {
        const r = await this.dataRequest(parseBody(task.type, dataRequestSchema, task.body));
        return { json: r.reply, blobs: r.blobs };
      }
      case "annotation.deliver":
        return { json: this.storeAnnotation(parseBody(task.type, annotationDeliverSchema, task.body)) };
      default:
        throw new EdgeError("EDGE_UNKNOWN_TASK", `this node does not handle task type "${task.type.slice(0, 64)}"`);
    }
  }

  async catalogue(): Promise<CatalogueEntry[]> {
    return buildCatalogue(this.ctx.nodeId, this.ctx.keys.catalogue, await this.ctx.source.listStudies());
  }

  /** Policy first, then approval, then matching, de-identification and release. */
  async dataRequest(req: DataRequest): Promise<{ reply: DataReply; blobs: Uint8Array[] }> {
    const refused = (reason: string) => ({ reply: { status: "refused" as const, reason, instances: [] }, blobs: [] });
    const decision = checkPolicy(this.ctx.policy, req);
    if (!decision.allow) return refused(decision.reason);
    if (this.ctx.policy.requireApproval) {
      const digest = requestDigest(req);
      const rec = this.approvals.ask({ ...req, digest });
      if (rec.digest !== digest) return refused(`request ${req.requestId} differs from the one shown to the hospital admin`);
      if (rec.status === "denied") return refused("the hospital admin declined this request");
      if (rec.status === "pending") {
        return {
          reply: { status: "pending-approval", reason: "awaiting the hospital admin's approval", instances: [] },
          blobs: [],
        };
      }
    }
    const selected = matchInstances(await this.ctx.source.listStudies(), req.query, this.ctx.keys.catalogue).slice(
      0,
      req.maxInstances,
    );
    return this.release(req, selected);
  }

  private async release(req: DataRequest, selected: SourceInstance[]): Promise<{ reply: DataReply; blobs: Uint8Array[] }> {
    const instances: InstanceRef[] = [];
    const blobs: Uint8Array[] = [];
    const released: { deidentified: InstanceRef; source: InstanceRef }[] = [];
    let withheld = 0;
    for (const inst of selected) {
      const source: InstanceRef = {
        studyInstanceUid: inst.studyInstanceUid,
        seriesInstanceUid: inst.seriesInstanceUid,
        sopInstanceUid: inst.sopInstanceUid,
      };
      let out;
      try {
        out = deidentifyDicom(await this.ctx.source.readInstance(source), { key: this.ctx.keys.deid });
      } catch (err) {
        // A file that cannot be de-identified (burned-in text, unreadable) never leaves the node.
        if (err instanceof ImagingError || (err instanceof EdgeError && err.code === "SOURCE_NOT_FOUND")) {
          withheld++;
          continue;
        }
        throw err;
      }
      const deidentified = {
        sopInstanceUid: out.sopInstanceUid,
        studyInstanceUid: out.studyInstanceUid,
        seriesInstanceUid: out.seriesInstanceUid,
      };
      instances.push(deidentified);
      blobs.push(out.bytes);
      released.push({ deidentified, source });
    }
    appendJsonLine(this.releasedFile, {
      at: new Date().toISOString(),
      requestId: req.requestId,
      requester: req.requester,
      purpose: req.purpose,
      instances: released,
    });
    const reply: DataReply = { status: "ok", instances };
    if (withheld > 0) reply.reason = `${withheld} instance(s) withheld: they could not be de-identified`;
    else if (selected.length === 0) reply.reason = "no instance matches the query";
    return { reply, blobs };
  }

  /** The source instance a released (de-identified) SOP Instance UID came from, if any. */
  sourceOf(sopInstanceUid: string): InstanceRef | undefined {
    if (!existsSync(this.releasedFile)) return undefined;
    for (const line of readFileSync(this.releasedFile, "utf8").split("\n")) {
      if (line === "") continue;
      const rec = JSON.parse(line) as { instances: { deidentified: InstanceRef; source: InstanceRef }[] };
      const hit = rec.instances.find((i) => i.deidentified.sopInstanceUid === sopInstanceUid);
      if (hit) return hit.source;
    }
    return undefined;
  }

  storeAnnotation(d: AnnotationDelivery): { stored: true; id: string } {
    const id = randomUUID();
    const source = this.sourceOf(d.sopInstanceUid);
    appendJsonLine(this.annotationsFile, { id, receivedAt: new Date().toISOString(), ...d, ...(source ? { source } : {}) });
    return { stored: true, id };
  }

  /** Every stored annotation, oldest first. */
  annotations(): ({ id: string; receivedAt: string; source?: InstanceRef } & AnnotationDelivery)[] {
    if (!existsSync(this.annotationsFile)) return [];
    return readFileSync(this.annotationsFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
  }
}
