// Evidence bundles of traces verify offline (no ledger, pinned key only) and fail after any byte
// of them is changed (issue 4, ledger.md §10.2, §16.7).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { masterSecret } from "../../src/crypto/index.ts";
import {
  checkEvidence,
  type EvidenceBundle,
  formatVkey,
  ledgerSigner,
  verifyEvidence,
} from "../../src/ledger/index.ts";
import { issueCopy, trace } from "../../src/tracing/index.ts";
import { data, type Fixture, fixture, jpegLeak, MASTER, onePixelChanged } from "./helpers.ts";

let f: Fixture;
let vkey: string;
const bundles: Record<string, EvidenceBundle> = {};

before(async () => {
  f = await fixture();
  vkey = f.ledger.vkey;
  const ctx = { ledger: f.ledger, master: MASTER };
  const req = { consortium: "c", hospital: "h", grantId: "g", requestId: "r" };
  const bytes = data("ct-head", "slice-070.dcm");
  const a = await issueCopy({ ...req, bytes, recipient: "alice@a.example" }, ctx);
  await issueCopy({ ...req, bytes, recipient: "bob@b.example" }, ctx);
  bundles.issue = a.evidence;
  bundles.exact = (await trace({ bytes: a.bytes, requestedBy: "dpo" }, ctx)).evidence;
  bundles.rw = (await trace({ bytes: onePixelChanged(a.bytes), requestedBy: "dpo" }, ctx)).evidence;
  bundles.zw = (await trace({ bytes: jpegLeak(a.bytes), requestedBy: "dpo" }, ctx)).evidence;
  const other = data("dicom", "mr-0051-12bit.dcm");
  bundles.none = (await trace({ bytes: other, requestedBy: "dpo" }, ctx)).evidence;
  // Verification below uses only the bytes and the pinned key: close the log first.
  await f.cleanup();
});

test("every bundle verifies offline from its JSON text with the pinned key", () => {
  assert.deepEqual(Object.keys(bundles).sort(), ["exact", "issue", "none", "rw", "zw"]);
  for (const [name, b] of Object.entries(bundles)) {
    const text = JSON.stringify(b);
    const r = checkEvidence(new TextEncoder().encode(text), vkey);
    assert.equal(r.valid, true, `${name}: ${JSON.stringify(r)}`);
  }
  assert.equal(bundles.rw.findings?.method, "rw");
  assert.equal(bundles.zw.findings?.method, "zw");
  assert.equal(bundles.none.findings?.method, "none");
});

test("a bundle fails verification against another log's key", () => {
  const other = formatVkey(ledgerSigner(masterSecret(new Uint8Array(32).fill(7), "demo.medtrace.local"), 1));
  for (const b of Object.values(bundles)) {
    const r = checkEvidence(b, other);
    assert.equal(r.valid, false);
    assert.equal(r.valid === false && r.step, "checkpoint");
  }
});

test("changing any byte of a bundle makes it fail (every position of the rw bundle)", () => {
  for (const name of ["rw"]) {
    const bytes = new TextEncoder().encode(JSON.stringify(bundles[name]));
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01]) {
        const mutated = Uint8Array.from(bytes);
        mutated[i] ^= mask;
        const r = checkEvidence(mutated, vkey);
        assert.equal(r.valid, false, `${name}: byte ${i} ^ ${mask} still verifies`);
        checked++;
      }
    }
    assert.ok(checked > 1000, `${name}: ${checked} mutations`);
  }
});

test("flipping bytes at spread positions of every other bundle makes it fail", () => {
  for (const name of ["issue", "exact", "zw", "none"]) {
    const bytes = new TextEncoder().encode(JSON.stringify(bundles[name]));
    for (let k = 0; k < 300; k++) {
      const i = Math.floor((k * bytes.length) / 300);
      const mutated = Uint8Array.from(bytes);
      mutated[i] = mutated[i] === 0x41 ? 0x42 : 0x41;
      assert.equal(checkEvidence(mutated, vkey).valid, false, `${name}: byte ${i}`);
    }
  }
  // And the untouched bundle still verifies (the probes did not mutate the original).
  verifyEvidence(bundles.exact, vkey);
});
