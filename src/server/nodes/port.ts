// The node port (federated-learning.md §5.1–5.6): an HTTP/2 listener of its own, TLS 1.3 only,
// mutual TLS pinned to the consortium CA. A connection is admitted (certificate current, node
// active) before any of its requests is read; every request is one signed frame checked in the
// order of §5.3; every answer is a frame signed with the server's FL key. Tasks for a node wait
// in its queue until its long-poll takes them.
import { type KeyObject, randomUUID } from "node:crypto";
import http2, {
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { TLSSocket } from "node:tls";
import { ChunkAssembly, checkChunkInfo, MAX_CHUNK_BYTES } from "../../crypto/chunks.ts";
import type { CryptoError } from "../../crypto/errors.ts";
import type { z } from "zod";
import {
  bodyDigestOk,
  type ChunkInfo,
  decodeFrame,
  encodeFrame,
  FRAME_CONTENT_TYPE,
  type Frame,
  MAX_HEADER_BYTES,
  nextSeq,
  sha256Hex,
  verifyFrameSignature,
} from "../../crypto/frame.ts";
import { issueServerCertificate } from "../pki/certs.ts";
import type { ConsortiumCa } from "../pki/ca.ts";
import {
  EKU_CLIENT_AUTH,
  hasExtendedKeyUsage,
  keyFingerprint,
  nodeIdFromCertificate,
} from "../pki/identity.ts";
import type { NodeRegistry } from "../pki/registry.ts";
import { HubError, TransportError } from "./errors.ts";
import { type AlertSink, type AuditSink, SecurityMonitor } from "./security.ts";
import {
  BlobStatus,
  BYTES_CT,
  CLOCK_SKEW_MS,
  DEFAULT_POLL_HOLD_MS,
  type Endpoint,
  ENDPOINTS,
  FetchChunk,
  Hello,
  type HelloReply,
  JSON_CT,
  MAX_JSON_BODY,
  NodeMessage,
  PATH_PREFIX,
  RESERVED_TYPES,
  type Task,
  TaskReply,
} from "./wire.ts";

export interface NodePortOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  consortiumId: string;
  ca: ConsortiumCa;
  registry: NodeRegistry;
  /** Ed25519 FL signing key K("medtrace/v1/fl/server-sign/e1"), pinned on nodes at enrolment. */
  serverKey: KeyObject;
  /** Names of the server certificate; default [host]. */
  certHosts?: string[];
  audit?: AuditSink;
  alerts?: AlertSink;
  pollHoldMs?: number;
  callTimeoutMs?: number;
  clockSkewMs?: number;
  /** Server -> node blob chunks (§5.6: 4 MiB default). */
  chunkBytes?: number;
  maxPayloadBytes?: number;
  maxInFlightPayloads?: number;
  /** Bytes of uploads held in memory across nodes (§5.6: 1 GiB). */
  uploadBufferBytes?: number;
  rate?: { perSecond: number; burst: number };
  onError?: (err: unknown) => void;
}

export type MessageHandler = (
  nodeId: string,
  json: unknown,
  blobs: Uint8Array[],
  meta: { type: string; header: Frame["header"] },
) => void | Promise<void>;

/** The contract's NodeHub, plus what the enrolment routes and FL layer need from the port. */
export interface NodeHub {
  connectedNodes(): { nodeId: string; since: string; lastSeen: string }[];
  call(
    nodeId: string,
    type: string,
    body: unknown,
    opts?: { timeoutMs?: number },
  ): Promise<{ json: unknown; blobs: Uint8Array[] }>;
  onMessage(type: string, handler: MessageHandler): void;
  close(): Promise<void>;
}

export interface NodePort extends NodeHub {
  readonly url: string;
  readonly port: number;
  /** Key id of the server FL key (first 16 hex of SHA-256 of its SPKI). */
  readonly serverKeyId: string;
  /** Offers a blob to nodes by content address (POST /fl/v1/fetch); returns its SHA-256. */
  publishBlob(bytes: Uint8Array): string;
  dropBlob(sha256: string): void;
  /** Closes the node's connections at once (after a revocation). */
  disconnect(nodeId: string): void;
}

interface Peer {
  nodeId: string;
  publicKey: KeyObject;
  ip: string;
}

interface NodeState {
  nodeId: string;
  sessions: Set<ServerHttp2Session>;
  since: string | null;
  lastSeen: string;
  queue: Task[];
  waiters: Set<() => void>;
  lastSeq: number;
  seqLoaded: boolean;
  seqWrite: Promise<void>;
  serverSeq: number;
  assemblies: Map<string, ChunkAssembly>;
  completed: Map<string, { bytes: Uint8Array; at: number }>;
  bucket: { tokens: number; at: number };
}

interface Pending {
  nodeId: string;
  type: string;
  timer: NodeJS.Timeout;
  resolve: (r: { json: unknown; blobs: Uint8Array[] }) => void;
  reject: (e: Error) => void;
}

interface Reply {
  type: string;
  contentType: string;
  body: Uint8Array;
  chunk?: ChunkInfo;
}

const jsonReply = (type: string, json: unknown): Reply => ({
  type,
  contentType: JSON_CT,
  body: Buffer.from(JSON.stringify(json), "utf8"),
});

const MAX_FRAME_BYTES = 8 + MAX_HEADER_BYTES + 64 + MAX_CHUNK_BYTES;
const COMPLETED_TTL_MS = 10 * 60_000;

export async function startNodePort(opts: NodePortOptions): Promise<NodePort> {
  const port = new NodePortServer(opts);
  await port.listen();
  return port;
}

class NodePortServer implements NodePort {
  private readonly server: Http2SecureServer;
  private readonly nodes = new Map<string, NodeState>();
  private readonly gates = new WeakMap<ServerHttp2Session, Promise<Peer | null>>();
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, MessageHandler[]>();
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly security: SecurityMonitor;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  private bufferedBytes = 0;
  readonly serverKeyId: string;
  url = "";
  port = 0;

  constructor(private readonly opts: NodePortOptions) {
    const onError = opts.onError ?? ((e) => process.emitWarning(String(e), "MedtraceNodePort"));
    this.security = new SecurityMonitor(opts.audit, opts.alerts, onError);
    this.serverKeyId = keyFingerprint(opts.serverKey).slice("sha256:".length, "sha256:".length + 16);
    this.server = http2.createSecureServer({
      allowHTTP1: false,
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
      requestCert: true,
      rejectUnauthorized: true,
      // §5.6: the default 64 KiB windows throttle megabyte uploads.
      settings: { initialWindowSize: 8 * 1024 * 1024 },
    });
    // Request/response pairs are small and latency-bound: Nagle's delay would add ~40 ms to each.
    this.server.on("secureConnection", (socket) => socket.setNoDelay(true));
    this.server.on("session", (s) => this.onSession(s));
    this.server.on("stream", (stream, headers) => void this.onStream(stream, headers));
    this.server.on("tlsClientError", (err, socket) => {
      this.security.event({
        action: "node.tls",
        source: { ip: socket.remoteAddress ?? "?" },
        reason: (err as NodeJS.ErrnoException).code ?? err.message,
      });
    });
    this.sweeper = setInterval(() => this.sweepCompleted(), 60_000);
    this.sweeper.unref();
  }

  async listen(): Promise<void> {
    const hosts = this.opts.certHosts ?? [this.opts.host];
    const creds = await issueServerCertificate(this.opts.ca, hosts);
    // A new secure context replaces the versions given at creation: they are repeated here.
    this.server.setSecureContext({
      key: creds.keyPem,
      cert: creds.certPem,
      ca: [creds.caPem],
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : this.opts.port;
    const h = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    this.url = `https://${h}:${this.port}`;
  }

  // ---- NodeHub ----

  connectedNodes() {
    return [...this.nodes.values()]
      .filter((n) => n.sessions.size > 0 && n.since)
      .map((n) => ({ nodeId: n.nodeId, since: n.since as string, lastSeen: n.lastSeen }));
  }

  onMessage(type: string, handler: MessageHandler): void {
    // "hello" may be watched (presence); the other transport messages belong to the hub.
    if (RESERVED_TYPES.has(type) && type !== "hello")
      throw new HubError("bad-reply", `'${type}' is a transport message`);
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  async call(nodeId: string, type: string, body: unknown, opts: { timeoutMs?: number } = {}) {
    if (this.closed) throw new HubError("hub-closed", "the node hub is closed");
    const node = await this.opts.registry.get(nodeId);
    if (!node) throw new HubError("unknown-node", `no enrolled node '${nodeId}'`);
    if (node.status !== "active")
      throw new HubError("node-refused", `node '${nodeId}' is ${node.status}`);
    const timeoutMs = opts.timeoutMs ?? this.opts.callTimeoutMs ?? 120_000;
    const task: Task = { taskId: randomUUID(), type, body, deadline: Date.now() + timeoutMs };
    const state = this.state(nodeId);
    return new Promise<{ json: unknown; blobs: Uint8Array[] }>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(task.taskId, timeoutMs), timeoutMs);
      this.pending.set(task.taskId, { nodeId, type, timer, resolve, reject });
      state.queue.push(task);
      this.wake(state);
    });
  }

  publishBlob(bytes: Uint8Array): string {
    const sha = sha256Hex(bytes);
    this.blobs.set(sha, bytes);
    return sha;
  }

  dropBlob(sha256: string): void {
    this.blobs.delete(sha256);
  }

  disconnect(nodeId: string): void {
    for (const s of this.nodes.get(nodeId)?.sessions ?? []) s.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new HubError("hub-closed", `the node hub closed before '${p.nodeId}' answered ${p.type}`));
      this.pending.delete(id);
    }
    for (const n of this.nodes.values()) {
      for (const w of n.waiters) w();
      for (const s of n.sessions) s.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- connections ----

  private onSession(session: ServerHttp2Session): void {
    session.on("error", () => undefined);
    // §5.6 session window 64 MiB (the default 64 KiB window caps uploads at a few tens of MB/s).
    session.setLocalWindowSize(64 * 1024 * 1024);
    this.gates.set(session, this.admit(session));
  }

  /** Runs before any request of the session is read; refused peers are cut off here. */
  private async admit(session: ServerHttp2Session): Promise<Peer | null> {
    const socket = session.socket as TLSSocket;
    const ip = socket.remoteAddress ?? "?";
    const cert = socket.getPeerX509Certificate();
    const nodeId = cert ? nodeIdFromCertificate(cert, this.opts.consortiumId) : undefined;
    let reason: string | undefined;
    if (!cert || !nodeId) reason = "the certificate names no node of this consortium";
    else if (!hasExtendedKeyUsage(cert, EKU_CLIENT_AUTH)) reason = "the certificate lacks EKU clientAuth";
    else {
      const admission = await this.opts.registry.admit(nodeId, cert.serialNumber).catch((e: Error) => ({
        ok: false as const,
        reason: `registry unavailable: ${e.message}`,
      }));
      if (!admission.ok) reason = admission.reason;
    }
    if (reason || !cert || !nodeId || this.closed) {
      this.security.event({ action: "node.connect", source: { ip, ...(nodeId ? { nodeId } : {}) }, reason: reason ?? "closing" });
      session.destroy();
      return null;
    }
    const state = this.state(nodeId);
    if (!state.seqLoaded) {
      state.lastSeq = Math.max(state.lastSeq, await this.opts.registry.lastSeq(nodeId));
      state.seqLoaded = true;
    }
    if (session.destroyed) return null;
    state.sessions.add(session);
    state.since ??= new Date().toISOString();
    state.lastSeen = new Date().toISOString();
    session.once("close", () => {
      state.sessions.delete(session);
      if (state.sessions.size === 0) state.since = null;
    });
    this.opts.audit
      ?.record({ action: "node.connect", outcome: "success", actor: { nodeId, ip }, entity: { type: "node", id: nodeId } })
      .catch(() => undefined);
    return { nodeId, publicKey: cert.publicKey, ip };
  }

  private state(nodeId: string): NodeState {
    let s = this.nodes.get(nodeId);
    if (!s) {
      const burst = this.opts.rate?.burst ?? 100;
      s = {
        nodeId,
        sessions: new Set(),
        since: null,
        lastSeen: new Date().toISOString(),
        queue: [],
        waiters: new Set(),
        lastSeq: 0,
        seqLoaded: false,
        seqWrite: Promise.resolve(),
        serverSeq: 0,
        assemblies: new Map(),
        completed: new Map(),
        bucket: { tokens: burst, at: Date.now() },
      };
      this.nodes.set(nodeId, s);
    }
    return s;
  }

  // ---- requests ----

  private async onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    stream.on("error", () => undefined);
    const peer = await (this.gates.get(stream.session as ServerHttp2Session) ?? Promise.resolve(null));
    if (!peer) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const state = this.state(peer.nodeId);
    let inReplyTo: number | undefined;
    try {
      const endpoint = this.endpointOf(headers);
      const bytes = await readBody(stream, headers);
      const frame = this.checkFrame(peer, state, bytes, endpoint);
      inReplyTo = frame.header.seq;
      state.lastSeen = new Date().toISOString();
      if (!(endpoint === "send" && frame.header.type === "blob.chunk")) this.takeToken(state);
      const reply = await this.dispatch(endpoint, state, frame, stream);
      if (reply) this.respond(stream, state, inReplyTo, reply);
    } catch (err) {
      this.respondError(stream, err);
    }
  }

  private endpointOf(headers: IncomingHttpHeaders): Endpoint {
    const path = headers[":path"] ?? "";
    const name = path.startsWith(PATH_PREFIX) ? path.slice(PATH_PREFIX.length) : "";
    if (!(ENDPOINTS as readonly string[]).includes(name))
      throw new TransportError(404, "not-found", `no endpoint ${path}`);
    if (headers[":method"] !== "POST")
      throw new TransportError(405, "method-not-allowed", `${path} takes POST`);
    return name as Endpoint;
  }

  /** §5.3 checks 2–6 and 8, in order; the first failure answers and nothing is changed. */
  private checkFrame(peer: Peer, state: NodeState, bytes: Uint8Array, endpoint: Endpoint): Frame {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      throw new TransportError(400, "bad-frame", (e as Error).message);
    }
    const h = frame.header;
    const refuse = (status: number, code: string, message: string): never => {
      this.security.event({
        action: "node.frame",
        source: { nodeId: peer.nodeId, ip: peer.ip },
        reason: code,
        detail: { type: String(h.type), seq: h.seq },
      });
      throw new TransportError(status, code, message);
    };
    if (h.nodeId !== peer.nodeId || h.sender !== "node")
      refuse(401, "bad-signature", `frame names node '${String(h.nodeId)}' but the certificate names '${peer.nodeId}'`);
    if (!verifyFrameSignature(frame, peer.publicKey))
      refuse(401, "bad-signature", "the frame signature does not verify with the node's certified key");
    // hello is exempt: its signed reply is how a node learns its clock offset (§5.3 step 5).
    if (endpoint !== "hello" && !(Math.abs(Number(h.ts) - Date.now()) <= (this.opts.clockSkewMs ?? CLOCK_SKEW_MS)))
      refuse(401, "clock-skew", `frame time ${h.ts} is more than 120 s from server time ${Date.now()}`);
    if (!Number.isSafeInteger(h.seq) || h.seq <= state.lastSeq)
      refuse(401, "replay", `seq ${h.seq} is not above the last accepted ${state.lastSeq}`);
    if (!bodyDigestOk(frame)) throw new TransportError(400, "bad-frame", "body digest mismatch");
    if (typeof h.type !== "string" || typeof h.contentType !== "string")
      throw new TransportError(400, "bad-frame", "frame header lacks type or contentType");
    this.acceptSeq(state, h.seq);
    return frame;
  }

  private acceptSeq(state: NodeState, seq: number): void {
    state.lastSeq = seq;
    state.seqWrite = state.seqWrite
      .then(() => this.opts.registry.saveSeq(state.nodeId, seq))
      .catch((e) => this.opts.onError?.(e));
  }

  /** §5.3: 20 requests/s sustained, burst 100, chunk uploads excluded. */
  private takeToken(state: NodeState): void {
    const { perSecond, burst } = this.opts.rate ?? { perSecond: 20, burst: 100 };
    const now = Date.now();
    const b = state.bucket;
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens < 1) throw new TransportError(429, "rate-limited", "more than 20 requests/s");
    b.tokens -= 1;
  }

  private async dispatch(
    endpoint: Endpoint,
    state: NodeState,
    frame: Frame,
    stream: ServerHttp2Stream,
  ): Promise<Reply | null> {
    switch (endpoint) {
      case "hello":
        return this.hello(state, frame);
      case "poll":
        return this.poll(state, stream);
      case "fetch":
        return this.fetch(frame);
      case "send":
        return this.send(state, frame);
    }
  }

  private hello(state: NodeState, frame: Frame): Reply {
    const json = parse(Hello, jsonOf(frame));
    this.deliver(state.nodeId, "hello", json, [], frame);
    const reply: HelloReply = {
      nodeId: state.nodeId,
      serverTime: Date.now(),
      serverKeyId: this.serverKeyId,
      pollHoldMs: this.opts.pollHoldMs ?? DEFAULT_POLL_HOLD_MS,
    };
    return jsonReply("hello.reply", reply);
  }

  private async poll(state: NodeState, stream: ServerHttp2Stream): Promise<Reply | null> {
    if (state.queue.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          state.waiters.delete(done);
          stream.off("close", done);
          resolve();
        };
        const timer = setTimeout(done, this.opts.pollHoldMs ?? DEFAULT_POLL_HOLD_MS);
        state.waiters.add(done);
        stream.once("close", done);
      });
    }
    if (stream.destroyed || stream.closed) return null;
    const tasks = state.queue.splice(0).filter((t) => this.pending.has(t.taskId));
    return jsonReply("tasks", { tasks });
  }

  private wake(state: NodeState): void {
    for (const w of [...state.waiters]) w();
  }

  private fetch(frame: Frame): Reply {
    const { sha256, index } = parse(FetchChunk, jsonOf(frame));
    const blob = this.blobs.get(sha256);
    if (!blob) throw new TransportError(404, "not-found", `no blob ${sha256}`);
    const size = this.opts.chunkBytes ?? 4 * 1024 * 1024;
    const count = Math.max(1, Math.ceil(blob.length / size));
    if (index >= count) throw new TransportError(400, "bad-frame", `blob has ${count} chunks`);
    return {
      type: "blob.chunk",
      contentType: BYTES_CT,
      body: blob.subarray(index * size, Math.min(blob.length, (index + 1) * size)),
      chunk: { index, count, payloadSha256: sha256, payloadLen: blob.length },
    };
  }

  private async send(state: NodeState, frame: Frame): Promise<Reply> {
    const type = frame.header.type;
    if (type === "blob.chunk") return this.chunk(state, frame);
    if (type === "blob.status") {
      const { payloadSha256 } = parse(BlobStatus, jsonOf(frame));
      const done = state.completed.has(payloadSha256);
      const received = done ? null : (state.assemblies.get(payloadSha256)?.receivedIndices() ?? []);
      return jsonReply("blob.status", { complete: done, received: received ?? [] });
    }
    if (type === "task.reply") return this.taskReply(state, frame);
    if (RESERVED_TYPES.has(type)) throw new TransportError(400, "bad-frame", `'${type}' is not sent to /send`);
    const msg = parse(NodeMessage, jsonOf(frame));
    const blobs = msg.blobs.map((sha) => this.takeCompleted(state, sha));
    const handled = await this.deliver(state.nodeId, type, msg.json, blobs, frame);
    return jsonReply("ack", { ok: true, handled });
  }

  private chunk(state: NodeState, frame: Frame): Reply {
    let info: ChunkInfo;
    try {
      info = checkChunkInfo(frame.header.chunk, frame.body.length, this.opts.maxPayloadBytes ?? 256 * 1024 * 1024);
    } catch (e) {
      const code = (e as CryptoError).code;
      throw new TransportError(code === "too-large" ? 413 : 400, code, (e as Error).message);
    }
    const sha = info.payloadSha256;
    if (state.completed.has(sha)) return jsonReply("ack", { duplicate: true, complete: true });
    let asm = state.assemblies.get(sha);
    if (!asm) {
      if (state.assemblies.size >= (this.opts.maxInFlightPayloads ?? 2))
        throw new TransportError(429, "rate-limited", "too many payloads in flight for this node");
      asm = new ChunkAssembly(info);
      state.assemblies.set(sha, asm);
    }
    if (this.bufferedBytes + frame.body.length > (this.opts.uploadBufferBytes ?? 1024 ** 3))
      throw new TransportError(413, "too-large", "the server's upload buffer is full; retry later");
    let added: boolean;
    try {
      added = asm.add(info, frame.body);
    } catch (e) {
      this.dropAssembly(state, sha);
      throw new TransportError(400, "bad-frame", (e as Error).message);
    }
    if (added) this.bufferedBytes += frame.body.length;
    if (!asm.complete()) return jsonReply("ack", { duplicate: !added, complete: false });
    let bytes: Uint8Array;
    try {
      bytes = asm.assemble();
    } catch (e) {
      throw new TransportError(400, "bad-frame", (e as Error).message);
    } finally {
      this.dropAssembly(state, sha);
    }
    this.bufferedBytes += bytes.length;
    state.completed.set(sha, { bytes, at: Date.now() });
    return jsonReply("ack", { duplicate: !added, complete: true });
  }

  private dropAssembly(state: NodeState, sha: string): void {
    const asm = state.assemblies.get(sha);
    if (asm) this.bufferedBytes -= asm.bytesHeld;
    state.assemblies.delete(sha);
  }

  private takeCompleted(state: NodeState, sha: string): Uint8Array {
    const c = state.completed.get(sha);
    if (!c) throw new TransportError(400, "bad-frame", `blob ${sha} was not uploaded`);
    return c.bytes;
  }

  private releaseCompleted(state: NodeState, shas: string[]): void {
    for (const sha of shas) {
      const c = state.completed.get(sha);
      if (c) this.bufferedBytes -= c.bytes.length;
      state.completed.delete(sha);
    }
  }

  private sweepCompleted(): void {
    const now = Date.now();
    for (const state of this.nodes.values())
      this.releaseCompleted(
        state,
        [...state.completed].filter(([, c]) => now - c.at > COMPLETED_TTL_MS).map(([sha]) => sha),
      );
  }

  private taskReply(state: NodeState, frame: Frame): Reply {
    const r = parse(TaskReply, jsonOf(frame));
    const p = this.pending.get(r.taskId);
    if (!p || p.nodeId !== state.nodeId)
      throw new TransportError(409, "stale-task", `task ${r.taskId} is unknown, answered or timed out`);
    if (r.ok) {
      const blobs = r.blobs.map((sha) => this.takeCompleted(state, sha));
      this.releaseCompleted(state, r.blobs);
      this.settle(r.taskId, p, () => p.resolve({ json: r.json, blobs }));
    } else {
      const e = new HubError("node-error", `node '${p.nodeId}' failed ${p.type}: ${r.error.code}: ${r.error.message}`);
      this.settle(r.taskId, p, () => p.reject(e));
    }
    return jsonReply("ack", { ok: true });
  }

  private settle(taskId: string, p: Pending, f: () => void): void {
    clearTimeout(p.timer);
    this.pending.delete(taskId);
    f();
  }

  private expire(taskId: string, timeoutMs: number): void {
    const p = this.pending.get(taskId);
    if (!p) return;
    const state = this.state(p.nodeId);
    const queued = state.queue.findIndex((t) => t.taskId === taskId);
    if (queued >= 0) state.queue.splice(queued, 1);
    const where =
      queued >= 0
        ? state.sessions.size > 0
          ? "it was never picked up"
          : `the node is not connected (last seen ${state.lastSeen})`
        : state.sessions.size > 0
          ? "the node took the task but sent no reply"
          : `the node took the task and then disconnected (last seen ${state.lastSeen})`;
    this.settle(taskId, p, () =>
      p.reject(new HubError("node-timeout", `node '${p.nodeId}' did not answer ${p.type} within ${timeoutMs} ms: ${where}`)),
    );
  }

  /** Hands a node message to its handlers; handler errors answer 422 to the node. */
  private async deliver(nodeId: string, type: string, json: unknown, blobs: Uint8Array[], frame: Frame) {
    const hs = this.handlers.get(type) ?? [];
    for (const h of hs) {
      try {
        await h(nodeId, json, blobs, { type, header: frame.header });
      } catch (e) {
        throw new TransportError(422, (e as { code?: string }).code ?? "rejected", (e as Error).message);
      }
    }
    return hs.length > 0;
  }

  private respond(stream: ServerHttp2Stream, state: NodeState, inReplyTo: number, r: Reply): void {
    if (stream.destroyed || stream.closed) return;
    state.serverSeq = nextSeq(state.serverSeq, Date.now());
    const bytes = encodeFrame(
      {
        type: r.type,
        sender: "server",
        nodeId: state.nodeId,
        sessionId: null,
        round: null,
        attempt: null,
        seq: state.serverSeq,
        ts: Date.now(),
        inReplyTo,
        contentType: r.contentType,
        ...(r.chunk ? { chunk: r.chunk } : {}),
      },
      r.body,
      this.opts.serverKey,
    );
    stream.respond({ ":status": 200, "content-type": FRAME_CONTENT_TYPE, "content-length": bytes.length });
    stream.end(bytes);
  }

  private respondError(stream: ServerHttp2Stream, err: unknown): void {
    let status = 500;
    let body = { error: "internal", message: "internal error of the node port" };
    if (err instanceof TransportError) {
      status = err.status;
      body = { error: err.code, message: err.message };
    } else this.opts.onError?.(err);
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    const bytes = Buffer.from(JSON.stringify(body), "utf8");
    stream.respond({ ":status": status, "content-type": JSON_CT, "content-length": bytes.length });
    stream.end(bytes);
  }
}

/** Reads a request body, refusing it by content-length before reading and while counting. */
function readBody(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<Uint8Array> {
  const declared = Number(headers["content-length"] ?? NaN);
  if (declared > MAX_FRAME_BYTES)
    return Promise.reject(new TransportError(413, "too-large", `body of ${declared} bytes above ${MAX_FRAME_BYTES}`));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const onData = (b: Buffer) => {
      n += b.length;
      if (n > MAX_FRAME_BYTES) {
        stream.off("data", onData);
        stream.resume();
        reject(new TransportError(413, "too-large", `body above ${MAX_FRAME_BYTES} bytes`));
      } else parts.push(b);
    };
    stream.on("data", onData);
    stream.once("end", () => resolve(new Uint8Array(Buffer.concat(parts, n))));
    stream.once("error", reject);
  });
}

function jsonOf(frame: Frame): unknown {
  if (frame.header.contentType !== JSON_CT)
    throw new TransportError(400, "bad-frame", `a ${frame.header.type} frame carries ${JSON_CT}`);
  if (frame.body.length > MAX_JSON_BODY)
    throw new TransportError(413, "too-large", "JSON body above 1 MiB");
  try {
    return JSON.parse(Buffer.from(frame.body).toString("utf8"));
  } catch {
    throw new TransportError(400, "bad-frame", "the body is not JSON");
  }
}

function parse<S extends z.ZodType>(schema: S, v: unknown): z.output<S> {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new TransportError(400, "bad-frame", `body.${i.path.map(String).join(".")}: ${i.message}`);
}

