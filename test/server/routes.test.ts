// Every route, on SQLite and PostgreSQL: anonymous callers get 401, wrong roles 403 (a data
// scientist cannot trace), right roles get through the guard; every call is one audit event whose
// outcome follows the status.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { listRoutes } from "../../src/server/app.ts";
import { type Role, ROLES } from "../../src/server/config.ts";
import { type Api, BACKENDS, startApi, type TestUser } from "./api-helpers.ts";

const ANY = ROLES;
const AUDITORS: Role[] = ["dpo", "consortium-admin"];
const ADMIN: Role[] = ["consortium-admin"];
const DPO: Role[] = ["dpo"];

/** The routes of the server core (helper A) with the roles allowed through. */
export const CORE_ROUTES: [method: string, url: string, roles: readonly Role[]][] = [
  ["GET", "/api/auth/me", ANY],
  ["POST", "/api/auth/password", ANY],
  ["GET", "/api/users", ADMIN],
  ["POST", "/api/users", ADMIN],
  ["PUT", "/api/users/:id/roles", ADMIN],
  ["PUT", "/api/users/:id/disabled", ADMIN],
  ["GET", "/api/audit/events", AUDITORS],
  ["GET", "/api/audit/export", AUDITORS],
  ["GET", "/api/alerts", AUDITORS],
  ["GET", "/api/alerts/stream", AUDITORS],
  ["GET", "/api/webhooks", ADMIN],
  ["POST", "/api/webhooks", ADMIN],
  ["DELETE", "/api/webhooks/:id", ADMIN],
  ["GET", "/api/ledger/checkpoint", ANY],
  ["GET", "/api/ledger/proof/inclusion", ANY],
  ["GET", "/api/ledger/proof/consistency", ANY],
  ["GET", "/api/ledger/entries/:index", AUDITORS],
  ["GET", "/api/ledger/verify", AUDITORS],
  ["POST", "/api/trace", DPO],
  ["POST", "/api/traces", DPO],
  ["GET", "/api/traces/:id", DPO],
  ["GET", "/api/traces/:id/evidence", DPO],
];
const CORE_PREFIXES = ["/api/auth", "/api/users", "/api/audit", "/api/alerts", "/api/webhooks", "/api/ledger", "/api/trace"];

const concrete = (url: string) => url.replace(/:index\b/g, "0").replace(/:[A-Za-z]+/g, "00000000-0000-4000-8000-000000000000");

for (const backend of BACKENDS) {
  describe(`route guards and audit (${backend})`, () => {
    let api: Api;
    const users = new Map<Role, TestUser>();
    before(async () => {
      api = await startApi(backend);
      for (const role of ROLES) users.set(role, await api.user(`only-${role}`, [role]));
    });
    after(() => api.close());

    const auditCount = async () => (await api.server.ctx.audit.search({ limit: 1, offset: 0 })).total;

    /** One call; an SSE stream is cut as soon as its headers arrive. */
    async function status(method: string, url: string, token?: string): Promise<{ status: number; body: unknown }> {
      const ac = new AbortController();
      const res = await fetch(api.base + concrete(url), {
        method,
        signal: ac.signal,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === "GET" || method === "DELETE" ? {} : { "content-type": "application/json" }) },
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      });
      if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        ac.abort();
        return { status: res.status, body: null };
      }
      const text = await res.text();
      return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
    }

    test("the table covers every core route, and every route of the app is guarded or explicitly public", () => {
      const routes = listRoutes(api.server.app);
      const core = routes.filter((r) => CORE_PREFIXES.some((p) => r.url.startsWith(p)) && r.url !== "/api/auth/login");
      const listed = new Set(CORE_ROUTES.map(([m, u]) => `${m} ${u}`));
      for (const r of core) assert.ok(listed.has(`${r.method} ${r.url}`), `route ${r.method} ${r.url} missing from the role table`);
      const publicCore = core.filter((r) => r.public || r.selfAuth).map((r) => r.url);
      assert.deepEqual(publicCore, [], "no core route but login skips authentication");
      for (const url of ["/api/auth/login", "/api/docs", "/api/health"]) assert.ok(routes.find((r) => r.url === url)?.public, `${url} is public`);
    });

    test("every non-public route refuses anonymous callers with 401 {error, message}, audited as a failure", async () => {
      for (const r of listRoutes(api.server.app).filter((x) => !x.public && !x.selfAuth)) {
        const before = await auditCount();
        const res = await status(r.method, r.url);
        assert.equal(res.status, 401, `${r.method} ${r.url}`);
        assert.equal((res.body as { error: string }).error, "unauthorized");
        assert.equal(typeof (res.body as { message: string }).message, "string");
        assert.equal(await auditCount(), before + 1, `${r.method} ${r.url} audited`);
      }
    });

    test("each core route lets exactly its roles through; each call is one audit event", async () => {
      for (const [method, url, allowed] of CORE_ROUTES) {
        for (const role of ROLES) {
          const before = await auditCount();
          const res = await status(method, url, users.get(role)!.token);
          if (allowed.includes(role)) assert.ok(res.status !== 401 && res.status !== 403, `${role} ${method} ${url} got ${res.status}`);
          else {
            assert.equal(res.status, 403, `${role} ${method} ${url}`);
            assert.match((res.body as { message: string }).message, /requires role/);
          }
          assert.equal(await auditCount(), before + 1, `${role} ${method} ${url} audited`);
          const last = (await api.server.ctx.audit.search({ limit: 1, offset: before })).rows[0];
          assert.equal(last.actor_user_id, users.get(role)!.id);
          assert.equal(last.outcome, res.status < 400 ? "success" : "failure", `${role} ${method} ${url} outcome`);
        }
      }
    });

    test("a data scientist cannot trace; a dpo can reach the tracer", async () => {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array([1, 2, 3])]), "suspect.dcm");
      const ds = await fetch(`${api.base}/api/trace`, { method: "POST", body: form, headers: { authorization: `Bearer ${users.get("data-scientist")!.token}` } });
      assert.equal(ds.status, 403);
      const dpo = await fetch(`${api.base}/api/trace`, { method: "POST", body: form, headers: { authorization: `Bearer ${users.get("dpo")!.token}` } });
      assert.equal(dpo.status, 422, "three bytes are no image: refused by the tracer, not the guard");
      assert.equal(((await dpo.json()) as { error: string }).error, "unsupported-image");
    });

    test("health and the OpenAPI document are public; the document lists the core routes", async () => {
      assert.equal((await status("GET", "/api/health")).status, 200);
      const doc = await fetch(`${api.base}/api/docs`).then((r) => r.json() as Promise<{ openapi: string; paths: Record<string, Record<string, unknown>> }>);
      assert.equal(doc.openapi, "3.1.0");
      for (const [method, url] of CORE_ROUTES) {
        const path = url.replace(/:([A-Za-z]+)/g, "{$1}");
        assert.ok(doc.paths[path]?.[method.toLowerCase()], `${method} ${path} documented`);
      }
      const login = doc.paths["/api/auth/login"].post as { requestBody: { content: Record<string, { schema: { required: string[] } }> } };
      assert.deepEqual(login.requestBody.content["application/json"].schema.required.sort(), ["password", "username"]);
    });

    test("unknown routes give 404 {error, message}", async () => {
      const r = await api.call("GET", "/api/nope");
      assert.equal(r.status, 404);
      assert.deepEqual(Object.keys(r.json).sort(), ["error", "message"]);
    });
  });
}
