import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ber,
  berPacked,
  dynamicRange,
  markPsnr,
  MetricsError,
  mse,
  nc,
  ncPm,
  psnr,
  ssim,
} from "../../src/watermark/metrics.ts";

// Deterministic test images; the reference values were computed with numpy/scipy following
// scikit-image's structural_similarity (uniform_filter, 7×7, sample covariance, crop 3).
const ROWS = 20;
const COLS = 24;
const A = Float64Array.from({ length: ROWS * COLS }, (_, i) => (i * 37) % 251);
const B = Float64Array.from(A, (v, i) => v + (((i * 13) % 7) - 3));

test("BER counts differing bits and NC± = 1 − 2·BER", () => {
  const w = [1, 0, 1, 1, 0, 0, 1, 0];
  const v = [1, 1, 1, 0, 0, 0, 1, 0];
  assert.equal(ber(w, v), 2 / 8);
  assert.equal(ber(w, w), 0);
  assert.equal(ncPm(w, v), 0.5);
});

test("NC in the {0,1} form, and 0 when one mark is all zeros", () => {
  const w = [1, 0, 1, 1, 0, 0, 1, 0];
  const v = [1, 1, 1, 0, 0, 0, 1, 0];
  assert.ok(Math.abs(nc(w, v) - 3 / Math.sqrt(4 * 4)) < 1e-15);
  assert.equal(nc(w, w), 1);
  assert.equal(nc(w, [0, 0, 0, 0, 0, 0, 0, 0]), 0);
});

test("berPacked agrees with ber on MSB-first packed strings, partial last byte", () => {
  const bits = Array.from({ length: 21 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const other = bits.map((b, i) => (i % 5 === 0 ? 1 - b : b));
  const pack = (x: number[]) => {
    const out = new Uint8Array(Math.ceil(x.length / 8));
    x.forEach((b, j) => {
      if (b) out[j >> 3] |= 1 << (7 - (j & 7));
    });
    return out;
  };
  const pa = pack(bits);
  const pb = pack(other);
  pb[2] ^= 0x07; // garbage beyond bit 21 must be ignored
  assert.equal(berPacked(pa, pb, 21), ber(bits, other));
});

test("PSNR: reference value, infinity for identical, configurable peak", () => {
  assert.ok(Math.abs(psnr(A, B, 255) - 42.09439883588044) < 1e-9);
  assert.equal(psnr(A, A, 255), Number.POSITIVE_INFINITY);
  const m = mse(A, B);
  assert.ok(Math.abs(psnr(A, B, 4095) - 10 * Math.log10((4095 * 4095) / m)) < 1e-12);
});

test("SSIM matches scikit-image defaults (reference from scipy)", () => {
  assert.ok(Math.abs(ssim(A, B, ROWS, COLS, 255) - 0.9996205934700992) < 1e-12);
  assert.ok(Math.abs(ssim(A, B, ROWS, COLS, 1000) - 0.9996481083728758) < 1e-12);
  const a16 = Float64Array.from(A, (v) => v * 16);
  const c = Float64Array.from(A, (v) => (v * v) % 4096);
  assert.ok(Math.abs(ssim(a16, c, ROWS, COLS, 4095) - 0.28331509244175157) < 1e-12);
  assert.equal(ssim(A, A, ROWS, COLS, 255), 1);
});

test("metrics refuse mismatched or malformed input with a code", () => {
  assert.throws(
    () => ber([1, 0], [1]),
    (e: unknown) => e instanceof MetricsError && e.code === "METRICS_LENGTH",
  );
  assert.throws(
    () => psnr(A, B, 0),
    (e: unknown) => e instanceof MetricsError && e.code === "METRICS_PEAK",
  );
  assert.throws(
    () => ssim(A, B, 10, 10, 255),
    (e: unknown) => e instanceof MetricsError && e.code === "METRICS_SHAPE",
  );
  assert.throws(
    () => ssim(A, B, ROWS, COLS, 255, { winSize: 6 }),
    (e: unknown) => e instanceof MetricsError && e.code === "METRICS_WINDOW",
  );
});

test("dynamic range and the marked-copy PSNR of reversible-watermark.md §15.1", () => {
  assert.equal(dynamicRange([-1024, 3, 2986]), 4010);
  const a = [0, 100, 200, 255];
  const b = [1, 100, 200, 255];
  assert.deepEqual(markPsnr(a, b, 8), { psnr: 10 * Math.log10((255 * 255) / 0.25) });
  const q = markPsnr([0, 1000, 4000, 4095], [0, 1001, 4000, 4095], 12) as { psnrDynamicRange: number; psnrFullRange: number };
  assert.ok(Math.abs(q.psnrDynamicRange - 10 * Math.log10((4095 * 4095) / 0.25)) < 1e-9);
  assert.ok(Math.abs(q.psnrFullRange - q.psnrDynamicRange) < 1e-9);
});
