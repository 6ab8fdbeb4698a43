// The HTTP API (fastify 5). Shared services come from the ServerContext given once; each concern is
// a plugin in routes/. Cross-cutting rules live here: zod is the only validator, every route is
// authenticated unless marked public and carries a role guard, every call is an audit event, and
// every error leaves as `{error, message}` (500s without internals).
import "./http-types.ts";
import multipart from "@fastify/multipart";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { VERSION } from "../util/version.ts";
import { isRoleGuard } from "./auth/index.ts";
import type { ServerContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { auditRoutes } from "./routes/audit.ts";
import { authRoutes } from "./routes/auth.ts";
import { dataRequestRoutes } from "./routes/data-requests.ts";
import { dicomwebRoutes } from "./routes/dicomweb.ts";
import { grantRoutes } from "./routes/grants.ts";
import { healthRoutes } from "./routes/health.ts";
import { ledgerRoutes } from "./routes/ledger.ts";
import { nodeRoutes } from "./routes/nodes.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { traceRoutes } from "./routes/trace.ts";
import { userRoutes } from "./routes/users.ts";
import { webRoutes } from "./routes/web.ts";

/** A concern's routes: registered in its own fastify scope with the shared context. */
export type RoutePlugin = (app: FastifyInstance, ctx: ServerContext) => Promise<void> | void;

// One line per concern (helpers C and D add theirs here).
const ROUTES: RoutePlugin[] = [healthRoutes, authRoutes, userRoutes, auditRoutes, alertRoutes, ledgerRoutes, traceRoutes, dataRequestRoutes, grantRoutes, dicomwebRoutes, webRoutes, nodeRoutes, sessionRoutes];

export interface BuildOptions {
  /** Serve HTTPS with this key pair (PEM); without it, plain HTTP (the CLI allows that on loopback only). */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** fastify's pino logger; `{ level: "warn" }` logs failures without request lines (whose URLs may carry grant tokens). */
  logger?: boolean | { level: string };
  /** Extra route plugins (tests, demo). */
  routes?: RoutePlugin[];
}

export async function buildApp(ctx: ServerContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: ctx.config.bodyLimit,
    ...(opts.https ? { https: { ...opts.https, minVersion: "TLSv1.2" as const } } : {}),
  }) as unknown as FastifyInstance;

  // zod parses every input (validate.ts); the JSON schemas on routes only document them.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.decorateRequest("user", null);
  app.decorateRequest("auditEntity", null);
  app.decorateRequest("auditDetail", null);
  const table: RouteInfo[] = [];
  routeTables.set(app, table);
  app.addHook("onRoute", (route) => {
    refuseUnguardedRoutes(route);
    for (const method of [route.method].flat()) if (method !== "HEAD") table.push({ method, url: route.url, public: Boolean(route.config?.public), selfAuth: Boolean(route.config?.selfAuth) });
  });
  app.addHook("onRequest", async (request) => authenticate(ctx, request));
  app.addHook("onSend", async (request, reply, payload) => {
    await auditCall(ctx, request, reply);
    return payload;
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: "not-found", message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "medtrace API", version: VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(multipart, { limits: { fileSize: ctx.config.uploadLimit, files: 1, fields: 8, fieldSize: 64 * 1024, parts: 10 } });

  for (const plugin of [...ROUTES, ...(opts.routes ?? [])]) await app.register(async (scope) => plugin(scope, ctx));
  app.get("/api/docs", { config: { public: true, audit: false }, schema: { hide: true } }, async () => app.swagger());
  return app;
}

export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
  selfAuth: boolean;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route the app registered (HEAD twins left out): tests walk it to check guards and inputs. */
export function listRoutes(app: FastifyInstance): RouteInfo[] {
  return [...(routeTables.get(app) ?? [])];
}

function refuseUnguardedRoutes(route: { method: string | string[]; url: string; preHandler?: unknown; config?: unknown }): void {
  const config = (route.config ?? {}) as { public?: boolean; selfAuth?: boolean };
  if (config.public || config.selfAuth) return;
  const pre = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
  if (!pre.some(isRoleGuard)) throw new Error(`route ${String(route.method)} ${route.url} has no requireRole guard and is not marked public`);
}

async function authenticate(ctx: ServerContext, request: FastifyRequest): Promise<void> {
  if (request.is404 || request.routeOptions.config.public) return;
  try {
    request.user = await ctx.authenticator.authenticate(request);
  } catch (err) {
    // A route that takes its own tokens (grant tokens) decides for itself.
    if (!request.routeOptions.config.selfAuth) throw err;
  }
  if (!request.user && !request.routeOptions.config.selfAuth) throw new HttpError(401, "unauthorized", "authentication required: send 'Authorization: Bearer <token>'");
}

async function auditCall(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const action = request.routeOptions.config?.audit;
  if (request.is404 || action === false) return;
  try {
    await ctx.audit.record({
      action: action ?? `api ${request.method} ${request.routeOptions.url}`,
      outcome: reply.statusCode < 400 ? "success" : "failure",
      actor: { userId: request.user?.id, ip: request.ip },
      entity: request.auditEntity ?? undefined,
      detail: { method: request.method, path: request.url.split("?")[0], status: reply.statusCode, ...request.auditDetail },
    });
  } catch (err) {
    request.log.error({ err }, "audit record failed");
  }
}

function errorHandler(err: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof HttpError) {
    void reply.code(err.statusCode).send({ error: err.code, message: err.message });
    return;
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    void reply.code(status).send({ error: clientErrorCode(status), message: err.message });
    return;
  }
  // PostgreSQL class 22 (data exception: NUL in text, bad encoding, out of range) is bad input.
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) {
    void reply.code(400).send({ error: "bad-request", message: `a value in the request cannot be stored: ${err.message}` });
    return;
  }
  request.log.error({ err }, "unexpected error");
  void reply.code(500).send({ error: "internal", message: "internal server error" });
}

function clientErrorCode(status: number): string {
  if (status === 413) return "payload-too-large";
  if (status === 415) return "unsupported-media-type";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 406) return "not-acceptable";
  if (status === 429) return "rate-limited";
  return "bad-request";
}
