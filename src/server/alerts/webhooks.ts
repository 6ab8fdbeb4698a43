// Signed webhooks: each alert is POSTed as JSON with `X-Medtrace-Signature: sha256=<hex>`, the
// HMAC-SHA256 of the exact body under the webhook's secret; delivery retries with exponential
// back-off. Secrets are derived from the master secret and the webhook id, so none is stored.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { DbSchema } from "../db/schema.ts";
import type { Alert, Severity } from "./alerts.ts";
import { SEVERITIES } from "./alerts.ts";

export const SIGNATURE_HEADER = "x-medtrace-signature";

export function signBody(secret: string | Uint8Array, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** What a receiver runs: constant-time comparison of the header with the HMAC of the raw body. */
export function verifySignature(secret: string | Uint8Array, body: string | Uint8Array, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}

export interface Webhook {
  id: string;
  url: string;
  kinds: string[] | null;
  minSeverity: Severity;
  enabled: boolean;
  createdAt: string;
  lastStatus: string | null;
  lastDeliveryAt: string | null;
}

export interface WebhookOptions {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
  /** Secret of one webhook, used as the HMAC key as is (derived from the master secret and the id). */
  secretOf(id: string): string;
  onError(message: string): void;
}

export class Webhooks {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Kysely<DbSchema>,
    private readonly opts: WebhookOptions,
  ) {}

  async create(input: { url: string; kinds?: string[]; minSeverity?: Severity; createdBy: string }): Promise<{ webhook: Webhook; secret: string }> {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    await this.db
      .insertInto("webhooks")
      .values({
        id,
        url: input.url,
        kinds: input.kinds ? JSON.stringify(input.kinds) : null,
        min_severity: input.minSeverity ?? "info",
        enabled: 1,
        created_at: createdAt,
        created_by: input.createdBy,
        last_status: null,
        last_delivery_at: null,
      })
      .execute();
    const webhook = (await this.get(id))!;
    return { webhook, secret: this.opts.secretOf(id) };
  }

  async list(): Promise<Webhook[]> {
    return (await this.db.selectFrom("webhooks").selectAll().orderBy("created_at").execute()).map(toWebhook);
  }

  async get(id: string): Promise<Webhook | null> {
    const r = await this.db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toWebhook(r) : null;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Fire and forget: delivery never delays the request that raised the alert. */
  dispatch(alert: Alert): void {
    if (this.closed) return;
    const p = this.deliverAll(alert).catch((err: unknown) => this.opts.onError(`webhook dispatch failed: ${(err as Error).message}`));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Waits for pending deliveries (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settle();
  }

  private async deliverAll(alert: Alert): Promise<void> {
    const hooks = (await this.list()).filter((h) => h.enabled && wants(h, alert));
    await Promise.all(hooks.map((h) => this.deliver(h, alert)));
  }

  private async deliver(hook: Webhook, alert: Alert): Promise<void> {
    const body = JSON.stringify({ webhookId: hook.id, deliveryId: randomUUID(), alert });
    const signature = signBody(this.opts.secretOf(hook.id), body);
    let status = "failed";
    for (let attempt = 1; attempt <= this.opts.attempts; attempt++) {
      status = await postOnce(hook.url, body, signature, this.opts.timeoutMs);
      if (status.startsWith("2")) break;
      if (attempt < this.opts.attempts && !this.closed) await sleep(this.opts.baseDelayMs * 2 ** (attempt - 1));
    }
    if (!status.startsWith("2")) this.opts.onError(`webhook ${hook.id} gave up after ${this.opts.attempts} attempts (${status})`);
    await this.db.updateTable("webhooks").set({ last_status: status, last_delivery_at: new Date().toISOString() }).where("id", "=", hook.id).execute();
  }
}

async function postOnce(url: string, body: string, signature: string, timeoutMs: number): Promise<string> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature, "user-agent": "medtrace-webhook/1" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    await res.arrayBuffer().catch(() => undefined);
    return String(res.status);
  } catch (err) {
    return `error: ${(err as Error).name}`;
  }
}

function wants(h: Webhook, a: Alert): boolean {
  if (SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(h.minSeverity)) return false;
  return h.kinds === null || h.kinds.includes(a.kind);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function toWebhook(r: {
  id: string;
  url: string;
  kinds: string | null;
  min_severity: Severity;
  enabled: number;
  created_at: string;
  last_status: string | null;
  last_delivery_at: string | null;
}): Webhook {
  return {
    id: r.id,
    url: r.url,
    kinds: r.kinds ? (JSON.parse(r.kinds) as string[]) : null,
    minSeverity: r.min_severity,
    enabled: r.enabled === 1,
    createdAt: r.created_at,
    lastStatus: r.last_status,
    lastDeliveryAt: r.last_delivery_at,
  };
}
