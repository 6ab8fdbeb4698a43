// Local accounts over real sockets, on SQLite and PostgreSQL: first-start admin with a one-time
// password, login, wrong password, lock-out alert, rate limit, token expiry and tampering,
// disabled accounts, role changes, account administration.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Api, type Backend, auditRows, startApi } from "./api-helpers.ts";

const NEW_ADMIN_PASSWORD = "a much longer admin password";

export function authSuite(backend: Backend): void {
  describe(`local accounts (${backend})`, () => {
    let api: Api;
    let adminToken: string;
    before(async () => {
      api = await startApi(backend, { login: { maxFailures: 3, perIpPerMinute: 16 } });
    });
    after(() => api.close());

    const login = (username: string, password: string) => api.call("POST", "/api/auth/login", { json: { username, password } });

    test("first start: the admin's one-time password works once and must be changed before anything else", async () => {
      const r = await login("admin", api.firstAdmin.password);
      assert.equal(r.status, 200);
      assert.equal(r.json.tokenType, "Bearer");
      assert.equal(r.json.user.mustChangePassword, true);
      assert.deepEqual(r.json.user.roles, ["consortium-admin"]);
      const token = r.json.accessToken as string;
      const blocked = await api.call("GET", "/api/users", { token });
      assert.equal(blocked.status, 403);
      assert.equal(blocked.json.error, "password-change-required");
      assert.equal((await api.call("GET", "/api/auth/me", { token })).json.username, "admin");
      const wrong = await api.call("POST", "/api/auth/password", { token, json: { currentPassword: "nope", newPassword: NEW_ADMIN_PASSWORD } });
      assert.equal(wrong.status, 403);
      const short = await api.call("POST", "/api/auth/password", { token, json: { currentPassword: api.firstAdmin.password, newPassword: "short" } });
      assert.equal(short.status, 400);
      assert.match(short.json.message, /newPassword/);
      const ok = await api.call("POST", "/api/auth/password", { token, json: { currentPassword: api.firstAdmin.password, newPassword: NEW_ADMIN_PASSWORD } });
      assert.equal(ok.status, 200);
      assert.equal((await api.call("GET", "/api/users", { token })).status, 200);
      assert.equal((await login("admin", api.firstAdmin.password)).status, 401, "the one-time password is spent");
      const again = await login("admin", NEW_ADMIN_PASSWORD);
      assert.equal(again.status, 200);
      assert.equal(again.json.user.mustChangePassword, false);
      adminToken = again.json.accessToken;
    });

    test("wrong password and unknown account: the same 401, each audited as a failed login", async () => {
      await api.user("wendy", ["data-scientist"]);
      const bad = await login("wendy", "not her password");
      const unknown = await login("nobody", "whatever");
      for (const r of [bad, unknown]) {
        assert.equal(r.status, 401);
        assert.deepEqual(r.json, { error: "unauthorized", message: "invalid username or password" });
      }
      const rows = (await auditRows(api, "auth.login")).filter((r) => r.outcome === "failure");
      const names = rows.map((r) => JSON.parse(r.detail!).username);
      assert.ok(names.includes("wendy") && names.includes("nobody"));
      assert.equal((await login("wendy", "pw-wendy-long-enough")).status, 200);
    });

    test("repeated failures lock the account and raise a lock-out alert; the right password is then refused", async () => {
      const victim = await api.user("victor", ["dpo"]);
      for (let i = 0; i < 3; i++) assert.equal((await login("victor", `guess-${i}`)).status, 401);
      const locked = await login("victor", "pw-victor-long-enough");
      assert.equal(locked.status, 423);
      assert.equal(locked.json.error, "account-locked");
      const alerts = await api.server.ctx.alerts.list({ limit: 100, kind: "auth.lockout" });
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].detail?.userId, victim.id);
      assert.equal(alerts[0].severity, "warning");
      assert.equal((await auditRows(api, "auth.lockout")).length, 1);
      const u = await api.server.ctx.users.byId(victim.id);
      assert.ok(u?.lockedUntil && Date.parse(u.lockedUntil) > Date.now());
    });

    test("a failed-login burst from one address raises its own alert once", async () => {
      const bursts = await api.server.ctx.alerts.list({ limit: 100, kind: "auth.failed-login-burst" });
      assert.equal(bursts.length, 1, "the failures above (wendy, nobody, victor x3) come from 127.0.0.1");
      assert.equal(bursts[0].detail?.ip, "127.0.0.1");
    });

    test("an expired token, a tampered token and a malformed header are refused with 401", async () => {
      const u = await api.user("erin", ["dpo"]);
      const { token: expired } = await api.server.ctx.tokens.issue({ sub: u.id, name: "erin", roles: ["dpo"] }, -60);
      const r = await api.call("GET", "/api/auth/me", { token: expired });
      assert.equal(r.status, 401);
      assert.equal(r.json.message, "token expired");
      const [h, p, s] = u.token.split(".");
      const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
      const escalated = Buffer.from(JSON.stringify({ ...claims, roles: ["consortium-admin"] })).toString("base64url");
      const t = await api.call("GET", "/api/auth/me", { token: `${h}.${escalated}.${s}` });
      assert.equal(t.status, 401);
      assert.equal(t.json.message, "token signature does not verify");
      const m = await api.call("GET", "/api/auth/me", { headers: { authorization: "Basic abc" } });
      assert.equal(m.status, 401);
      assert.equal(m.json.error, "unauthorized");
      const junk = await api.call("GET", "/api/auth/me", { token: "not-a-jwt" });
      assert.equal(junk.status, 401);
    });

    test("admin creates, re-roles and disables accounts; changes take effect on live tokens", async () => {
      const created = await api.call("POST", "/api/users", { token: adminToken, json: { username: "dana", roles: ["data-scientist"] } });
      assert.equal(created.status, 201);
      const otp = created.json.oneTimePassword as string;
      assert.ok(otp.length >= 20);
      const first = await login("dana", otp);
      assert.equal(first.json.user.mustChangePassword, true);
      const dup = await api.call("POST", "/api/users", { token: adminToken, json: { username: "dana", roles: ["dpo"] } });
      assert.equal(dup.status, 409);

      const sam = await api.user("sam", ["data-scientist"]);
      assert.equal((await api.call("GET", "/api/audit/events", { token: sam.token })).status, 403);
      const reroled = await api.call("PUT", `/api/users/${sam.id}/roles`, { token: adminToken, json: { roles: ["dpo"] } });
      assert.deepEqual(reroled.json.user.roles, ["dpo"]);
      assert.equal((await api.call("GET", "/api/audit/events", { token: sam.token })).status, 200, "same token, new role");
      assert.equal((await auditRows(api, "user.roles")).at(-1)?.entity_id, sam.id);

      const off = await api.call("PUT", `/api/users/${sam.id}/disabled`, { token: adminToken, json: { disabled: true } });
      assert.equal(off.json.user.disabled, true);
      const refused = await api.call("GET", "/api/auth/me", { token: sam.token });
      assert.equal(refused.status, 401);
      assert.equal(refused.json.message, "account is disabled");
      assert.equal((await login("sam", "pw-sam-long-enough")).status, 401);

      const me = (await api.call("GET", "/api/auth/me", { token: adminToken })).json.id as string;
      const self = await api.call("PUT", `/api/users/${me}/disabled`, { token: adminToken, json: { disabled: true } });
      assert.equal(self.status, 400);
      const missing = await api.call("PUT", "/api/users/00000000-0000-4000-8000-000000000000/roles", { token: adminToken, json: { roles: ["dpo"] } });
      assert.equal(missing.status, 404);
    });

    test("too many attempts from one address per minute get 429 before any password check", async () => {
      let status = 0;
      for (let i = 0; i < 45 && status !== 429; i++) status = (await login("nobody", "x")).status;
      assert.equal(status, 429);
      const r = await login("admin", NEW_ADMIN_PASSWORD);
      assert.equal(r.status, 429);
      assert.equal(r.json.error, "rate-limited");
    });
  });
}
