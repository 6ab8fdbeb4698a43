// Property-based malformed input on every route of the app (fast-check), on SQLite and
// PostgreSQL: arbitrary JSON values, broken JSON, odd content types, random path parameters and
// query strings, sent by a caller holding every role. Each answer is < 500, and every 4xx is
// `{error, message}`; the server keeps answering.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { listRoutes, type RouteInfo } from "../../src/server/app.ts";
import { ROLES } from "../../src/server/config.ts";
import { type Api, type Backend, startApi, type TestUser } from "./api-helpers.ts";

const RUNS = process.env.MEDTRACE_NIGHTLY ? 300 : 8;

interface Sent {
  method: string;
  path: string;
  contentType?: string;
  body?: string | Uint8Array;
}

const paramValue = fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String), fc.uuid(), fc.constantFrom("-1", "1e309", "%00", "..", "0x10"));
const queryString = fc
  .dictionary(fc.oneof(fc.constantFrom("index", "size", "from", "to", "date", "_count", "agent", "limit", "after", "format", "kind", "expand"), fc.string({ maxLength: 8 })), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)), { maxKeys: 4 })
  .map((d) => new URLSearchParams(d).toString());
const jsonBody = fc.oneof(
  fc.anything().map((v) => ({ contentType: "application/json", body: JSON.stringify(v) ?? "null" })),
  fc.string({ maxLength: 200 }).map((s) => ({ contentType: "application/json", body: s })),
  fc.record({ username: fc.anything(), password: fc.anything(), roles: fc.anything(), query: fc.anything(), url: fc.anything() }).map((v) => ({ contentType: "application/json", body: JSON.stringify(v) })),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ contentType: "application/octet-stream", body: b })),
  fc.string({ maxLength: 100 }).map((s) => ({ contentType: "multipart/form-data; boundary=x", body: `--x\r\n${s}` })),
  fc.string({ maxLength: 100 }).map((s) => ({ contentType: "text/plain", body: s })),
);

function request(route: RouteInfo) {
  const path = fc.tuple(...route.url.split("/").map((seg) => (seg.startsWith(":") || seg === "*" ? paramValue.map(encodeURIComponent) : fc.constant(seg)))).map((segs) => segs.join("/"));
  const hasBody = route.method !== "GET" && route.method !== "DELETE";
  return fc.record({ path, query: queryString, payload: hasBody ? jsonBody : fc.constant(undefined) }).map(
    ({ path, query, payload }): Sent => ({ method: route.method, path: query ? `${path}?${query}` : path, ...payload }),
  );
}

export function malformedSuite(backend: Backend): void {
  describe(`malformed input on every route (${backend})`, () => {
    let api: Api;
    let everything: TestUser;
    before(async () => {
      api = await startApi(backend, { login: { perIpPerMinute: 100_000 } });
      everything = await api.user("omni", [...ROLES]);
    });
    after(() => api.close());

    async function send(s: Sent): Promise<{ status: number; text: string; type: string }> {
      const ac = new AbortController();
      const res = await fetch(api.base + s.path, {
        method: s.method,
        signal: ac.signal,
        headers: { authorization: `Bearer ${everything.token}`, ...(s.contentType ? { "content-type": s.contentType } : {}) },
        ...(s.body !== undefined ? { body: s.body } : {}),
      });
      const type = res.headers.get("content-type") ?? "";
      if (type.startsWith("text/event-stream")) {
        ac.abort();
        return { status: res.status, text: "", type };
      }
      return { status: res.status, text: await res.text(), type };
    }

    test("every route answers malformed requests with < 500, and 4xx as {error, message}", async () => {
      const routes = listRoutes(api.server.app);
      assert.ok(routes.length >= 20);
      const failures: string[] = [];
      for (const route of routes) {
        const run = await fc.check(
          fc.asyncProperty(request(route), async (s) => {
            const r = await send(s);
            assert.ok(r.status < 500, `${s.method} ${s.path} (${s.contentType}) -> ${r.status} ${r.text.slice(0, 200)}`);
            if (r.status >= 400) {
              const body = JSON.parse(r.text) as { error: unknown; message: unknown };
              assert.equal(typeof body.error, "string", `${s.method} ${s.path}`);
              assert.equal(typeof body.message, "string", `${s.method} ${s.path}`);
            }
          }),
          { numRuns: RUNS },
        );
        // Every route is tried, so one report names all the routes that fail, not just the first.
        if (run.failed) failures.push(String((run.errorInstance as Error | undefined)?.message ?? run.counterexample));
      }
      assert.deepEqual(failures, []);
      assert.equal((await api.call("GET", "/api/health")).status, 200, "still up");
    });

    test("a JSON body past the size limit is 413, an empty JSON body 400", async () => {
      const big = await api.call("POST", "/api/users", { token: everything.token, body: JSON.stringify({ username: "x".repeat(2 * 1024 * 1024) }), headers: { "content-type": "application/json" } });
      assert.equal(big.status, 413);
      assert.equal(big.json.error, "payload-too-large");
      const empty = await api.call("POST", "/api/users", { token: everything.token, body: "", headers: { "content-type": "application/json" } });
      assert.equal(empty.status, 400);
      const nul = await api.call("GET", `/api/audit/events?action=${encodeURIComponent("a\u0000b")}`, { token: everything.token });
      assert.ok(nul.status === 200 || nul.status === 400, `NUL in a query: ${nul.status}`);
    });
  });
}
