// Who is calling: a bearer token issued by this server (local account) or by the configured OIDC
// issuer. The unverified `iss` only picks the verifier; every claim used is verified.
import type { FastifyRequest } from "fastify";
import { decodeJwt, errors } from "jose";
import type { Role } from "../config.ts";
import { HttpError, unauthorized } from "../errors.ts";
import type { OidcVerifier } from "./oidc.ts";
import type { TokenIssuer } from "./tokens.ts";
import type { Users } from "./users.ts";

export interface AuthUser {
  id: string;
  username: string;
  roles: Role[];
  source: "local" | "oidc";
  mustChangePassword: boolean;
}

export class Authenticator {
  constructor(
    private readonly users: Users,
    private readonly tokens: TokenIssuer,
    private readonly oidc: OidcVerifier | null,
  ) {}

  /** The caller, null without a bearer token; a 401 HttpError for a token that does not verify. */
  async authenticate(request: FastifyRequest): Promise<AuthUser | null> {
    const token = bearerOf(request.headers.authorization);
    return token === null ? null : this.verifyToken(token);
  }

  async verifyToken(token: string): Promise<AuthUser> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthorized("bearer token is not a JWT");
    }
    try {
      if (iss === this.tokens.issuer) return await this.local(token);
      if (this.oidc && iss === this.oidc.config.issuer) return await this.external(this.oidc, token);
    } catch (err) {
      throw asUnauthorized(err);
    }
    throw unauthorized("bearer token from an unknown issuer");
  }

  private async local(token: string): Promise<AuthUser> {
    const { sub } = await this.tokens.verify(token);
    const user = await this.users.byId(sub);
    if (!user) throw unauthorized("account no longer exists");
    if (user.disabled) throw unauthorized("account is disabled");
    // Roles are read from the database, so a change takes effect before the token expires.
    return { id: user.id, username: user.username, roles: user.roles, source: "local", mustChangePassword: user.mustChangePassword };
  }

  private async external(oidc: OidcVerifier, token: string): Promise<AuthUser> {
    const id = await oidc.verify(token);
    await this.users.rememberPseudonym(id.id, id.username);
    return { ...id, source: "oidc", mustChangePassword: false };
  }
}

function bearerOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized("Authorization header must be 'Bearer <token>'");
  return m[1];
}

function asUnauthorized(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof errors.JWTExpired) return unauthorized("token expired");
  if (err instanceof errors.JWTClaimValidationFailed) return unauthorized(`token claim '${err.claim}' is not accepted`);
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized("token signed with an unknown key");
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized("token signature does not verify");
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized("token algorithm not accepted");
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return new HttpError(503, "oidc-unavailable", "the identity provider's keys could not be fetched");
  return unauthorized("invalid token");
}
