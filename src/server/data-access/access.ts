// Who may use a grant: its owner with a user token (data-scientist), or anyone holding the grant's
// access token; a dpo may read it. Expired and revoked grants serve nothing (403, clear code).
import type { FastifyRequest } from "fastify";
import { forbidden, HttpError, notFound, unauthorized } from "../errors.ts";
import type { GrantRow } from "./repository.ts";
import { type DataAccess, isGrantToken } from "./service.ts";

export interface GrantAccess {
  grant: GrantRow;
  via: "user" | "grant-token";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function findGrant(service: DataAccess, id: string): Promise<GrantRow> {
  const grant = UUID.test(id) ? await service.repo.grant(id) : undefined;
  if (!grant) throw notFound(`no grant ${id}`);
  return grant;
}

export function assertActive(service: DataAccess, grant: GrantRow): void {
  const state = service.stateOf(grant);
  if (state === "revoked") throw forbidden(`grant ${grant.id} was revoked at ${grant.revoked_at}`, "grant-revoked");
  if (state === "expired") throw forbidden(`grant ${grant.id} expired at ${grant.expires_at}`, "grant-expired");
}

/** Owner (user token, role data-scientist) or grant token; extra roles may read too. */
export async function grantAccess(
  service: DataAccess,
  request: FastifyRequest,
  grantId: string,
  opts: { alsoRoles?: string[]; requireActive: boolean },
): Promise<GrantAccess> {
  const grant = await findGrant(service, grantId);
  request.auditEntity = { type: "grant", id: grant.id };
  let via: GrantAccess["via"];
  const user = request.user;
  if (user) {
    if (user.mustChangePassword) throw forbidden("change the one-time password first (POST /api/auth/password)", "password-change-required");
    const owner = user.id === grant.user_id && user.roles.includes("data-scientist");
    if (!owner && !(opts.alsoRoles ?? []).some((r) => user.roles.includes(r as never)))
      throw forbidden(`grant ${grant.id} belongs to another user`, "not-grant-owner");
    via = "user";
  } else {
    const token = bearer(request);
    if (token === null) throw unauthorized("send 'Authorization: Bearer <user token or grant access token>'");
    if (!isGrantToken(token) || !service.tokenMatches(grant, token)) throw new HttpError(401, "unauthorized", "the token is neither a valid user token nor this grant's access token");
    via = "grant-token";
  }
  request.auditDetail = { ...request.auditDetail, via, grantOwner: grant.user_id };
  if (opts.requireActive) assertActive(service, grant);
  return { grant, via };
}

function bearer(request: FastifyRequest): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return m ? m[1]! : null;
}
