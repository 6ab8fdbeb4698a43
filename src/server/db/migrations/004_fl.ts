// Migration 004 (federated training, issue 7): one row per training session and its append-only
// protocol records (federated-learning.md §1.8); weights and masked vectors live as
// content-addressed files under <dataDir>/blobs, written before the records that reference them.
import type { Kysely } from "kysely";
import type { Dialect } from "../index.ts";

/** Table types of migration 004 (joined into DbSchema). */
export interface FlTables {
  fl_sessions: {
    id: string;
    created_by: string;
    created_at: string;
    updated_at: string;
    /** pending | running | aggregating | completed | failed | cancelled */
    state: string;
    plan_hash: string;
    /** hash of the latest checkpoint, null before the first */
    model_hash: string | null;
  };
  fl_records: {
    session_id: string;
    idx: number;
    /** one SessionRecord as JSON */
    record: string;
  };
}

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("fl_sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("plan_hash", "text", (c) => c.notNull())
    .addColumn("model_hash", "text")
    .execute();
  await db.schema
    .createTable("fl_records")
    .addColumn("session_id", "text", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("record", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("fl_records_pk", ["session_id", "idx"])
    .execute();
}
