// Access tokens this server issues: short-lived JWTs signed with Ed25519 (EdDSA, RFC 8037), the
// key derived from the master secret (purpose `server/jwt`), so every replica verifies the same.
import { createPublicKey, type KeyObject } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { deriveEpochKey, ed25519PrivateKeyFromSeed, type MasterSecret } from "../../crypto/index.ts";
import type { Role } from "../config.ts";

export const ACCESS_AUDIENCE = "medtrace-api";

export interface AccessClaims {
  sub: string;
  name: string;
  roles: Role[];
}

export class TokenIssuer {
  readonly issuer: string;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor(
    master: MasterSecret,
    private readonly ttlSeconds: number,
  ) {
    this.issuer = `urn:medtrace:${master.deploymentId}`;
    this.privateKey = ed25519PrivateKeyFromSeed(deriveEpochKey(master, "server/jwt", 1));
    this.publicKey = createPublicKey(this.privateKey);
  }

  async issue(c: AccessClaims, ttlSeconds = this.ttlSeconds): Promise<{ token: string; expiresIn: number }> {
    const token = await new SignJWT({ name: c.name, roles: c.roles })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setIssuer(this.issuer)
      .setAudience(ACCESS_AUDIENCE)
      .setSubject(c.sub)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.privateKey);
    return { token, expiresIn: ttlSeconds };
  }

  /** Throws jose errors (expired, bad signature, wrong audience) for the caller to map. */
  async verify(token: string): Promise<{ sub: string }> {
    const { payload } = await jwtVerify(token, this.publicKey, { issuer: this.issuer, audience: ACCESS_AUDIENCE, algorithms: ["EdDSA"] });
    if (typeof payload.sub !== "string") throw new Error("token without subject");
    return { sub: payload.sub };
  }
}
