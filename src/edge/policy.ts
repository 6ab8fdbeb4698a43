// The hospital's local policy over data requests: which purposes it serves, how many instances
// one request may take, and whether its admin approves each request first. Approvals are files in
// the node's data directory so the admin's command works while the agent runs.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { canonicalJson } from "../crypto/index.ts";
import { EdgeError } from "./errors.ts";

export const policySchema = z.strictObject({
  /** Purposes served, compared case-insensitively; "*" serves any. */
  allowedPurposes: z.array(z.string().min(1).max(200)).max(100),
  maxInstancesPerRequest: z.number().int().positive().max(1_000_000),
  requireApproval: z.boolean(),
});
export type EdgePolicy = z.output<typeof policySchema>;

export const DEFAULT_POLICY: EdgePolicy = {
  allowedPurposes: ["research"],
  maxInstancesPerRequest: 1000,
  requireApproval: false,
};

export type PolicyDecision = { allow: true } | { allow: false; reason: string };

export function checkPolicy(policy: EdgePolicy, req: { purpose: string; maxInstances: number }): PolicyDecision {
  const purpose = req.purpose.trim().toLowerCase();
  const allowed = policy.allowedPurposes.some((p) => p === "*" || p.trim().toLowerCase() === purpose);
  if (!allowed) {
    return { allow: false, reason: `purpose "${req.purpose}" is not among this hospital's allowed purposes` };
  }
  if (req.maxInstances > policy.maxInstancesPerRequest) {
    return {
      allow: false,
      reason: `${req.maxInstances} instances asked; this hospital allows at most ${policy.maxInstancesPerRequest} per request`,
    };
  }
  return { allow: true };
}

export type ApprovalStatus = "pending" | "approved" | "denied";

export interface ApprovalRecord {
  requestId: string;
  /** SHA-256 of the canonical request: an approval covers exactly what was shown to the admin. */
  digest: string;
  purpose: string;
  requester: string;
  query: unknown;
  maxInstances: number;
  status: ApprovalStatus;
  requestedAt: string;
  decidedAt?: string;
  decidedBy?: string;
  /** When the agent told the server of the decision (message data.approval). */
  notifiedAt?: string;
}

export function requestDigest(req: unknown): string {
  return createHash("sha256").update(canonicalJson(req)).digest("hex");
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class ApprovalStore {
  private readonly dir: string;
  constructor(nodeDir: string) {
    this.dir = join(nodeDir, "approvals");
  }

  private path(requestId: string): string {
    if (!REQUEST_ID.test(requestId)) throw new EdgeError("EDGE_BAD_TASK", "requestId must be 1-128 letters, digits or ._:-");
    return join(this.dir, `${requestId}.json`);
  }

  get(requestId: string): ApprovalRecord | undefined {
    const p = this.path(requestId);
    return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as ApprovalRecord) : undefined;
  }

  private write(rec: ApprovalRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const p = this.path(rec.requestId);
    // Written whole then renamed, so the agent never reads half a decision.
    writeFileSync(`${p}.tmp`, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${p}.tmp`, p);
  }

  /** Records a request awaiting the admin; an existing record is left as it is. */
  ask(rec: Omit<ApprovalRecord, "status" | "requestedAt">): ApprovalRecord {
    const existing = this.get(rec.requestId);
    if (existing) return existing;
    const created: ApprovalRecord = { ...rec, status: "pending", requestedAt: new Date().toISOString() };
    this.write(created);
    return created;
  }

  decide(requestId: string, status: "approved" | "denied", decidedBy: string): ApprovalRecord {
    const rec = this.get(requestId);
    if (!rec) throw new EdgeError("EDGE_NOT_FOUND", `no request ${requestId} awaits approval`);
    if (rec.status !== "pending") throw new EdgeError("EDGE_BAD_TASK", `request ${requestId} is already ${rec.status}`);
    const decided: ApprovalRecord = { ...rec, status, decidedAt: new Date().toISOString(), decidedBy };
    this.write(decided);
    return decided;
  }

  /** Decisions the server has not been told of yet. */
  undelivered(): ApprovalRecord[] {
    return this.list().filter((r) => r.status !== "pending" && r.notifiedAt === undefined);
  }

  markNotified(requestId: string): void {
    const rec = this.get(requestId);
    if (rec) this.write({ ...rec, notifiedAt: new Date().toISOString() });
  }

  list(): ApprovalRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => JSON.parse(readFileSync(join(this.dir, n), "utf8")) as ApprovalRecord)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }
}
