// Role checks as fastify preHandlers. app.ts refuses, at start-up, any route that has neither one
// of these nor `config.public` / `config.selfAuth`: no route is left unchecked by omission.
import "../http-types.ts";
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Role } from "../config.ts";
import { forbidden, unauthorized } from "../errors.ts";

const GUARD = Symbol.for("medtrace.roleGuard");

type Guard = preHandlerAsyncHookHandler & { [GUARD]: true };

function guard(check: (request: FastifyRequest) => void): Guard {
  const fn = async (request: FastifyRequest, _reply: FastifyReply) => check(request);
  return Object.assign(fn, { [GUARD]: true as const }) as unknown as Guard;
}

/** Any of `roles` (none given: any authenticated user). A pending password change blocks all. */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return guard((request) => {
    const user = request.user;
    if (!user) throw unauthorized();
    if (user.mustChangePassword) throw forbidden("change the one-time password first (POST /api/auth/password)", "password-change-required");
    if (roles.length > 0 && !roles.some((r) => user.roles.includes(r))) throw forbidden(`requires role ${roles.join(" or ")}`);
  });
}

/** Any authenticated user, even one who must still change a one-time password (me, password). */
export function requireUser(): preHandlerAsyncHookHandler {
  return guard((request) => {
    if (!request.user) throw unauthorized();
  });
}

export function isRoleGuard(fn: unknown): boolean {
  return typeof fn === "function" && (fn as Partial<Guard>)[GUARD] === true;
}
