import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { test } from "node:test";
import { x25519KeyPair } from "../../src/crypto/envelope.ts";
import { decodeFrame, encodeFrame } from "../../src/crypto/frame.ts";
import {
  emptyInbox,
  type InboxContext,
  type NodeIdentity,
  type RoundTicket,
  receiveUpdate,
  sealUpdate,
  statusOf,
} from "../../src/fl/messages.ts";

const NOW = 1_800_000_000_000;
const D = 1000;

function setup() {
  const roundKey = x25519KeyPair();
  const ticket: RoundTicket = {
    sessionId: "sess",
    round: 3,
    attempt: 1,
    roundPublicKey: roundKey.publicKey,
    roundNonce: randomBytes(32),
    baseModelHash: "a".repeat(64),
    manifestHash: "b".repeat(64),
  };
  const ids: NodeIdentity[] = [];
  const nodeKeys = new Map();
  for (const nodeId of ["h1", "h2", "h3"]) {
    const k = generateKeyPairSync("ed25519");
    ids.push({ nodeId, signKey: k.privateKey, seq: 0 });
    nodeKeys.set(nodeId, k.publicKey);
  }
  const ctx: InboxContext = {
    ticket,
    roundKey,
    nodeKeys,
    selected: new Set(["h1", "h2", "h3"]),
    nowMs: NOW,
    maxPayload: 64 * 1024,
    validation: { length: D, maxUpdateNorm: 100 },
    declaredN: new Map([
      ["h1", 500],
      ["h2", 500],
      ["h3", 500],
    ]),
  };
  return { ticket, ids, ctx, roundKey };
}

const delta = (v = 0.01, n = D) => new Float32Array(n).fill(v);

test("a valid plain update is decrypted intact and its seq recorded", () => {
  const { ticket, ids, ctx } = setup();
  const d = Float32Array.from({ length: D }, (_, i) => Math.sin(i) / 10);
  const frame = sealUpdate(ids[0], ticket, { type: "plain.update", delta: d, n: 400 }, NOW, 1024);
  const { state, outcome } = receiveUpdate(emptyInbox, frame, ctx);
  assert.ok(outcome.ok && outcome.type === "plain.update");
  assert.deepEqual(outcome.delta, d);
  assert.equal(outcome.n, 400);
  assert.equal(state.lastSeq.h1, ids[0].seq);
  assert.deepEqual(state.accepted, ["h1"]);
  // the body is ciphertext: the plain float bytes do not appear in the frame
  const body = decodeFrame(frame).body;
  assert.equal(Buffer.from(body).indexOf(Buffer.from(d.buffer, 0, 64)), -1);
});

test("forged, replayed, stale-round, NaN, wrong-shape, oversized and unselected updates are refused without effect", () => {
  const { ticket, ids, ctx } = setup();
  const good = sealUpdate(ids[0], ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW);
  const s1 = receiveUpdate(emptyInbox, good, ctx).state;
  const cases: [string, Uint8Array, string][] = [];
  // forged: h2's identity claimed, signed by an unknown key
  const mallory = { nodeId: "h2", signKey: generateKeyPairSync("ed25519").privateKey, seq: 0 };
  cases.push([
    "forged",
    sealUpdate(mallory, ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW),
    "bad-signature",
  ]);
  // header altered after signing
  const f = decodeFrame(
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW),
  );
  const reSigned = encodeFrame(
    { ...f.header, weight: 400 } as never,
    f.body,
    generateKeyPairSync("ed25519").privateKey,
  );
  cases.push(["altered", reSigned, "bad-signature"]);
  cases.push(["replayed", good, "replay"]);
  cases.push([
    "stale-round",
    sealUpdate(
      ids[1],
      { ...ticket, round: 2 },
      { type: "plain.update", delta: delta(), n: 100 },
      NOW,
    ),
    "stale-round",
  ]);
  cases.push([
    "old ts",
    sealUpdate(
      { ...ids[1], seq: 0 },
      ticket,
      { type: "plain.update", delta: delta(), n: 100 },
      NOW - 200_000,
    ),
    "clock-skew",
  ]);
  const nan = delta();
  nan[17] = Number.NaN;
  cases.push([
    "NaN",
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: nan, n: 100 }, NOW),
    "invalid-update",
  ]);
  cases.push([
    "wrong-shape",
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(0.01, D - 1), n: 100 }, NOW),
    "invalid-update",
  ]);
  cases.push([
    "norm",
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(10), n: 100 }, NOW),
    "invalid-update",
  ]);
  cases.push([
    "oversized",
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(0.01, 20_000), n: 100 }, NOW),
    "too-large",
  ]);
  cases.push([
    "weight above declared",
    sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(), n: 501 }, NOW),
    "invalid-update",
  ]);
  const outsider = { nodeId: "h9", signKey: ids[2].signKey, seq: 0 };
  cases.push([
    "unknown node",
    sealUpdate(outsider, ticket, { type: "plain.update", delta: delta(), n: 1 }, NOW),
    "bad-signature",
  ]);
  const other = sealUpdate(ids[2], ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW);
  const bits = Uint8Array.from(other);
  bits[bits.length - 3] ^= 0x40; // body bit flip: digest no longer matches
  cases.push(["bit flip", bits, "bad-frame"]);
  for (const [name, bytes, code] of cases) {
    const { state, outcome } = receiveUpdate(s1, bytes, {
      ...ctx,
      selected: new Set(["h1", "h2", "h3"]),
    });
    assert.equal(outcome.ok, false, name);
    if (!outcome.ok) {
      assert.equal(outcome.error, code, `${name}: ${outcome.reason}`);
      assert.ok(outcome.reason.length > 0);
      assert.ok(statusOf(outcome.error) >= 400);
    }
    assert.deepEqual(state.accepted, ["h1"], `${name} must not poison the round`);
  }
  const notSel = receiveUpdate(s1, other, { ...ctx, selected: new Set(["h1"]) });
  assert.equal(!notSel.outcome.ok && notSel.outcome.error, "not-selected");
  const dup = sealUpdate(ids[0], ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW);
  assert.equal(receiveUpdate(s1, dup, ctx).outcome.ok, false);
  // after all that, h2's honest update is still accepted
  const honest = sealUpdate(ids[1], ticket, { type: "plain.update", delta: delta(), n: 100 }, NOW);
  const last = receiveUpdate(s1, honest, ctx);
  assert.ok(last.outcome.ok);
  assert.deepEqual(last.state.accepted, ["h1", "h2"]);
});
