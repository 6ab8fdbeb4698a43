// Reduced regression benchmark of zero-watermark.md §16.8 on real images. The full attack table
// lives in `npm run bench -- zw`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { dataPath } from "../../../src/util/data-path.ts";
import { applyAttack } from "../../../src/watermark/attacks/index.ts";
import { KernelCache, ZeroWatermark, type ZwKeys } from "../../../src/watermark/zero/index.ts";
import { ctSlice, readDicomModality, to8bit512, uscImage } from "./images.ts";

const dir = mkdtempSync(join(tmpdir(), "zw-reg-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const zw = new ZeroWatermark({}, new KernelCache({ dir }));
const keys: ZwKeys = {
  id: new Uint8Array(32).fill(0x61),
  perm: new Uint8Array(32).fill(0x62),
  epoch: 1,
};
const usc = ["airplane", "baboon", "peppers", "boat"].map(uscImage);

test("USC images: jpeg-30, median-3, gauss-0.001, scale-0.5 keep mean BER ≤ 1e-3, every image matches", () => {
  const shares = usc.map((im) => zw.register(im, { image: im.id }, keys));
  for (const attack of ["jpeg-30", "median-3", "gauss-0.001", "scale-0.5"]) {
    const bers = usc.map((im, i) => {
      const r = zw.verify(applyAttack(attack, im, im.id), shares[i], keys);
      assert.equal(r.decision, "match", `${attack} ${im.id}`);
      return r.ber;
    });
    const mean = bers.reduce((a, b) => a + b, 0) / bers.length;
    assert.ok(mean <= 1e-3, `${attack}: mean BER ${mean} (${bers.join(", ")})`);
  }
});

test("discrimination: different images (USC, CT with dark background, 12-bit MR) stay ≥ 0.35 apart", () => {
  const imgs = [
    ...usc,
    ctSlice(50),
    to8bit512(readDicomModality(dataPath("dicom", "mr-0051-12bit.dcm")), "mr"),
  ];
  const shares = imgs.map((im) => zw.register(im, { image: im.id }, keys));
  let min = 1;
  for (let i = 0; i < imgs.length; i++) {
    for (let j = 0; j < imgs.length; j++) {
      if (i === j) continue;
      const r = zw.verify(imgs[j], shares[i], keys);
      assert.equal(r.decision, "no-match", `${imgs[j].id} against ${imgs[i].id}: ${r.ber}`);
      min = Math.min(min, r.ber);
    }
  }
  assert.ok(min >= 0.35, `min cross-image BER ${min}`);
});
