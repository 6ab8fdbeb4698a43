// Storage of data requests, grants, their marked copies and annotations (migration 003). One code
// path for SQLite and PostgreSQL: JSON as text, timestamps as ISO-8601 UTC strings.
import type { Kysely, Selectable } from "kysely";
import type { DbSchema } from "../db/index.ts";
import type { DataAccessTables } from "../db/migrations/003_data_access.ts";
import type { InstanceSummary } from "../dicomweb/index.ts";

export type RequestRow = Selectable<DataAccessTables["data_requests"]>;
export type GrantRow = Selectable<DataAccessTables["grants"]>;
export type GrantInstanceRow = Selectable<DataAccessTables["grant_instances"]>;
export type AnnotationRow = Selectable<DataAccessTables["annotations"]>;

export type NodeStatus = "ok" | "refused" | "pending-approval" | "failed";

export interface NodeOutcome {
  nodeId: string;
  status: NodeStatus | "pending";
  reason?: string;
  instances: number;
  /** maxInstances sent to the node: an approved request is re-sent unchanged (the node checks its digest). */
  asked?: number;
}

export class DataAccessRepository {
  constructor(private readonly db: Kysely<DbSchema>) {}

  async insertRequest(row: DataAccessTables["data_requests"]): Promise<void> {
    await this.db.insertInto("data_requests").values(row).execute();
  }

  request(id: string): Promise<RequestRow | undefined> {
    return this.db.selectFrom("data_requests").selectAll().where("id", "=", id).executeTakeFirst();
  }

  requestsOf(userId: string, limit: number, offset: number): Promise<RequestRow[]> {
    return this.db
      .selectFrom("data_requests")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("created_at", "desc")
      .orderBy("id")
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async updateRequest(id: string, patch: Partial<Pick<RequestRow, "status" | "nodes" | "grant_id" | "error">>): Promise<void> {
    const set: Record<string, unknown> = { ...patch, updated_at: new Date().toISOString() };
    if (patch.nodes !== undefined) set.nodes = patch.nodes;
    await this.db.updateTable("data_requests").set(set).where("id", "=", id).execute();
  }

  async insertGrant(row: DataAccessTables["grants"]): Promise<void> {
    await this.db.insertInto("grants").values(row).execute();
  }

  grant(id: string): Promise<GrantRow | undefined> {
    return this.db.selectFrom("grants").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Revokes once; false when the grant was already revoked. */
  async revokeGrant(id: string, by: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable("grants")
      .set({ revoked_at: at, revoked_by: by, access_token_sha256: null })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setAccessToken(id: string, sha256: string): Promise<void> {
    await this.db.updateTable("grants").set({ access_token_sha256: sha256 }).where("id", "=", id).execute();
  }

  async insertInstance(row: DataAccessTables["grant_instances"]): Promise<void> {
    await this.db.insertInto("grant_instances").values(row).execute();
  }

  instancesOf(grantId: string): Promise<GrantInstanceRow[]> {
    return this.db
      .selectFrom("grant_instances")
      .selectAll()
      .where("grant_id", "=", grantId)
      .orderBy("study_instance_uid")
      .orderBy("series_instance_uid")
      .orderBy("created_at")
      .orderBy("sop_instance_uid")
      .execute();
  }

  async countInstances(grantId: string): Promise<number> {
    const r = await this.db
      .selectFrom("grant_instances")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
      .where("grant_id", "=", grantId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  instance(grantId: string, sopInstanceUid: string): Promise<GrantInstanceRow | undefined> {
    return this.db
      .selectFrom("grant_instances")
      .selectAll()
      .where("grant_id", "=", grantId)
      .where("sop_instance_uid", "=", sopInstanceUid)
      .executeTakeFirst();
  }

  async insertAnnotation(row: DataAccessTables["annotations"]): Promise<void> {
    await this.db.insertInto("annotations").values(row).execute();
  }

  annotationsOf(grantId: string): Promise<AnnotationRow[]> {
    return this.db.selectFrom("annotations").selectAll().where("grant_id", "=", grantId).orderBy("created_at").orderBy("id").execute();
  }
}

export function summaryOf(row: GrantInstanceRow): InstanceSummary {
  return {
    studyInstanceUid: row.study_instance_uid,
    seriesInstanceUid: row.series_instance_uid,
    sopInstanceUid: row.sop_instance_uid,
    attributes: JSON.parse(row.attributes) as InstanceSummary["attributes"],
  };
}
