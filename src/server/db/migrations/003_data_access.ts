// Migration 003 (data access, issue 6): data requests, grants, the marked copies a grant holds,
// and annotations routed back to hospitals. JSON columns are text in both dialects.
import type { Kysely } from "kysely";
import type { Dialect } from "../index.ts";

/** Table types of migration 003 (joined into DbSchema). */
export interface DataAccessTables {
  data_requests: {
    id: string;
    user_id: string;
    /** JSON DataQuery (contract). */
    query: string;
    purpose: string;
    max_instances: number;
    /** running | done | failed */
    status: string;
    /** JSON array of per-node outcomes {nodeId, status, reason?, instances}. */
    nodes: string;
    grant_id: string | null;
    error: string | null;
    created_at: string;
    updated_at: string;
  };
  grants: {
    id: string;
    request_id: string;
    user_id: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
    revoked_by: string | null;
    /** SHA-256 (hex) of the current grant access token; null until one is issued. */
    access_token_sha256: string | null;
  };
  grant_instances: {
    grant_id: string;
    sop_instance_uid: string;
    study_instance_uid: string;
    series_instance_uid: string;
    node_id: string;
    /** The de-identified UID the node sent (annotations are routed back under it). */
    source_sop_instance_uid: string;
    ledger_entry: number;
    /** File name under <dataDir>/grants/<grantId>/. */
    file: string;
    /** JSON DICOM Model of the non-binary attributes (QIDO-RS). */
    attributes: string;
    created_at: string;
  };
  annotations: {
    id: string;
    grant_id: string;
    user_id: string;
    node_id: string;
    sop_instance_uid: string;
    /** JSON annotation body as delivered. */
    body: string;
    /** The node's id for the stored annotation. */
    node_annotation_id: string | null;
    created_at: string;
  };
}

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("data_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("query", "text", (c) => c.notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("max_instances", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("nodes", "text", (c) => c.notNull())
    .addColumn("grant_id", "text")
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("data_requests_user").on("data_requests").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("grants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    .addColumn("revoked_by", "text")
    .addColumn("access_token_sha256", "text")
    .execute();

  await db.schema
    .createTable("grant_instances")
    .addColumn("grant_id", "text", (c) => c.notNull())
    .addColumn("sop_instance_uid", "text", (c) => c.notNull())
    .addColumn("study_instance_uid", "text", (c) => c.notNull())
    .addColumn("series_instance_uid", "text", (c) => c.notNull())
    .addColumn("node_id", "text", (c) => c.notNull())
    .addColumn("source_sop_instance_uid", "text", (c) => c.notNull())
    .addColumn("ledger_entry", "integer", (c) => c.notNull())
    .addColumn("file", "text", (c) => c.notNull())
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("grant_instances_pk", ["grant_id", "sop_instance_uid"])
    .execute();

  await db.schema
    .createTable("annotations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("grant_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("node_id", "text", (c) => c.notNull())
    .addColumn("sop_instance_uid", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("node_annotation_id", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("annotations_grant").on("annotations").column("grant_id").execute();
}
