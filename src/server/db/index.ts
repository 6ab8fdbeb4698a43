// The server database: Kysely over better-sqlite3 (default) or pg, migrated on open.
// `sqlite:<path>` (or `sqlite::memory:`) and `postgres://…` URLs select the dialect.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import type { DbSchema } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";
export type { DbSchema } from "./schema.ts";

export interface Database {
  db: Kysely<DbSchema>;
  dialect: Dialect;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "DatabaseError";
    this.code = code;
  }
}

export async function openDatabase(url: string): Promise<Database> {
  const database = connect(url);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

function connect(url: string): Database {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const db = new Kysely<DbSchema>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: "postgres", close: () => db.destroy() };
  }
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path.length === 0) throw new DatabaseError("DB_URL", "sqlite: URL needs a path (or :memory:)");
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const handle = new SqliteDatabase(path);
    handle.pragma("journal_mode = WAL");
    handle.pragma("busy_timeout = 5000");
    const db = new Kysely<DbSchema>({ dialect: new SqliteDialect({ database: handle }) });
    return { db, dialect: "sqlite", close: () => db.destroy() };
  }
  throw new DatabaseError("DB_URL", `unsupported database URL (use sqlite:<path> or postgres://…): ${redactUrl(url)}`);
}

async function migrate(database: Database): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const m of migrations) out[m.name] = { up: (db) => m.up(db, database.dialect) };
      return out;
    },
  };
  const { error, results } = await new Migrator({ db: database.db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "?";
    throw new DatabaseError("DB_MIGRATION", `migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** A URL fit for a log line: the password, if any, replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

export const nowIso = (): string => new Date().toISOString();
