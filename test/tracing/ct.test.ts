// ledger.md §16.7 on a real CT slice: three copies of one image to three recipients, copy 2 leaked
// exactly, with one pixel changed and as JPEG Q = 50; an unrelated image; the unmarked original.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { pixelSha256, readImage } from "../../src/imaging/index.ts";
import { verifyEvidence } from "../../src/ledger/index.ts";
import {
  codewordBytes,
  epochKeys,
  type IssuedCopy,
  issueCopy,
  NO_WATERMARK,
  trace,
  userPseudonym,
} from "../../src/tracing/index.ts";
import { data, type Fixture, fixture, jpegLeak, MASTER, onePixelChanged } from "./helpers.ts";

const USERS = ["alice@hospital-a.example", "bob@uni-b.example", "carol@lab-c.example"];
const DPO = "dpo@consortium.example";
let f: Fixture;
const copies: IssuedCopy[] = [];
const source = data("ct-head", "slice-050.dcm");

before(async () => {
  f = await fixture();
  for (const [i, recipient] of USERS.entries())
    copies.push(
      await issueCopy(
        {
          bytes: source,
          recipient,
          consortium: "consortium-1",
          hospital: "hospital-a",
          grantId: `grant-${i}`,
          requestId: "request-1",
        },
        { ledger: f.ledger, master: MASTER },
      ),
    );
});
after(() => f.cleanup());

const ctx = () => ({ ledger: f.ledger, master: MASTER });

test("three copies of one CT slice: one zero-watermark registration, three tokens, three pseudonyms", () => {
  assert.deepEqual(
    copies.map((c) => c.registered),
    [true, false, false],
  );
  assert.equal(new Set(copies.map((c) => c.zwEntries.join())).size, 1);
  assert.equal(new Set(copies.map((c) => c.token)).size, 3);
  assert.equal(new Set(copies.map((c) => c.markedPixelSha256)).size, 3);
  assert.deepEqual(
    copies.map((c) => c.recipient),
    USERS.map((u) => userPseudonym(MASTER, u)),
  );
  for (const c of copies) {
    assert.equal(c.format, "dicom");
    assert.match(c.token, /^[0-9a-f]{32}$/);
    assert.equal(c.sourcePixelSha256, pixelSha256(readImage(source).image));
    const e = f.ledger.entry(c.entryIndex).entry;
    assert.equal(e.type, "image.shared");
    assert.deepEqual(e.body, c.body);
    assert.equal(c.body.copy.planes.length, 1);
    // ledger.md §6.2: a codeword disclosed later (here recomputed with the keys) matches wmCommit.
    const [p] = c.body.copy.planes;
    const cw = codewordBytes(p.profile, epochKeys(MASTER, 1).wm, p.k, Buffer.from(c.token, "hex"), {
      rows: 256,
      cols: 256,
    });
    const commit = createHash("sha256")
      .update("medtrace/v1/wm-commit")
      .update(Uint8Array.of(0))
      .update(cw)
      .digest("hex");
    assert.equal(c.body.copy.wmCommit, commit);
    // The copy is a new DICOM instance; the source's identifiers are recorded.
    assert.notEqual(c.body.copy.sopInstanceUid, c.body.source.sopInstanceUid);
    assert.equal(readImage(c.bytes).dicom?.sopInstanceUid, c.body.copy.sopInstanceUid);
    verifyEvidence(c.evidence, f.ledger.vkey);
  }
});

test("an exact leak of copy 2 is traced to recipient 2 by the pixel hash", async () => {
  const r = await trace({ bytes: copies[1].bytes, requestedBy: DPO }, ctx());
  assert.equal(r.method, "exact");
  assert.equal(r.found, true);
  assert.equal(r.copy?.entryIndex, copies[1].entryIndex);
  assert.equal(r.copy?.recipient, copies[1].recipient);
  assert.equal(r.copy?.grantId, "grant-1");
  assert.equal(r.token, copies[1].token);
  assert.equal(r.recipients[0], copies[1].recipient);
  const v = verifyEvidence(r.evidence, f.ledger.vkey);
  assert.ok(v.entries.some((e) => e.index === copies[1].entryIndex));
  const t = f.ledger.entry(r.traceEntryIndex).entry;
  assert.equal(t.type, "trace.performed");
  assert.equal(t.actor, userPseudonym(MASTER, DPO));
  assert.deepEqual(t.body, { ...t.body, method: "exact", requestedBy: t.actor });
});

test("copy 2 with one pixel changed is traced to recipient 2 by the reversible mark", async () => {
  const leak = onePixelChanged(copies[1].bytes);
  const r = await trace({ bytes: leak, requestedBy: DPO }, ctx());
  assert.equal(r.method, "rw");
  assert.equal(r.decision, "token");
  assert.equal(r.copy?.recipient, copies[1].recipient);
  assert.equal(r.token, copies[1].token);
  assert.equal(r.restoredExact, false, "one changed pixel survives restoration");
  assert.ok(r.decode && r.decode.k >= 0);
  verifyEvidence(r.evidence, f.ledger.vkey);
  assert.equal(r.evidence.findings?.method, "rw");
  assert.equal(r.evidence.findings?.token, copies[1].token);
});

test("copy 2 as JPEG Q=50 is traced to the image and all three of its recipients", async () => {
  const r = await trace({ bytes: jpegLeak(copies[1].bytes, 50), requestedBy: DPO }, ctx());
  assert.equal(r.method, "zw");
  assert.equal(r.copy, undefined);
  assert.equal(r.candidates[0].entryIndex, copies[0].zwEntries[0]);
  assert.equal(r.candidates[0].decision, "match");
  assert.ok(r.candidates[0].ber <= 0.15);
  assert.deepEqual(
    r.candidates[0].copies.map((c) => c.recipient),
    copies.map((c) => c.recipient),
  );
  assert.deepEqual(new Set(r.recipients), new Set(copies.map((c) => c.recipient)));
  const v = verifyEvidence(r.evidence, f.ledger.vkey);
  for (const c of copies) assert.ok(v.entries.some((e) => e.index === c.entryIndex));
  assert.ok(v.entries.some((e) => e.index === copies[0].zwEntries[0]));
});

test("an unrelated image gives 'no watermark detected', still logged with evidence", async () => {
  const r = await trace({ bytes: data("dicom", "mr-0051-12bit.dcm"), requestedBy: DPO }, ctx());
  assert.equal(r.method, "none");
  assert.equal(r.found, false);
  assert.equal(r.message, NO_WATERMARK);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.recipients, []);
  const v = verifyEvidence(r.evidence, f.ledger.vkey);
  assert.deepEqual(
    v.entries.map((e) => e.index),
    [r.traceEntryIndex],
  );
});

test("the unmarked original is reported as a source-side leak with every copy of it", async () => {
  const r = await trace({ bytes: source, requestedBy: DPO }, ctx());
  assert.equal(r.method, "zw");
  assert.equal(r.candidates[0].ber, 0);
  assert.ok(r.original.includes(copies[0].zwEntries[0]));
  for (const c of copies) assert.ok(r.original.includes(c.entryIndex));
  verifyEvidence(r.evidence, f.ledger.vkey);
});

test("the populated log verifies in full", async () => {
  const report = await f.ledger.verify();
  assert.equal(report.ok, true, JSON.stringify(report.firstError));
});

test("a token the index already holds is redrawn; a source of only known tokens is refused", async () => {
  const known = new Uint8Array(Buffer.from(copies[0].token, "hex"));
  let draws = 0;
  const req = {
    bytes: source,
    recipient: "dave@d.example",
    consortium: "consortium-1",
    hospital: "hospital-a",
    grantId: "grant-redraw",
    requestId: "request-1",
  };
  const c = await issueCopy(
    {
      ...req,
      random: (n: number) => (draws++ === 0 ? known : new Uint8Array(randomBytes(n))),
    },
    ctx(),
  );
  assert.equal(draws, 2);
  assert.notEqual(c.token, copies[0].token);
  const size = f.ledger.size;
  await assert.rejects(
    issueCopy({ ...req, random: () => known }, ctx()),
    (err: Error & { code?: string }) => err.code === "TRACE_TOKEN_EXHAUSTED",
  );
  assert.equal(f.ledger.size, size, "a refused copy leaves no entry");
});
