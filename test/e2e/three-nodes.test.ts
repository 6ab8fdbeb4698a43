// Issue 6 end to end over real sockets: the server (API + node port) in this process, three
// hospitals as `medtrace node run` processes, enrolled by one-time token, dialling out over HTTP/2 mTLS.
// request -> grant -> WADO-RS fetch -> the fetched file traced to the right data scientist;
// expired and revoked grants, a wrong role, and a revoked node are refused.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { masterSecret } from "../../src/crypto/index.ts";
import { enrolNode } from "../../src/edge/enrol.ts";
import { readDicom } from "../../src/imaging/index.ts";
import type { Role } from "../../src/server/config.ts";
import { dataAccessOf } from "../../src/server/data-access/service.ts";
import { parseMultipart } from "../../src/server/dicomweb/index.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { dataPath } from "../../src/util/data-path.ts";

const BIN = fileURLToPath(new URL("../../bin/medtrace.mjs", import.meta.url));
const NODES: Record<string, number[]> = { "hospital-a": [20], "hospital-b": [40], "hospital-c": [60] };

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("three edge node processes over HTTP/2 mTLS", () => {
  let dir: string;
  let server: RunningServer;
  const procs: ChildProcess[] = [];
  const logs = new Map<string, string>();
  let users: Record<"admin" | "ds" | "dpo" | "hospital", { id: string; token: string }>;
  let grant: { id: string; dicomweb: { root: string }; instances: number };

  const call = async (method: string, path: string, opts: { token?: string; json?: unknown; body?: FormData; accept?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.accept) headers.accept = opts.accept;
    if (opts.json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(server.url + path, { method, headers, body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    let json: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      json = JSON.parse(Buffer.from(bytes).toString());
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, bytes, json };
  };
  const user = async (name: string, roles: Role[]) => {
    const u = await server.ctx.users.create({ username: name, password: `pw-${name}-long-enough`, roles, mustChangePassword: false });
    return { id: u.id, token: (await server.ctx.tokens.issue({ sub: u.id, name, roles: u.roles })).token };
  };
  const connected = () => (server.ctx.hub?.connectedNodes() ?? []).map((n) => n.nodeId).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mt-e2e-"));
    server = await startServer({
      host: "127.0.0.1",
      port: 0,
      nodePort: 0,
      dataDir: join(dir, "server"),
      master: masterSecret(new Uint8Array(32).fill(0x2e), "e2e.medtrace"),
    });
    users = {
      admin: await user("carl", ["consortium-admin"]),
      ds: await user("alice", ["data-scientist"]),
      dpo: await user("dora", ["dpo"]),
      hospital: await user("hank", ["hospital-admin"]),
    };
    await Promise.all(
      Object.entries(NODES).map(async ([nodeId, slices]) => {
        const nodeDir = join(dir, nodeId);
        const data = join(nodeDir, "data");
        mkdirSync(data, { recursive: true });
        for (const n of slices) {
          const name = `slice-${String(n).padStart(3, "0")}.dcm`;
          copyFileSync(dataPath("ct-head", name), join(data, name));
        }
        writeFileSync(join(nodeDir, "node.json"), JSON.stringify({ source: `folder:${data}` }));
        const created = await call("POST", "/api/nodes", { token: users.admin.token, json: { nodeId } });
        assert.equal(created.status, 201);
        // The CLI's enrolment, in-process (test/server/nodes/enrolment.test.ts runs the CLI itself).
        const { nodeUrl } = await enrolNode({ server: server.url, token: created.json.token, nodeId, dir: nodeDir });
        const p = spawn(process.execPath, [BIN, "node", "run", "--server", nodeUrl, "--dir", nodeDir], { stdio: ["ignore", "ignore", "pipe"] });
        logs.set(nodeId, "");
        p.stderr!.on("data", (b: Buffer) => logs.set(nodeId, logs.get(nodeId) + b.toString()));
        procs.push(p);
      }),
    );
    await until(() => connected().length === 3, "three connected nodes");
    await until(() => [...logs.values()].every((l) => l.includes("catalogue-published")), "three published catalogues");
  });

  after(async () => {
    for (const p of procs) p.kill("SIGTERM");
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a data request is answered by the three processes and granted", async () => {
    assert.deepEqual(connected(), Object.keys(NODES));
    const r = await call("POST", "/api/data-requests", { token: users.ds.token, json: { query: { modality: ["CT"] }, purpose: "research", maxInstances: 10 } });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    await dataAccessOf(server.ctx).settled(r.json.id);
    const status = await call("GET", `/api/data-requests/${r.json.id}`, { token: users.ds.token });
    assert.equal(status.json.status, "done", JSON.stringify(status.json));
    assert.deepEqual(
      status.json.nodes.map((n: { nodeId: string; status: string; instances: number }) => [n.nodeId, n.status, n.instances]).sort(),
      [["hospital-a", "ok", 1], ["hospital-b", "ok", 1], ["hospital-c", "ok", 1]],
    );
    grant = status.json.grant;
    assert.equal(grant.instances, 3);
  });

  test("WADO-RS fetch -> the fetched file traces to the data scientist", async () => {
    const root = new URL(grant.dicomweb.root).pathname;
    const studies = await call("GET", `${root}/studies`, { token: users.ds.token });
    assert.equal(studies.status, 200);
    const study = studies.json[0]["0020000D"].Value[0];
    const instances = await call("GET", `${root}/studies/${study}/instances`, { token: users.ds.token });
    const sop = instances.json[0]["00080018"].Value[0];
    const series = instances.json[0]["0020000E"].Value[0];
    const wado = await call("GET", `${root}/studies/${study}/series/${series}/instances/${sop}`, {
      token: users.ds.token,
      accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    assert.equal(wado.status, 200);
    const [part] = parseMultipart(wado.headers.get("content-type")!, wado.bytes);
    assert.equal(readDicom(part!.body).sopInstanceUid, sop);
    const form = new FormData();
    form.set("file", new Blob([part!.body]), "leak.dcm");
    const traced = await call("POST", "/api/trace", { token: users.dpo.token, body: form });
    assert.equal(traced.status, 200, JSON.stringify(traced.json));
    assert.equal(traced.json.recipient.userId, users.ds.id);
    assert.equal(traced.json.grantId, grant.id);
  });

  test("a wrong role, an expired grant and a revoked grant are refused", async () => {
    const root = new URL(grant.dicomweb.root).pathname;
    const wrongRole = await call("POST", "/api/data-requests", { token: users.hospital.token, json: { query: {}, purpose: "research", maxInstances: 1 } });
    assert.equal(wrongRole.status, 403);
    assert.equal((await call("POST", "/api/trace", { token: users.ds.token, body: new FormData() })).status, 403);
    const db = server.ctx.database.db;
    const { expires_at } = await db.selectFrom("grants").select("expires_at").where("id", "=", grant.id).executeTakeFirstOrThrow();
    await db.updateTable("grants").set({ expires_at: "2000-01-01T00:00:00.000Z" }).where("id", "=", grant.id).execute();
    const expired = await call("GET", `${root}/studies`, { token: users.ds.token });
    assert.equal(expired.status, 403);
    assert.equal(expired.json.error, "grant-expired");
    await db.updateTable("grants").set({ expires_at }).where("id", "=", grant.id).execute();
    assert.equal((await call("GET", `${root}/studies`, { token: users.ds.token })).status, 200);
    assert.equal((await call("POST", `/api/grants/${grant.id}/revoke`, { token: users.dpo.token })).status, 200);
    const revoked = await call("GET", `${root}/studies`, { token: users.ds.token });
    assert.equal(revoked.status, 403);
  });

  test("a revoked node is cut off and refused when it dials again", async () => {
    const r = await call("POST", "/api/nodes/hospital-c/revoke", { token: users.admin.token, json: { reason: "e2e" } });
    assert.equal(r.status, 200);
    await until(() => !connected().includes("hospital-c"), "hospital-c to be cut off");
    // The process keeps dialling (backoff) and is refused after each handshake.
    await until(async () => {
      const rows = await server.ctx.database.db
        .selectFrom("audit_events")
        .select("detail")
        .where("action", "=", "node.connect")
        .where("outcome", "=", "failure")
        .where("actor_node_id", "=", "hospital-c")
        .execute();
      return rows.some((x) => (x.detail ?? "").includes("revoked"));
    }, "a refused reconnection of hospital-c");
    assert.deepEqual(connected(), ["hospital-a", "hospital-b"]);
    assert.match(logs.get("hospital-c") ?? "", /"kind":"disconnected"/);
  });
});
