import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createDicomFromPixels, type PixelImage, writePng } from "../../src/imaging/index.ts";
import { cropResize, imageDataset, localSplit, parseCsv } from "../../src/fl/images.ts";
import { dataPath } from "../../src/util/data-path.ts";

function grey(rows: number, cols: number, f: (r: number, c: number) => number, photometric = "MONOCHROME2"): PixelImage {
  const p = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) p[r * cols + c] = f(r, c);
  return {
    rows,
    cols,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    highBit: 7,
    pixelRepresentation: 0,
    photometric,
    planes: [p],
  };
}

test("labels.csv parsing follows RFC 4180 (quotes, escaped quotes, CRLF)", () => {
  const rows = parseCsv('file,label,note\r\na.png,normal,"x, ""y"""\r\n"b c.png",1,\r\n');
  assert.deepEqual(rows, [
    { file: "a.png", label: "normal", note: 'x, "y"' },
    { file: "b c.png", label: "1", note: "" },
  ]);
});

test("the local split is keyed by dataset and patient, about 10 % val, stable", () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `p${i}`);
  const val = keys.filter((k) => localSplit("ds-1", k) === "val").length;
  assert.ok(val > 150 && val < 250, `${val}`);
  assert.deepEqual(keys.map((k) => localSplit("ds-1", k)), keys.map((k) => localSplit("ds-1", k)));
  assert.notDeepEqual(keys.map((k) => localSplit("ds-1", k)), keys.map((k) => localSplit("ds-2", k)));
});

test("resize: area averaging keeps a constant, bilinear upscaling keeps a ramp monotone", () => {
  const c = cropResize(new Float32Array(40 * 30).fill(0.25), 40, 30, 28);
  assert.ok(c.every((v) => Math.abs(v - 0.25) < 1e-6));
  const ramp = Float32Array.from({ length: 10 * 10 }, (_, i) => (i % 10) / 9);
  const up = cropResize(ramp, 10, 10, 28);
  for (let x = 1; x < 28; x++) assert.ok(up[x] >= up[x - 1]);
  const down = cropResize(ramp, 10, 10, 5);
  assert.ok(Math.abs(down[0] - (0 + 1 / 9) / 2) < 1e-6);
});

test("a folder of PNG and DICOM files with labels.csv becomes float [0, 1] datasets; bad rows are listed", () => {
  const files = new Map<string, Uint8Array>();
  files.set("const.png", writePng(grey(40, 30, () => 200)));
  files.set("ct.dcm", new Uint8Array(readFileSync(dataPath("dicom", "pydicom", "CT_small.dcm"))));
  files.set("mr.dcm", new Uint8Array(readFileSync(dataPath("dicom", "pydicom", "MR_small.dcm"))));
  files.set("inv.dcm", createDicomFromPixels(grey(28, 28, (r) => r * 9, "MONOCHROME1"), { patientId: "P9" }).bytes);
  files.set("airplane.png", new Uint8Array(readFileSync(dataPath("images", "airplane.png"))));
  const csv = "file,label,split\nconst.png,normal,train\nct.dcm,pneumonia,train\nmr.dcm,1,val\ninv.dcm,normal,test\nairplane.png,0,\n";
  const ds = imageDataset(files, csv, { datasetId: "d1", classes: ["normal", "pneumonia"], inputSize: 28 });
  const total = ds.train.n + ds.val.n + (ds.test?.n ?? 0);
  assert.equal(total, 5);
  assert.equal(ds.test?.n, 1);
  for (const d of [ds.train, ds.val]) assert.ok(d.x.every((v) => v >= 0 && v <= 1));
  assert.ok(ds.train.x.subarray(0, 784).every((v) => Math.abs(v - 200 / 255) < 1e-6));
  assert.deepEqual(Array.from(ds.train.y.subarray(0, 2)), [0, 1]);
  // MONOCHROME1: the brightest stored row is shown darkest after min–max and inversion
  const inv = ds.test?.x as Float32Array;
  assert.ok(inv[27 * 28] < 0.01 && inv[0] > 0.99);
  const bad = "file,label\nconst.png,normal\nconst.png,normal\nnope.png,normal\nct.dcm,cancer\n";
  assert.throws(
    () => imageDataset(files, bad, { datasetId: "d1", classes: ["normal", "pneumonia"], inputSize: 28 }),
    (e: Error) =>
      /DATASET_INVALID/.test(e.message) &&
      /row 3: duplicate key const\.png/.test(e.message) &&
      /row 4: file nope\.png missing/.test(e.message) &&
      /row 5: unknown label 'cancer'/.test(e.message),
  );
});
