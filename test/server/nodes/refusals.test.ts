import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { encodeFrame, FRAME_CONTENT_TYPE } from "../../../src/crypto/frame.ts";
import { ALERT_THRESHOLD } from "../../../src/server/nodes/index.ts";
import { createCa, createNodeKeyAndCsr, signNodeCsr } from "../../../src/server/pki/index.ts";
import { CONSORTIUM, type Harness, type NodeCreds, rawPost, startHarness, until } from "./helpers.ts";

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
let seq = Date.now() * 1000;

function frame(
  nodeId: string,
  key: KeyObject,
  over: { type?: string; ts?: number; seq?: number } = {},
  body: unknown = { payloadSha256: "0".repeat(64) },
): Uint8Array {
  return encodeFrame(
    {
      type: over.type ?? "blob.status",
      sender: "node",
      nodeId,
      sessionId: null,
      round: null,
      attempt: null,
      seq: over.seq ?? (seq += 1000),
      ts: over.ts ?? Date.now(),
      contentType: "application/json",
    },
    json(body),
    key,
  );
}

const post = (h: Harness, c: Partial<NodeCreds> & { caPem: string }, path: string, bytes: Uint8Array, headers = {}) =>
  rawPost(h.port.url, c, path, bytes, { "content-type": FRAME_CONTENT_TYPE, ...headers });
const errorOf = (r: { body: Buffer }) => JSON.parse(r.body.toString()).error as string;

async function auditCount(h: Harness, action: string, nodeId?: string): Promise<number> {
  let q = h.ctx.database.db
    .selectFrom("audit_events")
    .select((e) => e.fn.countAll<number>().as("n"))
    .where("action", "=", action)
    .where("outcome", "=", "failure");
  if (nodeId) q = q.where("actor_node_id", "=", nodeId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

describe("node transport refusals", () => {
  let h: Harness;
  let b: NodeCreds;
  let bKey: KeyObject;

  before(async () => {
    h = await startHarness();
    b = await h.enrol("hosp-b");
    bKey = createPrivateKey(b.keyPem);
  });
  after(() => h.close());

  test("a valid raw frame is answered with a signed frame", async () => {
    const r = await post(h, b, "/fl/v1/send", frame("hosp-b", bKey));
    assert.equal(r.status, 200);
    assert.equal(r.body.subarray(0, 4).toString(), "MTF1");
  });

  test("no client certificate: refused in the TLS handshake, audited", async () => {
    await assert.rejects(post(h, { caPem: b.caPem }, "/fl/v1/send", frame("hosp-b", bKey)), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
      return true;
    });
    await until(async () => (await auditCount(h, "node.tls")) >= 1, "audit of the TLS refusal");
  });

  test("a certificate from a rogue CA with the same name is refused", async () => {
    const rogue = await createCa(CONSORTIUM);
    const { keyPem, csrPem } = await createNodeKeyAndCsr("hosp-b");
    const cert = await signNodeCsr(rogue, csrPem, "hosp-b");
    const before = await auditCount(h, "node.tls");
    await assert.rejects(
      post(h, { keyPem, certPem: cert.certPem, caPem: b.caPem }, "/fl/v1/send", frame("hosp-b", createPrivateKey(keyPem))),
      /closed without a response/,
    );
    await until(async () => (await auditCount(h, "node.tls")) > before, "audit of the rogue certificate");
  });

  test("header nodeId different from the certificate's SAN: 401 bad-signature", async () => {
    const c = await h.enrol("hosp-c");
    const r = await post(h, b, "/fl/v1/send", frame("hosp-c", createPrivateKey(c.keyPem)));
    assert.equal(r.status, 401);
    assert.equal(errorOf(r), "bad-signature");
  });

  test("forged signature: 401 bad-signature", async () => {
    const forger = generateKeyPairSync("ed25519").privateKey;
    const r = await post(h, b, "/fl/v1/send", frame("hosp-b", forger));
    assert.equal(r.status, 401);
    assert.equal(errorOf(r), "bad-signature");
  });

  test("replayed frame: accepted once, then 401 replay", async () => {
    const f = frame("hosp-b", bKey);
    assert.equal((await post(h, b, "/fl/v1/send", f)).status, 200);
    const again = await post(h, b, "/fl/v1/send", f);
    assert.equal(again.status, 401);
    assert.equal(errorOf(again), "replay");
    const older = await post(h, b, "/fl/v1/send", frame("hosp-b", bKey, { seq: 5 }));
    assert.equal(errorOf(older), "replay");
  });

  test("clock-skewed frame: 401 clock-skew, in both directions", async () => {
    for (const ts of [Date.now() - 10 * 60_000, Date.now() + 3 * 60_000]) {
      const r = await post(h, b, "/fl/v1/send", frame("hosp-b", bKey, { ts }));
      assert.equal(r.status, 401);
      assert.equal(errorOf(r), "clock-skew");
    }
  });

  test("rejected frames are audited and a burst raises one alert", async () => {
    await until(async () => (await auditCount(h, "node.frame", "hosp-b")) >= ALERT_THRESHOLD, "audit of the frame refusals");
    await until(async () => {
      const alerts = await h.ctx.database.db.selectFrom("alerts").selectAll().where("kind", "=", "node.security").execute();
      return alerts.some((a) => a.message.includes("hosp-b"));
    }, "the node.security alert");
  });

  test("bad requests get a clear 4xx", async () => {
    const garbage = await post(h, b, "/fl/v1/send", Buffer.from("not a frame at all, clearly not one"));
    assert.equal(garbage.status, 400);
    assert.equal(errorOf(garbage), "bad-frame");
    const unknown = await post(h, b, "/fl/v1/other", frame("hosp-b", bKey));
    assert.equal(unknown.status, 404);
    const big = await post(h, b, "/fl/v1/send", new Uint8Array(17 * 1024 * 1024 + 16 * 1024 + 100));
    assert.equal(big.status, 413);
    assert.equal(errorOf(big), "too-large");
    const badBody = await post(h, b, "/fl/v1/fetch", frame("hosp-b", bKey, { type: "fetch" }, { sha256: "xyz", index: -1 }));
    assert.equal(badBody.status, 400);
    assert.match(JSON.parse(badBody.body.toString()).message, /sha256/);
    const badChunk = await post(h, b, "/fl/v1/send", frame("hosp-b", bKey, { type: "blob.chunk" }));
    assert.equal(badChunk.status, 400);
    const staleReply = await post(
      h,
      b,
      "/fl/v1/send",
      frame("hosp-b", bKey, { type: "task.reply" }, { taskId: "t-unknown", ok: true, json: 1, blobs: [] }),
    );
    assert.equal(staleReply.status, 409);
  });

  test("revoked, disabled and superseded certificates are refused after the handshake", async () => {
    const r = await h.enrol("hosp-r");
    const ch = h.channel(r, async () => ({ json: null }));
    await ch.waitConnected(20_000);
    assert.ok(h.port.connectedNodes().some((n) => n.nodeId === "hosp-r"));
    await h.registry.revoke("hosp-r", "test-admin", "key compromised");
    h.port.disconnect("hosp-r");
    await until(() => !h.port.connectedNodes().some((n) => n.nodeId === "hosp-r"), "the disconnection");
    await assert.rejects(post(h, r, "/fl/v1/send", frame("hosp-r", createPrivateKey(r.keyPem))));
    await assert.rejects(h.port.call("hosp-r", "x", {}), { code: "node-refused" });
    await until(async () => (await auditCount(h, "node.connect", "hosp-r")) >= 1, "audit of the refused connection");
    assert.equal(ch.connected(), false);

    const d = await h.enrol("hosp-d");
    await h.registry.setStatus("hosp-d", "disabled");
    await assert.rejects(post(h, d, "/fl/v1/send", frame("hosp-d", createPrivateKey(d.keyPem))));

    // Re-enrolment revokes the previous certificate.
    const { token } = await h.registry.issueToken("hosp-b", "test-admin");
    const fresh = await createNodeKeyAndCsr("hosp-b");
    const renewed = await h.registry.enrol(h.ca, { nodeId: "hosp-b", token, csrPem: fresh.csrPem });
    await assert.rejects(post(h, b, "/fl/v1/send", frame("hosp-b", bKey)));
    const ok = await post(
      h,
      { keyPem: fresh.keyPem, certPem: renewed.certPem, caPem: b.caPem },
      "/fl/v1/send",
      frame("hosp-b", createPrivateKey(fresh.keyPem)),
    );
    assert.equal(ok.status, 200);
    await assert.rejects(h.registry.enrol(h.ca, { nodeId: "hosp-b", token, csrPem: fresh.csrPem }), { code: "bad-token" });
  });
});
