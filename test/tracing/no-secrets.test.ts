// Issue 4 / ledger.md §6.3 end to end: after real copies were issued and traced, no entry of the
// log holds key material (master secret, any derived key, a reversible codeword, a zero-watermark
// W), and no recipient or requester identifier; the pseudonyms are there.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { deriveEpochKey, KEY_PURPOSES } from "../../src/crypto/index.ts";
import {
  codewordBytes,
  epochKeys,
  type IssuedCopy,
  issueCopy,
  trace,
  userPseudonym,
} from "../../src/tracing/index.ts";
import { canonicalJson, watermarkBytes } from "../../src/watermark/zero/index.ts";
import { data, type Fixture, fixture, jpegLeak, MASTER, onePixelChanged } from "./helpers.ts";

const PURPOSES = KEY_PURPOSES;
const USERS = ["alice@hospital-a.example", "bob@uni-b.example", "Carol Example"];
const DPO = "dpo@consortium.example";

function forms(b: Uint8Array): string[] {
  const buf = Buffer.from(b);
  const out = [buf.toString("hex"), buf.toString("base64").replace(/=+$/, ""), buf.toString("base64url")];
  // Any 12-byte window, so that a truncated or embedded copy is caught too.
  for (let i = 0; i + 12 <= buf.length; i += 4) {
    out.push(buf.subarray(i, i + 12).toString("hex"));
    out.push(buf.subarray(i, i + 12).toString("base64"));
  }
  return out;
}

let f: Fixture;
const copies: IssuedCopy[] = [];

before(async () => {
  f = await fixture();
  const ctx = { ledger: f.ledger, master: MASTER };
  const sources = [data("ct-head", "slice-030.dcm"), data("ct-head", "slice-080.dcm")];
  for (const [i, recipient] of USERS.entries())
    copies.push(
      await issueCopy(
        {
          bytes: sources[i % 2],
          recipient,
          consortium: "consortium-1",
          hospital: "hospital-a",
          grantId: `grant-${i}`,
          requestId: `request-${i}`,
        },
        ctx,
      ),
    );
  await trace({ bytes: copies[0].bytes, requestedBy: DPO }, ctx);
  await trace({ bytes: onePixelChanged(copies[1].bytes), requestedBy: DPO, approvedBy: [USERS[2]] }, ctx);
  await trace({ bytes: jpegLeak(copies[2].bytes), requestedBy: DPO }, ctx);
});
after(() => f.cleanup());

test("no entry of a populated log holds key material, codewords or user identifiers", () => {
  const secrets: { what: string; forms: string[] }[] = [
    { what: "master secret", forms: forms(MASTER.bytes) },
  ];
  for (const epoch of [1, 2])
    for (const p of PURPOSES)
      secrets.push({ what: `${p}/e${epoch}`, forms: forms(deriveEpochKey(MASTER, p, epoch)) });
  const keys = epochKeys(MASTER, 1);
  for (const c of copies) {
    for (const p of c.body.copy.planes) {
      const { rows, cols } = { rows: 256, cols: 256 };
      const token = Buffer.from(c.token, "hex");
      const cw = codewordBytes(p.profile, keys.wm, p.k, token, { rows, cols });
      // The codeword is systematic (header ‖ k* ‖ token ‖ tag ‖ parity) and the token is logged by
      // design: the whole codeword, and its keyed part (tag and parity) in any window, must not be.
      const keyed = cw.subarray(2 + (p.profile === "P1" ? 16 : 8));
      const whole = Buffer.from(cw);
      secrets.push({
        what: `codeword of entry ${c.entryIndex}`,
        forms: [whole.toString("hex"), whole.toString("base64"), ...forms(keyed)],
      });
    }
  }
  let registrations = 0;
  let pseudonymsSeen = 0;
  const wanted = [...USERS, DPO].map((u) => userPseudonym(MASTER, u));
  for (const e of f.ledger.scan()) {
    const text = Buffer.from(e.bytes).toString("utf8");
    const lower = text.toLowerCase();
    if (e.entry.type === "zw.registered") {
      registrations++;
      const body = e.entry.body as { identity: Record<string, string | number> };
      const w = watermarkBytes(keys.zw.id, canonicalJson(body.identity), 1024);
      secrets.push({ what: `zero-watermark W of entry ${e.index}`, forms: forms(w) });
    }
    for (const s of secrets)
      for (const form of s.forms)
        assert.ok(!text.includes(form) && !lower.includes(form.toLowerCase()), `entry ${e.index} holds ${s.what}`);
    for (const u of [...USERS, DPO])
      assert.ok(!lower.includes(u.toLowerCase()), `entry ${e.index} names ${u}`);
    assert.ok(!/@|password|secret|private|seed/i.test(text), `entry ${e.index}: suspicious text`);
    for (const p of wanted) if (text.includes(p)) pseudonymsSeen++;
  }
  assert.equal(registrations, 2);
  // Sanity: the scan sees pseudonyms (recipients, requester, approver), so their absence above is meaningful.
  assert.ok(pseudonymsSeen >= USERS.length + 3, `${pseudonymsSeen} pseudonyms seen`);
});
