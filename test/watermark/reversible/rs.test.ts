import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  buildMessage,
  bytesToBits,
  P1,
  verifyVotes,
} from "../../../src/watermark/reversible/payload.ts";
import { rsDecode, rsEncode } from "../../../src/watermark/reversible/rs.ts";

function corrupt(word: Uint8Array, positions: number[], rng: () => number): Uint8Array {
  const out = Uint8Array.from(word);
  for (const p of positions) out[p] ^= 1 + Math.floor(rng() * 255);
  return out;
}

const distinctPositions = (n: number, count: number) =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: count, maxLength: count },
  );

for (const [n, k] of [
  [48, 32],
  [24, 16],
] as const) {
  const nsym = n - k;
  test(`RS(${n},${k}) corrects ${nsym / 2} errors, ${nsym} erasures and mixes`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: k, maxLength: k }),
        distinctPositions(n, nsym),
        fc.integer({ min: 0, max: nsym / 2 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (message, positions, errors, seed) => {
          let s = seed;
          const rng = () => {
            s = (s * 1103515245 + 12345) % 2 ** 31;
            return s / 2 ** 31;
          };
          const erasures = nsym - 2 * errors;
          const word = rsEncode(message, nsym);
          const errPos = positions.slice(0, errors);
          const erasePos = positions.slice(errors, errors + erasures);
          const received = corrupt(word, [...errPos, ...erasePos], rng);
          const result = rsDecode(received, nsym, erasePos);
          assert.ok(result.ok, `errors ${errors} erasures ${erasures}`);
          assert.deepEqual(result.word, word);
        },
      ),
      { numRuns: 300 },
    );
  });
}

test("RS(48,32): 8 errors, 16 erasures, 4 errors + 8 erasures (§14.1-5)", () => {
  const message = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff);
  const word = rsEncode(message, 16);
  const rng = () => 0.5;
  const cases: [number[], number[]][] = [
    [[0, 5, 9, 17, 23, 31, 40, 47], []],
    [[], [1, 2, 3, 4, 10, 11, 12, 13, 20, 21, 22, 30, 33, 36, 44, 46]],
    [
      [0, 15, 31, 47],
      [3, 6, 9, 12, 18, 24, 36, 42],
    ],
  ];
  for (const [errs, erasures] of cases) {
    const result = rsDecode(corrupt(word, [...errs, ...erasures], rng), 16, erasures);
    assert.ok(result.ok);
    assert.deepEqual(result.word?.subarray(0, 32), message);
    assert.equal(result.errors, errs.length);
  }
});

test("9 byte errors give failure or a tag mismatch, never a wrong token (§14.1-5)", () => {
  const mac = new Uint8Array(32).fill(3);
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      distinctPositions(48, 9),
      (token, positions) => {
        const word = rsEncode(buildMessage(P1, mac, 40, token, 512, 512), 16);
        const bits = bytesToBits(corrupt(word, positions, () => 0.7));
        const total = new Uint32Array(384).fill(1);
        const verified = verifyVotes(P1, mac, Uint32Array.from(bits), total, 512, 512);
        if (verified) assert.deepEqual(verified.token, token);
      },
    ),
    { numRuns: 300 },
  );
});

test("RS decoding of arbitrary bytes never throws", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 48, maxLength: 48 }),
      fc.array(fc.integer({ min: 0, max: 47 }), { maxLength: 20 }),
      (bytes, erasures) => {
        const unique = [...new Set(erasures)];
        const result = rsDecode(bytes, 16, unique);
        if (result.ok) assert.equal(result.word?.length, 48);
      },
    ),
    { numRuns: 500 },
  );
});
