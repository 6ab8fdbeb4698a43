// A NodeHub whose nodes run in this process: each node is its edge TaskHandler (the same function
// the network channel dispatches to), called directly. The demo and tests use it; the network hub
// (HTTP/2 mTLS, src/server/nodes) is the production transport with the same interface.
import type { NodeHub } from "../context.ts";

export type TaskHandler = (task: { type: string; body: unknown }) => Promise<{ json: unknown; blobs?: Uint8Array[] }>;
type MessageHandler = Parameters<NodeHub["onMessage"]>[1];

export class HubError extends Error {
  readonly code: "HUB_NODE_UNKNOWN" | "HUB_TIMEOUT" | "HUB_CLOSED";
  constructor(code: HubError["code"], message: string) {
    super(message);
    this.name = "HubError";
    this.code = code;
  }
}

export class InProcessHub implements NodeHub {
  private readonly nodes = new Map<string, { handler: TaskHandler; since: string; lastSeen: string }>();
  private readonly handlers = new Map<string, MessageHandler[]>();
  private closed = false;

  /** Connects a node; returns its `publish` (node -> server messages, e.g. catalogue.publish). */
  connect(nodeId: string, handler: TaskHandler): (type: string, json: unknown) => Promise<void> {
    const now = new Date().toISOString();
    this.nodes.set(nodeId, { handler, since: now, lastSeen: now });
    return async (type, json) => {
      for (const h of this.handlers.get(type) ?? []) await h(nodeId, json, []);
    };
  }

  disconnect(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  connectedNodes(): { nodeId: string; since: string; lastSeen: string }[] {
    return [...this.nodes].map(([nodeId, n]) => ({ nodeId, since: n.since, lastSeen: n.lastSeen }));
  }

  async call(nodeId: string, type: string, body: unknown, opts: { timeoutMs?: number } = {}): Promise<{ json: unknown; blobs: Uint8Array[] }> {
    if (this.closed) throw new HubError("HUB_CLOSED", "the hub is closed");
    const node = this.nodes.get(nodeId);
    if (!node) throw new HubError("HUB_NODE_UNKNOWN", `node ${nodeId} is not connected`);
    node.lastSeen = new Date().toISOString();
    // A structured clone stands in for the wire: the node never shares objects with the server.
    const task = node.handler({ type, body: structuredClone(body) });
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HubError("HUB_TIMEOUT", `node ${nodeId} did not answer ${type} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const r = await Promise.race([task, timeout]);
      return { json: structuredClone(r.json), blobs: (r.blobs ?? []).map((b) => new Uint8Array(b)) };
    } finally {
      clearTimeout(timer);
    }
  }

  onMessage(type: string, handler: MessageHandler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.nodes.clear();
  }
}
