// Migration 002 (nodes, helper C): enrolled edge nodes with their current certificate, one-time
// enrolment tokens (stored as SHA-256 only), revoked certificate serials, and the last accepted
// frame seq per node (federated-learning.md §5.3), so replays stay refused across restarts.
import type { Kysely } from "kysely";
import type { Dialect } from "../index.ts";

export type NodeStatus = "pending" | "active" | "disabled" | "revoked";

/** Table types of migration 002 (joined into DbSchema). */
export interface NodesTables {
  nodes: {
    node_id: string;
    display_name: string;
    status: NodeStatus;
    /** Lower-case hex serial of the current certificate; null until enrolled. */
    cert_serial: string | null;
    cert_pem: string | null;
    /** sha256:<hex> of the node's SubjectPublicKeyInfo. */
    key_fingerprint: string | null;
    cert_not_after: string | null;
    /** Highest accepted frame seq (an integer below 2^53; bigint in PostgreSQL). */
    last_seq: number | string;
    created_at: string;
    created_by: string;
    enrolled_at: string | null;
    updated_at: string;
  };
  enrolment_tokens: {
    token_sha256: string;
    node_id: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
  };
  node_revocations: {
    cert_serial: string;
    node_id: string;
    revoked_at: string;
    revoked_by: string;
    reason: string;
  };
}

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("nodes")
    .addColumn("node_id", "text", (c) => c.primaryKey())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("cert_serial", "text")
    .addColumn("cert_pem", "text")
    .addColumn("key_fingerprint", "text")
    .addColumn("cert_not_after", "text")
    .addColumn("last_seq", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("enrolled_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("enrolment_tokens")
    .addColumn("token_sha256", "text", (c) => c.primaryKey())
    .addColumn("node_id", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.schema.createIndex("enrolment_tokens_node").on("enrolment_tokens").column("node_id").execute();

  await db.schema
    .createTable("node_revocations")
    .addColumn("cert_serial", "text", (c) => c.primaryKey())
    .addColumn("node_id", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text", (c) => c.notNull())
    .addColumn("revoked_by", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .execute();
}
