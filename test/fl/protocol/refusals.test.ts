// Forged, replayed, stale and unselected frames on the wire (federated-learning.md §5.3, §9): the
// coordinator refuses each with its §5.3 error and no state change; the node refuses forged or
// replayed server frames and tasks of a session it never accepted.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import { initBackend } from "../../../src/fl/backend.ts";
import { sealUpdate } from "../../../src/fl/messages.ts";
import { x25519PublicFromB64u } from "../../../src/crypto/envelope.ts";
import type { SessionEvent } from "../../../src/fl/protocol/index.ts";
import { signFrame } from "../../../src/fl/protocol/wire.ts";
import type { Trainer } from "../../../src/fl/trainer-pool.ts";
import { hospitals, Net, type NodeSetup, sharedPool } from "./harness.ts";

let nodes: NodeSetup[];
let pool: Trainer;
let makeTrainer: (id: string) => () => Promise<Trainer>;

before(async () => {
  await initBackend("wasm");
  nodes = hospitals(4, 40);
  ({ pool, makeTrainer } = await sharedPool({}, nodes));
});

after(async () => {
  await pool.close();
});

const body = { shares: [] };

test("the coordinator refuses forged, tampered, replayed, stale, early and unselected frames without a state change", async () => {
  // four nodes accept, three are selected; secagg.u1 is held back so the round waits in ShareKeys
  const net = new Net({
    nodes,
    config: { dataset: { tag: "pneumonia", minExamples: 10 }, rounds: 1, nodes: { min: 3, max: 3 }, seed: "9" },
    makeTrainer,
    dropTask: (t) => t.type === "secagg.u1",
  });
  await net.create();
  await net.settle();
  const c = net.coordinator!;
  const v = c.view();
  assert.equal(v.phase, "share");
  assert.equal(v.selected.length, 3);
  const outsider = nodes.find((n) => !v.selected.includes(n.nodeId))!;
  const a = nodes.find((n) => n.nodeId === v.selected[0])!;
  const ctx = { sessionId: net.sessionId, round: 1, attempt: 1 };
  const before = (await net.store.records(net.sessionId)).length;
  const events: unknown[] = [];
  const send = (frame: Uint8Array, from?: string) => {
    const step = c.handle({ from, frame }, net.now);
    events.push(...step.events);
    return step;
  };
  const real = (n: NodeSetup, over: Partial<typeof ctx> = {}, type = "secagg.share", ts = net.now) =>
    signFrame({ signKey: n.signKey, seq: (net.now + 60_000) * 1000 }, "node", n.nodeId, type, { ...ctx, ...over }, body, ts);

  const cases: [string, Uint8Array, string | undefined, string][] = [];
  const advert = net.sent.find((s) => s.nodeId === a.nodeId && s.type === "secagg.advertise")!;
  cases.push(["replayed advert", advert.frame, a.nodeId, "replay"]);
  const attacker = generateKeyPairSync("ed25519").privateKey;
  cases.push(["unknown key", signFrame({ signKey: attacker, seq: 0 }, "node", a.nodeId, "secagg.share", ctx, body, net.now), a.nodeId, "bad-signature"]);
  cases.push(["TLS SAN differs from the frame's node", real(a), outsider.nodeId, "bad-signature"]);
  const flipped = Uint8Array.from(real(a));
  flipped[flipped.length - 2] ^= 1;
  cases.push(["bit flip in the body", flipped, a.nodeId, "bad-frame"]);
  cases.push(["not a frame", new Uint8Array(40), a.nodeId, "bad-frame"]);
  cases.push(["old timestamp", real(a, {}, "secagg.share", net.now - 121_000), a.nodeId, "clock-skew"]);
  cases.push(["stale attempt", real(a, { attempt: 0 }), a.nodeId, "stale-round"]);
  cases.push(["another session", real(a, { sessionId: "other" }), a.nodeId, "unknown-session"]);
  cases.push(["advert after U1 froze", real(a, {}, "secagg.advertise"), a.nodeId, "stale-round"]);
  cases.push(["unmask before U3", real(a, {}, "secagg.unmask"), a.nodeId, "wrong-phase"]);
  cases.push(["unselected node's submission", real(outsider), outsider.nodeId, "not-selected"]);
  cases.push(["malformed share body", real(a), a.nodeId, "bad-frame"]);
  for (const [name, frame, from, error] of cases) {
    const step = send(frame, from);
    assert.equal(step.reply?.error, error, name);
    assert.ok((step.reply?.status ?? 0) >= 400, name);
    assert.deepEqual(step.records, [], name);
    assert.deepEqual(step.tasks, [], name);
  }
  assert.equal((await net.store.records(net.sessionId)).length, before);
  assert.equal(c.view().phase, "share");
  // an unselected node's update cannot even be encrypted to the round: it is refused before decryption
  const start = net.delivered.find((t) => t.type === "round.start")!;
  const rs = JSON.parse(Buffer.from(start.frame.subarray(start.frame.length - JSON.parse(Buffer.from(start.frame.subarray(8, 8 + new DataView(start.frame.buffer, start.frame.byteOffset).getUint32(4))).toString()).bodyLen)).toString());
  const ticket = { ...ctx, roundPublicKey: x25519PublicFromB64u(rs.roundPublicKey), roundNonce: Buffer.from(rs.roundNonce, "base64url"), baseModelHash: rs.globalModelHash, manifestHash: rs.manifestHash, quant: { bits: 22, clip: 8 } };
  const masked = sealUpdate({ nodeId: outsider.nodeId, signKey: outsider.signKey, seq: (net.now + 70_000) * 1000 }, ticket, { type: "secagg.masked", masked: new Uint32Array(10) }, net.now);
  assert.equal(send(masked, outsider.nodeId).reply?.error, "wrong-phase");
  // five or more refusals from one node raise an alert (§5.3)
  assert.ok(
    (events as SessionEvent[]).some((e) => e.type === "alert" && e.kind === "fl.node.refusals" && e.nodeId === a.nodeId),
    "alert after five refusals",
  );
  assert.ok((events as SessionEvent[]).some((e) => e.type === "refused" && e.error === "not-selected" && e.nodeId === outsider.nodeId));
  const cancel = c.cancel(net.now);
  assert.equal(c.view().state, "cancelled");
  assert.ok(cancel.tasks.some((t) => t.type === "round.abort"));
  await net.close();
});

test("a node refuses forged and replayed server frames and a session it never accepted", async () => {
  const net = new Net({
    nodes: nodes.slice(0, 3),
    config: { dataset: { tag: "pneumonia", minExamples: 10 }, rounds: 1, seed: "10" },
    makeTrainer,
    dropTask: (t) => t.type === "secagg.u1",
  });
  await net.create();
  await net.settle();
  const start = net.delivered.find((t) => t.type === "round.start" && t.nodeId === nodes[0].nodeId)!;
  const p = net.participants.get(nodes[0].nodeId)!;
  await assert.rejects(p.handle(start), /replay/);
  const attacker = generateKeyPairSync("ed25519").privateKey;
  const ctx = { sessionId: net.sessionId, round: 1, attempt: 2 };
  const forged = signFrame({ signKey: attacker, seq: 0 }, "server", nodes[0].nodeId, "round.abort", ctx, { reason: "x" }, net.now);
  await assert.rejects(p.handle({ frame: forged }), /bad-signature/);
  const server = { signKey: net.serverKeys.privateKey, seq: (net.now + 1000) * 1000 };
  const other = signFrame(server, "server", nodes[0].nodeId, "round.abort", { ...ctx, sessionId: "never-offered" }, { reason: "x" }, net.now);
  await assert.rejects(p.handle({ frame: other }), /plan-not-approved/);
  // a fresh participant that never saw the offer refuses the round outright
  const stranger = net.participant(nodes[0]);
  const replayedStart = signFrame(server, "server", nodes[0].nodeId, "round.abort", ctx, { reason: "x" }, net.now);
  await assert.rejects(stranger.handle({ frame: replayedStart }), /plan-not-approved/);
  const misaddressed = signFrame(server, "server", nodes[1].nodeId, "round.abort", ctx, { reason: "x" }, net.now);
  await assert.rejects(p.handle({ frame: misaddressed }), /bad-signature/);
  // a node whose hospital has not approved the plan declines the offer, and the server records it
  const net2 = new Net({ nodes: nodes.slice(0, 3), config: { dataset: { tag: "pneumonia", minExamples: 10 }, rounds: 1, seed: "11" }, makeTrainer });
  net2.participants.set(nodes[2].nodeId, net2.participant(nodes[2], false));
  await net2.create();
  await net2.settle();
  const view = net2.coordinator!.view();
  assert.equal(view.state, "pending");
  assert.deepEqual(view.nodes.map((n) => [n.nodeId, n.accepted]), [[nodes[0].nodeId, true], [nodes[1].nodeId, true], [nodes[2].nodeId, false]]);
  assert.throws(() => net2.coordinator!.start(net2.now), /fl.round.quorum/);
  await net.close();
  await net2.close();
});
