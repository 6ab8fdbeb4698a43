// The audit trail (DESIGN.md "Audit"): every access, login, trace and configuration change is one
// append-only row; rendering to FHIR AuditEvent and ATNA syslog lives beside it.
import type { Kysely, Selectable } from "kysely";
import type { CoreTables, DbSchema } from "../db/schema.ts";

export interface AuditInput {
  action: string;
  outcome: "success" | "failure";
  actor: { userId?: string; nodeId?: string; ip?: string };
  entity?: { type: string; id: string };
  detail?: Record<string, unknown>;
}

export type AuditRow = Selectable<CoreTables["audit_events"]>;

export interface AuditQuery {
  from?: string;
  to?: string;
  /** Inclusive lower and exclusive upper bound come from FHIR `ge`/`lt`; both kinds are mapped here. */
  fromExclusive?: boolean;
  toInclusive?: boolean;
  action?: string;
  outcome?: "success" | "failure";
  userId?: string;
  entityId?: string;
  limit: number;
  offset: number;
}

export class AuditLog {
  constructor(private readonly db: Kysely<DbSchema>) {}

  async record(e: AuditInput): Promise<void> {
    await this.db
      .insertInto("audit_events")
      .values({
        time: new Date().toISOString(),
        action: e.action,
        outcome: e.outcome,
        actor_user_id: e.actor.userId ?? null,
        actor_node_id: e.actor.nodeId ?? null,
        actor_ip: e.actor.ip ?? null,
        entity_type: e.entity?.type ?? null,
        entity_id: e.entity?.id ?? null,
        detail: e.detail ? JSON.stringify(e.detail) : null,
      })
      .execute();
  }

  async search(q: AuditQuery): Promise<{ total: number; rows: AuditRow[] }> {
    let base = this.db.selectFrom("audit_events");
    if (q.from) base = base.where("time", q.fromExclusive ? ">" : ">=", q.from);
    if (q.to) base = base.where("time", q.toInclusive ? "<=" : "<", q.to);
    if (q.action) base = base.where("action", "=", q.action);
    if (q.outcome) base = base.where("outcome", "=", q.outcome);
    if (q.userId) base = base.where("actor_user_id", "=", q.userId);
    if (q.entityId) base = base.where("entity_id", "=", q.entityId);
    const { n } = await base.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy("id", "asc").limit(q.limit).offset(q.offset).execute();
    return { total: Number(n), rows };
  }
}
