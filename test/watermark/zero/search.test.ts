import assert from "node:assert/strict";
import { test } from "node:test";
import { applyAttack } from "../../../src/watermark/attacks/index.ts";
import {
  KernelCache,
  searchIndex,
  ZeroWatermark,
  type ZwIndexRow,
  type ZwKeys,
  zwFullbits,
} from "../../../src/watermark/zero/index.ts";
import { uscImage } from "./images.ts";

const keys: ZwKeys = { id: new Uint8Array(32).fill(0x71), perm: new Uint8Array(32).fill(0x72), epoch: 1 };

function rng(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

function syntheticRow(r: () => number): ZwIndexRow {
  const mask = new Uint8Array(512);
  let set = 0;
  while (set < 1024) {
    const i = r() % 4096;
    if (!(mask[i >> 3] & (0x80 >> (i & 7)))) {
      mask[i >> 3] |= 0x80 >> (i & 7);
      set++;
    }
  }
  const fullbits = new Uint8Array(512);
  for (let k = 0; k < 512; k++) fullbits[k] = r() & mask[k];
  return { mask, fullbits };
}

test("search: 1,000 synthetic index rows plus a real one; the real one comes first with verify's BER", () => {
  const zw = new ZeroWatermark({}, new KernelCache({ dir: null }));
  const img = uscImage("peppers");
  const share = zw.register(img, { image: "peppers" }, keys);
  const r = rng(12345);
  const rows = Array.from({ length: 1000 }, () => syntheticRow(r));
  rows.splice(500, 0, { mask: new Uint8Array(Buffer.from(share.mask ?? "", "base64")), fullbits: zwFullbits(share, keys) });
  const suspect = applyAttack("jpeg-10", img, "peppers");
  const hits = searchIndex(zw.suspectBits(suspect), rows);
  assert.ok(hits.length >= 1);
  assert.equal(hits[0].index, 500);
  assert.equal(hits[0].ber, zw.verify(suspect, share, keys).ber);
  assert.equal(hits[0].decision, "match");
  assert.equal(hits.length, 1, "no synthetic row below BER 0.30");
  // Another image finds nothing.
  assert.deepEqual(searchIndex(zw.suspectBits(uscImage("boat")), rows), []);
});
