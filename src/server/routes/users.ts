// Account administration (consortium-admin): create, list, set roles, disable/enable.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { oneTimePassword, requireRole, type User } from "../auth/index.ts";
import { ROLES } from "../config.ts";
import type { ServerContext } from "../context.ts";
import { badRequest, notFound } from "../errors.ts";
import { routeInput } from "../validate.ts";
import { passwordSchema, usernameSchema } from "./auth.ts";

const rolesSchema = z.array(z.enum(ROLES as [string, ...string[]])).min(1).max(ROLES.length);
const idParams = z.strictObject({ id: z.string().uuid("must be a user id (UUID)") });

const create = routeInput(
  { body: z.strictObject({ username: usernameSchema, roles: rolesSchema, password: passwordSchema.optional() }) },
  { summary: "Create a local account; without a password, a one-time one is returned once", tags: ["users"] },
);
const setRoles = routeInput({ params: idParams, body: z.strictObject({ roles: rolesSchema }) }, { summary: "Replace a user's roles", tags: ["users"] });
const setDisabled = routeInput(
  { params: idParams, body: z.strictObject({ disabled: z.boolean() }) },
  { summary: "Disable or re-enable an account", tags: ["users"] },
);
const list = routeInput({}, { summary: "List accounts", tags: ["users"] });

const view = ({ id, username, roles, disabled, mustChangePassword, lockedUntil, createdAt }: User) => ({
  id,
  username,
  roles,
  disabled,
  mustChangePassword,
  lockedUntil,
  createdAt,
});

export function userRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const admin = requireRole("consortium-admin");

  app.get("/api/users", { preHandler: admin, config: { audit: "user.list" }, schema: list.schema }, async () => ({
    users: (await ctx.users.list()).map(view),
  }));

  app.post("/api/users", { preHandler: admin, config: { audit: "user.create" }, schema: create.schema }, async (request, reply) => {
    const { body } = create.parse(request);
    const oneTime = body.password === undefined ? oneTimePassword() : undefined;
    const user = await ctx.users.create({
      username: body.username,
      password: body.password ?? oneTime!,
      roles: body.roles as User["roles"],
      mustChangePassword: oneTime !== undefined,
    });
    request.auditEntity = { type: "user", id: user.id };
    request.auditDetail = { username: user.username, roles: user.roles };
    void reply.code(201);
    return { user: view(user), ...(oneTime ? { oneTimePassword: oneTime } : {}) };
  });

  app.put("/api/users/:id/roles", { preHandler: admin, config: { audit: "user.roles" }, schema: setRoles.schema }, async (request) => {
    const { params, body } = setRoles.parse(request);
    request.auditEntity = { type: "user", id: params.id };
    if (params.id === request.user!.id && !body.roles.includes("consortium-admin"))
      throw badRequest("an administrator cannot remove their own consortium-admin role");
    const user = await ctx.users.setRoles(params.id, body.roles as User["roles"]);
    if (!user) throw notFound(`no user ${params.id}`);
    request.auditDetail = { roles: user.roles };
    return { user: view(user) };
  });

  app.put("/api/users/:id/disabled", { preHandler: admin, config: { audit: "user.disable" }, schema: setDisabled.schema }, async (request) => {
    const { params, body } = setDisabled.parse(request);
    request.auditEntity = { type: "user", id: params.id };
    if (params.id === request.user!.id && body.disabled) throw badRequest("an administrator cannot disable their own account");
    const user = await ctx.users.setDisabled(params.id, body.disabled);
    if (!user) throw notFound(`no user ${params.id}`);
    request.auditDetail = { disabled: body.disabled };
    return { user: view(user) };
  });
}
