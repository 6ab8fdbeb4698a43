// What the server adds to fastify's request and route config (declaration merging, one place).
import type { AuthUser } from "./auth/index.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller, null on public routes or before authentication. */
    user: AuthUser | null;
    /** Set by a route to name what it touched in its audit event. */
    auditEntity: { type: string; id: string } | null;
    /** Extra audit detail a route adds (never secrets). */
    auditDetail: Record<string, unknown> | null;
  }
  interface FastifyContextConfig {
    /** No authentication at all (login, health, docs). */
    public?: boolean;
    /** The route authenticates the caller itself (e.g. grant tokens); `request.user` is set when a user token is valid. */
    selfAuth?: boolean;
    /** Audit action name; false for routes that record their own event or none (health). */
    audit?: string | false;
  }
}

export {};
