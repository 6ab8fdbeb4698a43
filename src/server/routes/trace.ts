// Tracing a suspect file (dpo only; DESIGN.md "Tracing"): multipart upload -> src/tracing trace ->
// the recipient account (pseudonym resolved here, never in the ledger), method, evidence bundle.
// A hit raises an alert; the answer is kept so its evidence can be fetched again.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { ImagingError } from "../../imaging/index.ts";
import { type TraceResult, TracingError, trace } from "../../tracing/index.ts";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import { routeInput } from "../validate.ts";

const upload = routeInput({}, { summary: "Trace a suspect DICOM or PNG file (multipart field `file`)", tags: ["trace"], consumes: ["multipart/form-data"] });
const byId = routeInput({ params: z.strictObject({ id: z.string().uuid("must be a trace id (UUID)") }) }, { summary: "A stored trace", tags: ["trace"] });
const evidence = routeInput({ params: z.strictObject({ id: z.string().uuid("must be a trace id (UUID)") }) }, { summary: "The evidence bundle of a stored trace", tags: ["trace"] });

export interface TraceAnswer {
  id: string;
  found: boolean;
  method: TraceResult["method"];
  decision: string;
  message: string;
  /** The account the leaked copy was issued to (null when nothing, or only an image, was found). */
  recipient: { userId: string; username: string; pseudonym: string } | null;
  /** Every account named by the answer (zero-watermark matches may name several). */
  recipients: { pseudonym: string; userId: string | null; username: string | null }[];
  grantId: string | null;
  requestId: string | null;
  result: TraceResult;
  evidence: TraceResult["evidence"];
}

export function traceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const dpo = requireRole("dpo");
  const handler = async (request: FastifyRequest) => {
    const bytes = await suspectFile(request);
    const result = await traceOrUnprocessable(ctx, bytes, request.user!.id);
    const answer = await answerOf(ctx, result);
    await ctx.database.db
      .insertInto("traces")
      .values({ id: answer.id, time: new Date().toISOString(), user_id: request.user!.id, found: result.found ? 1 : 0, method: result.method, result: JSON.stringify(answer) })
      .execute();
    request.auditEntity = { type: "trace", id: answer.id };
    request.auditDetail = { found: result.found, traceMethod: result.method, traceEntryIndex: result.traceEntryIndex };
    if (result.found) await raiseHit(ctx, answer, request.user!.id);
    for (const a of result.alerts) await ctx.alerts.raise({ kind: "trace.finding", severity: "critical", message: a, detail: { traceId: answer.id } });
    return answer;
  };
  // ledger.md §14 names the collection `/api/traces`; the issue names `/api/trace`: both answer.
  app.post("/api/trace", { preHandler: dpo, config: { audit: "trace.perform" }, schema: upload.schema }, handler);
  app.post("/api/traces", { preHandler: dpo, config: { audit: "trace.perform" }, schema: upload.schema }, handler);

  app.get("/api/traces/:id", { preHandler: dpo, config: { audit: "trace.read" }, schema: byId.schema }, async (request) => {
    const { params } = byId.parse(request);
    request.auditEntity = { type: "trace", id: params.id };
    return storedTrace(ctx, params.id);
  });
  app.get("/api/traces/:id/evidence", { preHandler: dpo, config: { audit: "trace.evidence" }, schema: evidence.schema }, async (request) => {
    const { params } = evidence.parse(request);
    request.auditEntity = { type: "trace", id: params.id };
    return (await storedTrace(ctx, params.id)).evidence;
  });
}

/** A file that is no image the tracer reads is the uploader's problem: 422 with the reason. */
async function traceOrUnprocessable(ctx: ServerContext, bytes: Uint8Array, requestedBy: string): Promise<TraceResult> {
  try {
    return await trace({ bytes, requestedBy }, { ledger: ctx.ledger, master: ctx.master });
  } catch (err) {
    if (err instanceof TracingError || err instanceof ImagingError) throw new HttpError(422, "unsupported-image", err.message);
    throw err;
  }
}

async function suspectFile(request: FastifyRequest): Promise<Uint8Array> {
  if (!request.isMultipart()) throw new HttpError(415, "unsupported-media-type", "send the suspect file as multipart/form-data, field 'file'");
  const { part, bytes } = await readFirstFile(request);
  if (part.fieldname !== "file") throw badRequest(`unexpected field '${part.fieldname}'; the suspect goes in field 'file'`);
  if (bytes.length === 0) throw badRequest("the uploaded file is empty");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The first file part, read whole; a broken multipart body is the sender's fault (400). */
async function readFirstFile(request: FastifyRequest) {
  try {
    const part = await request.file();
    if (!part) throw badRequest("no file part in the upload (field 'file')");
    // Read the part before answering: an unread upload stalls the connection (keep-alive).
    const bytes = await part.toBuffer(); // 413 past config.uploadLimit
    return { part, bytes };
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (err instanceof HttpError || (typeof status === "number" && status < 500)) throw err;
    throw badRequest(`malformed multipart body: ${(err as Error).message}`);
  }
}

async function answerOf(ctx: ServerContext, result: TraceResult): Promise<TraceAnswer> {
  const recipients = await Promise.all(
    result.recipients.map(async (p) => {
      const who = await ctx.users.resolvePseudonym(p);
      return { pseudonym: p, userId: who?.userId ?? null, username: who?.username ?? null };
    }),
  );
  const primary = result.copy ? recipients.find((r) => r.pseudonym === result.copy!.recipient) : undefined;
  return {
    id: randomUUID(),
    found: result.found,
    method: result.method,
    decision: result.decision,
    message: result.message,
    recipient: primary?.userId ? { userId: primary.userId, username: primary.username!, pseudonym: primary.pseudonym } : null,
    recipients,
    grantId: result.copy?.grantId ?? null,
    requestId: result.copy?.requestId ?? null,
    result,
    evidence: result.evidence,
  };
}

function raiseHit(ctx: ServerContext, answer: TraceAnswer, dpoId: string) {
  const who = answer.recipient ? `${answer.recipient.username} (${answer.recipient.userId})` : `${answer.recipients.length} possible recipient(s)`;
  return ctx.alerts.raise({
    kind: "trace.hit",
    severity: "warning",
    message: `leaked image traced (${answer.method}) to ${who}`,
    detail: { traceId: answer.id, method: answer.method, recipient: answer.recipient?.userId ?? null, grantId: answer.grantId, tracedBy: dpoId },
  });
}

async function storedTrace(ctx: ServerContext, id: string): Promise<TraceAnswer> {
  const row = await ctx.database.db.selectFrom("traces").select("result").where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound(`no trace ${id}`);
  return JSON.parse(row.result) as TraceAnswer;
}
