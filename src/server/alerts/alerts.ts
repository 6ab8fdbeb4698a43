// Alerts (DESIGN.md "Alerts"): stored, pushed to SSE subscribers and to signed webhooks.
import type { Kysely, Selectable } from "kysely";
import type { CoreTables, DbSchema } from "../db/schema.ts";
import type { Webhooks } from "./webhooks.ts";

export type Severity = "info" | "warning" | "critical";
export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

export interface AlertInput {
  kind: string;
  severity: Severity;
  message: string;
  detail?: Record<string, unknown>;
}

export interface Alert extends AlertInput {
  id: number;
  time: string;
}

type AlertRow = Selectable<CoreTables["alerts"]>;

const fromRow = (r: AlertRow): Alert => ({
  id: Number(r.id),
  time: r.time,
  kind: r.kind,
  severity: r.severity,
  message: r.message,
  ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
});

export class Alerts {
  private readonly listeners = new Set<(a: Alert) => void>();

  constructor(
    private readonly db: Kysely<DbSchema>,
    readonly webhooks: Webhooks,
  ) {}

  async raise(input: AlertInput): Promise<Alert> {
    const time = new Date().toISOString();
    const row = await this.db
      .insertInto("alerts")
      .values({ time, kind: input.kind, severity: input.severity, message: input.message, detail: input.detail ? JSON.stringify(input.detail) : null })
      .returning("id")
      .executeTakeFirstOrThrow();
    const alert: Alert = { id: Number(row.id), time, ...input };
    for (const l of this.listeners) l(alert);
    this.webhooks.dispatch(alert);
    return alert;
  }

  /** Live alerts; returns the unsubscribe function. */
  subscribe(listener: (a: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Alerts after `afterId` (SSE Last-Event-ID replay), or the latest when no id is given. */
  async list(opts: { afterId?: number; limit: number; kind?: string }): Promise<Alert[]> {
    let q = this.db.selectFrom("alerts").selectAll();
    if (opts.kind) q = q.where("kind", "=", opts.kind);
    if (opts.afterId !== undefined) return (await q.where("id", ">", opts.afterId).orderBy("id", "asc").limit(opts.limit).execute()).map(fromRow);
    return (await q.orderBy("id", "desc").limit(opts.limit).execute()).map(fromRow).reverse();
  }
}
