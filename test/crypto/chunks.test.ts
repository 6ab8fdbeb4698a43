import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { ChunkAssembly, checkChunkInfo, MIN_CHUNK_BYTES, splitPayload } from "../../src/crypto/chunks.ts";

describe("chunked payloads (§5.6)", () => {
  test("split and reassemble in any order, duplicates ignored", () => {
    const payload = randomBytes(3 * MIN_CHUNK_BYTES + 5);
    const chunks = splitPayload(payload, MIN_CHUNK_BYTES);
    assert.equal(chunks.length, 4);
    assert.equal(chunks[3].bytes.length, 5);
    const asm = new ChunkAssembly(chunks[0].info);
    for (const c of [chunks[2], chunks[0], chunks[3]]) assert.equal(asm.add(c.info, c.bytes), true);
    assert.equal(asm.add(chunks[0].info, chunks[0].bytes), false);
    assert.deepEqual(asm.receivedIndices(), [0, 2, 3]);
    assert.equal(asm.complete(), false);
    asm.add(chunks[1].info, chunks[1].bytes);
    assert.deepEqual(Buffer.from(asm.assemble()), payload);
  });

  test("an empty payload is one empty chunk", () => {
    const [c] = splitPayload(new Uint8Array(0));
    const asm = new ChunkAssembly(c.info);
    asm.add(c.info, c.bytes);
    assert.equal(asm.assemble().length, 0);
  });

  test("a tampered chunk fails the payload digest", () => {
    const chunks = splitPayload(randomBytes(2 * MIN_CHUNK_BYTES), MIN_CHUNK_BYTES);
    const asm = new ChunkAssembly(chunks[0].info);
    asm.add(chunks[0].info, chunks[0].bytes);
    const bad = Uint8Array.from(chunks[1].bytes);
    bad[0] ^= 1;
    asm.add(chunks[1].info, bad);
    assert.throws(() => asm.assemble(), { code: "bad-frame" });
  });

  test("chunk metadata is checked against limits", () => {
    const info = { index: 0, count: 1, payloadSha256: "a".repeat(64), payloadLen: 10 };
    assert.deepEqual(checkChunkInfo(info, 10, 100), info);
    assert.throws(() => checkChunkInfo({ ...info, index: 1 }, 10, 100), { code: "bad-frame" });
    assert.throws(() => checkChunkInfo({ ...info, payloadSha256: "x" }, 10, 100), { code: "bad-frame" });
    assert.throws(() => checkChunkInfo({ ...info, count: 1000 }, 10, 100), { code: "bad-frame" });
    assert.throws(() => checkChunkInfo(null, 10, 100), { code: "bad-frame" });
    assert.throws(() => checkChunkInfo({ ...info, payloadLen: 1000 }, 10, 100), { code: "too-large" });
    assert.throws(() => splitPayload(new Uint8Array(1), 1024), { code: "bad-chunk" });
  });
});
