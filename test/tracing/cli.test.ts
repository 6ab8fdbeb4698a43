// `medtrace share | trace | evidence verify` as a user runs them: exit codes, --json, the default
// database in the working directory, and an evidence bundle checked with no database at all.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readMasterFile } from "../../src/crypto/index.ts";
import { userPseudonym } from "../../src/tracing/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { onePixelChanged } from "./helpers.ts";

const BIN = new URL("../../bin/medtrace.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "medtrace-cli-tracing-"));
const key = join(dir, "master.json");
after(() => rmSync(dir, { recursive: true, force: true }));

function medtrace(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, MEDTRACE_MASTER_SECRET: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

const slice = dataPath("ct-head", "slice-040.dcm");

test("share, trace and evidence verify through the medtrace command", () => {
  assert.equal(medtrace("keys", "init", "--out", key).code, 0);
  const master = readMasterFile(key);

  // share: the default database is medtrace.sqlite in the working directory.
  const a = medtrace("share", slice, "alice.dcm", "--recipient", "alice@a.example", "--key-file", key, "--consortium", "c1", "--hospital", "h1", "--json");
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.ok(existsSync(join(dir, "medtrace.sqlite")));
  assert.ok(existsSync(join(dir, "alice.dcm")));
  const shared = a.json();
  assert.equal(shared.recipient, userPseudonym(master, "alice@a.example"));
  assert.ok(!a.stdout.includes("alice@a.example"));
  assert.equal(shared.registered, true);
  assert.equal(shared.evidence.format, "medtrace-evidence/v1");
  const b = medtrace("share", slice, "bob.dcm", "--recipient", "bob@b.example", "--key-file", key, "--consortium", "c1", "--hospital", "h1", "--json");
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.json().registered, false);
  assert.notEqual(b.json().token, shared.token);

  // trace: a one-pixel leak of Alice's copy names Alice's pseudonym, with evidence.
  writeFileSync(join(dir, "leak.dcm"), onePixelChanged(new Uint8Array(readFileSync(join(dir, "alice.dcm")))));
  const t = medtrace("trace", "leak.dcm", "--key-file", key, "--evidence", "bundle.json", "--json");
  assert.equal(t.code, 0, t.stderr);
  const found = t.json();
  assert.equal(found.method, "rw");
  assert.equal(found.recipient, shared.recipient);
  assert.equal(found.entryIndex, shared.entryIndex);
  assert.match(found.time, /^\d{4}-\d{2}-\d{2}T/);
  assert.equal(found.evidence.traceEntryIndex, found.traceEntryIndex);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8")), found.evidence);

  // evidence verify needs no database: pinned from the key file, or from --vkey.
  const moved = join(dir, "elsewhere.json");
  writeFileSync(moved, readFileSync(join(dir, "bundle.json")));
  const v = medtrace("evidence", "verify", moved, "--key-file", key, "--json");
  assert.equal(v.code, 0, v.stdout);
  assert.equal(v.json().valid, true);
  assert.equal(medtrace("evidence", "verify", moved, "--vkey", found.vkey).code, 0);
  const unpinned = medtrace("evidence", "verify", moved, "--json");
  assert.equal(unpinned.code, 0);
  assert.equal(unpinned.json().keys, "bundle");

  // One changed byte: exit 1 with the failing step and reason.
  const bytes = readFileSync(moved);
  const i = bytes.indexOf("extra ") + 40;
  bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41;
  writeFileSync(moved, bytes);
  const bad = medtrace("evidence", "verify", moved, "--key-file", key, "--json");
  assert.equal(bad.code, 1);
  assert.equal(bad.json().valid, false);
  assert.ok(bad.json().step && bad.json().error && bad.json().message);
});

test("trace of an unrelated image exits 3 with 'no watermark detected'", () => {
  const r = medtrace("trace", dataPath("dicom", "mr-0051-12bit.dcm"), "--key-file", key);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /no watermark detected/);
});

test("usage and missing-database errors", () => {
  assert.equal(medtrace("share", slice, "x.dcm", "--key-file", key).code, 2);
  const missing = medtrace("trace", slice, "--db", "nowhere.sqlite", "--key-file", key, "--json");
  assert.equal(missing.code, 1);
  assert.equal(missing.json().error, "LEDGER_NOT_FOUND");
});
