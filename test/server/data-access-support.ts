// Test support for the data-access flow: a real server on 127.0.0.1 (SQLite or a real PostgreSQL),
// real edge nodes (src/edge EdgeHandler over folders of CT slices) connected through the
// in-process NodeHub, users with roles, and a fetch wrapper.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterSecret } from "../../src/crypto/index.ts";
import { EdgeHandler } from "../../src/edge/handler.ts";
import { DEFAULT_POLICY } from "../../src/edge/policy.ts";
import { FolderSource } from "../../src/edge/sources/index.ts";
import type { Role } from "../../src/server/config.ts";
import { InProcessHub } from "../../src/server/data-access/hub-inprocess.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { startPostgres } from "../support/postgres.ts";

export type Backend = "sqlite" | "postgres";
const MASTER = masterSecret(new Uint8Array(32).fill(0x3c), "test.medtrace");

export interface Env {
  base: string;
  server: RunningServer;
  hub: InProcessHub;
  nodes: Map<string, EdgeHandler>;
  /** Node -> server messages of a node (what its channel's publish sends). */
  publish(nodeId: string, type: string, json: unknown): Promise<void>;
  user(username: string, roles: Role[]): Promise<{ id: string; token: string }>;
  call(method: string, path: string, opts?: { token?: string; json?: unknown; body?: FormData; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

/** Nodes: id -> CT slice numbers of /work/shared/data/ct-head that the node holds; `requireApproval` lists nodes whose admin approves each request. */
export async function startEnv(backend: Backend, nodes: Record<string, number[]>, opts: { requireApproval?: string[] } = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-da-"));
  const pg = backend === "postgres" ? await startPostgres() : null;
  const server = await startServer({ host: "127.0.0.1", port: 0, dataDir: join(dir, "server"), master: MASTER, ...(pg ? { dbUrl: pg.url } : {}) });
  const hub = new InProcessHub();
  server.ctx.hub = hub;
  const handlers = new Map<string, EdgeHandler>();
  const publishers = new Map<string, (type: string, json: unknown) => Promise<void>>();
  for (const [nodeId, slices] of Object.entries(nodes)) {
    const data = join(dir, nodeId, "data");
    mkdirSync(data, { recursive: true });
    for (const n of slices) {
      const name = `slice-${String(n).padStart(3, "0")}.dcm`;
      copyFileSync(dataPath("ct-head", name), join(data, name));
    }
    const handler = new EdgeHandler({
      nodeId,
      dir: join(dir, nodeId, "state"),
      source: new FolderSource(data),
      policy: { ...DEFAULT_POLICY, allowedPurposes: ["research"], requireApproval: opts.requireApproval?.includes(nodeId) ?? false },
      keys: { deid: new Uint8Array(32).fill(nodeId.charCodeAt(nodeId.length - 1)), catalogue: new Uint8Array(32).fill(7) },
    });
    publishers.set(nodeId, hub.connect(nodeId, handler.handle));
    handlers.set(nodeId, handler);
  }
  const call: Env["call"] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | FormData | undefined = opts.body;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    const res = await fetch(server.url + path, { method, headers, body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    let json: unknown = null;
    try {
      json = JSON.parse(Buffer.from(bytes).toString());
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, bytes, json };
  };
  return {
    base: server.url,
    server,
    hub,
    nodes: handlers,
    publish: (nodeId, type, json) => publishers.get(nodeId)!(type, json),
    call,
    async user(username, roles) {
      const u = await server.ctx.users.create({ username, password: `pw-${username}-long-enough`, roles, mustChangePassword: false });
      const { token } = await server.ctx.tokens.issue({ sub: u.id, name: u.username, roles: u.roles });
      return { id: u.id, token };
    },
    async close() {
      await server.close();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
