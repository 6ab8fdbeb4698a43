import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NodeChannel } from "../../../src/edge/channel.ts";
import { type Harness, type NodeCreds, startHarness, until } from "./helpers.ts";

describe("node transport: a valid node", () => {
  let h: Harness;
  let creds: NodeCreds;
  let ch: NodeChannel;
  const published: { nodeId: string; json: unknown; blobs: Uint8Array[] }[] = [];
  const hellos: string[] = [];

  before(async () => {
    h = await startHarness();
    creds = await h.enrol("hosp-a");
    h.port.onMessage("hello", (nodeId) => void hellos.push(nodeId));
    h.port.onMessage("catalogue.publish", (nodeId, json, blobs) => {
      published.push({ nodeId, json, blobs });
    });
    ch = h.channel(creds, async (task) => {
      if (task.type === "echo") {
        const { size } = task.body as { size: number };
        const blob = new Uint8Array(size);
        for (let i = 0; i < size; i++) blob[i] = (i * 7 + 3) & 0xff;
        return { json: { echoed: task.body, node: "hosp-a" }, blobs: [blob, Uint8Array.of(1, 2, 3)] };
      }
      if (task.type === "fetch") {
        const bytes = await ch.fetchBlob((task.body as { sha: string }).sha);
        return { json: { length: bytes.length, first: bytes[0], last: bytes[bytes.length - 1] } };
      }
      throw Object.assign(new Error("no such task"), { code: "unknown-task" });
    });
    await ch.waitConnected(20_000);
  });
  after(() => h.close());

  test("round-trips a call with JSON and a multi-MiB blob (3 chunks)", async () => {
    const size = 9 * 1024 * 1024 + 17;
    const r = await h.port.call("hosp-a", "echo", { size, note: "é" });
    assert.deepEqual(r.json, { echoed: { size, note: "é" }, node: "hosp-a" });
    assert.equal(r.blobs.length, 2);
    assert.equal(r.blobs[0].length, size);
    assert.equal(r.blobs[0][size - 1], ((size - 1) * 7 + 3) & 0xff);
    assert.deepEqual([...r.blobs[1]], [1, 2, 3]);
    assert.deepEqual(
      h.port.connectedNodes().map((n) => n.nodeId),
      ["hosp-a"],
    );
  });

  test("a handler error rejects the call with the node's code and message", async () => {
    await assert.rejects(h.port.call("hosp-a", "nope", {}), (e: Error & { code: string }) => {
      assert.equal(e.code, "node-error");
      assert.match(e.message, /unknown-task: no such task/);
      return true;
    });
  });

  test("the node fetches a blob the server published, in chunks", async () => {
    const blob = randomBytes(5 * 1024 * 1024 + 1);
    const sha = h.port.publishBlob(blob);
    const r = await h.port.call("hosp-a", "fetch", { sha });
    assert.deepEqual(r.json, { length: blob.length, first: blob[0], last: blob[blob.length - 1] });
  });

  test("node-initiated messages reach onMessage with their blobs", async () => {
    const ack = await ch.publish("catalogue.publish", [{ studyKey: "k1" }], [Uint8Array.of(9, 9)]);
    assert.deepEqual(ack, { ok: true, handled: true });
    assert.equal(published.length, 1);
    assert.equal(published[0].nodeId, "hosp-a");
    assert.deepEqual(published[0].json, [{ studyKey: "k1" }]);
    assert.deepEqual([...published[0].blobs[0]], [9, 9]);
  });

  test("calls to unknown nodes are refused at once; transport types cannot be subscribed", async () => {
    await assert.rejects(h.port.call("nobody", "echo", {}), { code: "unknown-node" });
    assert.throws(() => h.port.onMessage("task.reply", () => undefined), /transport message/);
  });

  test("the node's clock offset comes from the signed hello reply; hellos can be watched", () => {
    assert.deepEqual(hellos, ["hosp-a"]);
    assert.ok(Math.abs(ch.clockOffsetMs()) < 5_000);
  });

  test("the node reconnects by itself after a server restart, and a later call succeeds", async () => {
    await h.restartPort();
    await until(() => h.port.connectedNodes().some((n) => n.nodeId === "hosp-a"), "reconnection");
    const r = await h.port.call("hosp-a", "echo", { size: 10 });
    assert.deepEqual((r.json as { node: string }).node, "hosp-a");
  });
});
