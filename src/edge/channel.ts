// The edge side of the node transport (federated-learning.md §5.1–5.6): the node dials out over
// HTTP/2 + mutual TLS 1.3, says hello (and learns its clock offset from the signed reply), then
// long-polls for tasks, hands each to the TaskHandler and sends the reply back (blobs chunked).
// Every server frame is verified against the server FL key pinned at enrolment, bound to the
// request it answers (inReplyTo) and required to carry a server seq above any accepted before the
// request was sent. Lost connections are retried with exponential backoff and full jitter.
import { createPublicKey, type KeyObject, createPrivateKey, randomInt } from "node:crypto";
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { ChunkAssembly, checkChunkInfo, DEFAULT_CHUNK_BYTES, splitPayload } from "../crypto/chunks.ts";
import {
  bodyDigestOk,
  type ChunkInfo,
  decodeFrame,
  encodeFrame,
  FRAME_CONTENT_TYPE,
  type Frame,
  nextSeq,
  verifyFrameSignature,
} from "../crypto/frame.ts";
import {
  BYTES_CT,
  CLOCK_SKEW_MS,
  DEFAULT_POLL_HOLD_MS,
  type HelloReply,
  JSON_CT,
  PATH_PREFIX,
  type Task,
} from "../server/nodes/wire.ts";

export type TaskHandler = (task: {
  type: string;
  body: unknown;
}) => Promise<{ json: unknown; blobs?: Uint8Array[] }>;

export type ChannelEvent =
  | { kind: "connected"; clockOffsetMs: number }
  | { kind: "disconnected"; reason: string; retryInMs: number }
  | { kind: "task"; taskId: string; type: string }
  | { kind: "task-failed"; taskId: string; type: string; reason: string };

export interface ChannelOptions {
  /** The node port, e.g. https://server.example:8444. */
  url: string;
  nodeId: string;
  /** The node's Ed25519 key (PKCS#8 PEM): the mTLS key and the frame-signing key. */
  keyPem: string;
  certPem: string;
  /** The consortium CA: the only trust anchor for the server certificate. */
  caPem: string;
  /** The server's FL public key (SPKI PEM), pinned at enrolment. */
  serverKey: string | KeyObject;
  handler: TaskHandler;
  capabilities?: string[];
  chunkBytes?: number;
  /** Reconnect backoff bounds (§5.1: 1 s .. 60 s, full jitter). */
  backoff?: { minMs: number; maxMs: number };
  /** HTTP/2 PING interval (§5.1: 15 s). */
  pingIntervalMs?: number;
  /** Control request timeout (§5.7: 60 s); chunk requests get twice as long. */
  requestTimeoutMs?: number;
  onEvent?: (e: ChannelEvent) => void;
}

export class ChannelError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ChannelError";
  }
}

export interface NodeChannel {
  readonly nodeId: string;
  connected(): boolean;
  /** Resolves once the channel has completed a hello; rejects after timeoutMs. */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Server clock minus local clock, from the last signed hello reply. */
  clockOffsetMs(): number;
  /** Sends a node-initiated message (e.g. catalogue.publish); resolves with the server's ack. */
  publish(type: string, json: unknown, blobs?: Uint8Array[]): Promise<unknown>;
  /** Fetches a content-addressed blob the server published (global weights). */
  fetchBlob(sha256: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Full-jitter exponential backoff: uniform in [0, min(max, min·2^attempt)]. */
export function backoffDelay(attempt: number, minMs = 1000, maxMs = 60_000): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return randomInt(0, Math.max(1, Math.floor(cap)) + 1);
}

export function openChannel(opts: ChannelOptions): NodeChannel {
  const ch = new Channel(opts);
  void ch.run();
  return ch;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

class Channel implements NodeChannel {
  readonly nodeId: string;
  private readonly key: KeyObject;
  private readonly serverKey: KeyObject;
  private session: ClientHttp2Session | null = null;
  private ready = false;
  private closed = false;
  private offset = 0;
  private seq = 0;
  private lastServerSeq = 0;
  private pollHoldMs = DEFAULT_POLL_HOLD_MS;
  private sendLock: Promise<void> = Promise.resolve();
  private readonly readyWaiters = new Set<() => void>();
  private readonly seenTasks = new Set<string>();
  private wakeSleep: (() => void) | null = null;
  private stopped: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ChannelOptions) {
    this.nodeId = opts.nodeId;
    this.key = createPrivateKey(opts.keyPem);
    this.serverKey =
      typeof opts.serverKey === "string" ? createPublicKey(opts.serverKey) : opts.serverKey;
  }

  connected(): boolean {
    return this.ready;
  }

  clockOffsetMs(): number {
    return this.offset;
  }

  waitConnected(timeoutMs = 60_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closed) return Promise.reject(new ChannelError("closed", "the channel is closed"));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        if (this.ready) resolve();
        else reject(new ChannelError("closed", "the channel is closed"));
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(done);
        reject(new ChannelError("not-connected", `not connected to ${this.opts.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeSleep?.();
    this.teardown();
    for (const w of [...this.readyWaiters]) w();
    await this.stopped;
  }

  // ---- the connection loop ----

  async run(): Promise<void> {
    let release!: () => void;
    this.stopped = new Promise((r) => (release = r));
    let attempt = 0;
    while (!this.closed) {
      try {
        await this.connect();
        await this.hello();
        attempt = 0;
        this.ready = true;
        this.emit({ kind: "connected", clockOffsetMs: this.offset });
        for (const w of [...this.readyWaiters]) w();
        while (!this.closed) {
          const tasks = await this.poll();
          for (const t of tasks) void this.runTask(t);
        }
      } catch (err) {
        this.teardown();
        if (this.closed) break;
        const { minMs, maxMs } = this.opts.backoff ?? { minMs: 1000, maxMs: 60_000 };
        const delay = backoffDelay(attempt++, minMs, maxMs);
        this.emit({ kind: "disconnected", reason: (err as Error).message, retryInMs: delay });
        await this.sleep(delay);
      }
    }
    release();
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(this.opts.url, {
        key: this.opts.keyPem,
        cert: this.opts.certPem,
        ca: [this.opts.caPem],
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
        settings: { initialWindowSize: 8 * 1024 * 1024 },
        // Request/response pairs are latency-bound: no Nagle delay (passed down to net.connect).
        noDelay: true,
      } as http2.SecureClientSessionOptions);
      this.session = session;
      const fail = (e: Error) => {
        session.destroy();
        reject(e);
      };
      session.once("error", fail);
      session.once("connect", () => {
        session.off("error", fail);
        session.on("error", () => undefined);
        session.setLocalWindowSize(64 * 1024 * 1024);
        const ping = setInterval(() => {
          if (!session.destroyed) session.ping((err) => err && session.destroy());
        }, this.opts.pingIntervalMs ?? 15_000);
        ping.unref();
        session.once("close", () => {
          clearInterval(ping);
          if (this.session === session) this.ready = false;
        });
        resolve();
      });
      session.once("close", () => reject(new ChannelError("disconnected", "connection closed")));
    });
  }

  private teardown(): void {
    this.ready = false;
    this.session?.destroy();
    this.session = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  private emit(e: ChannelEvent): void {
    this.opts.onEvent?.(e);
  }

  private now(): number {
    return Date.now() + this.offset;
  }

  private async hello(): Promise<void> {
    const t0 = Date.now();
    const frame = await this.request("hello", "hello", json({ capabilities: this.opts.capabilities ?? [] }), JSON_CT);
    const t1 = Date.now();
    const reply = parseJson(frame) as HelloReply;
    if (reply.nodeId !== this.nodeId || typeof reply.serverTime !== "number")
      throw new ChannelError("bad-server-frame", "hello reply names another node");
    // NTP-style midpoint: the reply was made about halfway through the round trip.
    this.offset = Math.round(reply.serverTime - (t0 + t1) / 2);
    this.pollHoldMs = reply.pollHoldMs ?? DEFAULT_POLL_HOLD_MS;
  }

  private async poll(): Promise<Task[]> {
    const frame = await this.request("poll", "poll", json({}), JSON_CT, {}, this.pollHoldMs + 15_000);
    const { tasks } = parseJson(frame) as { tasks: Task[] };
    if (!Array.isArray(tasks)) throw new ChannelError("bad-server-frame", "poll reply without tasks");
    return tasks;
  }

  // ---- tasks and messages ----

  private async runTask(task: Task): Promise<void> {
    if (this.seenTasks.has(task.taskId)) return;
    this.seenTasks.add(task.taskId);
    if (this.seenTasks.size > 10_000) this.seenTasks.delete(this.seenTasks.values().next().value as string);
    this.emit({ kind: "task", taskId: task.taskId, type: task.type });
    let result: { json: unknown; blobs?: Uint8Array[] } | undefined;
    let failure: { code: string; message: string } | undefined;
    try {
      result = await this.opts.handler({ type: task.type, body: task.body });
    } catch (e) {
      failure = { code: (e as { code?: string }).code ?? "error", message: (e as Error).message };
    }
    const budget = Math.max(1000, task.deadline - this.now());
    try {
      await this.reliably(budget, async () => {
        if (failure) return this.send("task.reply", { taskId: task.taskId, ok: false, error: failure });
        const blobs = await this.uploadAll(result?.blobs ?? []);
        return this.send("task.reply", { taskId: task.taskId, ok: true, json: result?.json ?? null, blobs });
      });
    } catch (e) {
      this.emit({ kind: "task-failed", taskId: task.taskId, type: task.type, reason: (e as Error).message });
    }
  }

  async publish(type: string, payload: unknown, blobs: Uint8Array[] = []): Promise<unknown> {
    const budget = this.opts.requestTimeoutMs ?? 60_000;
    return this.reliably(budget, async () => {
      const shas = await this.uploadAll(blobs);
      return this.send(type, { json: payload, blobs: shas });
    });
  }

  async fetchBlob(sha256: string): Promise<Uint8Array> {
    const budget = 2 * (this.opts.requestTimeoutMs ?? 60_000);
    return this.reliably(budget, async () => {
      const first = await this.fetchChunk(sha256, 0);
      const asm = new ChunkAssembly(first.info);
      asm.add(first.info, first.frame.body);
      for (let i = 1; i < first.info.count; i++) {
        const c = await this.fetchChunk(sha256, i);
        asm.add(c.info, c.frame.body);
      }
      return asm.assemble();
    });
  }

  private async fetchChunk(sha256: string, index: number): Promise<{ frame: Frame; info: ChunkInfo }> {
    const frame = await this.request("fetch", "fetch", json({ sha256, index }), JSON_CT, {}, this.chunkTimeout());
    const info = checkChunkInfo(frame.header.chunk, frame.body.length, Number.MAX_SAFE_INTEGER);
    if (info.payloadSha256 !== sha256 || info.index !== index)
      throw new ChannelError("bad-server-frame", "fetched chunk is not the one asked for");
    return { frame, info };
  }

  private async send(type: string, body: unknown): Promise<unknown> {
    return parseJson(await this.request("send", type, json(body), JSON_CT));
  }

  private async uploadAll(blobs: Uint8Array[]): Promise<string[]> {
    const shas: string[] = [];
    for (const b of blobs) shas.push(await this.upload(b));
    return shas;
  }

  /** Sends only the chunks the server lacks (§5.6: after a reset, ask which are missing). */
  private async upload(payload: Uint8Array): Promise<string> {
    const chunks = splitPayload(payload, this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const sha = chunks[0].info.payloadSha256;
    const status = (await this.send("blob.status", { payloadSha256: sha })) as { complete: boolean; received: number[] };
    if (status.complete) return sha;
    const have = new Set(status.received);
    for (const c of chunks) {
      if (have.has(c.info.index)) continue;
      await this.request("send", "blob.chunk", c.bytes, BYTES_CT, { chunk: c.info }, this.chunkTimeout());
    }
    return sha;
  }

  private chunkTimeout(): number {
    return 2 * (this.opts.requestTimeoutMs ?? 60_000);
  }

  /** Retries an operation across reconnects until the budget is spent; 4xx advice is final. */
  private async reliably<T>(budgetMs: number, op: () => Promise<T>): Promise<T> {
    const end = Date.now() + budgetMs;
    let attempt = 0;
    for (;;) {
      try {
        await this.waitConnected(Math.max(1, end - Date.now()));
        return await op();
      } catch (e) {
        const status = (e as ChannelError).status;
        const final = status !== undefined && !RETRYABLE.has(status);
        if (final || this.closed || Date.now() >= end) throw e;
        await this.sleep(Math.min(backoffDelay(attempt++, 200, 5000), Math.max(0, end - Date.now())));
      }
    }
  }

  // ---- one request ----

  private async request(
    endpoint: string,
    type: string,
    body: Uint8Array,
    contentType: string,
    extra: Record<string, unknown> = {},
    timeoutMs = this.opts.requestTimeoutMs ?? 60_000,
  ): Promise<Frame> {
    const session = this.session;
    if (!session || session.destroyed || session.closed)
      throw new ChannelError("disconnected", "not connected");
    // One frame at a time from seq to the last byte written: the server checks seq in arrival
    // order, so a later seq must never overtake an earlier one on another stream.
    const previous = this.sendLock;
    let release!: () => void;
    this.sendLock = new Promise((r) => (release = r));
    await previous;
    let stream: ClientHttp2Stream;
    let seq: number;
    let floor: number;
    try {
      seq = this.seq = nextSeq(this.seq, this.now());
      floor = this.lastServerSeq;
      const bytes = encodeFrame(
        { type, sender: "node", nodeId: this.nodeId, sessionId: null, round: null, attempt: null, seq, ts: this.now(), contentType, ...extra },
        body,
        this.key,
      );
      if (session.destroyed || session.closed) throw new ChannelError("disconnected", "not connected");
      stream = session.request({
        ":method": "POST",
        ":path": `${PATH_PREFIX}${endpoint}`,
        "content-type": FRAME_CONTENT_TYPE,
        "content-length": bytes.length,
      });
      const written = new Promise<void>((resolve) => {
        stream.once("finish", resolve);
        stream.once("close", resolve);
      });
      stream.on("error", () => undefined);
      stream.end(bytes);
      await written;
    } finally {
      release();
    }
    const res = await readResponse(stream, timeoutMs);
    if (res.status !== 200) {
      let e: { error?: string; message?: string } = {};
      try {
        e = JSON.parse(Buffer.from(res.body).toString("utf8"));
      } catch {
        /* advice only */
      }
      throw new ChannelError(e.error ?? "http-error", `${endpoint} ${type}: ${res.status} ${e.error ?? ""}: ${e.message ?? ""}`, res.status);
    }
    return this.verifyServerFrame(res.body, seq, floor, endpoint === "hello");
  }

  private verifyServerFrame(bytes: Uint8Array, seq: number, floor: number, isHello: boolean): Frame {
    const bad = (why: string): never => {
      this.session?.destroy();
      throw new ChannelError("bad-server-frame", `refused a server frame: ${why}`);
    };
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      return bad((e as Error).message);
    }
    const h = frame.header;
    if (!verifyFrameSignature(frame, this.serverKey)) bad("signature does not verify with the pinned server key");
    if (h.sender !== "server" || h.nodeId !== this.nodeId) bad("frame is not addressed to this node");
    if (h.inReplyTo !== seq) bad(`frame answers seq ${String(h.inReplyTo)}, not ${seq}`);
    if (!(h.seq > floor)) bad(`server seq ${h.seq} is not above ${floor}`);
    if (!isHello && !(Math.abs(h.ts - this.now()) <= CLOCK_SKEW_MS)) bad("server frame time is outside ±120 s");
    if (!bodyDigestOk(frame)) bad("body digest mismatch");
    this.lastServerSeq = Math.max(this.lastServerSeq, h.seq);
    return frame;
  }
}

function json(v: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(v), "utf8");
}

function parseJson(frame: Frame): unknown {
  if (frame.header.contentType !== JSON_CT)
    throw new ChannelError("bad-server-frame", `expected ${JSON_CT}, got ${frame.header.contentType}`);
  return JSON.parse(Buffer.from(frame.body).toString("utf8"));
}

function readResponse(
  stream: ClientHttp2Stream,
  timeoutMs: number,
): Promise<{ status: number; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new ChannelError("timeout", `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("data", (b: Buffer) => parts.push(b));
    stream.once("end", () => {
      clearTimeout(timer);
      resolve({ status, body: new Uint8Array(Buffer.concat(parts)) });
    });
    stream.once("close", () => {
      clearTimeout(timer);
      if (status === 0 || !stream.readableEnded)
        reject(new ChannelError("disconnected", `stream closed (code ${stream.rstCode ?? "?"})`));
    });
    stream.once("error", (e) => {
      clearTimeout(timer);
      reject(new ChannelError("disconnected", e.message));
    });
  });
}
