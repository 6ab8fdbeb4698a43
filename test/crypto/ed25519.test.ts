import assert from "node:assert/strict";
import { test } from "node:test";
import { ed25519PublicKeyFromSeed, ed25519Sign, ed25519Verify } from "../../src/crypto/ed25519.ts";
import { ed25519PrivateKeyFromSeed } from "../../src/crypto/keys.ts";

test("Ed25519 raw keys: RFC 8032 §7.1 test 1", () => {
  const seed = Buffer.from(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "hex",
  );
  const pub = ed25519PublicKeyFromSeed(seed);
  assert.equal(
    Buffer.from(pub).toString("hex"),
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  );
  const sig = ed25519Sign(ed25519PrivateKeyFromSeed(seed), new Uint8Array(0));
  assert.equal(
    Buffer.from(sig).toString("hex"),
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  );
  assert.equal(ed25519Verify(pub, new Uint8Array(0), sig), true);
  sig[0] ^= 1;
  assert.equal(ed25519Verify(pub, new Uint8Array(0), sig), false);
  assert.equal(ed25519Verify(pub.subarray(1), new Uint8Array(0), sig), false);
  assert.equal(ed25519Verify(pub, new Uint8Array(0), sig.subarray(1)), false);
});
