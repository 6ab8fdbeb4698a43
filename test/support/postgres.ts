// A real PostgreSQL for tests: one throwaway cluster per test process on 127.0.0.1 (trust auth,
// never reachable from outside the machine), a fresh database per caller so suites stay isolated.
// CI may point MEDTRACE_TEST_PG_URL at a server it started; then only databases are created.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** Connection URL of a database created for this caller only. */
  url: string;
  /** Drops the database (the cluster itself stops when the test process exits). */
  stop(): Promise<void>;
}

const SUPERUSER = "medtrace";
let cluster: Promise<string> | undefined;

export async function startPostgres(): Promise<TestPostgres> {
  const adminUrl = await (cluster ??= adminUrlFromEnvOrCluster());
  const name = `medtrace_test_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function adminUrlFromEnvOrCluster(): Promise<string> {
  const fromEnv = process.env.MEDTRACE_TEST_PG_URL;
  if (fromEnv) return fromEnv;
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "medtrace-pg-"));
  const data = join(dir, "data");
  // initdb and postgres refuse to run as root; the Debian package provides the postgres user.
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ["-u", "postgres", "--", join(bin, cmd), ...args] : args;
    const result = spawnSync(asRoot ? "runuser" : join(bin, cmd), argv, { encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`test postgres: ${cmd} failed: ${result.stderr || result.stdout || result.error?.message}`);
    }
  };
  if (asRoot) {
    const ids = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
    const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  chmodSync(dir, 0o700);
  run("initdb", ["-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off -c max_connections=200`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
  process.once("exit", () => {
    const argv = ["-D", data, "-m", "immediate", "stop"];
    spawnSync(asRoot ? "runuser" : join(bin, "pg_ctl"), asRoot ? ["-u", "postgres", "--", join(bin, "pg_ctl"), ...argv] : argv);
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
}

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "initdb")));
  if (!found) {
    throw new Error("test postgres: no PostgreSQL server found (apt-get install postgresql), or set MEDTRACE_TEST_PG_URL");
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
