import assert from "node:assert/strict";
import { test } from "node:test";
import { nameUid, newUid } from "../../src/imaging/index.ts";

test("name-based UIDs are stable per name, distinct across names, and valid 2.25 UIDs", () => {
  const a = nameUid("demo/PMNIST-1/instance");
  assert.equal(nameUid("demo/PMNIST-1/instance"), a);
  assert.notEqual(nameUid("demo/PMNIST-2/instance"), a);
  for (const uid of [a, newUid()]) {
    assert.match(uid, /^2\.25\.(0|[1-9][0-9]*)$/);
    assert.ok(uid.length <= 64, uid);
  }
  // Version 5 layout: the UUID's version nibble is 5 and its variant bits are 10.
  const hex = BigInt(a.slice(5)).toString(16).padStart(32, "0");
  assert.equal(hex[12], "5");
  assert.match(hex[16] as string, /[89ab]/);
});
