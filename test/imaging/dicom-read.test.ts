import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodePixels,
  ImagingError,
  pixelSha256,
  readDicom,
  readImage,
} from "../../src/imaging/index.ts";
import type { PixelImage } from "../../src/imaging/types.ts";
import { dicomBytes, samePlanes } from "./helpers.ts";

function decode(...parts: string[]): PixelImage {
  return decodePixels(readDicom(dicomBytes(...parts)));
}

function isCode(code: string) {
  return (e: unknown) => e instanceof ImagingError && e.code === code && e.name === "ImagingError";
}

function range(image: PixelImage): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of image.planes)
    for (const v of p) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return [lo, hi];
}

const LOSSLESS = ["j2k", "jpegll57", "jpegll70", "jpegls", "rle"];

for (const base of ["mono8", "ct_s16", "mr_u16_bs12", "rgb8"]) {
  test(`every lossless codecs/${base} variant decodes to the native values`, () => {
    const native = decode("codecs", `${base}.dcm`);
    for (const variant of LOSSLESS) {
      const d = readDicom(dicomBytes("codecs", `${base}_${variant}.dcm`));
      assert.equal(d.lossy, false, variant);
      assert.equal(d.encapsulated, true, variant);
      const img = decodePixels(d);
      assert.equal(img.planes.length, native.planes.length, variant);
      assert.ok(samePlanes(img.planes, native.planes), `${base}_${variant} differs from native`);
      assert.equal(pixelSha256(img), pixelSha256(native), variant);
      assert.equal(img.photometric, native.photometric);
    }
  });
}

test("rgb8 is split into three planes per frame", () => {
  const img = decode("codecs", "rgb8.dcm");
  assert.equal(img.samplesPerPixel, 3);
  assert.equal(img.photometric, "RGB");
  assert.equal(img.planes.length, 3);
  assert.ok(!samePlanes([img.planes[0]], [img.planes[1]]));
  const sc = decode("pydicom", "SC_rgb_rle.dcm");
  assert.equal(sc.planes.length, 3);
  // SC_rgb_rle holds colour bars: pure red somewhere (255, 0, 0).
  const [r, g, b] = sc.planes;
  assert.ok(r.some((v, i) => v === 255 && g[i] === 0 && b[i] === 0));
});

for (const f of [
  "codecs/mono8_jpeg50.dcm",
  "codecs/rgb8_jpeg50.dcm",
  "codecs/mr_u16_bs12_jpeg51.dcm",
  "pydicom/JPEG-lossy.dcm",
]) {
  test(`${f} is flagged lossy and refused with WM_LOSSY_SOURCE`, () => {
    const d = readDicom(dicomBytes(...f.split("/")));
    assert.equal(d.lossy, true);
    assert.throws(() => decodePixels(d), isCode("WM_LOSSY_SOURCE"));
  });
}

test("rtdose (32 bits allocated) gives WM_UNSUPPORTED_BITS", () => {
  assert.throws(() => decode("pydicom", "rtdose.dcm"), isCode("WM_UNSUPPORTED_BITS"));
});

test("MR_truncated gives IMG_PARSE with the offset reached", () => {
  assert.throws(
    () => readDicom(dicomBytes("pydicom", "MR_truncated.dcm")),
    (e) =>
      isCode("IMG_PARSE")(e) &&
      typeof (e as ImagingError).offset === "number" &&
      /offset \d+/.test((e as Error).message),
  );
});

test("MR_small big endian, implicit, RLE, JPEG-LS and J2K equal the explicit little endian file", () => {
  const le = decode("pydicom", "MR_small.dcm");
  assert.equal(le.pixelRepresentation, 1);
  for (const f of [
    "MR_small_bigendian.dcm",
    "MR_small_implicit.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_jp2klossless.dcm",
  ]) {
    assert.ok(samePlanes(decode("pydicom", f).planes, le.planes), f);
  }
});

test("CT_small: signed 16-bit with pixel padding -2000", () => {
  const img = decode("pydicom", "CT_small.dcm");
  assert.equal(img.pixelRepresentation, 1);
  assert.deepEqual(img.padding, { value: -2000 });
  assert.deepEqual(range(img), [128, 2191]);
});

test("deflated image_dfl decodes", () => {
  const d = readDicom(dicomBytes("pydicom", "image_dfl.dcm"));
  assert.equal(d.transferSyntaxUid, "1.2.840.10008.1.2.1.99");
  const img = decodePixels(d);
  assert.deepEqual([img.rows, img.cols, img.bitsAllocated], [512, 512, 8]);
  assert.deepEqual(range(img), [0, 255]);
});

test("12-bit MR values lie in 0..4095 and are not masked", () => {
  for (const f of [
    ["dicom", "mr-0051-12bit.dcm"],
    ["codecs", "mr_u16_bs12.dcm"],
  ]) {
    const img = f[0] === "dicom" ? decodePixels(readDicom(dicomBytes(f[1]))) : decode(...f);
    assert.equal(img.bitsStored, 12);
    const [lo, hi] = range(img);
    assert.ok(lo >= 0 && hi <= 4095, `${f}: ${lo}..${hi}`);
  }
});

test("ct-head slices are signed 16-bit CT of 256x256", () => {
  for (const n of ["001", "050", "108"]) {
    const r = readImage(dicomBytes("..", "ct-head", `slice-${n}.dcm`));
    assert.equal(r.format, "dicom");
    const img = r.image;
    assert.deepEqual(
      [img.rows, img.cols, img.bitsAllocated, img.pixelRepresentation],
      [256, 256, 16, 1],
    );
    const [lo, hi] = range(img);
    assert.ok(lo >= -1024 && hi <= 2986 && lo < 0, `${lo}..${hi}`);
  }
});

test("J2K_pixelrep_mismatch decodes without clipping to its 13 signed bits", () => {
  const img = decode("pydicom", "J2K_pixelrep_mismatch.dcm");
  assert.equal(img.bitsStored, 13);
  assert.equal(img.pixelRepresentation, 1);
  assert.deepEqual(range(img), [-2000, 1896]);
});

test("readDicom keeps identifiers and the raw dictionary with private tags", () => {
  const d = readDicom(dicomBytes("pydicom", "CT_small.dcm"));
  assert.match(d.sopInstanceUid ?? "", /^[0-9.]+$/);
  assert.ok(d.sopClassUid);
  assert.ok(Object.keys(d.dict).some((k) => Number.parseInt(k.slice(0, 4), 16) % 2 === 1));
});
