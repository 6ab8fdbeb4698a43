import assert from "node:assert/strict";
import { test } from "node:test";
import { PNG } from "pngjs";
import { ImagingError, readImage, readPng, writePng } from "../../src/imaging/index.ts";
import type { PixelImage } from "../../src/imaging/types.ts";
import { dataBytes, samePlanes } from "./helpers.ts";

function grey(rows: number, cols: number, bits: 8 | 16, f: (i: number) => number): PixelImage {
  const plane = new Int32Array(rows * cols);
  for (let i = 0; i < plane.length; i++) plane[i] = f(i);
  return {
    rows,
    cols,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: bits,
    bitsStored: bits,
    highBit: bits - 1,
    pixelRepresentation: 0,
    photometric: "MONOCHROME2",
    planes: [plane],
  };
}

test("8-bit greyscale PNG round trip (USC-SIPI airplane)", () => {
  const bytes = dataBytes("images", "airplane.png");
  const { format, image } = readImage(bytes);
  assert.equal(format, "png");
  assert.deepEqual(
    [image.rows, image.cols, image.bitsStored, image.samplesPerPixel],
    [512, 512, 8, 1],
  );
  const back = readPng(writePng(image));
  assert.ok(samePlanes(back.planes, image.planes));
  assert.equal(back.bitsStored, 8);
});

test("16-bit greyscale PNG round trip keeps every value, big-endian on disk", () => {
  const image = grey(37, 53, 16, (i) => (i * 40503) % 65536);
  const bytes = writePng(image);
  const back = readPng(bytes);
  assert.equal(back.bitsStored, 16);
  assert.equal(back.bitsAllocated, 16);
  assert.ok(samePlanes(back.planes, image.planes));
  // First pixel row after the filter byte: decode independently with pngjs and compare.
  const raw = PNG.sync.read(Buffer.from(bytes), { skipRescale: true });
  assert.equal(raw.depth, 16);
  assert.equal((raw.data as unknown as Uint16Array)[4], image.planes[0][1]);
});

test("8-bit RGB PNG round trip gives three planes", () => {
  const r = grey(20, 30, 8, (i) => i % 256).planes[0];
  const g = r.map((v) => 255 - v);
  const b = r.map((v) => (v * 7) % 256);
  const image: PixelImage = {
    ...grey(20, 30, 8, () => 0),
    samplesPerPixel: 3,
    photometric: "RGB",
    planes: [r, g, b],
  };
  const back = readPng(writePng(image));
  assert.equal(back.photometric, "RGB");
  assert.ok(samePlanes(back.planes, image.planes));
});

test("PNG with real transparency is refused, opaque alpha is accepted", () => {
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(200);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  const opaque = readPng(PNG.sync.write(png, { colorType: 6 }));
  assert.equal(opaque.samplesPerPixel, 3);
  png.data[3] = 10;
  assert.throws(
    () => readPng(PNG.sync.write(png, { colorType: 6 })),
    (e) => e instanceof ImagingError && e.code === "IMG_UNSUPPORTED",
  );
});

test("writePng refuses values outside the bit depth instead of clipping", () => {
  assert.throws(
    () => writePng(grey(4, 4, 8, (i) => (i === 5 ? 256 : 0))),
    (e) => e instanceof ImagingError && /256/.test(e.message),
  );
  assert.throws(() => writePng(grey(4, 4, 16, (i) => (i === 5 ? -1 : 0))), ImagingError);
});

test("a corrupt PNG gives IMG_PARSE", () => {
  const bytes = writePng(grey(16, 16, 8, (i) => i));
  const cut = bytes.subarray(0, bytes.length - 30);
  assert.throws(
    () => readPng(cut),
    (e) => e instanceof ImagingError && e.code === "IMG_PARSE",
  );
});
