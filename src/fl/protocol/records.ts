// What the coordinator persists (federated-learning.md §1.8): append-only JSON records and
// content-addressed blobs. The coordinator's state is a fold of its records, so a restarted
// coordinator rebuilds exactly the state it had committed. Write-ahead: a step's blobs, then its
// records, are stored before any of its tasks is sent.
import { createHash } from "node:crypto";
import type { EvalReport } from "../fedeval.ts";
import type { SessionConfig } from "./config.ts";

export type SessionStatus = "pending" | "running" | "aggregating" | "completed" | "failed" | "cancelled";

export interface Deadlines {
  advertise: number;
  share: number;
  train: number;
}

export interface RoundMetrics {
  participants: string[];
  /** pooled federated evaluation of the model this round started from (§1.5 step 6) */
  fedEval?: { n: number; loss: number; acc: number; auc: number };
  epsilon?: number;
  dropouts: string[];
}

export type SessionRecord =
  | {
      kind: "session.created";
      sessionId: string;
      config: SessionConfig;
      planHash: string;
      manifestHash: string;
      seed: string;
      candidates: string[];
      globalBlob: string;
      at: number;
    }
  | { kind: "node.answer"; nodeId: string; seq: number; accept: boolean; n?: number; backend?: string; reason?: string; at: number }
  | { kind: "session.started"; at: number }
  | {
      kind: "attempt.started";
      round: number;
      attempt: number;
      selected: string[];
      roundPublicKey: string;
      roundNonce: string;
      deadlines: Deadlines;
      globalModelHash: string;
      maxWeight: number;
      at: number;
    }
  | {
      kind: "msg.accepted";
      nodeId: string;
      seq: number;
      type: string;
      round: number | null;
      attempt: number | null;
      /** the signed frame (header, signature, body), base64url: adverts and shares (§1.8 item 4) */
      frame?: string;
      /** blob of the decrypted, still masked vector */
      blob?: string;
      /** plain mode keeps a receipt only */
      receipt?: { sha256: string; size: number; n: number };
      body?: unknown;
      at: number;
    }
  | { kind: "msg.refused"; nodeId: string; seq: number; error: string; reason: string; at: number }
  | { kind: "set.frozen"; round: number; attempt: number; set: "u1" | "u2" | "u3" | "inputs"; members: string[]; t?: number; deadline?: number; at: number }
  | { kind: "attempt.ended"; round: number; attempt: number; outcome: "failed" | "abandoned"; reason: string; retryAt: number; at: number }
  | {
      kind: "round.checkpoint";
      round: number;
      attempt: number;
      globalBlob: string;
      modelHash: string;
      strategyState: Record<string, string>;
      dpNoise: number[];
      metrics: RoundMetrics;
      next: "running" | "completed";
      reason?: string;
      at: number;
    }
  | { kind: "final.eval"; nodeId: string; seq: number; report: EvalReport; at: number }
  | { kind: "session.ended"; status: "failed" | "cancelled"; reason: string; at: number };

export interface Blob {
  sha256: string;
  bytes: Uint8Array;
}

export function blobOf(bytes: Uint8Array): Blob {
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
}

/** The persistence seam: the server implements it over its database and `<dataDir>/blobs`. */
export interface SessionStore {
  /** blobs first (content-addressed, idempotent), then the records, in one transaction */
  commit(sessionId: string, records: SessionRecord[], blobs: Blob[]): Promise<void>;
  records(sessionId: string): Promise<SessionRecord[]>;
  blob(sha256: string): Promise<Uint8Array | undefined>;
}

/** In-memory store (tests, the in-process loop); records are deep-copied through JSON like a database would. */
export function memoryStore(): SessionStore & { sessions(): string[] } {
  const recs = new Map<string, string[]>();
  const blobs = new Map<string, Uint8Array>();
  return {
    async commit(sessionId, records, bs) {
      for (const b of bs) blobs.set(b.sha256, Uint8Array.from(b.bytes));
      const list = recs.get(sessionId) ?? [];
      for (const r of records) list.push(JSON.stringify(r));
      recs.set(sessionId, list);
    },
    async records(sessionId) {
      return (recs.get(sessionId) ?? []).map((s) => JSON.parse(s) as SessionRecord);
    },
    async blob(sha) {
      const b = blobs.get(sha);
      return b ? Uint8Array.from(b) : undefined;
    },
    sessions: () => [...recs.keys()],
  };
}
