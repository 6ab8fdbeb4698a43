// Login (local accounts -> short-lived JWT), the caller's identity, and password change.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { burnPasswordCheck, verifyPassword } from "../auth/index.ts";
import { requireUser } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { HttpError, unauthorized } from "../errors.ts";
import { routeInput } from "../validate.ts";

export const passwordSchema = z.string().min(12, "must be at least 12 characters").max(1024);
export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, "letters, digits and . _ @ - only");

const login = routeInput(
  { body: z.strictObject({ username: usernameSchema, password: z.string().min(1).max(1024) }) },
  { summary: "Sign in with a local account; returns a short-lived access token", tags: ["auth"] },
);
const password = routeInput(
  { body: z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }) },
  { summary: "Change one's own password (required after a one-time password)", tags: ["auth"] },
);

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/api/auth/login", { config: { public: true, audit: false }, schema: login.schema }, async (request) => {
    const ip = request.ip;
    if (!ctx.loginGuard.allowAttempt(ip)) {
      await auditLogin(ctx, request, "failure", { reason: "rate-limited" });
      throw new HttpError(429, "rate-limited", "too many login attempts from this address; wait a minute");
    }
    const { body } = login.parse(request);
    const found = await ctx.users.credentials(body.username);
    const now = Date.now();
    if (found?.user.lockedUntil && Date.parse(found.user.lockedUntil) > now) {
      await auditLogin(ctx, request, "failure", { username: body.username, reason: "locked" }, found.user.id);
      throw new HttpError(423, "account-locked", `account locked after repeated failed logins until ${found.user.lockedUntil}`);
    }
    const ok = found?.passwordHash ? await verifyPassword(body.password, found.passwordHash) : await burnPasswordCheck(body.password);
    if (!ok || !found) {
      await loginFailed(ctx, request, body.username, found?.user.id);
      throw unauthorized("invalid username or password");
    }
    if (found.user.disabled) {
      await auditLogin(ctx, request, "failure", { username: body.username, reason: "disabled" }, found.user.id);
      throw unauthorized("account is disabled");
    }
    ctx.loginGuard.success(body.username);
    if (found.user.lockedUntil) await ctx.users.lockUntil(found.user.id, null);
    const { token, expiresIn } = await ctx.tokens.issue({ sub: found.user.id, name: found.user.username, roles: found.user.roles });
    await auditLogin(ctx, request, "success", { username: body.username }, found.user.id);
    const { id, username, roles, mustChangePassword } = found.user;
    return { accessToken: token, tokenType: "Bearer", expiresIn, user: { id, username, roles, mustChangePassword } };
  });

  app.get(
    "/api/auth/me",
    { preHandler: requireUser(), config: { audit: "auth.me" }, schema: { summary: "The authenticated caller", tags: ["auth"] } },
    async (request) => {
      const { id, username, roles, source, mustChangePassword } = request.user!;
      return { id, username, roles, source, mustChangePassword };
    },
  );

  app.post("/api/auth/password", { preHandler: requireUser(), config: { audit: "auth.password-change" }, schema: password.schema }, async (request) => {
    const { body } = password.parse(request);
    const user = request.user!;
    if (user.source !== "local") throw new HttpError(409, "conflict", "this account signs in through the identity provider");
    const hash = await ctx.users.passwordHash(user.id);
    if (!hash || !(await verifyPassword(body.currentPassword, hash))) throw new HttpError(403, "forbidden", "current password is wrong");
    if (body.newPassword === body.currentPassword) throw new HttpError(400, "validation", "body.newPassword: must differ from the current password");
    await ctx.users.setPassword(user.id, body.newPassword, false);
    request.auditEntity = { type: "user", id: user.id };
    return { changed: true };
  });
}

async function loginFailed(ctx: ServerContext, request: FastifyRequest, username: string, userId?: string): Promise<void> {
  await auditLogin(ctx, request, "failure", { username, reason: "bad-credentials" }, userId);
  const { lock, burst } = ctx.loginGuard.failure(username, request.ip);
  if (lock && userId) {
    const until = ctx.loginGuard.lockedUntil();
    await ctx.users.lockUntil(userId, until);
    await ctx.audit.record({ action: "auth.lockout", outcome: "success", actor: { ip: request.ip }, entity: { type: "user", id: userId }, detail: { username, until } });
    await ctx.alerts.raise({
      kind: "auth.lockout",
      severity: "warning",
      message: `account ${username} locked after ${ctx.config.login.maxFailures} failed logins`,
      detail: { userId, username, ip: request.ip, until },
    });
  }
  if (burst) {
    await ctx.alerts.raise({
      kind: "auth.failed-login-burst",
      severity: "warning",
      message: `burst of failed logins from ${request.ip}`,
      detail: { ip: request.ip, windowMs: ctx.config.login.windowMs },
    });
  }
}

function auditLogin(ctx: ServerContext, request: FastifyRequest, outcome: "success" | "failure", detail: Record<string, unknown>, userId?: string): Promise<void> {
  return ctx.audit.record({
    action: "auth.login",
    outcome,
    actor: { userId, ip: request.ip },
    ...(userId ? { entity: { type: "user", id: userId } } : {}),
    detail,
  });
}
