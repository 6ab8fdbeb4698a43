// The same product path on a USC-SIPI 8-bit PNG (512²): two recipients of one image get different
// tokens and are told apart; exact, one-pixel and JPEG leaks; an unrelated PNG is not detected.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readImage } from "../../src/imaging/index.ts";
import { verifyEvidence } from "../../src/ledger/index.ts";
import { type IssuedCopy, issueCopy, trace } from "../../src/tracing/index.ts";
import { data, type Fixture, fixture, jpegLeak, MASTER, onePixelChanged } from "./helpers.ts";

let f: Fixture;
const copies: IssuedCopy[] = [];
const source = data("images", "boat.png");
const ctx = () => ({ ledger: f.ledger, master: MASTER });

before(async () => {
  f = await fixture();
  for (const recipient of ["dana@uni-d.example", "erik@uni-e.example"])
    copies.push(
      await issueCopy(
        {
          bytes: source,
          recipient,
          consortium: "consortium-1",
          hospital: "hospital-b",
          grantId: "grant-png",
          requestId: "request-png",
        },
        { ledger: f.ledger, master: MASTER },
      ),
    );
});
after(() => f.cleanup());

test("a PNG copy stays a PNG of the same size; two recipients get different tokens", () => {
  const [a, b] = copies;
  assert.equal(a.format, "png");
  const img = readImage(a.bytes).image;
  assert.equal(img.rows, 512);
  assert.equal(a.body.source.sopClassUid, "1.2.840.10008.5.1.4.1.1.7");
  assert.match(a.body.source.sopInstanceUid, /^2\.25\.\d+$/);
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.recipient, b.recipient);
  assert.deepEqual(a.zwEntries, b.zwEntries);
});

test("PNG leaks: exact and one-pixel copies name their own recipient, the two are told apart", async () => {
  for (const c of copies) {
    const exact = await trace({ bytes: c.bytes, requestedBy: "dpo" }, ctx());
    assert.equal(exact.method, "exact");
    assert.equal(exact.copy?.recipient, c.recipient);
    const changed = await trace({ bytes: onePixelChanged(c.bytes, 131_000), requestedBy: "dpo" }, ctx());
    assert.equal(changed.method, "rw");
    assert.equal(changed.copy?.recipient, c.recipient);
    assert.equal(changed.token, c.token);
    verifyEvidence(changed.evidence, f.ledger.vkey);
  }
});

test("a JPEG Q=50 PNG leak names the image and both recipients", async () => {
  const r = await trace({ bytes: jpegLeak(copies[0].bytes, 50), requestedBy: "dpo" }, ctx());
  assert.equal(r.method, "zw");
  assert.equal(r.candidates.length, 1);
  assert.equal(r.candidates[0].decision, "match");
  assert.deepEqual(
    r.candidates[0].copies.map((c) => c.recipient),
    copies.map((c) => c.recipient),
  );
  verifyEvidence(r.evidence, f.ledger.vkey);
});

test("an unrelated PNG gives no watermark detected", async () => {
  const r = await trace({ bytes: data("images", "peppers.png"), requestedBy: "dpo" }, ctx());
  assert.equal(r.method, "none");
  assert.equal(r.found, false);
  assert.deepEqual(r.candidates, []);
});
