// Hospitals for server training tests: enrolled the real way (one-time token, Ed25519 CSR,
// certificate of a consortium CA) and connected through the in-process node hub to real
// Participants that train a small PneumoniaMNIST share in a shared worker pool.
import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { flTaskHandler, InlineBlobs, Participant } from "../../src/fl/protocol/index.ts";
import type { Trainer } from "../../src/fl/trainer-pool.ts";
import type { ServerContext } from "../../src/server/context.ts";
import { InProcessHub } from "../../src/server/data-access/hub-inprocess.ts";
import { serverFlSigningKey } from "../../src/server/nodes/keys.ts";
import { createCa, createNodeKeyAndCsr, NodeRegistry } from "../../src/server/pki/index.ts";
import { hospitals, type NodeSetup, sharedPool } from "../fl/protocol/harness.ts";

export interface TrainingNodes {
  nodes: NodeSetup[];
  /** each node's task handler, to connect again to a restarted server's hub */
  handlers: Map<string, ReturnType<typeof flTaskHandler>>;
  close(): Promise<void>;
}

/** `count` nodes with `perNode` training images each, their datasets under `tag`, connected to `ctx`. */
export async function connectTrainingNodes(ctx: ServerContext, opts: { count?: number; perNode: number; seed: string; tag?: string }): Promise<TrainingNodes> {
  const ca = await createCa("test.medtrace");
  const registry = new NodeRegistry(ctx.database.db);
  const nodes: NodeSetup[] = [];
  for (const s of hospitals(opts.count ?? 3, opts.perNode, opts.seed)) {
    const { token } = await registry.createNode({ nodeId: s.nodeId, createdBy: "admin" });
    const kc = await createNodeKeyAndCsr(s.nodeId);
    await registry.enrol(ca, { nodeId: s.nodeId, token, csrPem: kc.csrPem });
    const signKey = createPrivateKey(kc.keyPem);
    const data = opts.tag ? { ...s.data, tag: opts.tag } : s.data;
    nodes.push({ ...s, data, signKey, publicKey: createPublicKey(signKey), nodeSecret: randomBytes(32) });
  }
  const shared = await sharedPool({}, nodes);
  const pool: Trainer = shared.pool;
  const keys = new Map(nodes.map((n) => [n.nodeId, n.publicKey]));
  const participants: Participant[] = [];
  const handlers = new Map<string, ReturnType<typeof flTaskHandler>>();
  for (const n of nodes) {
    const blobs = new InlineBlobs();
    const p = new Participant({
      nodeId: n.nodeId,
      signKey: n.signKey,
      nodeSecret: n.nodeSecret,
      serverKey: createPublicKey(serverFlSigningKey(ctx.master)),
      peerKey: (id) => keys.get(id),
      datasets: [n.data],
      approve: () => true,
      fetchBlob: blobs.fetch,
      makeTrainer: shared.makeTrainer(n.nodeId),
    });
    participants.push(p);
    handlers.set(n.nodeId, flTaskHandler(p, blobs));
  }
  connectHub(ctx, handlers);
  return {
    nodes,
    handlers,
    async close() {
      for (const p of participants) await p.close();
      await pool.close();
    },
  };
}

/** A fresh in-process hub on `ctx` with every node connected. */
export function connectHub(ctx: ServerContext, handlers: TrainingNodes["handlers"]): void {
  const hub = new InProcessHub();
  ctx.hub = hub;
  for (const [nodeId, h] of handlers) hub.connect(nodeId, h);
}
