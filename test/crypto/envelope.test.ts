import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { test } from "node:test";
import { keyId, open, seal, x25519KeyPair } from "../../src/crypto/envelope.ts";
import { decodeFrame, encodeFrame, nextSeq, verifyFrameSignature } from "../../src/crypto/frame.ts";
import { canonicalJson } from "../../src/crypto/jcs.ts";

const params = (over: Record<string, unknown> = {}) => ({
  salt: new Uint8Array(32).fill(7),
  label: "medtrace/v1/fl/update",
  context: { sessionId: "s", round: 1, attempt: 1, nodeId: "n1" },
  aad: { type: "plain.update", sessionId: "s", round: 1, ...over },
  chunkSize: 1000,
});

test("canonical JSON sorts keys and refuses non-finite numbers", () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, "x"], c: { z: 1e21, y: 0.5 } }),
    '{"a":[true,null,"x"],"b":1,"c":{"y":0.5,"z":1e+21}}',
  );
  assert.throws(() => canonicalJson({ a: Number.NaN }), /JCS_NUMBER/);
});

test("envelope round-trips a multi-chunk payload and fails on any tampering", () => {
  const rk = x25519KeyPair();
  const payload = randomBytes(2500);
  const env = seal(rk.publicKey, payload, params());
  assert.equal(env.chunks.length, 3);
  assert.equal(env.chunks[0].length, 1016);
  assert.equal(env.enc.roundKeyId, keyId(rk.publicKey));
  assert.deepEqual(Buffer.from(open(rk, env, 2500, params())), payload);
  const flipped = {
    ...env,
    chunks: env.chunks.map((c, i) => (i === 1 ? c.map((b, j) => (j === 5 ? b ^ 1 : b)) : c)),
  };
  assert.throws(() => open(rk, flipped, 2500, params()), /decrypt-failed/);
  assert.throws(() => open(rk, env, 2500, params({ round: 2 })), /decrypt-failed/); // AAD binds the header
  const swapped = { ...env, chunks: [env.chunks[1], env.chunks[0], env.chunks[2]] };
  assert.throws(() => open(rk, swapped, 2500, params()), /decrypt-failed/);
  assert.throws(
    () => open(rk, { ...env, chunks: env.chunks.slice(0, 2) }, 2500, params()),
    /decrypt-failed/,
  );
  assert.throws(() => open(x25519KeyPair(), env, 2500, params()), /another round key/);
});

test("frames are signed over header and body; tampering breaks the signature or digest", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const bytes = encodeFrame(
    {
      type: "hello",
      sender: "node",
      nodeId: "n1",
      sessionId: null,
      round: null,
      attempt: null,
      seq: 5,
      ts: 1,
      contentType: "application/json",
    },
    Buffer.from("{}"),
    privateKey,
  );
  const f = decodeFrame(bytes);
  assert.equal(f.header.bodyLen, 2);
  assert.ok(verifyFrameSignature(f, publicKey));
  assert.equal(verifyFrameSignature(f, generateKeyPairSync("ed25519").publicKey), false);
  const forged = { ...f, header: { ...f.header, seq: 6 } };
  assert.equal(verifyFrameSignature(forged, publicKey), false);
  assert.throws(() => decodeFrame(bytes.subarray(0, 20)), /bad-frame/);
  assert.equal(nextSeq(10, 0), 11);
  assert.equal(nextSeq(10, 5), 5000);
});
