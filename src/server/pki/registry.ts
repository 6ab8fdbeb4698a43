// The node registry: enrolment with one-time tokens, certificate issuance, revocation and the
// admission check the node port runs on every connection and request. Tokens are stored as
// SHA-256 only; a leaked database does not enrol anyone.
import { createHash, randomBytes, timingSafeEqual, X509Certificate } from "node:crypto";
import type { Kysely } from "kysely";
import type { NodeStatus, NodesTables } from "../db/migrations/002_nodes.ts";
import type { DbSchema } from "../db/schema.ts";
import type { ConsortiumCa } from "./ca.ts";
import { signNodeCsr } from "./certs.ts";
import { PkiError } from "./errors.ts";
import { assertNodeId, keyFingerprint } from "./identity.ts";

export const ENROLMENT_TOKEN_TTL_MS = 24 * 3600_000;

export interface NodeRecord {
  nodeId: string;
  displayName: string;
  status: NodeStatus;
  certSerial: string | null;
  keyFingerprint: string | null;
  certNotAfter: string | null;
  createdAt: string;
  enrolledAt: string | null;
}

export interface EnrolmentResult {
  nodeId: string;
  certPem: string;
  caPem: string;
  keyFingerprint: string;
  serial: string;
}

export type Admission = { ok: true } | { ok: false; reason: string };

type Row = NodesTables["nodes"];

function toRecord(r: Row): NodeRecord {
  return {
    nodeId: r.node_id,
    displayName: r.display_name,
    status: r.status,
    certSerial: r.cert_serial,
    keyFingerprint: r.key_fingerprint,
    certNotAfter: r.cert_not_after,
    createdAt: r.created_at,
    enrolledAt: r.enrolled_at,
  };
}

const tokenHash = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");
const normSerial = (s: string): string => s.toLowerCase().replace(/^0+/, "");

export class NodeRegistry {
  constructor(private readonly db: Kysely<DbSchema>) {}

  /** Creates a pending node and its first one-time enrolment token (returned once, never stored). */
  async createNode(input: { nodeId: string; displayName?: string; createdBy: string }): Promise<{
    node: NodeRecord;
    token: string;
    expiresAt: string;
  }> {
    assertNodeId(input.nodeId);
    if (await this.get(input.nodeId))
      throw new PkiError("node-exists", `node '${input.nodeId}' already exists`);
    const now = new Date().toISOString();
    await this.db
      .insertInto("nodes")
      .values({
        node_id: input.nodeId,
        display_name: input.displayName ?? input.nodeId,
        status: "pending",
        cert_serial: null,
        cert_pem: null,
        key_fingerprint: null,
        cert_not_after: null,
        last_seq: 0,
        created_at: now,
        created_by: input.createdBy,
        enrolled_at: null,
        updated_at: now,
      })
      .execute();
    const { token, expiresAt } = await this.issueToken(input.nodeId, input.createdBy);
    return { node: (await this.get(input.nodeId)) as NodeRecord, token, expiresAt };
  }

  /** A new one-time token for an existing node (re-enrolment after key loss or revocation). */
  async issueToken(nodeId: string, createdBy: string, ttlMs = ENROLMENT_TOKEN_TTL_MS) {
    await this.require(nodeId);
    const token = randomBytes(32).toString("base64url");
    const now = Date.now();
    const expiresAt = new Date(now + ttlMs).toISOString();
    await this.db
      .insertInto("enrolment_tokens")
      .values({
        token_sha256: tokenHash(token),
        node_id: nodeId,
        created_by: createdBy,
        created_at: new Date(now).toISOString(),
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return { token, expiresAt };
  }

  /** Spends the token and certifies the CSR's key; a previous certificate of the node is revoked. */
  async enrol(
    ca: ConsortiumCa,
    input: { nodeId: string; token: string; csrPem: string },
  ): Promise<EnrolmentResult> {
    const hash = tokenHash(input.token);
    const row = await this.db
      .selectFrom("enrolment_tokens")
      .selectAll()
      .where("token_sha256", "=", hash)
      .executeTakeFirst();
    const sameHash =
      row !== undefined && timingSafeEqual(Buffer.from(row.token_sha256), Buffer.from(hash));
    if (!row || !sameHash || row.node_id !== input.nodeId || row.used_at !== null)
      throw new PkiError("bad-token", "the enrolment token is unknown, used, or for another node");
    if (Date.parse(row.expires_at) < Date.now())
      throw new PkiError("bad-token", "the enrolment token has expired; ask for a new one");
    const issued = await signNodeCsr(ca, input.csrPem, input.nodeId);
    const spent = await this.db
      .updateTable("enrolment_tokens")
      .set({ used_at: new Date().toISOString() })
      .where("token_sha256", "=", hash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1)
      throw new PkiError("bad-token", "the enrolment token was used concurrently");
    const previous = await this.require(input.nodeId);
    if (previous.certSerial) await this.addRevocation(previous, "system", "re-enrolled");
    const fingerprint = keyFingerprint(new X509Certificate(issued.certPem));
    const now = new Date().toISOString();
    await this.db
      .updateTable("nodes")
      .set({
        status: "active",
        cert_serial: normSerial(issued.serial),
        cert_pem: issued.certPem,
        key_fingerprint: fingerprint,
        cert_not_after: issued.notAfter.toISOString(),
        enrolled_at: now,
        updated_at: now,
      })
      .where("node_id", "=", input.nodeId)
      .execute();
    return {
      nodeId: input.nodeId,
      certPem: issued.certPem,
      caPem: ca.certPem,
      keyFingerprint: fingerprint,
      serial: normSerial(issued.serial),
    };
  }

  async revoke(nodeId: string, revokedBy: string, reason = "revoked"): Promise<NodeRecord> {
    const node = await this.require(nodeId);
    if (node.certSerial) await this.addRevocation(node, revokedBy, reason);
    await this.setStatus(nodeId, "revoked");
    return (await this.get(nodeId)) as NodeRecord;
  }

  async setStatus(nodeId: string, status: NodeStatus): Promise<void> {
    await this.db
      .updateTable("nodes")
      .set({ status, updated_at: new Date().toISOString() })
      .where("node_id", "=", nodeId)
      .execute();
  }

  async get(nodeId: string): Promise<NodeRecord | undefined> {
    const r = await this.db.selectFrom("nodes").selectAll().where("node_id", "=", nodeId).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async list(): Promise<NodeRecord[]> {
    const rows = await this.db.selectFrom("nodes").selectAll().orderBy("node_id").execute();
    return rows.map(toRecord);
  }

  /** Is this certificate (serial) the node's current one, and is the node active? */
  async admit(nodeId: string, certSerial: string): Promise<Admission> {
    const serial = normSerial(certSerial);
    const node = await this.get(nodeId);
    if (!node) return { ok: false, reason: `node '${nodeId}' is not enrolled` };
    const revoked = await this.db
      .selectFrom("node_revocations")
      .select("cert_serial")
      .where("cert_serial", "=", serial)
      .executeTakeFirst();
    if (revoked) return { ok: false, reason: `certificate ${serial} of '${nodeId}' is revoked` };
    if (node.status !== "active") return { ok: false, reason: `node '${nodeId}' is ${node.status}` };
    if (node.certSerial !== serial)
      return { ok: false, reason: `certificate ${serial} is not the current one of '${nodeId}'` };
    return { ok: true };
  }

  async lastSeq(nodeId: string): Promise<number> {
    const r = await this.db.selectFrom("nodes").select("last_seq").where("node_id", "=", nodeId).executeTakeFirst();
    return r ? Number(r.last_seq) : 0;
  }

  async saveSeq(nodeId: string, seq: number): Promise<void> {
    await this.db
      .updateTable("nodes")
      .set({ last_seq: seq })
      .where("node_id", "=", nodeId)
      .where("last_seq", "<", seq)
      .execute();
  }

  private async require(nodeId: string): Promise<NodeRecord> {
    const node = await this.get(nodeId);
    if (!node) throw new PkiError("unknown-node", `no node '${nodeId}'`);
    return node;
  }

  private async addRevocation(node: NodeRecord, by: string, reason: string): Promise<void> {
    await this.db
      .insertInto("node_revocations")
      .values({
        cert_serial: node.certSerial as string,
        node_id: node.nodeId,
        revoked_at: new Date().toISOString(),
        revoked_by: by,
        reason,
      })
      .onConflict((oc) => oc.column("cert_serial").doNothing())
      .execute();
  }
}
