// Evidence bundles (ledger.md §10.2, §16.7–16.8): offline verification, one-byte flips, parser fuzz.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pseudonym } from "../../src/crypto/keys.ts";
import {
  checkEvidence,
  formatTlogProof,
  type ImageSharedBody,
  LedgerError,
  parseCheckpointNote,
  parseEvidence,
  parseTlogProof,
  verifyEvidence,
} from "../../src/ledger/index.ts";
import { fixture, populate } from "./helpers.ts";
import { PSEUDONYM_KEY } from "./mix.ts";

const FUZZ = process.env.MEDTRACE_NIGHTLY ? 20_000 : 1_000;

async function traced() {
  const f = await fixture({ checkpointEvery: 0 });
  await populate(f.ledger, 60);
  const held = { size: 20, root: f.ledger.rootAt(20), source: "edge" as const };
  await f.ledger.checkpoint();
  const leak = [...f.ledger.scan()].find((e) => e.entry.type === "image.shared" && e.index > 30)!;
  const body = leak.entry.body as ImageSharedBody;
  const dpo = pseudonym(PSEUDONYM_KEY, "dpo@consortium.example");
  const suspect = { fileSha256: "ab".repeat(32), pixelSha256: "cd".repeat(32), format: "dicom" };
  const trace = await f.ledger.appendOne({
    type: "trace.performed",
    actor: dpo,
    body: {
      traceId: "t-1",
      requestedBy: dpo,
      approvedBy: [],
      suspect,
      method: "rw",
      result: { decision: "match", entries: [leak.index], token: body.copy.token },
      checkpointSize: f.ledger.size + 1,
    },
  });
  const bundle = await f.ledger.evidence([leak.index], {
    suspect,
    findings: { method: "rw", token: body.copy.token },
    traceEntryIndex: trace.index,
    held: [held],
  });
  return { f, bundle, leak, vkey: f.ledger.vkey };
}

test("evidence bundle verifies offline with the pinned vkey only", async () => {
  const { f, bundle, leak, vkey } = await traced();
  try {
    const text = JSON.stringify(bundle);
    const v = verifyEvidence(text, vkey);
    assert.deepEqual(
      v.entries.map((e) => e.index),
      [leak.index, bundle.traceEntryIndex],
    );
    assert.equal(v.checkpoint.size, f.ledger.size);
    assert.deepEqual(checkEvidence(text, vkey), {
      valid: true,
      size: f.ledger.size,
      entries: [leak.index, bundle.traceEntryIndex],
    });
    // Another key, or a held checkpoint from a different history, is refused.
    const other = (await import("../../src/ledger/index.ts")).formatVkey(
      (await import("../../src/ledger/index.ts")).signerFromSeed(
        f.ledger.origin,
        new Uint8Array(32).fill(1),
      ),
    );
    assert.equal(checkEvidence(text, other).valid, false);
    const forged = {
      ...bundle,
      consistency: [
        { ...bundle.consistency![0], fromRoot: Buffer.alloc(32, 9).toString("base64") },
      ],
    };
    assert.deepEqual(
      (({ valid, step, code }) => ({ valid, step, code }))(
        checkEvidence(forged, vkey) as { valid: false; step: string; code: string },
      ),
      { valid: false, step: "consistency", code: "LEDGER_INCONSISTENT" },
    );
  } finally {
    await f.cleanup();
  }
});

test("flipping one byte anywhere in the bundle makes verification fail", async () => {
  const { f, bundle, vkey } = await traced();
  try {
    const text = JSON.stringify(bundle);
    const codes = new Set<string>();
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const flipped = `${text.slice(0, i)}${String.fromCharCode(c ^ 0x01)}${text.slice(i + 1)}`;
      const r = checkEvidence(flipped, vkey);
      assert.equal(
        r.valid,
        false,
        `flip at ${i} (${JSON.stringify(text.slice(i - 10, i + 10))}) accepted`,
      );
      codes.add((r as { code: string }).code);
    }
    assert.ok(codes.has("ParseError") && codes.has("PROOF_INVALID"), [...codes].join());
  } finally {
    await f.cleanup();
  }
});

test("fuzz: checkpoint, tlog-proof and evidence parsers throw only ParseError", async () => {
  const { f, bundle } = await traced();
  try {
    const only = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof LedgerError && err.code === "ParseError", String(err));
      }
    };
    const valid = [bundle.checkpoint, bundle.entries[0].proof, JSON.stringify(bundle)];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const s = Buffer.from(bytes).toString("latin1");
        only(() => parseCheckpointNote(bytes));
        only(() => parseTlogProof(s));
        only(() => parseEvidence(bytes));
      }),
      { numRuns: FUZZ },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (which, pos, byte, del) => {
          const base = Buffer.from(valid[which]);
          const at = pos % base.length;
          const m = del
            ? Buffer.concat([base.subarray(0, at), base.subarray(at + 1)])
            : Buffer.from(base);
          if (!del) m[at] = byte;
          only(() => parseCheckpointNote(m));
          only(() => parseTlogProof(m.toString("utf8")));
          only(() => parseEvidence(m));
        },
      ),
      { numRuns: FUZZ },
    );
    const p = parseTlogProof(bundle.entries[0].proof);
    assert.equal(formatTlogProof(p), bundle.entries[0].proof);
  } finally {
    await f.cleanup();
  }
});
