// ledger.md §6.3 and issue 4: no key material and no user identifier on the log. Every entry of a
// populated log is scanned for every derived key (hex, base64, base64url), the master secret,
// the checkpoint private key, and every user id that received a pseudonym.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveEpochKey, KEY_PURPOSES, pseudonym } from "../../src/crypto/keys.ts";
import { keyEpochBody } from "../../src/ledger/index.ts";
import { fixture, populate, SIGNER } from "./helpers.ts";
import { DEMO_MASTER, PSEUDONYM_KEY, USERS } from "./mix.ts";

const PURPOSES = KEY_PURPOSES;

function forms(b: Uint8Array): string[] {
  const buf = Buffer.from(b);
  const out = [
    buf.toString("hex"),
    buf.toString("base64").replace(/=+$/, ""),
    buf.toString("base64url"),
  ];
  // Any 12-byte window, so that a truncated or embedded copy is also caught.
  for (let i = 0; i + 12 <= buf.length; i += 4) {
    const w = buf.subarray(i, i + 12);
    out.push(w.toString("hex"));
  }
  return out.map((s) => s.toLowerCase());
}

test("a populated log holds no key material and no user identifiers", async () => {
  const f = await fixture();
  try {
    await f.ledger.appendOne({
      type: "key.epoch",
      actor: "system",
      body: keyEpochBody(DEMO_MASTER, 1, SIGNER, "2025-01-01T00:00:00.000Z"),
    });
    await populate(f.ledger, 1_000);
    const secrets: string[] = [...forms(DEMO_MASTER.bytes)];
    for (const epoch of [1, 2])
      for (const p of PURPOSES) secrets.push(...forms(deriveEpochKey(DEMO_MASTER, p, epoch)));
    const users = [...USERS, "dpo@consortium.example"];
    // Sanity: the scan would see a pseudonym, so absence of identities is meaningful.
    let pseudonymsSeen = 0;
    const wanted = pseudonym(PSEUDONYM_KEY, USERS[0]);
    for (const e of f.ledger.scan()) {
      const text = Buffer.from(e.bytes).toString("utf8");
      const lower = text.toLowerCase();
      for (const s of secrets)
        assert.ok(!lower.includes(s), `entry ${e.index} contains key material`);
      for (const u of users)
        assert.ok(!lower.includes(u.toLowerCase()), `entry ${e.index} names ${u}`);
      assert.ok(!/@|password|secret|private|seed/i.test(text), `entry ${e.index}: suspicious text`);
      if (text.includes(wanted)) pseudonymsSeen++;
    }
    assert.ok(pseudonymsSeen > 10);
    assert.equal(f.ledger.size, 1_002);
  } finally {
    await f.cleanup();
  }
});
