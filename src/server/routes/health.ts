// Liveness, unauthenticated and unaudited (load balancers poll it).
import type { FastifyInstance } from "fastify";
import { VERSION } from "../../util/version.ts";
import type { ServerContext } from "../context.ts";

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/health", { config: { public: true, audit: false }, schema: { summary: "Liveness", tags: ["health"] } }, async () => ({
    ok: true,
    version: VERSION,
    database: ctx.database.dialect,
    ledgerSize: ctx.ledger.size,
  }));
}
