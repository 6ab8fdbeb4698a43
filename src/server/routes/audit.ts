// Audit routes (dpo, consortium-admin): FHIR AuditEvent search (a searchset Bundle) and the ATNA
// export as RFC 5424 syslog lines.
import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type AuditQuery, searchBundle, syslogLine } from "../audit/index.ts";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { badRequest } from "../errors.ts";
import { queryInt, routeInput } from "../validate.ts";

const oneOrMany = z.union([z.string().max(64), z.array(z.string().max(64)).max(4)]);

const search = routeInput(
  {
    query: z.strictObject({
      date: oneOrMany.optional(),
      agent: z.string().min(1).max(200).optional(),
      action: z.string().min(1).max(200).optional(),
      outcome: z.enum(["0", "4", "success", "failure"]).optional(),
      entity: z.string().min(1).max(200).optional(),
      _count: queryInt(1, 1000).default(100),
      _offset: queryInt(0).default(0),
    }),
  },
  { summary: "Search audit events (FHIR AuditEvent; date=geYYYY-MM-DD&date=lt…, agent, action, outcome, entity)", tags: ["audit"] },
);
const exportQuery = routeInput(
  {
    query: z.strictObject({
      format: z.literal("syslog"),
      date: oneOrMany.optional(),
    }),
  },
  { summary: "ATNA export: RFC 5424 syslog lines carrying DICOM audit messages", tags: ["audit"] },
);

export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const auditors = requireRole("dpo", "consortium-admin");

  app.get("/api/audit/events", { preHandler: auditors, config: { audit: "audit.search" }, schema: search.schema }, async (request) => {
    const { query } = search.parse(request);
    const q: AuditQuery = {
      ...dateRange(query.date),
      action: query.action,
      outcome: query.outcome === "0" || query.outcome === "success" ? "success" : query.outcome ? "failure" : undefined,
      userId: query.agent,
      entityId: query.entity,
      limit: query._count,
      offset: query._offset,
    };
    const { total, rows } = await ctx.audit.search(q);
    return searchBundle(rows, total, ctx.config.consortiumId, request.url);
  });

  app.get("/api/audit/export", { preHandler: auditors, config: { audit: "audit.export" }, schema: exportQuery.schema }, async (request, reply) => {
    const { query } = exportQuery.parse(request);
    const range = dateRange(query.date);
    const host = hostname();
    const lines: string[] = [];
    const PAGE = 1000;
    for (let offset = 0; ; offset += PAGE) {
      const { rows } = await ctx.audit.search({ ...range, limit: PAGE, offset });
      for (const r of rows) lines.push(syslogLine(r, host, ctx.config.consortiumId));
      if (rows.length < PAGE) break;
    }
    void reply.type("text/plain; charset=utf-8").header("content-disposition", 'attachment; filename="medtrace-audit.log"');
    return lines.length > 0 ? `${lines.join("\n")}\n` : "";
  });
}

/** FHIR date search prefixes (ge, gt, le, lt, eq); a bare date is that whole day (UTC). */
export function dateRange(date: string | string[] | undefined): Pick<AuditQuery, "from" | "to" | "fromExclusive" | "toInclusive"> {
  const out: Pick<AuditQuery, "from" | "to" | "fromExclusive" | "toInclusive"> = {};
  for (const d of date === undefined ? [] : Array.isArray(date) ? date : [date]) {
    const m = /^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(d);
    if (!m) throw badRequest(`query.date: '${d}' is not a FHIR date (e.g. ge2026-01-31 or lt2026-01-31T12:00:00Z)`, "validation");
    const [, prefix = "eq", day, time] = m;
    const start = Date.parse(time ? `${day}${time}` : `${day}T00:00:00Z`);
    if (Number.isNaN(start)) throw badRequest(`query.date: '${d}' is not a valid date`, "validation");
    const end = time ? start : start + 86_400_000;
    const iso = (t: number) => new Date(t).toISOString();
    if (prefix === "ge" || prefix === "eq") Object.assign(out, { from: iso(start), fromExclusive: false });
    if (prefix === "gt") Object.assign(out, { from: iso(time ? start : end), fromExclusive: Boolean(time) });
    if (prefix === "lt") Object.assign(out, { to: iso(start), toInclusive: false });
    if (prefix === "le" || prefix === "eq") Object.assign(out, time ? { to: iso(end), toInclusive: true } : { to: iso(end), toInclusive: false });
  }
  return out;
}
