// OIDC bearer tokens from the configured issuer, verified with jose against the issuer's JWKS
// (keys fetched and cached by createRemoteJWKSet); roles come from a configured claim.
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { type OidcConfig, type Role, ROLES } from "../config.ts";

export interface OidcIdentity {
  id: string;
  username: string;
  roles: Role[];
}

// Asymmetric algorithms only: an HS256 token would be signed with a shared secret we do not hold.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(readonly config: OidcConfig) {
    this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
  }

  async verify(token: string): Promise<OidcIdentity> {
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: ALGORITHMS,
    });
    if (typeof payload.sub !== "string" || payload.sub.length === 0) throw new Error("token without subject");
    return {
      id: `oidc:${payload.sub}`,
      username: typeof payload.preferred_username === "string" ? payload.preferred_username : payload.sub,
      roles: rolesFrom(payload, this.config.rolesClaim),
    };
  }
}

export function rolesFrom(payload: JWTPayload, claim: string): Role[] {
  let v: unknown = payload;
  for (const part of claim.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
  const list = Array.isArray(v) ? v : typeof v === "string" ? v.split(/[\s,]+/) : [];
  return ROLES.filter((r) => list.includes(r));
}
