import assert from "node:assert/strict";
import { test } from "node:test";
import { pixelSha256, planePixelSha256 } from "../../src/imaging/index.ts";
import type { PixelImage } from "../../src/imaging/types.ts";

// reversible-watermark.md §2.3 golden value.
const GOLDEN = "2e6d2086854357bb66404c562b74c0b6a3d45e049676b9e19f7832c70e4ba192";

function image(
  planes: Int32Array[],
  rows: number,
  cols: number,
  frames: number,
  spp: number,
): PixelImage {
  return {
    rows,
    cols,
    frames,
    samplesPerPixel: spp,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 1,
    photometric: spp === 3 ? "RGB" : "MONOCHROME2",
    planes,
  };
}

test("pixelSha256 matches the §2.3 golden value", () => {
  const values = Int32Array.from([0, 1, -1, 4095, -32768, 65535]);
  assert.equal(pixelSha256(image([values], 2, 3, 1, 1)), GOLDEN);
  assert.equal(planePixelSha256(2, 3, values), GOLDEN);
});

test("pixelSha256 depends on geometry and order of planes", () => {
  const a = Int32Array.from([1, 2, 3, 4, 5, 6]);
  const b = Int32Array.from([6, 5, 4, 3, 2, 1]);
  const h1 = pixelSha256(image([a, b], 2, 3, 2, 1));
  const h2 = pixelSha256(image([b, a], 2, 3, 2, 1));
  const h3 = pixelSha256(image([a, b], 3, 2, 2, 1));
  assert.notEqual(h1, h2);
  assert.notEqual(h1, h3);
  assert.throws(() => pixelSha256(image([a], 2, 3, 2, 1)), RangeError);
});
