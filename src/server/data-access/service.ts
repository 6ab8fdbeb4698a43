// The data-access flow of issue 6 (DESIGN.md "Data access"): a request is matched against the
// nodes' catalogues, sent to each matching node (`data.request`), and every de-identified instance
// that comes back is issued as one traceable copy (src/tracing issueCopy: zero-watermark
// registration, reversible mark with a fresh token, `image.shared` ledger entry under the
// requester's pseudonym) and stored under a time-limited grant.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ImagingError } from "../../imaging/index.ts";
import { issueCopy, TracingError, userPseudonym } from "../../tracing/index.ts";
import type { ServerContext } from "../context.ts";
import { InstanceError, summarizeInstance } from "../dicomweb/index.ts";
import { AccessMeter } from "./access-meter.ts";
import { GrantFiles } from "./files.ts";
import { type CatalogueEntry, catalogueSchema, type DataQuery, type DataReply, dataReplySchema, entryMatches } from "./query.ts";
import { DataAccessRepository, type GrantRow, type NodeOutcome } from "./repository.ts";

export interface DataAccessOptions {
  /** Lifetime of a grant (default 24 h). */
  grantTtlSeconds: number;
  /** Instance fetches per grant per minute above which an access-rate alert is raised. */
  accessRatePerMinute: number;
  catalogueTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_DATA_ACCESS: DataAccessOptions = {
  grantTtlSeconds: 24 * 3600,
  accessRatePerMinute: 600,
  catalogueTimeoutMs: 15_000,
  requestTimeoutMs: 10 * 60_000,
};

export interface RequestInput {
  query: DataQuery;
  purpose: string;
  maxInstances: number;
}

export type GrantState = "active" | "expired" | "revoked";

const TOKEN_PREFIX = "mtg_";

/** A node's answer that contradicts itself (a file that is not the instance it is listed as). */
class ReplyError extends Error {
  readonly code = "DATA_REPLY_MISMATCH";
}

export class DataAccess {
  readonly repo: DataAccessRepository;
  readonly files: GrantFiles;
  meter: AccessMeter;
  private readonly running = new Map<string, Promise<void>>();
  /** Catalogues the nodes published (`catalogue.publish`), by node; asked for when missing. */
  private readonly published = new Map<string, CatalogueEntry[]>();
  private readonly subscribed = new WeakSet<object>();

  constructor(
    private readonly ctx: ServerContext,
    public options: DataAccessOptions,
  ) {
    this.repo = new DataAccessRepository(ctx.database.db);
    this.files = new GrantFiles(ctx.config.dataDir);
    this.meter = new AccessMeter(options.accessRatePerMinute);
  }

  /** Changes settings at run time (demo, tests): later requests and fetches use them. */
  configure(options: Partial<DataAccessOptions>): void {
    this.options = { ...this.options, ...options };
    if (options.accessRatePerMinute !== undefined) this.meter = new AccessMeter(options.accessRatePerMinute);
  }

  /** Records the request and starts it; the caller answers 202 with the id. */
  async submit(userId: string, input: RequestInput): Promise<string> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await this.repo.insertRequest({
      id,
      user_id: userId,
      query: JSON.stringify(input.query),
      purpose: input.purpose,
      max_instances: input.maxInstances,
      status: "running",
      nodes: "[]",
      grant_id: null,
      error: null,
      created_at: now,
      updated_at: now,
    });
    const run = this.run(id, userId, input).catch(async (err: unknown) => {
      await this.repo.updateRequest(id, { status: "failed", error: (err as Error).message ?? String(err) }).catch(() => undefined);
    });
    this.running.set(id, run);
    void run.finally(() => {
      if (this.running.get(id) === run) this.running.delete(id);
    });
    return id;
  }

  /** Resolves when request `id` has finished (tests, demo, shutdown). */
  async settled(id?: string): Promise<void> {
    if (id !== undefined) await this.running.get(id);
    else await Promise.all(this.running.values());
  }

  private async run(requestId: string, userId: string, input: RequestInput): Promise<void> {
    const hub = this.ctx.hub;
    if (!hub) throw new Error("no hospital node is connected to this server (no node hub)");
    const outcomes: NodeOutcome[] = [];
    const save = () => this.repo.updateRequest(requestId, { nodes: JSON.stringify(outcomes) });
    const matching = await this.matchingNodes(input.query, outcomes);
    for (const nodeId of matching) outcomes.push({ nodeId, status: "pending", instances: 0 });
    await save();

    const grantId = randomUUID();
    const seriesOfCopy = new Map<string, string>();
    let remaining = input.maxInstances;
    for (const outcome of outcomes.filter((o) => o.status === "pending")) {
      if (remaining === 0) {
        Object.assign(outcome, { status: "refused", reason: "not asked: maxInstances already reached" });
        continue;
      }
      const reply = await this.askNode(hub, outcome, { requestId, userId, input, remaining });
      if (reply) {
        const issued = await this.issueAll(outcome, reply, { requestId, grantId, userId, seriesOfCopy });
        remaining -= issued;
      }
      await save();
    }

    await this.finish({ requestId, userId, grantId, grantExists: false, outcomes });
  }

  /** Creates the grant once it holds a copy, and records where the request stands. */
  private async finish(r: { requestId: string; userId: string; grantId: string; grantExists: boolean; outcomes: NodeOutcome[] }): Promise<void> {
    const issued = r.outcomes.reduce((s, o) => s + (o.status === "ok" ? o.instances : 0), 0);
    const status = r.outcomes.some((o) => o.status === "pending-approval") ? "waiting-approval" : "done";
    const nodes = JSON.stringify(r.outcomes);
    if (r.grantExists) return this.repo.updateRequest(r.requestId, { status, nodes });
    if (issued === 0) {
      await this.files.remove(r.grantId);
      return this.repo.updateRequest(r.requestId, { status, nodes });
    }
    const now = new Date();
    await this.repo.insertGrant({
      id: r.grantId,
      request_id: r.requestId,
      user_id: r.userId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.options.grantTtlSeconds * 1000).toISOString(),
      revoked_at: null,
      revoked_by: null,
      access_token_sha256: null,
    });
    await this.repo.updateRequest(r.requestId, { status, grant_id: r.grantId, nodes });
    await this.ctx.audit.record({ action: "grant.create", outcome: "success", actor: { userId: r.userId }, entity: { type: "grant", id: r.grantId }, detail: { requestId: r.requestId, instances: issued } });
  }

  /**
   * A hospital admin decided on a request that waited for approval (`data.approval` from the
   * node): approved, the same request is sent again and its copies join the grant; denied, the
   * node's outcome becomes refused.
   */
  private onApproval(nodeId: string, json: unknown): void {
    const parsed = approvalSchema.safeParse(json);
    if (!parsed.success) return;
    const { requestId, status } = parsed.data;
    const prior = this.running.get(requestId);
    const run = (async () => {
      await prior;
      const row = await this.repo.request(requestId);
      const outcomes = row ? (JSON.parse(row.nodes) as NodeOutcome[]) : [];
      const outcome = outcomes.find((o) => o.nodeId === nodeId && o.status === "pending-approval");
      if (!row || !outcome || !this.ctx.hub) return;
      const grantId = row.grant_id ?? randomUUID();
      if (status === "denied") Object.assign(outcome, { status: "refused", reason: "declined by the hospital admin" });
      else {
        const input: RequestInput = { query: JSON.parse(row.query) as DataQuery, purpose: row.purpose, maxInstances: row.max_instances };
        const got = await this.askNode(this.ctx.hub, outcome, { requestId, userId: row.user_id, input, remaining: outcome.asked ?? row.max_instances });
        if (got) {
          const issuedBefore = outcomes.reduce((s, o) => s + (o.status === "ok" ? o.instances : 0), 0);
          const cap = Math.max(0, row.max_instances - issuedBefore);
          const capped = { reply: { ...got.reply, instances: got.reply.instances.slice(0, cap) }, blobs: got.blobs.slice(0, cap) };
          await this.issueAll(outcome, capped, { requestId, grantId, userId: row.user_id, seriesOfCopy: new Map() });
        }
      }
      await this.finish({ requestId, userId: row.user_id, grantId, grantExists: row.grant_id !== null, outcomes });
    })().catch(() => undefined);
    this.running.set(requestId, run);
    void run.finally(() => {
      if (this.running.get(requestId) === run) this.running.delete(requestId);
    });
  }

  /** Connected nodes whose catalogue holds at least one entry matching the query. */
  private async matchingNodes(query: DataQuery, outcomes: NodeOutcome[]): Promise<string[]> {
    const hub = this.ctx.hub!;
    this.subscribe(hub);
    const out: string[] = [];
    for (const { nodeId } of hub.connectedNodes()) {
      let entries = this.published.get(nodeId);
      try {
        if (!entries) {
          const r = await hub.call(nodeId, "catalogue.get", {}, { timeoutMs: this.options.catalogueTimeoutMs });
          entries = catalogueSchema.parse(r.json);
        }
      } catch (err) {
        outcomes.push({ nodeId, status: "failed", reason: `catalogue unavailable: ${(err as Error).message}`, instances: 0 });
        continue;
      }
      if (entries.some((e) => entryMatches(e, query))) out.push(nodeId);
    }
    return out;
  }

  /** Keeps the latest catalogue each node publishes; a malformed one is dropped (asked for again). */
  subscribe(hub: NonNullable<ServerContext["hub"]>): void {
    if (this.subscribed.has(hub)) return;
    this.subscribed.add(hub);
    hub.onMessage("catalogue.publish", (nodeId, json) => {
      const r = catalogueSchema.safeParse(json);
      if (r.success) this.published.set(nodeId, r.data);
      else this.published.delete(nodeId);
    });
    hub.onMessage("data.approval", (nodeId, json) => this.onApproval(nodeId, json));
  }

  private async askNode(
    hub: NonNullable<ServerContext["hub"]>,
    outcome: NodeOutcome,
    r: { requestId: string; userId: string; input: RequestInput; remaining: number },
  ): Promise<{ reply: DataReply; blobs: Uint8Array[] } | null> {
    const body = {
      requestId: r.requestId,
      query: r.input.query,
      purpose: r.input.purpose,
      maxInstances: r.remaining,
      requester: userPseudonym(this.ctx.master, r.userId),
    };
    outcome.asked = r.remaining;
    try {
      const answer = await hub.call(outcome.nodeId, "data.request", body, { timeoutMs: this.options.requestTimeoutMs });
      const reply = dataReplySchema.parse(answer.json);
      if (reply.status !== "ok") {
        Object.assign(outcome, { status: reply.status, ...(reply.reason ? { reason: reply.reason } : {}) });
        return null;
      }
      if (answer.blobs.length !== reply.instances.length) throw new Error(`${reply.instances.length} instances listed but ${answer.blobs.length} files sent`);
      if (reply.instances.length > r.remaining) throw new Error(`sent ${reply.instances.length} instances, more than the ${r.remaining} asked for`);
      return { reply, blobs: answer.blobs };
    } catch (err) {
      Object.assign(outcome, { status: "failed", reason: (err as Error).message });
      return null;
    }
  }

  /** Issues one traceable copy per received instance; an instance that cannot carry a mark is skipped with its reason. */
  private async issueAll(
    outcome: NodeOutcome,
    got: { reply: DataReply; blobs: Uint8Array[] },
    g: { requestId: string; grantId: string; userId: string; seriesOfCopy: Map<string, string> },
  ): Promise<number> {
    const skipped: string[] = [];
    let issued = 0;
    for (const [i, listed] of got.reply.instances.entries()) {
      const bytes = got.blobs[i]!;
      try {
        const source = summarizeInstance(bytes);
        if (source.sopInstanceUid !== listed.sopInstanceUid) throw new ReplyError(`file ${i} is ${source.sopInstanceUid}, listed as ${listed.sopInstanceUid}`);
        const seriesKey = `${outcome.nodeId}/${source.seriesInstanceUid}`;
        const series = g.seriesOfCopy.get(seriesKey);
        const copy = await issueCopy(
          {
            bytes,
            recipient: g.userId,
            consortium: this.ctx.config.consortiumId,
            hospital: outcome.nodeId,
            grantId: g.grantId,
            requestId: g.requestId,
            ...(series ? { seriesInstanceUid: series } : {}),
          },
          { ledger: this.ctx.ledger, master: this.ctx.master },
        );
        const marked = summarizeInstance(copy.bytes);
        g.seriesOfCopy.set(seriesKey, marked.seriesInstanceUid);
        const file = await this.files.put(g.grantId, marked.sopInstanceUid, copy.bytes);
        await this.repo.insertInstance({
          grant_id: g.grantId,
          sop_instance_uid: marked.sopInstanceUid,
          study_instance_uid: marked.studyInstanceUid,
          series_instance_uid: marked.seriesInstanceUid,
          node_id: outcome.nodeId,
          source_sop_instance_uid: source.sopInstanceUid,
          ledger_entry: copy.entryIndex,
          file,
          attributes: JSON.stringify(marked.attributes),
          created_at: new Date().toISOString(),
        });
        issued++;
      } catch (err) {
        if (!(err instanceof TracingError || err instanceof ImagingError || err instanceof InstanceError || err instanceof ReplyError)) throw err;
        skipped.push(`${listed.sopInstanceUid}: ${err.message}`);
      }
    }
    Object.assign(outcome, { status: "ok", instances: issued });
    if (skipped.length > 0) outcome.reason = `${skipped.length} instance(s) not issued: ${skipped.slice(0, 3).join("; ")}`;
    return issued;
  }

  stateOf(grant: GrantRow, now = Date.now()): GrantState {
    if (grant.revoked_at) return "revoked";
    return Date.parse(grant.expires_at) <= now ? "expired" : "active";
  }

  /** A new grant access token (shown once; any earlier one stops working). */
  async issueAccessToken(grantId: string): Promise<string> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    await this.repo.setAccessToken(grantId, sha256Hex(token));
    return token;
  }

  /** Constant-time check of a presented grant access token against the stored hash. */
  tokenMatches(grant: GrantRow, presented: string): boolean {
    if (!grant.access_token_sha256 || !presented.startsWith(TOKEN_PREFIX)) return false;
    return timingSafeEqual(Buffer.from(sha256Hex(presented), "hex"), Buffer.from(grant.access_token_sha256, "hex"));
  }

  async revoke(grantId: string, by: string): Promise<boolean> {
    const done = await this.repo.revokeGrant(grantId, by, new Date().toISOString());
    if (done) await this.files.remove(grantId);
    return done;
  }
}

const approvalSchema = z.object({ requestId: z.string().uuid(), status: z.enum(["approved", "denied"]) });

const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

export function isGrantToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

const services = new WeakMap<ServerContext, DataAccess>();

/** The data-access service of a server context, created on first use with `options`. */
export function dataAccessOf(ctx: ServerContext, options: Partial<DataAccessOptions> = {}): DataAccess {
  let s = services.get(ctx);
  if (!s) {
    s = new DataAccess(ctx, { ...DEFAULT_DATA_ACCESS, ...options });
    services.set(ctx, s);
  }
  return s;
}
