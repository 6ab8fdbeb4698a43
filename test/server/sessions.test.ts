// Training sessions through the API server (issue 7): real server on 127.0.0.1 (SQLite), three
// nodes enrolled with real certificates of the consortium CA, connected through the in-process
// node hub to real participants. Input errors get clear 4xx answers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { unzipSync } from "fflate";
import { initBackend } from "../../src/fl/backend.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { TEST_MASTER } from "./api-helpers.ts";
import { connectHub, connectTrainingNodes, type TrainingNodes } from "./fl-nodes.ts";

let server: RunningServer;
let dir: string;
let training: TrainingNodes;
let scientist: string;
let other: string;
let dpo: string;
let hospitalAdmin: string;

async function startWithHub(): Promise<void> {
  server = await startServer({ host: "127.0.0.1", port: 0, dataDir: dir, master: TEST_MASTER });
  connectHub(server.ctx, training.handlers);
}

async function waitFor(id: string, done: (v: any) => boolean): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  let v: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 1200; i++) {
    v = (await call("GET", `/api/sessions/${id}`, scientist)).body;
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return v;
}

async function call(method: string, path: string, token?: string, json?: unknown) {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json !== undefined ? { "content-type": "application/json" } : {}) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const buf = new Uint8Array(await res.arrayBuffer());
  let body: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = JSON.parse(Buffer.from(buf).toString());
  } catch {
    body = null;
  }
  return { status: res.status, body, bytes: buf, headers: res.headers };
}

before(async () => {
  await initBackend("wasm");
  dir = mkdtempSync(join(tmpdir(), "medtrace-fl-"));
  server = await startServer({ host: "127.0.0.1", port: 0, dataDir: dir, master: TEST_MASTER });
  const token = async (name: string, roles: ("data-scientist" | "hospital-admin" | "dpo")[]) => {
    const u = await server.ctx.users.create({ username: name, password: `pw-${name}-long-enough`, roles, mustChangePassword: false });
    return (await server.ctx.tokens.issue({ sub: u.id, name, roles: u.roles })).token;
  };
  scientist = await token("ds", ["data-scientist"]);
  other = await token("ds2", ["data-scientist"]);
  dpo = await token("dana", ["dpo"]);
  hospitalAdmin = await token("hana", ["hospital-admin"]);
  training = await connectTrainingNodes(server.ctx, { perNode: 150, seed: "3" });
});

after(async () => {
  await training?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("bad session input gets a clear 4xx, never a 500", async () => {
  const cases: [string, string, string | undefined, unknown, number][] = [
    ["POST", "/api/sessions", scientist, { dataset: { tag: "pneumonia" }, epochs: 3 }, 400],
    ["POST", "/api/sessions", scientist, { dataset: { tag: "pneumonia" }, strategy: { name: "krum" } }, 400],
    ["POST", "/api/sessions", scientist, { dataset: { tag: "pneumonia" }, dp: { mode: "central", clipNorm: 1, noiseMultiplier: 1 } }, 400],
    ["POST", "/api/sessions", scientist, [1, 2], 400],
    ["POST", "/api/sessions", undefined, { dataset: { tag: "pneumonia" } }, 401],
    ["GET", "/api/sessions/not-a-uuid", scientist, undefined, 400],
    ["GET", "/api/sessions/00000000-0000-4000-8000-000000000000", scientist, undefined, 404],
    ["POST", "/api/sessions/00000000-0000-4000-8000-000000000000/cancel", scientist, undefined, 404],
    ["GET", "/api/sessions/00000000-0000-4000-8000-000000000000/model?format=pt", scientist, undefined, 400],
  ];
  for (const [method, path, token, json, status] of cases) {
    const r = await call(method, path, token, json);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(json)}: ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body?.error, "string");
    assert.equal(typeof r.body?.message, "string");
  }
  const v = await call("POST", "/api/sessions", scientist, { dataset: { tag: "pneumonia" }, bogus: true });
  assert.match(v.body.message, /bogus/);
});

test("a session trains across three enrolled nodes, releases tfjs and ONNX, and records the release in the ledger", async () => {
  const created = await call("POST", "/api/sessions", scientist, {
    dataset: { tag: "pneumonia", minExamples: 10 },
    rounds: 2,
    optimizer: { learningRate: 2e-3 },
    seed: "21",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  assert.match(created.body.planHash, /^[0-9a-f]{64}$/);
  assert.deepEqual(created.body.warnings, []);
  assert.equal((await call("GET", `/api/sessions/${id}`, other)).status, 403, "another data scientist cannot see it");
  assert.equal((await call("GET", `/api/sessions/${id}/model`, scientist)).status, 409, "no model before the first round");
  // SSE: the stream opens with a snapshot of the session
  const ac = new AbortController();
  const sse = await fetch(`${server.url}/api/sessions/${id}/events`, { headers: { authorization: `Bearer ${scientist}` }, signal: ac.signal });
  assert.equal(sse.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = sse.body!.getReader();
  let stream = Buffer.from((await reader.read()).value ?? []).toString();
  assert.match(stream, /^event: snapshot\ndata: \{/);
  const finalEvals = () => stream.match(/^event: final\.eval$/gm)?.length ?? 0;
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stream += Buffer.from(value).toString();
      if (finalEvals() === 3) return;
    }
  })().catch(() => {});
  let v: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 600; i++) {
    v = (await call("GET", `/api/sessions/${id}`, scientist)).body;
    if (["completed", "failed", "cancelled"].includes(v.state) && v.finalEval) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(v.state, "completed", JSON.stringify(v));
  assert.equal(v.history.length, 2);
  // the stream tells a live view of every round and of each node's final evaluation (no protocol event of its own)
  for (let i = 0; i < 100 && finalEvals() < 3; i++) await new Promise((r) => setTimeout(r, 100));
  ac.abort();
  await reading;
  assert.equal(stream.match(/^event: round$/gm)?.length, 2);
  assert.equal(finalEvals(), 3, stream);
  for (const h of v.history) assert.equal(h.metrics.participants.length, 3);
  const tfjs = await call("GET", `/api/sessions/${id}/model?format=tfjs`, scientist);
  assert.equal(tfjs.status, 200);
  const files = unzipSync(tfjs.bytes);
  const modelJson = JSON.parse(Buffer.from(files["model.json"]).toString());
  assert.equal(modelJson.userDefinedMetadata.medtrace.modelHash, v.modelHash);
  const onnx = await call("GET", `/api/sessions/${id}/model?format=onnx`, scientist);
  assert.equal(onnx.status, 200);
  assert.ok(onnx.bytes.length > 1000);
  assert.equal((await call("POST", `/api/sessions/${id}/cancel`, scientist)).body.state, "completed", "cancelling a finished session changes nothing");
  const released = [];
  for (let i = 0; i < 50 && released.length === 0; i++) {
    const size = server.ctx.ledger.size;
    for (let k = 0; k < size; k++) {
      const e = server.ctx.ledger.entry(k).entry;
      if (e.type === "model.released") released.push(e);
    }
    if (released.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(released.length, 1);
  const body = released[0].body as { sessionId: string; modelSha256: { tfjs: string }; hospitals: string[] };
  assert.equal(body.sessionId, id);
  assert.equal(body.modelSha256.tfjs, v.modelHash);
  assert.deepEqual(body.hospitals, training.nodes.map((n) => n.nodeId));
});

test("the server restarted mid-session restores the session from its records and finishes it", async () => {
  const created = await call("POST", "/api/sessions", scientist, {
    dataset: { tag: "pneumonia", minExamples: 10 },
    rounds: 3,
    seed: "22",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const mid = await waitFor(id, (x) => x.history.length >= 1 || ["failed", "cancelled"].includes(x.state));
  assert.equal(mid.history.length, 1, JSON.stringify(mid));
  await server.close();
  await startWithHub();
  const v = await waitFor(id, (x) => ["completed", "failed", "cancelled"].includes(x.state));
  assert.equal(v.state, "completed", JSON.stringify(v));
  assert.deepEqual(v.history.map((h: { round: number }) => h.round), [1, 2, 3]);
  assert.equal(v.history[0].modelHash, mid.history[0].modelHash, "the checkpoint before the restart is kept");
  for (const h of v.history) assert.equal(h.metrics.participants.length, 3);
});

test("GET /api/sessions lists a data scientist's own sessions, every session for a dpo, and refuses other roles", async () => {
  const mine = await call("GET", "/api/sessions", scientist);
  assert.equal(mine.status, 200, JSON.stringify(mine.body));
  assert.equal(mine.body.items.length, 2, "the two sessions of the tests above");
  const [newest, oldest] = mine.body.items;
  assert.ok(newest.createdAt >= oldest.createdAt, "newest first");
  for (const s of mine.body.items) {
    assert.equal(s.createdBy.username, "ds");
    assert.equal(s.state, "completed");
    assert.match(s.planHash, /^[0-9a-f]{64}$/);
    // the older one ended before the restart of the previous test: read back from its records
    const one = await call("GET", `/api/sessions/${s.id}`, scientist);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.body.state, "completed");
    assert.equal(s.modelHash, one.body.modelHash);
  }
  const older = oldest.id as string;
  const model = await call("GET", `/api/sessions/${older}/model?format=onnx`, scientist);
  assert.equal(model.status, 200, "its model can still be downloaded");
  assert.equal((await call("GET", `/api/sessions/${older}`, other)).status, 403, "and it stays its creator's");
  assert.deepEqual((await call("GET", "/api/sessions", other)).body.items, [], "another data scientist sees none of them");
  const all = await call("GET", "/api/sessions", dpo);
  assert.deepEqual(all.body.items.map((s: { id: string }) => s.id), mine.body.items.map((s: { id: string }) => s.id));
  assert.equal((await call("GET", "/api/sessions?limit=1", scientist)).body.items[0].id, newest.id);
  for (const [token, path, status] of [
    [hospitalAdmin, "/api/sessions", 403],
    [undefined, "/api/sessions", 401],
    [scientist, "/api/sessions?limit=0", 400],
    [scientist, "/api/sessions?limit=abc", 400],
    [scientist, "/api/sessions?owner=x", 400],
  ] as const) {
    const r = await call("GET", path, token);
    assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body?.error, "string");
  }
});
