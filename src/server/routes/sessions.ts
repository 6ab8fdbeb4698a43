// Training sessions (federated-learning.md §1.1; issue 7): create, follow (JSON and SSE), start,
// cancel, download the model. The session config is validated by the FL library's own schema
// (unknown fields rejected); the body is parsed there, not twice.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { seesEverySession } from "../fl/access.ts";
import type { FlSessions } from "../fl/sessions.ts";
import { routeInput } from "../validate.ts";

const HEARTBEAT_MS = 15_000;
const TAGS = ["training"];

const idParams = z.strictObject({ id: z.string().uuid("must be a session id (UUID)") });
const create = routeInput({ body: z.unknown() }, { summary: "Create a training session (returns planHash, seed and warnings)", tags: TAGS });
const list = routeInput(
  { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  { summary: "Training sessions, newest first: a data scientist's own; every session for a dpo or consortium-admin", tags: TAGS },
);
const one = routeInput({ params: idParams }, { summary: "Session state, round, attempt, phase, participants, metrics", tags: TAGS });
const events = routeInput({ params: idParams }, { summary: "Session progress as Server-Sent Events", tags: TAGS });
const act = routeInput({ params: idParams }, { summary: "Start or cancel a session", tags: TAGS });
const model = routeInput(
  { params: idParams, query: z.strictObject({ format: z.enum(["tfjs", "onnx"]).default("tfjs") }) },
  { summary: "Download the model of the last checkpoint (tfjs zip or ONNX)", tags: TAGS },
);

export async function sessionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  // TensorFlow.js loads with the first session, not with every server: restored at start only if
  // a session is unfinished, otherwise on first use.
  let loading: Promise<FlSessions> | undefined;
  const sessions = () =>
    (loading ??= import("../fl/sessions.ts").then(async (m) => {
      const s = new m.FlSessions(ctx);
      await s.init();
      return s;
    }));
  const unfinished = await ctx.database.db
    .selectFrom("fl_sessions")
    .select("id")
    .where("state", "not in", ["completed", "failed", "cancelled"])
    .limit(1)
    .execute();
  if (unfinished.length) await sessions();
  const open = new Set<{ end(): void }>();
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
  app.addHook("onClose", async () => {
    if (loading) await (await loading).close();
  });
  const scientist = requireRole("data-scientist");
  const readers = requireRole("data-scientist", "consortium-admin", "dpo");
  const cancellers = requireRole("data-scientist", "consortium-admin");

  app.post("/api/sessions", { preHandler: scientist, config: { audit: "fl.session.create.request" }, schema: create.schema }, async (request, reply) => {
    const created = await (await sessions()).create(request.user!.id, request.body);
    request.auditEntity = { type: "fl-session", id: created.id };
    void reply.code(201);
    return created;
  });

  // Read from the session table, not the live coordinators: listing must not load TensorFlow.js.
  app.get("/api/sessions", { preHandler: readers, config: { audit: "fl.session.list" }, schema: list.schema }, async (request) => {
    const { query } = list.parse(request);
    const user = request.user!;
    let q = ctx.database.db
      .selectFrom("fl_sessions as s")
      .leftJoin("users as u", "u.id", "s.created_by")
      .select(["s.id", "s.created_by", "u.username", "s.created_at", "s.updated_at", "s.state", "s.plan_hash", "s.model_hash"])
      .orderBy("s.created_at", "desc")
      .orderBy("s.id")
      .limit(query.limit);
    if (!seesEverySession(user)) q = q.where("s.created_by", "=", user.id);
    const rows = await q.execute();
    return {
      items: rows.map((r) => ({
        id: r.id,
        createdBy: { id: r.created_by, username: r.username },
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        state: r.state,
        planHash: r.plan_hash,
        modelHash: r.model_hash,
      })),
    };
  });

  app.get("/api/sessions/:id", { preHandler: readers, config: { audit: "fl.session.read" }, schema: one.schema }, async (request) => {
    const { params } = one.parse(request);
    return (await (await sessions()).get(params.id, request.user!)).c.view();
  });

  app.post("/api/sessions/:id/start", { preHandler: scientist, config: { audit: "fl.session.start" }, schema: act.schema }, async (request) => {
    const { params } = act.parse(request);
    request.auditEntity = { type: "fl-session", id: params.id };
    const fl = await sessions();
    await fl.start(params.id, request.user!);
    return (await fl.get(params.id, request.user!)).c.view();
  });

  app.post("/api/sessions/:id/cancel", { preHandler: cancellers, config: { audit: "fl.session.cancel" }, schema: act.schema }, async (request) => {
    const { params } = act.parse(request);
    request.auditEntity = { type: "fl-session", id: params.id };
    const fl = await sessions();
    await fl.cancel(params.id, request.user!);
    return (await fl.get(params.id, request.user!)).c.view();
  });

  app.get("/api/sessions/:id/model", { preHandler: scientist, config: { audit: "fl.model.download" }, schema: model.schema }, async (request, reply) => {
    const { params, query } = model.parse(request);
    request.auditEntity = { type: "fl-session", id: params.id };
    const m = await (await sessions()).model(params.id, request.user!, query.format);
    void reply.header("content-type", m.contentType).header("content-disposition", `attachment; filename="${m.filename}"`);
    return Buffer.from(m.bytes);
  });

  // Hijacked responses skip onSend, so this route records its own success (refusals are audited as usual).
  app.get("/api/sessions/:id/events", { preHandler: readers, config: { audit: "fl.session.events" }, schema: events.schema }, async (request, reply) => {
    const { params } = events.parse(request);
    const fl = await sessions();
    const live = await fl.get(params.id, request.user!);
    await ctx.audit.record({ action: "fl.session.events", outcome: "success", actor: { userId: request.user!.id, ip: request.ip }, entity: { type: "fl-session", id: params.id } });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    // the current state first, so a late subscriber needs no other call
    res.write(`event: snapshot\ndata: ${JSON.stringify(live.c.view())}\n\n`);
    open.add(res);
    const unsubscribe = fl.subscribe(params.id, (e) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    res.on("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
  });
}
