// Malformed input on every data-access route (property-based): always a 4xx JSON {error, message},
// never a 500 or a crash. One real server on 127.0.0.1 (SQLite) with one real edge node.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { dataAccessOf } from "../../src/server/data-access/service.ts";
import { type Env, startEnv } from "./data-access-support.ts";

describe("data access: malformed input", () => {
  let env: Env;
  let ds: { id: string; token: string };
  let grantId: string;
  let root: string;

  before(async () => {
    env = await startEnv("sqlite", { "hospital-a": [30] });
    ds = await env.user("erin", ["data-scientist"]);
    const r = await env.call("POST", "/api/data-requests", { token: ds.token, json: { query: { bodyPart: ["HEAD"] }, purpose: "research", maxInstances: 1 } });
    await dataAccessOf(env.server.ctx).settled(r.json.id);
    grantId = (await env.call("GET", `/api/data-requests/${r.json.id}`, { token: ds.token })).json.grantId;
    assert.ok(grantId, "the setup request produced a grant");
    root = `/dicomweb/grants/${grantId}`;
  });
  after(async () => {
    // Random bodies that happen to be valid start requests: let them finish before closing.
    if (env) await dataAccessOf(env.server.ctx).settled();
    await env?.close();
  });

  const clientError = (r: { status: number; json: { error?: unknown; message?: unknown } | null }, what: string) => {
    assert.ok(r.status >= 400 && r.status < 500, `${what}: status ${r.status}`);
    assert.equal(typeof r.json?.error, "string", what);
    assert.equal(typeof r.json?.message, "string", what);
  };

  test("POST /api/data-requests with any malformed body is 400", async () => {
    const body = fc.oneof(
      fc.anything(),
      fc.record({ query: fc.anything(), purpose: fc.anything(), maxInstances: fc.anything() }, { requiredKeys: [] }),
      fc.record({ query: fc.dictionary(fc.constantFrom("modality", "bodyPart", "studyMonthFrom", "labels", "bogus"), fc.anything()), purpose: fc.string(), maxInstances: fc.oneof(fc.integer(), fc.double()) }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await env.call("POST", "/api/data-requests", { token: ds.token, json: b });
        if (r.status === 202) return; // a random body can be valid; then it was accepted
        clientError(r, JSON.stringify(b));
      }),
      { numRuns: 60 },
    );
    const raw = await fetch(`${env.base}/api/data-requests`, { method: "POST", headers: { authorization: `Bearer ${ds.token}`, "content-type": "application/json" }, body: "{not json" });
    assert.equal(raw.status, 400);
  });

  test("POST /api/grants/:id/annotations with any malformed body is 4xx", async () => {
    const region = fc.record({ kind: fc.oneof(fc.constantFrom("rect", "polygon", "point"), fc.string()), points: fc.anything() });
    const body = fc.oneof(
      fc.anything(),
      fc.record({ sopInstanceUid: fc.oneof(fc.string(), fc.constant("1.2.3")), labels: fc.anything(), regions: fc.array(region, { maxLength: 3 }), measurements: fc.anything() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        clientError(await env.call("POST", `/api/grants/${grantId}/annotations`, { token: ds.token, json: b }), JSON.stringify(b));
      }),
      { numRuns: 60 },
    );
  });

  test("any id, UID, frame list or QIDO parameter gives 2xx or a clear 4xx", async () => {
    const segment = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("1.2.3", "0", "-1", "1,2", "../x", "%00"));
    const path = fc.oneof(
      segment.map((s) => `/api/grants/${encodeURIComponent(s)}`),
      segment.map((s) => `/api/data-requests/${encodeURIComponent(s)}`),
      segment.map((s) => `/dicomweb/grants/${encodeURIComponent(s)}/studies`),
      fc.tuple(segment, segment).map(([a, b]) => `${root}/studies/${encodeURIComponent(a)}/series/${encodeURIComponent(b)}/metadata`),
      segment.map((s) => `${root}/studies/1.2/series/1.2/instances/1.2/frames/${encodeURIComponent(s)}`),
      fc.dictionary(fc.oneof(fc.constantFrom("limit", "offset", "includefield", "StudyDate", "PatientID", "00100020", "Seq.Item"), fc.string({ maxLength: 12 })), fc.string({ maxLength: 20 })).map(
        (q) => `${root}/studies?${new URLSearchParams(q).toString()}`,
      ),
      segment.map((s) => `/api/grants/${grantId}/download?format=${encodeURIComponent(s)}`),
    );
    await fc.assert(
      fc.asyncProperty(path, async (p) => {
        const r = await env.call("GET", p, { token: ds.token });
        if (r.status < 300) return;
        clientError(r, p);
      }),
      { numRuns: 120 },
    );
  });
});
