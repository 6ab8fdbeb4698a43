// Migration 001: the core tables (users, pseudonyms, audit_events, alerts, webhooks, traces).
// Audit events are append-only; the trigger is the one dialect-specific statement (DESIGN.md).
import { type Kysely, sql } from "kysely";
import type { Dialect } from "../index.ts";

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === "postgres" ? "integer generated always as identity primary key" : "integer primary key autoincrement";

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text")
    .addColumn("roles", "text", (c) => c.notNull())
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("must_change_password", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("pseudonyms")
    .addColumn("pseudonym", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("username", "text", (c) => c.notNull())
    .execute();

  await sql`create table audit_events (
    id ${sql.raw(serial)},
    time text not null,
    action text not null,
    outcome text not null,
    actor_user_id text,
    actor_node_id text,
    actor_ip text,
    entity_type text,
    entity_id text,
    detail text
  )`.execute(db);
  await db.schema.createIndex("audit_events_time").on("audit_events").column("time").execute();
  await db.schema.createIndex("audit_events_actor").on("audit_events").column("actor_user_id").execute();

  if (dialect === "postgres") {
    await sql`create function audit_events_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_events is append-only'; end $$`.execute(db);
    await sql`create trigger audit_events_no_change before update or delete on audit_events
      for each row execute function audit_events_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_events_no_update before update on audit_events
      begin select raise(abort, 'audit_events is append-only'); end`.execute(db);
    await sql`create trigger audit_events_no_delete before delete on audit_events
      begin select raise(abort, 'audit_events is append-only'); end`.execute(db);
  }

  await sql`create table alerts (
    id ${sql.raw(serial)},
    time text not null,
    kind text not null,
    severity text not null,
    message text not null,
    detail text
  )`.execute(db);

  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("kinds", "text")
    .addColumn("min_severity", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("last_status", "text")
    .addColumn("last_delivery_at", "text")
    .execute();

  await db.schema
    .createTable("traces")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("time", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("found", "integer", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("result", "text", (c) => c.notNull())
    .execute();
}
