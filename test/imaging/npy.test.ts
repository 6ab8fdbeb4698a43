import assert from "node:assert/strict";
import { test } from "node:test";
import { zipSync } from "fflate";
import { ImagingError, npyToImage, readImage, readNpy, readNpz } from "../../src/imaging/index.ts";
import { dataBytes } from "./helpers.ts";

/** An NPY v1.0 file written the way numpy.save does (header padded to a multiple of 64). */
function npy(descr: string, shape: number[], data: ArrayBufferView, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += `${" ".repeat((64 - (total % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

test("PneumoniaMNIST npz: arrays, shapes, dtypes and labels", () => {
  const arrays = readNpz(dataBytes("pneumoniamnist", "pneumoniamnist.npz"));
  const train = arrays.get("train_images");
  assert.ok(train);
  assert.deepEqual(train.shape, [4708, 28, 28]);
  assert.equal(train.dtype, "uint8");
  assert.equal(train.data.length, 4708 * 28 * 28);
  assert.deepEqual(arrays.get("val_images")?.shape, [524, 28, 28]);
  assert.deepEqual(arrays.get("test_images")?.shape, [624, 28, 28]);
  const labels = arrays.get("train_labels");
  assert.deepEqual(labels?.shape, [4708, 1]);
  // Official class counts of the train split (README): 1214 normal, 3494 pneumonia.
  let ones = 0;
  for (const v of labels!.data as Uint8Array) ones += Number(v);
  assert.equal(ones, 3494);
  const img = npyToImage(train, 7);
  assert.deepEqual([img.rows, img.cols, img.frames, img.bitsStored], [28, 28, 1, 8]);
  assert.deepEqual(
    Array.from(img.planes[0].subarray(0, 28)),
    Array.from(train.data.subarray(7 * 784, 7 * 784 + 28) as Uint8Array),
  );
});

test("readNpz can read only the arrays asked for", () => {
  const arrays = readNpz(dataBytes("pneumoniamnist", "pneumoniamnist.npz"), ["val_labels"]);
  assert.deepEqual([...arrays.keys()], ["val_labels"]);
});

test("NPY dtypes: int16, uint16, int32, int64, float32, float64", () => {
  const cases: [string, ArrayBufferView, string][] = [
    ["<i2", Int16Array.from([-32768, -1, 0, 32767]), "int16"],
    ["<u2", Uint16Array.from([0, 1, 4095, 65535]), "uint16"],
    ["<i4", Int32Array.from([-(2 ** 31), -1, 0, 2 ** 31 - 1]), "int32"],
    ["<i8", BigInt64Array.from([-(2n ** 63n), -1n, 0n, 2n ** 62n]), "int64"],
    ["<f4", Float32Array.from([-1.5, 0, 0.25, 3e38]), "float32"],
    ["<f8", Float64Array.from([-1.5, 0, Math.PI, 1e300]), "float64"],
    ["|u1", Uint8Array.from([0, 1, 2, 255]), "uint8"],
  ];
  for (const [descr, data, dtype] of cases) {
    const arr = readNpy(npy(descr, [2, 2], data));
    assert.equal(arr.dtype, dtype);
    assert.deepEqual(arr.shape, [2, 2]);
    assert.deepEqual(
      Array.from(arr.data as ArrayLike<number | bigint>),
      Array.from(data as unknown as ArrayLike<number | bigint>),
    );
  }
});

test("NPY: big-endian, Fortran order, objects and truncation give clear errors", () => {
  const data = Int16Array.from([1, 2, 3, 4]);
  assert.throws(
    () => readNpy(npy(">i2", [2, 2], data)),
    (e) => e instanceof ImagingError && e.code === "IMG_UNSUPPORTED" && /dtype/.test(e.message),
  );
  assert.throws(() => readNpy(npy("<i2", [2, 2], data, true)), /Fortran/);
  assert.throws(() => readNpy(npy("|O", [2, 2], data)), /dtype/);
  const full = npy("<i2", [2, 2], data);
  assert.throws(
    () => readNpy(full.subarray(0, full.length - 1)),
    (e) => e instanceof ImagingError && e.code === "IMG_PARSE",
  );
  assert.throws(
    () => readNpz(new Uint8Array([1, 2, 3, 4])),
    (e) => e instanceof ImagingError && e.code === "IMG_PARSE",
  );
});

test("an NPY stack reads as a multi-frame image; a zipped one as an npz", () => {
  const data = Uint16Array.from({ length: 3 * 4 * 5 }, (_, i) => i * 1000);
  const bytes = npy("<u2", [3, 4, 5], data);
  const r = readImage(bytes);
  assert.equal(r.format, "npy");
  assert.deepEqual([r.image.frames, r.image.rows, r.image.cols, r.image.bitsStored], [3, 4, 5, 16]);
  assert.equal(r.image.planes[2][19], 59000);
  const z = readNpz(zipSync({ "a.npy": bytes, "b.npy": npy("<f4", [1], Float32Array.from([2])) }));
  assert.deepEqual([...z.keys()].sort(), ["a", "b"]);
  assert.throws(
    () => npyToImage(z.get("b")!),
    (e) => e instanceof ImagingError && /float32/.test(e.message),
  );
});
