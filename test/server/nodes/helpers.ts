// A node port over real sockets on 127.0.0.1 with a real server context (SQLite, audit, alerts),
// a consortium CA in a temporary folder, and nodes enrolled through the registry.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterSecret, type MasterSecret } from "../../../src/crypto/keys.ts";
import { openChannel, type ChannelOptions, type NodeChannel, type TaskHandler } from "../../../src/edge/channel.ts";
import { createServerContext, type ServerContext } from "../../../src/server/context.ts";
import {
  type NodePort,
  type NodePortOptions,
  serverFlPublicKeyPem,
  serverFlSigningKey,
  startNodePort,
} from "../../../src/server/nodes/index.ts";
import {
  type ConsortiumCa,
  createNodeKeyAndCsr,
  initCa,
  NodeRegistry,
} from "../../../src/server/pki/index.ts";

export const CONSORTIUM = "c1.test";

export interface NodeCreds {
  nodeId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface Harness {
  dir: string;
  master: MasterSecret;
  ctx: ServerContext;
  ca: ConsortiumCa;
  registry: NodeRegistry;
  port: NodePort;
  serverKeyPem: string;
  enrol(nodeId: string): Promise<NodeCreds>;
  channel(creds: NodeCreds, handler: TaskHandler, extra?: Partial<ChannelOptions>): NodeChannel;
  restartPort(): Promise<NodePort>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<NodePortOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "mt-nodes-"));
  const master = masterSecret(randomBytes(32), "test.medtrace");
  const { ctx } = await createServerContext({ dataDir: dir, master, consortiumId: CONSORTIUM, port: 0 });
  const { ca } = await initCa(dir, master, CONSORTIUM);
  const registry = new NodeRegistry(ctx.database.db);
  const portOptions = (port: number): NodePortOptions => ({
    host: "127.0.0.1",
    port,
    consortiumId: CONSORTIUM,
    ca,
    registry,
    serverKey: serverFlSigningKey(master),
    audit: ctx.audit,
    alerts: ctx.alerts,
    pollHoldMs: 2000,
    ...opts,
  });
  const channels: NodeChannel[] = [];
  const h: Harness = {
    dir,
    master,
    ctx,
    ca,
    registry,
    port: await startNodePort(portOptions(0)),
    serverKeyPem: serverFlPublicKeyPem(master),
    async enrol(nodeId) {
      const { token } = await registry.createNode({ nodeId, createdBy: "test-admin" });
      const { keyPem, csrPem } = await createNodeKeyAndCsr(nodeId);
      const r = await registry.enrol(ca, { nodeId, token, csrPem });
      return { nodeId, keyPem, certPem: r.certPem, caPem: r.caPem };
    },
    channel(creds, handler, extra = {}) {
      const ch = openChannel({
        url: h.port.url,
        nodeId: creds.nodeId,
        keyPem: creds.keyPem,
        certPem: creds.certPem,
        caPem: creds.caPem,
        serverKey: h.serverKeyPem,
        handler,
        backoff: { minMs: 50, maxMs: 400 },
        ...extra,
      });
      channels.push(ch);
      return ch;
    },
    async restartPort() {
      const port = h.port.port;
      await h.port.close();
      h.port = await startNodePort(portOptions(port));
      return h.port;
    },
    async close() {
      await Promise.all(channels.map((c) => c.close()));
      await h.port.close();
      await ctx.close();
    },
  };
  return h;
}

/** One raw POST over a fresh mTLS connection (for frames a real channel would never send). */
export async function rawPost(
  url: string,
  creds: { keyPem?: string; certPem?: string; caPem: string },
  path: string,
  body: Uint8Array,
  headers: Record<string, string | number> = {},
): Promise<{ status: number; body: Buffer }> {
  const session = http2.connect(url, {
    ca: [creds.caPem],
    ...(creds.keyPem ? { key: creds.keyPem, cert: creds.certPem } : {}),
  });
  try {
    return await new Promise((resolve, reject) => {
      session.once("error", reject);
      const req = session.request({ ":method": "POST", ":path": path, ...headers });
      let status = 0;
      const parts: Buffer[] = [];
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", (b: Buffer) => parts.push(b));
      req.on("end", () =>
        status === 0 ? reject(new Error("connection closed without a response")) : resolve({ status, body: Buffer.concat(parts) }),
      );
      req.on("error", reject);
      req.end(body);
    });
  } finally {
    session.destroy();
  }
}

export function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await cond()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    void tick();
  });
}
