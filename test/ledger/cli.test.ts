// `medtrace ledger verify|show|checkpoint` end to end through bin/medtrace.mjs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createMasterFile, readMasterFile } from "../../src/crypto/index.ts";
import { Ledger, ledgerSigner, SqliteLedgerStore } from "../../src/ledger/index.ts";
import { mixEntry } from "./mix.ts";

function medtrace(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/medtrace.mjs", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

test("ledger CLI: checkpoint, show, verify (pinned and tampered)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-cli-"));
  try {
    const keyFile = join(dir, "master.json");
    const db = join(dir, "ledger.db");
    createMasterFile(keyFile, "cli.medtrace.local");
    const master = readMasterFile(keyFile);
    const store = SqliteLedgerStore.open(db);
    const ledger = await Ledger.open(store, ledgerSigner(master), {
      deploymentId: master.deploymentId,
      checkpointAfterMs: 0,
    });
    await ledger.append(Array.from({ length: 40 }, (_, k) => mixEntry(k)));
    await ledger.close();
    store.close();

    const cp = medtrace("ledger", "checkpoint", "--db", db, "--key-file", keyFile, "--json");
    assert.equal(cp.code, 0, cp.err);
    const { size, vkey, note } = cp.json();
    assert.equal(size, 41);
    assert.match(note, /^cli\.medtrace\.local\/ledger\n41\n/);

    const show = medtrace("ledger", "show", "7", "--db", db, "--json");
    assert.equal(show.code, 0);
    assert.equal(show.json().entry.index, 7);
    assert.equal(medtrace("ledger", "show", "99", "--db", db, "--json").code, 3);

    const ok = medtrace("ledger", "verify", "--db", db, "--vkey", vkey, "--json");
    assert.equal(ok.code, 0, ok.out);
    assert.equal(ok.json().ok, true);
    assert.equal(ok.json().size, 41);

    // Tamper: drop the trigger and edit entry 5; the audit fails with the code and index.
    const raw = SqliteLedgerStore.open(db);
    raw.db.exec("DROP TRIGGER ledger_entries_no_update");
    raw.db
      .prepare(
        "UPDATE ledger_entries SET body = CAST(REPLACE(CAST(body AS TEXT), 'hosp-', 'hosp_') AS BLOB) WHERE idx = 5",
      )
      .run();
    raw.close();
    const bad = medtrace("ledger", "verify", "--db", db, "--vkey", vkey, "--json");
    assert.equal(bad.code, 1);
    assert.equal(bad.json().firstError.code, "LEDGER_LEAF_MISMATCH");
    assert.equal(bad.json().firstError.index, 5);
    assert.equal(medtrace("ledger", "verify", "--json").code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
