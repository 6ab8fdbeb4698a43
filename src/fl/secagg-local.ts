// One secure-aggregation round with every party in this process (simulator, tests, benchmark).
// The four phases run in order; `dropAfterShare` nodes vanish after ShareKeys (the expensive
// case of §6.6); `transport` carries each masked input (e.g. through sealUpdate/receiveUpdate)
// and may refuse it, which makes that node a dropout too.
import {
  type Advert,
  advertise,
  freezeU1,
  maskedInput,
  receiveShares,
  type SecAggNode,
  type SecAggParams,
  type ShareCipher,
  shareKeys,
  type UnmaskResponse,
  type UnmaskResult,
  unmask,
  unmaskResponse,
} from "./secagg.ts";

export interface SecAggInput {
  nodeId: string;
  nodeSecret: Uint8Array;
  delta: Float32Array;
  n: number;
}

export interface SecAggRoundResult extends UnmaskResult {
  u1: string[];
  u2: string[];
  u3: string[];
  /** what the server saw: adverts, relayed share ciphertexts, masked inputs, unmask responses */
  serverView: {
    adverts: Advert[];
    shares: ShareCipher[];
    masked: Map<string, Uint32Array>;
    responses: UnmaskResponse[];
  };
  /** ms: max over nodes of client-side secagg work, and server unmask. */
  clientMsMax: number;
  serverMs: number;
}

export function secureAggregateLocal(
  inputs: SecAggInput[],
  p: SecAggParams,
  dropAfterShare: ReadonlySet<string> = new Set(),
  transport: (nodeId: string, y: Uint32Array) => Uint32Array | null = (_id, y) => y,
): SecAggRoundResult {
  const clientMs = new Map<string, number>();
  const timed = <T>(id: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    clientMs.set(id, (clientMs.get(id) ?? 0) + performance.now() - t0);
    return r;
  };
  const nodes = new Map<string, SecAggNode>();
  const adverts: Advert[] = [];
  for (const i of inputs) {
    const a = timed(i.nodeId, () => advertise(i.nodeId, i.nodeSecret));
    nodes.set(i.nodeId, a.node);
    adverts.push(a.advert);
  }
  const u1 = freezeU1(adverts);
  const shares: ShareCipher[] = [];
  for (const [id, node] of nodes) shares.push(...timed(id, () => shareKeys(node, u1, p)));
  const u2 = u1.members.map((m) => m.nodeId);
  for (const [id, node] of nodes) {
    timed(id, () =>
      receiveShares(
        node,
        u1,
        p,
        shares.filter((s) => s.to === id),
      ),
    );
  }
  const masked = new Map<string, Uint32Array>();
  for (const i of inputs) {
    if (dropAfterShare.has(i.nodeId)) continue;
    const node = nodes.get(i.nodeId) as SecAggNode;
    const y = timed(i.nodeId, () => maskedInput(node, u1, u2, p, i.delta, i.n));
    const got = transport(i.nodeId, y);
    if (got) masked.set(i.nodeId, got);
  }
  const u3 = u2.filter((v) => masked.has(v));
  const responses: UnmaskResponse[] = [];
  for (const id of u3) {
    responses.push(timed(id, () => unmaskResponse(nodes.get(id) as SecAggNode, u1, u2, u3)));
  }
  const t0 = performance.now();
  const r = unmask(u1, u2, u3, masked, responses, p);
  const serverMs = performance.now() - t0;
  return {
    ...r,
    u1: u2,
    u2,
    u3,
    serverView: { adverts, shares, masked, responses },
    clientMsMax: Math.max(...clientMs.values()),
    serverMs,
  };
}
