// Ledger routes (ledger.md §14): signed checkpoint, inclusion and consistency proofs (RFC 6962
// style, hashes in base64 as in the checkpoint note), entries, and the full audit.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { LedgerError } from "../../ledger/index.ts";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { HttpError } from "../errors.ts";
import { queryInt, routeInput } from "../validate.ts";

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

const checkpoint = routeInput({}, { summary: "Latest signed checkpoint (signs one if the log grew)", tags: ["ledger"] });
const inclusion = routeInput(
  { query: z.strictObject({ index: queryInt(0), size: queryInt(1).optional() }) },
  { summary: "Inclusion proof of entry `index` in the tree of `size` entries (default: current size)", tags: ["ledger"] },
);
const consistency = routeInput(
  { query: z.strictObject({ from: queryInt(0), to: queryInt(0).optional() }) },
  { summary: "Consistency proof between tree sizes `from` and `to` (default: current size)", tags: ["ledger"] },
);
const entry = routeInput({ params: z.strictObject({ index: queryInt(0) }) }, { summary: "One ledger entry", tags: ["ledger"] });
const verify = routeInput({}, { summary: "Full audit of the ledger; a failure raises a critical alert", tags: ["ledger"] });

export function ledgerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const anyUser = requireRole();
  const auditors = requireRole("dpo", "consortium-admin");
  const { ledger } = ctx;

  app.get("/api/ledger/checkpoint", { preHandler: anyUser, config: { audit: "ledger.checkpoint" }, schema: checkpoint.schema }, async () => {
    const cp = await ledger.checkpoint();
    return { origin: cp.origin, size: cp.size, root: b64(cp.root), keyId: cp.keyId, note: cp.note, vkey: ledger.vkey };
  });

  app.get("/api/ledger/proof/inclusion", { preHandler: anyUser, config: { audit: "ledger.proof.inclusion" }, schema: inclusion.schema }, async (request) => {
    const { query } = inclusion.parse(request);
    await ledger.flush();
    const size = query.size ?? ledger.size;
    return proofOrBadRequest(() => ({
      index: query.index,
      size,
      leafHash: b64(ledger.entry(query.index).leafHash),
      root: b64(ledger.rootAt(size)),
      proof: ledger.inclusionProof(query.index, size).map(b64),
    }));
  });

  app.get("/api/ledger/proof/consistency", { preHandler: anyUser, config: { audit: "ledger.proof.consistency" }, schema: consistency.schema }, async (request) => {
    const { query } = consistency.parse(request);
    await ledger.flush();
    const to = query.to ?? ledger.size;
    return proofOrBadRequest(() => ({
      from: query.from,
      to,
      fromRoot: b64(ledger.rootAt(query.from)),
      toRoot: b64(ledger.rootAt(to)),
      proof: ledger.consistencyProof(query.from, to).map(b64),
    }));
  });

  app.get("/api/ledger/entries/:index", { preHandler: auditors, config: { audit: "ledger.entry.read" }, schema: entry.schema }, async (request) => {
    const { params } = entry.parse(request);
    request.auditEntity = { type: "ledger-entry", id: String(params.index) };
    await ledger.flush();
    if (params.index >= ledger.size) throw new HttpError(404, "not-found", `no entry ${params.index} (the log has ${ledger.size} entries)`);
    const e = ledger.entry(params.index);
    return { index: e.index, leafHash: b64(e.leafHash), entry: e.entry };
  });

  app.get("/api/ledger/verify", { preHandler: auditors, config: { audit: "ledger.verify" }, schema: verify.schema }, async (request) => {
    const report = await ledger.verify();
    request.auditDetail = { ok: report.ok, size: report.size };
    if (!report.ok) {
      await ctx.alerts.raise({
        kind: "ledger.verification-failed",
        severity: "critical",
        message: `ledger verification failed: ${report.firstError?.code ?? "?"} ${report.firstError?.message ?? ""}`.trim(),
        detail: { size: report.size, firstError: report.firstError as unknown as Record<string, unknown> },
      });
    }
    return report;
  });
}

/** Index or size out of range is the caller's mistake, answered as 400 with the ledger's reason. */
function proofOrBadRequest<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof LedgerError) throw new HttpError(400, "bad-request", err.message);
    throw err;
  }
}
