// Messages of the node transport that the hub itself understands, shared by server and edge.
// Everything else a node sends is an application message handed to NodeHub.onMessage.
import { z } from "zod";

export const ENDPOINTS = ["hello", "poll", "send", "fetch"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export const PATH_PREFIX = "/fl/v1/";

export const JSON_CT = "application/json";
export const BYTES_CT = "application/octet-stream";

/** Control JSON bodies (§5.6). */
export const MAX_JSON_BODY = 1024 * 1024;
export const DEFAULT_POLL_HOLD_MS = 25_000;
export const CLOCK_SKEW_MS = 120_000;

const sha = z.string().regex(/^[0-9a-f]{64}$/, "expected a lower-case hex SHA-256");

export const Hello = z.object({ capabilities: z.array(z.string()).max(64).optional() }).passthrough();
export interface HelloReply {
  nodeId: string;
  serverTime: number;
  serverKeyId: string;
  pollHoldMs: number;
}

export interface Task {
  taskId: string;
  type: string;
  body: unknown;
  /** Absolute server time (Unix ms) after which the server no longer waits for the reply. */
  deadline: number;
}

export const BlobStatus = z.object({ payloadSha256: sha });
export const FetchChunk = z.object({ sha256: sha, index: z.number().int().min(0) });

export const TaskReply = z.union([
  z.object({ taskId: z.string().min(1).max(128), ok: z.literal(true), json: z.unknown(), blobs: z.array(sha).max(100_000) }),
  z.object({
    taskId: z.string().min(1).max(128),
    ok: z.literal(false),
    error: z.object({ code: z.string().max(200), message: z.string().max(4000) }),
  }),
]);

/** Body of a node-initiated application message (NodeChannel.publish). */
export const NodeMessage = z.object({ json: z.unknown(), blobs: z.array(sha).max(100_000) });

export const RESERVED_TYPES = new Set(["hello", "poll", "fetch", "blob.chunk", "blob.status", "task.reply"]);
