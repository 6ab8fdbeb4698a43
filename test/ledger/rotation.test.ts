// Checkpoint-key rotation by epoch (ledger.md §7.3): the key.epoch entry announces the next key,
// a checkpoint under the previous key covers it, later checkpoints are signed by the new key; the
// audit follows the chain from the genesis key; evidence bundles carry their epoch's key.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatVkey,
  keyEpochBody,
  keyIdHex,
  ledgerSigner,
  signCheckpoint,
  signerFromSeed,
  verifyEvidence,
  verifyLog,
  verifyLogParallel,
} from "../../src/ledger/index.ts";
import { fixture, populate, SIGNER } from "./helpers.ts";
import { DEMO_MASTER } from "./mix.ts";

const NEXT = ledgerSigner(DEMO_MASTER, 2);
const ROGUE = signerFromSeed(SIGNER.name, new Uint8Array(32).fill(9));
const epoch2 = (signer = NEXT) => keyEpochBody(DEMO_MASTER, 2, signer, "2025-06-01T00:00:00.000Z");

test("rotation: checkpoints name each epoch's key; the audit follows the chain; bundles carry the epoch key", async () => {
  const f = await fixture({ checkpointEvery: 0 });
  try {
    await populate(f.ledger, 30);
    await assert.rejects(f.ledger.rotate(NEXT, epoch2(ROGUE)), { code: "LEDGER_SCHEMA" });
    const { index } = await f.ledger.rotate(NEXT, epoch2());
    // The announcement is covered by a checkpoint of the previous key.
    const covering = f.store.latestCheckpoint()!;
    assert.equal(covering.treeSize, index + 1);
    assert.equal(covering.keyId, keyIdHex(SIGNER));
    await populate(f.ledger, 30, 30);
    const cp = await f.ledger.checkpoint();
    assert.equal(cp.keyId, keyIdHex(NEXT));
    assert.equal(f.ledger.vkey, formatVkey(NEXT));

    const audit = await f.ledger.verify();
    assert.equal(audit.ok, true, JSON.stringify(audit.firstError));
    assert.equal(verifyLog(f.store, { trustedKeys: [SIGNER] }).ok, true);
    assert.equal((await verifyLogParallel(f.path, { trustedKeys: [SIGNER], chunk: 16, minEntries: 0 })).ok, true);
    // Pinning only the new key cannot vouch for the checkpoints signed before it existed.
    assert.equal(verifyLog(f.store, { trustedKeys: [NEXT] }).firstError?.code, "LEDGER_CHECKPOINT_SIGNATURE");

    const bundle = await f.ledger.evidence([5, 50]);
    assert.equal(bundle.vkey, formatVkey(NEXT));
    assert.equal(verifyEvidence(bundle, [formatVkey(SIGNER), formatVkey(NEXT)]).checkpoint.size, cp.size);
    assert.throws(() => verifyEvidence(bundle, formatVkey(SIGNER)), { code: "LEDGER_CHECKPOINT_SIGNATURE" });
  } finally {
    await f.cleanup();
  }
});

test("rotation: a checkpoint signed by an unannounced key, or by a key whose announcement no earlier key covered, is refused", async () => {
  const f = await fixture({ checkpointEvery: 0 });
  try {
    await populate(f.ledger, 10);
    await f.ledger.checkpoint();
    const sign = (signer: typeof SIGNER) => {
      const size = f.ledger.size;
      const root = f.ledger.rootAt(size);
      const note = signCheckpoint(signer, { origin: f.ledger.origin, size, root });
      f.store.addCheckpoint({ treeSize: size, rootHash: root, note: note.note, keyId: note.keyId, createdAt: new Date().toISOString() });
      return size;
    };
    await populate(f.ledger, 1, 10);
    await f.ledger.flush();
    const rogueSize = sign(ROGUE);
    let audit = verifyLog(f.store);
    assert.deepEqual([audit.firstError?.code, audit.firstError?.size], ["LEDGER_CHECKPOINT_SIGNATURE", rogueSize]);

    // Announced, but the next checkpoint is already signed by the new key: nothing vouches for it.
    await f.ledger.appendOne({ type: "key.epoch", actor: "system", body: epoch2() });
    await f.ledger.flush();
    const selfVouched = sign(NEXT);
    audit = verifyLog(f.store, { trustedKeys: [SIGNER] });
    assert.deepEqual(
      audit.findings.filter((x) => x.code === "LEDGER_CHECKPOINT_SIGNATURE").map((x) => x.size),
      [rogueSize, selfVouched],
    );
  } finally {
    await f.cleanup();
  }
});
