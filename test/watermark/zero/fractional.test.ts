import assert from "node:assert/strict";
import { test } from "node:test";
import { ZeroWatermarkError } from "../../../src/watermark/zero/errors.ts";
import {
  fracRows,
  fracRowsFromSpectrum,
  fracSpectrum,
  powerRows,
} from "../../../src/watermark/zero/fractional.ts";
import { matmul, orthonormalityError } from "../../../src/watermark/zero/linalg.ts";
import { racahBasis } from "../../../src/watermark/zero/racah.ts";

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

test("power laws on full matrices, N = 64 and 256: (R^½)² = R, R^0.3 R^0.9 = R^1.2, R^1 = R, R^0 = I", () => {
  for (const N of [64, 256]) {
    const R = racahBasis(N, 10, 5, 2);
    const spec = fracSpectrum(R, N);
    const P = (p: number) => powerRows(spec, p, N);
    const half = P(0.5);
    assert.ok(maxDiff(matmul(half, half, N, N, N), R) <= 1e-10, `N=${N} (R^½)²`);
    const lhs = matmul(P(0.3), P(0.9), N, N, N);
    assert.ok(maxDiff(lhs, P(1.2)) <= 1e-10, `N=${N} R^0.3 R^0.9`);
    assert.ok(maxDiff(P(1), R) <= 1e-13, `N=${N} R^1 by the formula`);
    const I = new Float64Array(N * N);
    for (let i = 0; i < N; i++) I[i * N + i] = 1;
    assert.ok(maxDiff(P(0), I) <= 1e-13, `N=${N} R^0`);
    // p = 1 through the public path is R's rows, bit for bit.
    assert.deepEqual(fracRows(R, N, 1, 16), R.slice(0, 16 * N));
  }
});

test("golden values of §4.3 and row orthonormality (N = 512, default set)", () => {
  const N = 512;
  const R = racahBasis(N, 10, 5, 2);
  const spec = fracSpectrum(R, N);
  assert.ok(Math.abs(spec.delta - 0.01229) < 1e-5, `delta ${spec.delta}`);
  const A7 = fracRowsFromSpectrum(spec, R, 0.7, 64);
  const A9 = fracRowsFromSpectrum(spec, R, 0.9, 64);
  const g = [
    [A7[0], 3.678511213456926e-1],
    [A7[1 * N + 2], -8.496360719092498e-2],
    [A7[63 * N + 511], -2.186858950243716e-2],
    [A9[0], 1.092146218857133e-1],
    [A9[5 * N + 7], -6.417019697367674e-3],
    [A9[63 * N], -2.639576377397155e-2],
  ];
  for (const [got, want] of g) assert.ok(Math.abs(got - want) <= 1e-9, `${got} vs ${want}`);
  assert.ok(orthonormalityError(A7, 64, N) <= 1e-11);
});

test("degenerate spectrum (512, 0, 0, 0) is refused with ZW_DEGENERATE_SPECTRUM", () => {
  const R = racahBasis(512, 0, 0, 0);
  assert.throws(
    () => fracRows(R, 512, 0.7, 64),
    (e: unknown) => e instanceof ZeroWatermarkError && e.code === "ZW_DEGENERATE_SPECTRUM",
  );
});

test("orders outside (0, 2] are refused with ZW_PARAM_DOMAIN", () => {
  const R = racahBasis(64, 10, 5, 2);
  for (const p of [0, -0.5, 2.5, Number.NaN]) {
    assert.throws(
      () => fracRows(R, 64, p, 8),
      (e: unknown) => e instanceof ZeroWatermarkError && e.code === "ZW_PARAM_DOMAIN",
    );
  }
});
