// Golden values of ledger.md §4.3 and §8.1, and RFC 8785 examples for the supported types.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalize, parseCanonical } from "../../src/ledger/canonical/json.ts";
import { formatVkey, parseVkey, signerFromSeed } from "../../src/ledger/checkpoint/keys.ts";
import {
  parseCheckpointNote,
  signCheckpoint,
  verifyCheckpointNote,
} from "../../src/ledger/checkpoint/note.ts";
import { leafHash, toHex } from "../../src/ledger/merkle/hash.ts";
import { merkleRoot } from "../../src/ledger/merkle/tree.ts";

const ENTRY0 =
  '{"actor":"system","body":{"deploymentId":"demo.medtrace.local","hashAlg":"sha256","logKey":{"keyId":"9ba16294","name":"demo.medtrace.local/ledger","publicKey":"6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw="},"origin":"demo.medtrace.local/ledger","schema":1},"index":0,"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","time":"2025-01-01T00:00:00.000Z","type":"log.genesis","v":1}';
const ENTRY1 =
  '{"actor":"system","body":{"commitments":{"wm/pos":"5a88751f0748ae4a8f83520c4133056aecef972364322a45fe98c83d3fc02ca3"},"epoch":1},"index":1,"prevHash":"bbafb4ad9feb53ea39a9e4df0a962ff05ee5100b77168a4a5370ccaeff871ab1","time":"2025-01-01T00:00:01.000Z","type":"key.epoch","v":1}';
const ORIGIN = "demo.medtrace.local/ledger";
const SEED = new Uint8Array(32).fill(7);
const ROOT8 = Buffer.from(
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  "hex",
);
const NOTE8 =
  "demo.medtrace.local/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u2014 demo.medtrace.local/ledger m6FilECUSQOMs5f9puQRyCf3qWz0uIKfnhcPyymbDCsiRTeaJhlCGamUI8Bv2au9W3I5L6BUpyyZZd8lSGq1/VpSHgQ=\n";

test("golden entries 0 and 1: canonical bytes, leaf hashes, root of size 2", () => {
  const e0 = {
    v: 1,
    index: 0,
    time: "2025-01-01T00:00:00.000Z",
    prevHash: "0".repeat(64),
    type: "log.genesis",
    actor: "system",
    body: {
      origin: ORIGIN,
      deploymentId: "demo.medtrace.local",
      hashAlg: "sha256",
      schema: 1,
      logKey: {
        name: ORIGIN,
        publicKey: "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=",
        keyId: "9ba16294",
      },
    },
  };
  assert.equal(canonicalize(e0), ENTRY0);
  const h0 = leafHash(Buffer.from(ENTRY0));
  const h1 = leafHash(Buffer.from(ENTRY1));
  assert.equal(toHex(h0), "bbafb4ad9feb53ea39a9e4df0a962ff05ee5100b77168a4a5370ccaeff871ab1");
  assert.equal(toHex(h1), "4214bbac7694771b2bdd4236fed7a90778c806bb19762659a51c560cdb74dc1c");
  const r = merkleRoot([h0, h1]);
  assert.equal(toHex(r), "4c56097470db757edc9fd806080098dc9c679e5478af238d4e3c3ef350c2ad83");
  assert.equal(Buffer.from(r).toString("base64"), "TFYJdHDbdX7cn9gGCACY3JxnnlR4ryONTjw+81DCrYM=");
  assert.deepEqual(parseCanonical(Buffer.from(ENTRY1)), JSON.parse(ENTRY1));
});

test("canonical JSON: RFC 8785 examples and the refusals of ledger.md §3", () => {
  // RFC 8785 §3.2.3 sorting example (UTF-16 code units) and §3.2.2.3 numbers.
  assert.equal(
    canonicalize({
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew",
      "1": "One",
      "\ud83d\ude00": "Emoji",
      "\u0080": "Control",
      "\u00f6": "Latin",
    }),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji","\ufb33":"Hebrew"}',
  );
  assert.equal(
    canonicalize([333333333.3333333, 1e-7, 4.5, 0.002, 1e-27, 0.7]),
    "[333333333.3333333,1e-7,4.5,0.002,1e-27,0.7]",
  );
  assert.equal(
    canonicalize({ b: [true, false, null], a: '\u0001\n"' }),
    '{"a":"\\u0001\\n\\"","b":[true,false,null]}',
  );
  for (const bad of [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 53,
    "\ud800x",
    { k: undefined },
  ])
    assert.throws(() => canonicalize({ x: bad }), { code: "LEDGER_SCHEMA" });
  assert.throws(() => parseCanonical(Buffer.from('{"a":1, "b":2}')), {
    code: "LEDGER_NONCANONICAL",
  });
  assert.throws(() => parseCanonical(Buffer.from('{"b":1,"a":2}')), {
    code: "LEDGER_NONCANONICAL",
  });
  assert.throws(() => parseCanonical(Buffer.from('{"a":1,"a":1}')), {
    code: "LEDGER_NONCANONICAL",
  });
  assert.throws(() => parseCanonical(Uint8Array.of(0x22, 0xff, 0x22)), {
    code: "LEDGER_NONCANONICAL",
  });
});

test("golden checkpoint: key, key ID, vkey and signed note", () => {
  const signer = signerFromSeed(ORIGIN, SEED);
  assert.equal(
    toHex(signer.publicKey),
    "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
  );
  assert.equal(toHex(signer.keyId), "9ba16294");
  const vkey = formatVkey(signer);
  assert.equal(
    vkey,
    "demo.medtrace.local/ledger+9ba16294+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs",
  );
  const cp = signCheckpoint(signer, { origin: ORIGIN, size: 8, root: ROOT8 });
  assert.equal(cp.note, NOTE8);
  const v = verifyCheckpointNote(NOTE8, [parseVkey(vkey)], ORIGIN);
  assert.equal(v.size, 8);
  assert.deepEqual(Buffer.from(v.root), ROOT8);
});

test("checkpoint verification: bad, unknown and missing signatures", () => {
  const key = parseVkey(formatVkey(signerFromSeed(ORIGIN, SEED)));
  const other = signerFromSeed(ORIGIN, new Uint8Array(32).fill(9));
  // T9: one bit flipped in the signature.
  const sigStart = NOTE8.lastIndexOf(" ") + 1;
  const blob = Buffer.from(NOTE8.slice(sigStart, -1), "base64");
  blob[10] ^= 0x01;
  const flipped = `${NOTE8.slice(0, sigStart)}${blob.toString("base64")}\n`;
  assert.throws(() => verifyCheckpointNote(flipped, [key]), {
    code: "LEDGER_CHECKPOINT_SIGNATURE",
  });
  // Only an unknown key signed: rejected; an extra unknown signature beside a valid one: accepted.
  const byOther = signCheckpoint(other, { origin: ORIGIN, size: 8, root: ROOT8 }).note;
  assert.throws(() => verifyCheckpointNote(byOther, [key]), {
    code: "LEDGER_CHECKPOINT_SIGNATURE",
  });
  const both = NOTE8 + byOther.slice(byOther.indexOf("\u2014"));
  assert.equal(verifyCheckpointNote(both, [key]).size, 8);
  // Altered text: the signature no longer matches.
  const altered = NOTE8.replace("\n8\n", "\n9\n");
  assert.throws(() => verifyCheckpointNote(altered, [key]), {
    code: "LEDGER_CHECKPOINT_SIGNATURE",
  });
});

test("checkpoint parser: malformed notes are ParseError", () => {
  const bad = [
    "",
    NOTE8.replace("\n\n", "\n"),
    NOTE8.replace("\n8\n", "\n08\n"),
    NOTE8.replace("\n8\n", "\n-1\n"),
    NOTE8.replace("\n8\n", "\n9007199254740992\n"),
    NOTE8.replace("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=", "AAAA"),
    NOTE8.replace("demo.medtrace.local/ledger\n8", "demo.medtrace.local/ledger\nx\n8"),
    NOTE8.slice(0, -1),
    NOTE8.replace("\u2014 ", "- "),
    NOTE8.replace("\n8\n", "\n8\t\n"),
    NOTE8 + "\u2014 x AAAA\n".repeat(16),
  ];
  for (const n of bad)
    assert.throws(() => parseCheckpointNote(n), { code: "ParseError" }, JSON.stringify(n));
  assert.throws(() => parseVkey("name+00000000+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs"), {
    code: "ParseError",
  });
});

test("property: the fast canonical path equals the explicit writer, and round-trips", async () => {
  const fc = (await import("fast-check")).default;
  const { canonicalize: c } = await import("../../src/ledger/canonical/json.ts");
  fc.assert(
    fc.property(fc.jsonValue({ noUnicodeString: false }), (v) => {
      let text: string;
      try {
        text = c(v);
      } catch (err) {
        assert.equal((err as { code?: string }).code, "LEDGER_SCHEMA");
        return;
      }
      const parsed = parseCanonical(Buffer.from(text, "utf8"));
      assert.equal(c(parsed), text);
      // The explicit writer (taken when an index-like key is present) agrees.
      assert.equal(c({ "0": parsed, a: 1 }), `{"0":${text},"a":1}`);
    }),
    { numRuns: 300 },
  );
  assert.equal(c({ "10": 1, "9": 2, a: { "2": 0, "1": 0 } }), '{"10":1,"9":2,"a":{"1":0,"2":0}}');
  assert.deepEqual(parseCanonical(Buffer.from('{"10":1,"9":2}')), { "10": 1, "9": 2 });
  assert.throws(() => parseCanonical(Buffer.from('{"9":2,"10":1}')), {
    code: "LEDGER_NONCANONICAL",
  });
  assert.throws(() => parseCanonical(Buffer.from("[9007199254740992]")), {
    code: "LEDGER_NONCANONICAL",
  });
  assert.throws(() => parseCanonical(Buffer.from('["\\ud800"]')), { code: "LEDGER_NONCANONICAL" });
  assert.throws(() => parseCanonical(Buffer.from("[-0]")), { code: "LEDGER_NONCANONICAL" });
});
