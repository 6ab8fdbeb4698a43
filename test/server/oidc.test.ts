// OIDC bearer tokens against a JWKS served on 127.0.0.1 by this test: accepted with roles from a
// nested claim; refused for a wrong issuer, a wrong audience, expiry, an unknown key, a key that
// does not match its kid, and an unsigned or symmetric token.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import type { webcrypto } from "node:crypto";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

type CryptoKey = webcrypto.CryptoKey;
import { type Api, auditRows, startApi } from "./api-helpers.ts";

const AUDIENCE = "medtrace-test";

describe("OIDC bearer tokens", () => {
  let jwksServer: Server;
  let issuer: string;
  let api: Api;
  let good: CryptoKey;
  let stranger: CryptoKey;
  let jwksHits = 0;

  before(async () => {
    const pair = await generateKeyPair("ES256");
    good = pair.privateKey;
    stranger = (await generateKeyPair("ES256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwksServer = createServer((req, res) => {
      jwksHits++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
    const port = (jwksServer.address() as { port: number }).port;
    issuer = `http://127.0.0.1:${port}`;
    api = await startApi("sqlite", { oidc: { issuer, jwksUrl: `${issuer}/jwks.json`, audience: AUDIENCE, rolesClaim: "realm_access.roles" } });
  });
  after(async () => {
    await api.close();
    await new Promise((r) => jwksServer.close(r));
  });

  const sign = (claims: JWTPayload, o: { key?: CryptoKey; kid?: string; iss?: string; aud?: string; exp?: string } = {}) =>
    new SignJWT({ preferred_username: "olga", realm_access: { roles: ["dpo", "offline_access"] }, ...claims })
      .setProtectedHeader({ alg: "ES256", kid: o.kid ?? "k1" })
      .setIssuer(o.iss ?? issuer)
      .setAudience(o.aud ?? AUDIENCE)
      .setSubject("olga-123")
      .setIssuedAt()
      .setExpirationTime(o.exp ?? "5m")
      .sign(o.key ?? good);

  test("a token from the configured issuer is accepted with its roles from the nested claim", async () => {
    const token = await sign({});
    const me = await api.call("GET", "/api/auth/me", { token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.json, { id: "oidc:olga-123", username: "olga", roles: ["dpo"], source: "oidc", mustChangePassword: false });
    assert.equal((await api.call("GET", "/api/audit/events", { token })).status, 200, "dpo may search the audit log");
    assert.equal((await api.call("GET", "/api/users", { token })).status, 403, "but is no consortium admin");
    assert.ok(jwksHits >= 1, "keys came from the JWKS endpoint");
    assert.ok((await auditRows(api, "audit.search")).some((r) => r.actor_user_id === "oidc:olga-123"));
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ["wrong issuer", () => sign({}, { iss: "https://evil.example" }), /unknown issuer/],
    ["wrong audience", () => sign({}, { aud: "someone-else" }), /claim 'aud'/],
    ["expired", () => sign({}, { exp: "-2m" }), /expired/],
    ["unknown key id", () => sign({}, { key: stranger, kid: "k-unknown" }), /unknown key/],
    ["key that does not match its kid", () => sign({}, { key: stranger }), /signature does not verify/],
    [
      "unsigned token (alg none)",
      async () => {
        const b = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
        const now = Math.floor(Date.now() / 1000);
        return `${b({ alg: "none" })}.${b({ iss: issuer, aud: AUDIENCE, sub: "x", exp: now + 300, realm_access: { roles: ["dpo"] } })}.`;
      },
      /./,
    ],
    [
      "symmetric HS256 token",
      () =>
        new SignJWT({ realm_access: { roles: ["dpo"] } })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(issuer)
          .setAudience(AUDIENCE)
          .setSubject("x")
          .setExpirationTime("5m")
          .sign(new Uint8Array(32)),
      /algorithm|invalid/,
    ],
  ];
  for (const [name, make, message] of refusals) {
    test(`refused: ${name}`, async () => {
      const r = await api.call("GET", "/api/auth/me", { token: await make() });
      assert.equal(r.status, 401);
      assert.equal(r.json.error, "unauthorized");
      assert.match(r.json.message, message);
    });
  }

  test("roles outside the four medtrace roles are ignored; none means no access beyond identity", async () => {
    const token = await sign({ realm_access: { roles: ["admin", "superuser"] } });
    const me = await api.call("GET", "/api/auth/me", { token });
    assert.deepEqual(me.json.roles, []);
    assert.equal((await api.call("GET", "/api/audit/events", { token })).status, 403);
  });
});
