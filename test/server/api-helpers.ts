// Test support for the API server: a real server on 127.0.0.1 (port 0) over SQLite or a real
// PostgreSQL (test/support/postgres.ts), users with given roles, and a small fetch wrapper.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterSecret } from "../../src/crypto/index.ts";
import type { Role, ServerConfigInput } from "../../src/server/config.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { startPostgres } from "../support/postgres.ts";

export const TEST_MASTER = masterSecret(new Uint8Array(32).fill(0x5a), "test.medtrace");
export type Backend = "sqlite" | "postgres";
export const BACKENDS: Backend[] = ["sqlite", "postgres"];

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

export interface Api {
  base: string;
  server: RunningServer;
  firstAdmin: { username: string; password: string };
  call(method: string, path: string, opts?: { token?: string; json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string> }): Promise<Reply>;
  /** A local account with these roles and a valid access token (minted as login would). */
  user(username: string, roles: Role[], password?: string): Promise<TestUser>;
  close(): Promise<void>;
}

export async function startApi(backend: Backend, config: ServerConfigInput = {}): Promise<Api> {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-api-"));
  const pg = backend === "postgres" ? await startPostgres() : null;
  const server = await startServer({ host: "127.0.0.1", port: 0, dataDir: dir, master: TEST_MASTER, ...(pg ? { dbUrl: pg.url } : {}), ...config });
  const base = server.url;
  const call: Api["call"] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(opts.json);
    }
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    base,
    server,
    firstAdmin: server.firstAdmin!,
    call,
    async user(username, roles, password = `pw-${username}-long-enough`) {
      const u = await server.ctx.users.create({ username, password, roles, mustChangePassword: false });
      const { token } = await server.ctx.tokens.issue({ sub: u.id, name: u.username, roles: u.roles });
      return { id: u.id, username, token };
    },
    async close() {
      await server.close();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Audit rows of one action, newest last (read straight from the store). */
export async function auditRows(api: Api, action: string) {
  return (await api.server.ctx.audit.search({ action, limit: 1000, offset: 0 })).rows;
}
