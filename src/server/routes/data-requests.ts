// Data requests (issue 6, DESIGN.md "Data access"): a data scientist asks; the request runs in the
// background (202 + id); its status shows each node's outcome and, once done, the grant.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { findGrant } from "../data-access/access.ts";
import { dataQuerySchema } from "../data-access/query.ts";
import { dataAccessOf } from "../data-access/service.ts";
import { baseUrl, grantView, requestView } from "../data-access/views.ts";
import { forbidden, notFound } from "../errors.ts";
import { queryInt, routeInput } from "../validate.ts";

export const MAX_INSTANCES_PER_REQUEST = 10_000;

const create = routeInput(
  {
    body: z.strictObject({
      query: dataQuerySchema,
      purpose: z.string().trim().min(1, "name the purpose").max(200),
      maxInstances: z.number().int().min(1).max(MAX_INSTANCES_PER_REQUEST),
    }),
  },
  { summary: "Request de-identified images; answers 202 with the request id", tags: ["data access"] },
);
const byId = routeInput({ params: z.strictObject({ id: z.string().uuid("must be a request id (UUID)") }) }, { summary: "A data request: status per node and the grant", tags: ["data access"] });
const list = routeInput({ query: z.strictObject({ limit: queryInt(1, 500).default(50), offset: queryInt(0).default(0) }) }, { summary: "The caller's data requests, newest first", tags: ["data access"] });

export function dataRequestRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const service = dataAccessOf(ctx);
  // Catalogues and approval decisions that nodes publish are taken from the start, not only once a request ran.
  if (ctx.hub) service.subscribe(ctx.hub);

  app.post("/api/data-requests", { preHandler: requireRole("data-scientist"), config: { audit: "data-request.create" }, schema: create.schema }, async (request, reply) => {
    const { body } = create.parse(request);
    const id = await service.submit(request.user!.id, body);
    request.auditEntity = { type: "data-request", id };
    request.auditDetail = { purpose: body.purpose, maxInstances: body.maxInstances };
    void reply.code(202).header("location", `/api/data-requests/${id}`);
    return { id, status: "running", location: `/api/data-requests/${id}` };
  });

  app.get("/api/data-requests", { preHandler: requireRole("data-scientist"), config: { audit: "data-request.list" }, schema: list.schema }, async (request) => {
    const { query } = list.parse(request);
    const rows = await service.repo.requestsOf(request.user!.id, query.limit, query.offset);
    return { requests: rows.map((r) => requestView(r, null)) };
  });

  app.get("/api/data-requests/:id", { preHandler: requireRole("data-scientist", "dpo", "consortium-admin"), config: { audit: "data-request.read" }, schema: byId.schema }, async (request) => {
    const { params } = byId.parse(request);
    const row = await service.repo.request(params.id);
    if (!row) throw notFound(`no data request ${params.id}`);
    request.auditEntity = { type: "data-request", id: row.id };
    const user = request.user!;
    if (row.user_id !== user.id && !user.roles.some((r) => r === "dpo" || r === "consortium-admin")) throw forbidden("this data request belongs to another user");
    const grant = row.grant_id ? await findGrant(service, row.grant_id) : null;
    return requestView(row, grant ? grantView(service, grant, await service.repo.instancesOf(grant.id), baseUrl(request)) : null);
  });
}
