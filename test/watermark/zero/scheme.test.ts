import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import type { PixelImage } from "../../../src/imaging/types.ts";
import { canonicalize } from "../../../src/ledger/canonical/json.ts";
import { BODY_SCHEMAS } from "../../../src/ledger/entry/schema.ts";
import {
  canonicalJson,
  KernelCache,
  keyedPermutation,
  parseShareRecord,
  planeFromPixels,
  type ShareRecord,
  selectReliable,
  watermarkBytes,
  ZeroWatermark,
  ZeroWatermarkError,
  type ZwKeys,
} from "../../../src/watermark/zero/index.ts";

const dir = mkdtempSync(join(tmpdir(), "zw-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const cache = new KernelCache({ dir });
const zw = new ZeroWatermark({}, cache);
const N = 512;

const keys: ZwKeys = {
  id: new Uint8Array(32).fill(0x22),
  perm: new Uint8Array(32).fill(0x33),
  epoch: 1,
};
const identity = {
  consortium: "demo",
  hospital: "hosp-a",
  pixelSha256: "0".repeat(64),
  plane: 0,
  sopInstanceUid: "2.25.1",
};
const ramp = { rows: N, cols: N, data: new Float64Array(N * N) };
for (let y = 0; y < N; y++)
  for (let x = 0; x < N; x++) ramp.data[y * N + x] = (7 * x + 13 * y) % 256;

const hasCode = (code: string) => (e: unknown) =>
  e instanceof ZeroWatermarkError && e.code === code;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function noise(seed: number, rows = N, cols = N): Float64Array {
  let s = seed >>> 0 || 1;
  // smooth-ish random image: sum of a few random cosines plus xorshift noise
  const out = new Float64Array(rows * cols);
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const waves = Array.from({ length: 6 }, () => [
    rnd() * 0.05,
    rnd() * 0.05,
    rnd() * 6,
    rnd() * 60,
  ]);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let v = 128 + 20 * rnd();
      for (const [fx, fy, ph, amp] of waves) v += amp * Math.cos(fx * x + fy * y + ph);
      out[y * cols + x] = v;
    }
  }
  return out;
}

test("feature golden values of §5.3 (I = (7x + 13y) mod 256)", () => {
  const { M, d } = zw.features(ramp);
  const rel = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.abs(y);
  assert.ok(rel(M[0], -12.618478631));
  assert.ok(rel(M[1], -2.6781626034));
  assert.ok(rel(M[64], -6.8083745531));
  assert.ok(rel(M[63 * 64 + 63], -8.4381429594));
  const abs = Array.from(d, Math.abs).sort((a, b) => b - a);
  assert.ok(Math.abs(abs[1023] - 264.5166231) < 1e-5 && Math.abs(abs[1024] - 264.4414342) < 1e-5);
  const sel = selectReliable(d, 1024);
  assert.deepEqual(Array.from(sel.idx.slice(0, 8)), [293, 422, 486, 487, 488, 612, 616, 617]);
  assert.equal(
    sel.bits.reduce((a, b) => a + b, 0),
    515,
  );
  assert.equal(sha(sel.mask), "7502c0ab92c735c6333d87e655b4100255b3a1dce56756584dc2a98513154e42");
  const packed = new Uint8Array(128);
  sel.bits.forEach((b, j) => {
    if (b) packed[j >> 3] |= 0x80 >> (j & 7);
  });
  assert.equal(sha(packed), "9f0063c5fa61be56cdf9574e4f182205430ec3e9d5cd64abc6181b0135614d7d");
});

test("watermark and permutation golden values of §6.5", () => {
  const json = canonicalJson(identity);
  assert.equal(json, canonicalize(identity));
  const W = watermarkBytes(keys.id, json, 1024);
  assert.equal(Buffer.from(W.subarray(0, 8)).toString("hex"), "ad62493223fb21ef");
  assert.equal(sha(W), "2fae1bd9ed32988692130dcbce3e39d4e4f643a50dfefa4c29436d82f673770d");
  const pi = keyedPermutation(keys.perm, json, 1024);
  assert.deepEqual(Array.from(pi.slice(0, 8)), [285, 37, 518, 541, 773, 524, 130, 977]);
  const be = Buffer.alloc(2048);
  pi.forEach((v, i) => {
    be.writeUInt16BE(v, 2 * i);
  });
  assert.equal(sha(be), "87f4dd5203bc231d526876655a44735f21bc484b7ee6f0db1487afc5435604d2");
});

test("property: f(αI + β) = f(I) up to 1 bit (mean removal and median)", () => {
  const runs = process.env.MEDTRACE_NIGHTLY === "1" ? 40 : 4;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.double({ min: 0.5, max: 2, noNaN: true }),
      fc.double({ min: -100, max: 100, noNaN: true }),
      (seed, alpha, beta) => {
        const img = { rows: N, cols: N, data: noise(seed) };
        const share = zw.register(img, identity, keys);
        const scaled = { rows: N, cols: N, data: img.data.map((v) => alpha * v + beta) };
        const { ber } = zw.verify(scaled, share, keys);
        return ber * 1024 <= 1;
      },
    ),
    { numRuns: runs, seed: 42 },
  );
});

test("MONOCHROME1 input gives the features of the negated MONOCHROME2 input", () => {
  const stored = Int32Array.from(noise(9, 128, 96), (v) =>
    Math.max(0, Math.min(4095, Math.round(v * 8))),
  );
  const pix = (photometric: string, plane: Int32Array): PixelImage => ({
    rows: 128,
    cols: 96,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 0,
    photometric,
    planes: [plane],
  });
  const m1 = planeFromPixels(pix("MONOCHROME1", stored));
  const m2 = planeFromPixels(
    pix(
      "MONOCHROME2",
      stored.map((v) => 4095 - v),
    ),
  );
  const share = zw.register(m2, identity, keys);
  assert.equal(zw.verify(m1, share, keys).ber, 0);
  const d1 = zw.features(m1).d;
  const d2 = zw.features(m2).d;
  for (let i = 0; i < d1.length; i++)
    assert.ok(Math.abs(d1[i] - d2[i]) <= 1e-9 * (1 + Math.abs(d2[i])));
});

test("verify(register(I)) = 0 and a match; wrong K_zwid or K_zwperm gives BER in [0.40, 0.60]", () => {
  for (const seed of [3, 5]) {
    const img = { rows: N, cols: N, data: noise(seed) };
    const share = zw.register(img, identity, keys);
    const ok = zw.verify(img, share, keys);
    assert.deepEqual(ok, { ber: 0, nc: 1, ncPm: 1, decision: "match" });
    const wrongId = { ...keys, id: new Uint8Array(32).fill(0x44) };
    const wrongPerm = { ...keys, perm: new Uint8Array(32).fill(0x55) };
    for (const k of [wrongId, wrongPerm]) {
      const r = zw.verify(img, share, k);
      assert.ok(r.ber >= 0.4 && r.ber <= 0.6, `BER ${r.ber}`);
      assert.equal(r.decision, "no-match");
    }
  }
});

test("the share record holds no key material and survives the ledger's zw.registered schema", () => {
  const share = zw.register(ramp, identity, keys);
  assert.equal(share.alg, "zw/frrom-racah/v1");
  assert.equal(Buffer.from(share.share, "base64").length, 128);
  assert.equal(Buffer.from(share.mask ?? "", "base64").length, 512);
  const text = canonicalize(share);
  for (const k of [keys.id, keys.perm])
    assert.ok(!text.includes(Buffer.from(k).toString("base64")));
  const body = BODY_SCHEMAS["zw.registered"].parse(JSON.parse(text));
  const back = parseShareRecord(canonicalize(body));
  assert.equal(zw.verify(ramp, back, keys).ber, 0);
  assert.ok(text.length < 1300, `record is ${text.length} bytes`);
});

test("malformed shares: clear errors for corrupted JSON, wrong version, another size, bad lengths", () => {
  const share = zw.register(ramp, identity, keys);
  const text = JSON.stringify(share);
  assert.throws(() => parseShareRecord(text.slice(0, 40)), hasCode("ZW_SHARE_INVALID"));
  assert.throws(() => parseShareRecord("[]"), hasCode("ZW_SHARE_INVALID"));
  assert.throws(
    () => parseShareRecord({ ...share, alg: "zw/frrom-racah/v2" }),
    (e: unknown) => hasCode("ZW_PARAMS_MISMATCH")(e) && /zw\/frrom-racah\/v2/.test(String(e)),
  );
  const short = { ...share, share: Buffer.alloc(64).toString("base64") };
  assert.throws(() => parseShareRecord(short), hasCode("ZW_SHARE_INVALID"));
  assert.throws(() => parseShareRecord({ ...share, mask: undefined }), hasCode("ZW_SHARE_INVALID"));
  assert.throws(
    () => parseShareRecord({ ...share, paramsId: "0123456789abcdef" }),
    hasCode("ZW_SHARE_INVALID"),
  );
  assert.throws(() => parseShareRecord({ ...share, extra: 1 }), hasCode("ZW_SHARE_INVALID"));
  // A share made for another kernel size is refused by this verifier, naming both parameter sets.
  const small = new ZeroWatermark({ N: 256 }, new KernelCache({ dir: null }));
  const other = small.register({ rows: 256, cols: 256, data: noise(4, 256, 256) }, identity, keys);
  assert.ok(parseShareRecord(other));
  assert.throws(() => zw.verify(ramp, other as ShareRecord, keys), hasCode("ZW_PARAMS_MISMATCH"));
  const wrongEpoch = { ...keys, epoch: 2 };
  assert.throws(() => zw.verify(ramp, share, wrongEpoch), hasCode("ZW_KEY_UNAVAILABLE"));
});

test("input and parameter validation: too small, flat, no keys, bad params, degenerate spectrum", () => {
  assert.throws(
    () => zw.register({ rows: 28, cols: 28, data: new Float64Array(784) }, identity, keys),
    hasCode("ZW_IMAGE_TOO_SMALL"),
  );
  assert.throws(
    () => zw.register({ rows: 64, cols: 64, data: new Float64Array(4096).fill(9) }, identity, keys),
    hasCode("ZW_NO_STRUCTURE"),
  );
  assert.throws(
    () => zw.register(ramp, identity, { id: new Uint8Array(0), perm: keys.perm, epoch: 1 }),
    hasCode("ZW_KEY_UNAVAILABLE"),
  );
  assert.throws(() => new ZeroWatermark({ q: 16 }, cache), hasCode("ZW_PARAM_DOMAIN"));
  assert.throws(() => new ZeroWatermark({ py: 0 }, cache), hasCode("ZW_PARAM_DOMAIN"));
  assert.throws(() => new ZeroWatermark({ beta: 30, a: 10 }, cache), hasCode("ZW_PARAM_DOMAIN"));
  const degenerate = new ZeroWatermark(
    { N: 64, a: 0, alpha: 0, beta: 0 },
    new KernelCache({ dir: null }),
  );
  assert.throws(() => degenerate.kernels(), hasCode("ZW_DEGENERATE_SPECTRUM"));
});

test("kernel cache: rows persist on disk, reload without rebuild, and a corrupted file is rebuilt", () => {
  zw.kernels();
  const files = readdirSync(dir).filter((f) => f.endsWith(".bin"));
  assert.equal(files.length, 2);
  const fresh = new KernelCache({ dir });
  const z2 = new ZeroWatermark({}, fresh);
  const k2 = z2.kernels();
  assert.equal(fresh.stats.diskHits, 2);
  assert.equal(fresh.stats.racahBuilds, 0);
  assert.deepEqual(k2.Ay, zw.kernels().Ay);
  writeFileSync(join(dir, files[0]), Buffer.from("garbage"));
  const third = new KernelCache({ dir });
  new ZeroWatermark({}, third).kernels();
  assert.equal(third.stats.diskRejects, 1);
  assert.equal(third.stats.diskHits, 1);
  assert.equal(third.stats.rowBuilds, 1);
});
