// Property tests of reversible-watermark.md §14.2.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decode,
  embed,
  embedBits,
  extractBits,
  restorePlane,
  type WatermarkError,
} from "../../../src/watermark/reversible/index.ts";
import { arbitraryKeys, arbitraryPlane } from "./generators.ts";

const NIGHTLY = process.env.MEDTRACE_NIGHTLY === "1";
const runs = (ci: number, nightly: number) => (NIGHTLY ? nightly : ci);
const FORCED_RUNGS = [0, 1, 15, 16, 40, 100, 255];

function sameValues(a: Int32Array, b: Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function borderUnchanged(x: Int32Array, y: Int32Array, rows: number, cols: number): boolean {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const inside = r >= 2 && r <= rows - 3 && c >= 2 && c <= cols - 3;
      if (!inside && x[r * cols + c] !== y[r * cols + c]) return false;
    }
  }
  return true;
}

test("1-3: restore(embed(x)) = x at every forced rung and profile; |y−x| ≤ 1, range, padding and border kept", () => {
  fc.assert(
    fc.property(
      arbitraryPlane(),
      arbitraryKeys,
      fc.constantFrom(...FORCED_RUNGS),
      fc.constantFrom("P1", "P2" as const),
      ({ plane }, keys, rung, profile) => {
        let marked: Int32Array;
        try {
          marked = embed([plane], null, keys, {
            forceRung: rung,
            forceProfile: profile,
            selfCheck: false,
            checkExistingMark: false,
          }).planes[0].data;
        } catch (err) {
          assert.equal((err as WatermarkError).code, "WM_CAPACITY"); // the pass is infeasible: nothing to check
          return;
        }
        const x = plane.data;
        for (let i = 0; i < x.length; i++) {
          assert.ok(Math.abs(marked[i] - x[i]) <= 1, `change > 1 at ${i}`);
          if (x[i] >= plane.loW && x[i] <= plane.hiW)
            assert.ok(marked[i] >= plane.loW && marked[i] <= plane.hiW);
          else assert.equal(marked[i], x[i], "padding pixel changed");
        }
        assert.ok(borderUnchanged(x, marked, plane.rows, plane.cols), "border changed");
        assert.ok(
          sameValues(restorePlane({ ...plane, data: marked }, rung).data, x),
          "not restored bit-exactly",
        );
      },
    ),
    { numRuns: runs(700, 5000) },
  );
});

test("4: decode(embed(x)) returns the token and k*, and restoring returns x", () => {
  fc.assert(
    fc.property(
      arbitraryPlane({
        minSide: 64,
        maxSide: 128,
        contents: ["gradient", "mixture", "saturated", "padding"],
      }),
      arbitraryKeys,
      ({ plane }, keys) => {
        let result: ReturnType<typeof embed>;
        try {
          result = embed([plane], null, keys, { checkExistingMark: false });
        } catch (err) {
          assert.equal((err as WatermarkError).code, "WM_CAPACITY");
          return;
        }
        const decoded = decode(result.planes, [keys], { restore: true });
        assert.ok(decoded.found);
        const expected = result.token.subarray(0, decoded.token?.length);
        assert.deepEqual(decoded.token, expected);
        assert.equal(decoded.planes[0].rung, result.stats[0].rung);
        assert.ok(sameValues(decoded.restoredPlanes?.[0].data as Int32Array, plane.data));
      },
    ),
    { numRuns: runs(60, 600) },
  );
});

test("5: decode never throws on arbitrary content and finds no mark in 10,000 unmarked planes", () => {
  fc.assert(
    fc.property(
      arbitraryPlane({ maxSide: NIGHTLY ? 96 : 32 }),
      arbitraryKeys,
      ({ plane }, keys) => {
        const result = decode([plane], [keys]);
        assert.equal(result.found, false);
      },
    ),
    { numRuns: runs(10000, 20000) },
  );
});

test("6: capacity mode: extractBits(embedBits(x, bits, τ)) = (bits, x)", () => {
  fc.assert(
    fc.property(
      arbitraryPlane({ minSide: 24, maxSide: 96 }),
      fc.uint8Array({ minLength: 1, maxLength: 600, max: 1 }),
      fc.nat({ max: 5000 }),
      ({ plane }, bits, tau) => {
        const marked = embedBits(plane, bits, tau);
        if (!marked.feasible) return;
        const n = Math.min(bits.length, marked.voteCarriers);
        const out = extractBits(marked.plane, tau, n);
        assert.deepEqual(out.bits, bits.subarray(0, n));
        assert.ok(sameValues(out.plane.data, plane.data));
      },
    ),
    { numRuns: runs(500, 3000) },
  );
});
