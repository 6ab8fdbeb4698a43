// Networked training over real sockets: the server (API + HTTP/2 mTLS node port, SQLite) in this
// process, hospitals as `medtrace node run` processes enrolled by one-time token, each with a
// DICOM folder holding its share of PneumoniaMNIST and a labels.csv.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { masterSecret } from "../../src/crypto/index.ts";
import { writeHospitalFolders } from "../../src/demo/hospitals.ts";
import { officialTestScore } from "../../src/demo/training-story.ts";
import { enrolNode } from "../../src/edge/enrol.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { dataPath } from "../../src/util/data-path.ts";

const BIN = fileURLToPath(new URL("../../bin/medtrace.mjs", import.meta.url));
export const SCIENTIST = { username: "alice", password: "pw-alice-long-enough" };

export async function until<T>(get: () => T | Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Net {
  server: RunningServer;
  token: string;
  procs: Map<string, ChildProcess>;
  logs: Map<string, string>;
  call(method: string, path: string, json?: unknown): Promise<{ status: number; json: any; bytes: Uint8Array }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

/** A server and `count` enrolled hospital processes, each offering its chest images as "pneumonia". */
export async function startNet(count: number, chestPerNode: number): Promise<Net> {
  const dir = mkdtempSync(join(tmpdir(), "mt-fl-net-"));
  const server = await startServer({ host: "127.0.0.1", port: 0, nodePort: 0, dataDir: join(dir, "server"), master: masterSecret(new Uint8Array(32).fill(0x37), "fl.medtrace") });
  const mk = async (name: string, roles: ("data-scientist" | "consortium-admin")[]) => {
    const u = await server.ctx.users.create({ username: name, password: `pw-${name}-long-enough`, roles, mustChangePassword: false });
    return (await server.ctx.tokens.issue({ sub: u.id, name, roles: u.roles })).token;
  };
  const admin = await mk("carl", ["consortium-admin"]);
  const token = await mk(SCIENTIST.username, ["data-scientist"]);
  const call = async (method: string, path: string, json?: unknown, bearer = token) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(json !== undefined ? { "content-type": "application/json" } : {}) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString());
    } catch {
      parsed = null;
    }
    return { status: res.status, json: parsed as any, bytes }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const folders = writeHospitalFolders({ origin: "env", pneumoniaNpz: dataPath("pneumoniamnist", "pneumoniamnist.npz"), description: "e2e" }, join(dir, "sites"), { count, chestPerNode });
  const procs = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();
  for (const f of folders) {
    const nodeDir = dirname(f.dir);
    const nodeId = nodeDir.split("/").at(-1) as string;
    const training = { datasets: [{ tag: "pneumonia", classes: ["normal", "pneumonia"], modality: ["CR"], bodyPart: ["CHEST"] }] };
    writeFileSync(join(nodeDir, "node.json"), JSON.stringify({ source: `folder:${f.dir}`, training }));
    const created = await call("POST", "/api/nodes", { nodeId }, admin);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { nodeUrl } = await enrolNode({ server: server.url, token: created.json.token, nodeId, dir: nodeDir });
    const p = spawn(process.execPath, [BIN, "node", "run", "--server", nodeUrl, "--dir", nodeDir], { stdio: ["ignore", "ignore", "pipe"] });
    logs.set(nodeId, "");
    p.stderr!.on("data", (b: Buffer) => logs.set(nodeId, logs.get(nodeId) + b.toString()));
    procs.set(nodeId, p);
  }
  await until(() => (server.ctx.hub?.connectedNodes() ?? []).length, (n) => n === count, "connected nodes", 60_000);
  return {
    server,
    token,
    procs,
    logs,
    call,
    async close() {
      for (const p of procs.values()) if (p.exitCode === null) p.kill("SIGTERM");
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The released tfjs model on PneumoniaMNIST's official test split, read the way the nodes read their images. */
export function testAccuracy(zip: Uint8Array): Promise<{ acc: number; auc: number }> {
  return officialTestScore(zip, readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));
}
