// Alerts: recent list, live Server-Sent Events stream (with Last-Event-ID replay), and webhook
// configuration (consortium-admin; the signing secret is shown once, at creation).
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { type Alert, SEVERITIES } from "../alerts/index.ts";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { badRequest, notFound } from "../errors.ts";
import { queryInt, routeInput } from "../validate.ts";

const HEARTBEAT_MS = 15_000;

const list = routeInput(
  { query: z.strictObject({ after: queryInt(0).optional(), limit: queryInt(1, 1000).default(100), kind: z.string().min(1).max(100).optional() }) },
  { summary: "Recent alerts (or those after an id)", tags: ["alerts"] },
);
const stream = routeInput({}, { summary: "Live alerts as Server-Sent Events (event: alert); Last-Event-ID replays missed ones", tags: ["alerts"] });
const createHook = routeInput(
  {
    body: z.strictObject({
      url: z.string().url().max(2000).refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL"),
      kinds: z.array(z.string().min(1).max(100)).max(50).optional(),
      minSeverity: z.enum(SEVERITIES as [string, ...string[]]).optional(),
    }),
  },
  { summary: "Register a webhook; the HMAC-SHA256 secret is returned once", tags: ["alerts"] },
);
const hookId = routeInput({ params: z.strictObject({ id: z.string().uuid("must be a webhook id (UUID)") }) }, { summary: "Remove a webhook", tags: ["alerts"] });
const hooks = routeInput({}, { summary: "List webhooks (no secrets)", tags: ["alerts"] });

const sse = (a: Alert): string => `id: ${a.id}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`;

export function alertRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const watchers = requireRole("dpo", "consortium-admin");
  const admin = requireRole("consortium-admin");
  const open = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });

  app.get("/api/alerts", { preHandler: watchers, config: { audit: "alerts.list" }, schema: list.schema }, async (request) => {
    const { query } = list.parse(request);
    return { alerts: await ctx.alerts.list({ afterId: query.after, limit: query.limit, kind: query.kind }) };
  });

  // A refused stream is audited by onSend like any call; an opened one is hijacked (no onSend), so
  // the handler records it.
  app.get("/api/alerts/stream", { preHandler: watchers, config: { audit: "alerts.stream" }, schema: stream.schema }, async (request, reply) => {
    const lastId = lastEventId(request);
    await ctx.audit.record({ action: "alerts.stream", outcome: "success", actor: { userId: request.user!.id, ip: request.ip }, detail: { method: "GET", path: "/api/alerts/stream" } });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(": medtrace alerts\n\n");
    open.add(res);
    // Subscribe before replaying, then drop live duplicates of replayed ids.
    let replayedUpTo = lastId ?? Number.MAX_SAFE_INTEGER;
    const pending: Alert[] = [];
    let replaying = lastId !== undefined;
    const unsubscribe = ctx.alerts.subscribe((a) => {
      if (replaying) pending.push(a);
      else if (lastId === undefined || a.id > replayedUpTo) res.write(sse(a));
    });
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    res.on("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
    if (lastId !== undefined) {
      const missed = await ctx.alerts.list({ afterId: lastId, limit: 1000 });
      for (const a of missed) res.write(sse(a));
      replayedUpTo = missed.length > 0 ? missed[missed.length - 1].id : lastId;
      replaying = false;
      for (const a of pending) if (a.id > replayedUpTo) res.write(sse(a));
    }
  });

  app.get("/api/webhooks", { preHandler: admin, config: { audit: "webhook.list" }, schema: hooks.schema }, async () => ({ webhooks: await ctx.alerts.webhooks.list() }));

  app.post("/api/webhooks", { preHandler: admin, config: { audit: "webhook.create" }, schema: createHook.schema }, async (request, reply) => {
    const { body } = createHook.parse(request);
    const { webhook, secret } = await ctx.alerts.webhooks.create({
      url: body.url,
      kinds: body.kinds,
      minSeverity: body.minSeverity as Alert["severity"] | undefined,
      createdBy: request.user!.id,
    });
    request.auditEntity = { type: "webhook", id: webhook.id };
    request.auditDetail = { url: webhook.url };
    void reply.code(201);
    return { webhook, secret, signature: { header: "X-Medtrace-Signature", scheme: "sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret string>" } };
  });

  app.delete("/api/webhooks/:id", { preHandler: admin, config: { audit: "webhook.delete" }, schema: hookId.schema }, async (request) => {
    const { params } = hookId.parse(request);
    request.auditEntity = { type: "webhook", id: params.id };
    if (!(await ctx.alerts.webhooks.remove(params.id))) throw notFound(`no webhook ${params.id}`);
    return { deleted: true };
  });
}

function lastEventId(request: FastifyRequest): number | undefined {
  const h = request.headers["last-event-id"];
  if (h === undefined) return undefined;
  const n = Number(h);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest("Last-Event-ID must be a non-negative integer");
  return n;
}
