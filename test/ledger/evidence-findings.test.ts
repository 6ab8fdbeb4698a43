// Zero-watermark findings in an evidence bundle are bound to the signed trace entry: the best
// candidate's BER and decision must be the ones `trace.performed` records (ledger.md §10.2).
import assert from "node:assert/strict";
import { test } from "node:test";
import { pseudonym } from "../../src/crypto/keys.ts";
import { verifyEvidence } from "../../src/ledger/index.ts";
import { fixture, populate } from "./helpers.ts";
import { PSEUDONYM_KEY } from "./mix.ts";

test("zw findings: the bundle's best BER and decision must match the trace entry", async () => {
  const f = await fixture({ checkpointEvery: 0 });
  try {
    await populate(f.ledger, 40);
    const zw = [...f.ledger.scan()].filter((e) => e.entry.type === "zw.registered").slice(0, 2);
    const dpo = pseudonym(PSEUDONYM_KEY, "dpo@consortium.example");
    const suspect = { fileSha256: "ab".repeat(32), pixelSha256: "cd".repeat(32), format: "png" };
    const trace = await f.ledger.appendOne({
      type: "trace.performed",
      actor: dpo,
      body: {
        traceId: "t-zw",
        requestedBy: dpo,
        approvedBy: [],
        suspect,
        method: "zw",
        result: { decision: "match", entries: zw.map((e) => e.index), ber: "0.0029" },
        checkpointSize: f.ledger.size + 1,
      },
    });
    const bundle = (ber: string, decision = "match") =>
      f.ledger.evidence(
        zw.map((e) => e.index),
        {
          suspect,
          traceEntryIndex: trace.index,
          findings: {
            method: "zw",
            zw: [
              { entryIndex: zw[1].index, ber: "0.2100", decision: "weak" },
              { entryIndex: zw[0].index, ber, decision },
            ],
          },
        },
      );
    assert.equal(verifyEvidence(await bundle("0.0029"), f.ledger.vkey).entries.length, 3);
    for (const bad of [await bundle("0.0010"), await bundle("0.0029", "weak")])
      assert.throws(() => verifyEvidence(bad, f.ledger.vkey), { code: "PROOF_INVALID", step: "findings" });
  } finally {
    await f.cleanup();
  }
});
