import assert from "node:assert/strict";
import { test } from "node:test";
import dicomParser from "dicom-parser";
import {
  createDicomFromPixels,
  decodePixels,
  ImagingError,
  npyToImage,
  pixelSha256,
  readDicom,
  readImage,
  readImageFile,
  readNpz,
  readPng,
  SOP_CLASS,
  sniffFormat,
  writePng,
} from "../../src/imaging/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { dataBytes, dicomBytes, samePlanes } from "./helpers.ts";

test("sniffFormat recognises DICOM, PNG and NPY by signature", () => {
  assert.equal(sniffFormat(dicomBytes("pydicom", "CT_small.dcm")), "dicom");
  assert.equal(sniffFormat(dataBytes("images", "boat.png")), "png");
  assert.equal(sniffFormat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])), "npy");
  assert.equal(sniffFormat(new Uint8Array(200)), undefined);
  assert.throws(
    () => readImage(new Uint8Array(200)),
    (e) => e instanceof ImagingError && e.code === "IMG_UNSUPPORTED",
  );
});

test("readImageFile reads a DICOM file and keeps the parsed header", async () => {
  const r = await readImageFile(dataPath("dicom", "pydicom", "CT_small.dcm"));
  assert.equal(r.format, "dicom");
  assert.ok(r.dicom);
  assert.equal(r.image.rows, 128);
});

test("a PneumoniaMNIST image wrapped as DICOM is a valid Secondary Capture", () => {
  const train = readNpz(dataBytes("pneumoniamnist", "pneumoniamnist.npz"), ["train_images"]).get(
    "train_images",
  )!;
  const image = npyToImage(train, 0);
  const created = createDicomFromPixels(image, {
    patientId: "PNM-000000",
    seriesDescription: "PneumoniaMNIST",
  });
  const ds = dicomParser.parseDicom(created.bytes);
  assert.equal(ds.string("x00080016"), SOP_CLASS.secondaryCapture);
  assert.equal(ds.string("x00020010"), "1.2.840.10008.1.2.1");
  assert.equal(ds.string("x00100020"), "PNM-000000");
  assert.equal(ds.string("x0020000d"), created.studyInstanceUid);
  assert.match(created.sopInstanceUid, /^2\.25\.[0-9]{1,39}$/);
  const back = readImage(created.bytes);
  assert.ok(samePlanes(back.image.planes, image.planes));
  assert.equal(back.dicom?.photometric, "MONOCHROME2");
});

test("PNG -> DICOM -> PNG keeps every value (16-bit and RGB too)", () => {
  const boat = readPng(dataBytes("images", "boat.png"));
  const viaDicom = decodePixels(readDicom(createDicomFromPixels(boat).bytes));
  assert.equal(pixelSha256(viaDicom), pixelSha256(boat));
  assert.ok(samePlanes(readPng(writePng(viaDicom)).planes, boat.planes));

  const wide = {
    ...boat,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    planes: [boat.planes[0].map((v) => v * 257)],
  };
  assert.equal(
    pixelSha256(decodePixels(readDicom(createDicomFromPixels(wide).bytes))),
    pixelSha256(wide),
  );

  const rgb = decodePixels(readDicom(dicomBytes("codecs", "rgb8.dcm")));
  const rgbBack = decodePixels(readDicom(createDicomFromPixels(rgb).bytes));
  assert.ok(samePlanes(rgbBack.planes, rgb.planes));
});

test("a multi-frame signed stack with padding round-trips through createDicomFromPixels", () => {
  const n = 20 * 24;
  const planes = [0, 1, 2].map((f) =>
    Int32Array.from({ length: n }, (_, i) => (i < 24 ? -2000 : ((i * 37 + f * 101) % 3000) - 1024)),
  );
  const image = {
    rows: 20,
    cols: 24,
    frames: 3,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 1 as const,
    photometric: "MONOCHROME2",
    padding: { value: -2000 },
    planes,
  };
  const created = createDicomFromPixels(image);
  const d = readDicom(created.bytes);
  assert.equal(d.sopClassUid, SOP_CLASS.multiFrameGrayscaleWord);
  const ds = dicomParser.parseDicom(created.bytes);
  assert.equal(ds.attributeTag("x00280009"), "x00182002");
  assert.equal(ds.string("x00182002"), "1\\2\\3");
  const back = decodePixels(d);
  assert.equal(back.frames, 3);
  assert.deepEqual(back.padding, { value: -2000 });
  assert.ok(samePlanes(back.planes, planes));
});
