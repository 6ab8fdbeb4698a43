// Table types of the server database (Kysely). One interface per migration; each owner adds its
// own and joins it into DbSchema. Timestamps are ISO-8601 UTC strings and booleans 0/1 integers in
// both dialects, so one code path serves SQLite and PostgreSQL.
import type { Generated } from "kysely";
import type { NodesTables } from "./migrations/002_nodes.ts";
import type { DataAccessTables } from "./migrations/003_data_access.ts";
import type { FlTables } from "./migrations/004_fl.ts";

/** Migration 001 (core): accounts, audit trail, alerts, webhooks, traces. */
export interface CoreTables {
  users: {
    id: string;
    username: string;
    /** `scrypt$N$r$p$salt$hash` (base64url); null for accounts that only sign in via OIDC. */
    password_hash: string | null;
    /** JSON array of roles. */
    roles: string;
    disabled: number;
    must_change_password: number;
    locked_until: string | null;
    created_at: string;
  };
  /** Keyed pseudonym -> user, so that a trace names the account (ledger.md §7.5: the mapping back lives outside the ledger). */
  pseudonyms: {
    pseudonym: string;
    user_id: string;
    username: string;
  };
  audit_events: {
    id: Generated<number>;
    time: string;
    action: string;
    outcome: "success" | "failure";
    actor_user_id: string | null;
    actor_node_id: string | null;
    actor_ip: string | null;
    entity_type: string | null;
    entity_id: string | null;
    /** JSON object or null. */
    detail: string | null;
  };
  alerts: {
    id: Generated<number>;
    time: string;
    kind: string;
    severity: "info" | "warning" | "critical";
    message: string;
    detail: string | null;
  };
  webhooks: {
    id: string;
    url: string;
    /** JSON array of alert kinds, or null for every kind. */
    kinds: string | null;
    min_severity: "info" | "warning" | "critical";
    enabled: number;
    created_at: string;
    created_by: string;
    last_status: string | null;
    last_delivery_at: string | null;
  };
  traces: {
    id: string;
    time: string;
    user_id: string;
    found: number;
    method: string;
    /** The whole answer (JSON), evidence bundle included. */
    result: string;
  };
}

export type DbSchema = CoreTables & NodesTables & DataAccessTables & FlTables;
