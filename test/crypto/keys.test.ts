import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  createMasterFile,
  deriveKey,
  keyCommitment,
  masterSecret,
  pseudonym,
  readMasterFile,
} from "../../src/crypto/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("HKDF derivation matches ledger.md §7.2 golden keys", () => {
  const master = masterSecret(new Uint8Array(32).fill(0x42), "demo.medtrace.local");
  const golden: Record<string, string> = {
    "medtrace/v1/wm/pos/e1": "7b18e823fff14104245aa9cb0062f106955c0af7a0db38d2fd4d67137f511cf5",
    "medtrace/v1/wm/mac/e1": "f4be47d6810c85c56cd23550aa0080b92b06432e9d2c8003a0090b59967e5924",
    "medtrace/v1/zw/id/e1": "b29cb055d1428f9cd86d579ee0c62b44a7cdd770592d4697d26df899f83e53f4",
    "medtrace/v1/zw/perm/e1": "9a277d353f919a1bef2f22e0079713a0de96b7d71215993a3743a3250c218cfc",
    "medtrace/v1/pseudonym/e1": "87d3dc0381c812a8ac762e87e4ebdda2cfc0655757dcf7953ed39d5b000a7bc9",
    "medtrace/v1/ledger/sign/e1":
      "c6ae90bbb74d8d7d2ce3c976b803bfc445ce4358afd9870872b097cdd2f22396",
  };
  for (const [label, key] of Object.entries(golden))
    assert.equal(hex(deriveKey(master, label)), key, label);
});

test("key commitment and pseudonym golden values (ledger.md §7.4, §7.5)", () => {
  assert.equal(
    keyCommitment("medtrace/v1/wm/pos/e1", new Uint8Array(32).fill(0x11)),
    "5a88751f0748ae4a8f83520c4133056aecef972364322a45fe98c83d3fc02ca3",
  );
  assert.equal(
    pseudonym(new Uint8Array(32).fill(0x55), "alice@hospital-a.example"),
    "u:1633de7244a788fb4fa207c08c467ae0",
  );
});

test("a short master secret is refused", () => {
  assert.throws(() => masterSecret(new Uint8Array(16), "x"), { code: "KEY_MASTER_TOO_SHORT" });
});

test("master file is created 0600, refuses overwrite and group-readable files", () => {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-keys-"));
  const path = join(dir, "master.json");
  createMasterFile(path, "test.deployment");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const m = readMasterFile(path);
  assert.equal(m.bytes.length, 32);
  assert.equal(m.deploymentId, "test.deployment");
  assert.throws(() => createMasterFile(path), { code: "KEY_FILE_EXISTS" });
  chmodSync(path, 0o644);
  assert.throws(() => readMasterFile(path), { code: "KEY_FILE_MODE" });
});
