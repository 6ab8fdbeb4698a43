import assert from "node:assert/strict";
import { test } from "node:test";
import dicomParser from "dicom-parser";
import { newDicomDict } from "../../src/imaging/dcmjs-api.ts";
import {
  DERIVATION_DESCRIPTION,
  type DicomImage,
  decodePixels,
  ImagingError,
  MEDTRACE_IMPLEMENTATION_VERSION,
  pixelRange,
  pixelSha256,
  readDicom,
  restoreDicomHeader,
  TS,
  writeDerivedDicom,
  writeDicomPixels,
} from "../../src/imaging/index.ts";
import type { PixelImage } from "../../src/imaging/types.ts";
import { dicomBytes, samePlanes } from "./helpers.ts";

const UID_2_25 = /^2\.25\.[0-9]{1,39}$/;

/** A copy of the image with every 7th value moved by ±1 inside its range, like a mark. */
function perturb(image: PixelImage): PixelImage {
  const [lo, hi] = pixelRange(image);
  return {
    ...image,
    planes: image.planes.map((p) =>
      p.map((v, i) => (i % 7 === 0 ? (v < hi ? v + 1 : v - 1) : v === lo && i === 1 ? v : v)),
    ),
  };
}

/** Private elements (odd group, not a group length) and their value bytes, per dicom-parser. */
function privateValues(bytes: Uint8Array): Map<string, Buffer> {
  const ds = dicomParser.parseDicom(bytes);
  const out = new Map<string, Buffer>();
  for (const [tag, el] of Object.entries(ds.elements)) {
    const group = Number.parseInt(tag.slice(1, 5), 16);
    if (group % 2 === 1 && !tag.endsWith("0000")) {
      out.set(tag, Buffer.from(bytes.subarray(el.dataOffset, el.dataOffset + el.length)));
    }
  }
  return out;
}

function assertPrivateTagsKept(source: Uint8Array, copy: Uint8Array): number {
  const a = privateValues(source);
  const b = privateValues(copy);
  for (const [tag, value] of a) {
    const other = b.get(tag);
    assert.ok(other, `private element ${tag} is missing`);
    assert.ok(value.equals(other), `private element ${tag} changed`);
  }
  return a.size;
}

/** CT_small re-encoded as implicit VR little endian by dcmjs: private tags without VRs. */
function implicitCtSmall(): Uint8Array {
  const d = readDicom(dicomBytes("pydicom", "CT_small.dcm"));
  const meta = { ...d.meta, "00020010": { vr: "UI", Value: [TS.implicitLE] } };
  delete (meta as Record<string, unknown>)["00020000"];
  return new Uint8Array(newDicomDict(meta, d.dict).write());
}

function derive(source: DicomImage, marked: PixelImage) {
  return writeDerivedDicom(source, marked, {
    softwareVersion: "0.1.0",
    now: new Date(Date.UTC(2026, 10, 23, 14, 5, 6, 789)),
  });
}

for (const [name, bytes] of [
  ["CT_small (explicit LE, 179 private tags)", () => dicomBytes("pydicom", "CT_small.dcm")],
  ["CT_small as implicit VR", implicitCtSmall],
  [
    "mr_u16_bs12 JPEG Lossless .57 (42 private tags)",
    () => dicomBytes("codecs", "mr_u16_bs12_jpegll57.dcm"),
  ],
  ["MR_small big endian", () => dicomBytes("pydicom", "MR_small_bigendian.dcm")],
  ["rgb8 RLE", () => dicomBytes("codecs", "rgb8_rle.dcm")],
] as const) {
  test(`marked copy of ${name}: pixels bit-exact, private tags byte-equal, §12.2 header`, () => {
    const src = bytes();
    const source = readDicom(src);
    const marked = perturb(decodePixels(source));
    const out = derive(source, marked);

    const back = readDicom(out.bytes);
    assert.equal(back.transferSyntaxUid, TS.explicitLE);
    const pixels = decodePixels(back);
    assert.ok(samePlanes(pixels.planes, marked.planes));
    assert.equal(pixelSha256(pixels), pixelSha256(marked));
    const kept = assertPrivateTagsKept(src, out.bytes);
    if (name.startsWith("CT_small")) assert.equal(kept, 179);

    // An independent parser reads the copy.
    const ds = dicomParser.parseDicom(out.bytes);
    assert.equal(ds.string("x00020010"), TS.explicitLE);
    assert.equal(ds.string("x00020013"), MEDTRACE_IMPLEMENTATION_VERSION);
    assert.match(out.sopInstanceUid, UID_2_25);
    assert.match(out.seriesInstanceUid, UID_2_25);
    assert.equal(ds.string("x00080018"), out.sopInstanceUid);
    assert.equal(ds.string("x00020003"), out.sopInstanceUid);
    assert.equal(ds.string("x0020000e"), out.seriesInstanceUid);
    assert.notEqual(out.sopInstanceUid, source.sopInstanceUid);
    assert.equal(ds.string("x0020000d"), source.studyInstanceUid);
    const imageType = (ds.string("x00080008") ?? "").split("\\");
    assert.equal(imageType[0], "DERIVED");
    if (source.imageType) assert.deepEqual(imageType.slice(1), source.imageType.slice(1));
    else assert.deepEqual(imageType, ["DERIVED", "SECONDARY"]);
    assert.equal(ds.string("x00082111"), DERIVATION_DESCRIPTION);
    assert.equal(ds.string("x00080012"), "20261123");
    assert.equal(ds.string("x00080013"), "140506.789000");
    assert.notEqual(ds.string("x00282110"), "01");

    const pd = ds.elements.x7fe00010;
    assert.equal(pd.length % 2, 0);
    assert.equal(pd.vr, marked.bitsAllocated === 16 ? "OW" : "OB");

    const srcSeq = ds.elements.x00082112.items ?? [];
    const ref = srcSeq[srcSeq.length - 1].dataSet!;
    assert.equal(ref.string("x00081150"), source.sopClassUid);
    assert.equal(ref.string("x00081155"), source.sopInstanceUid);
    const purpose = ref.elements.x0040a170.items![0].dataSet!;
    assert.deepEqual([purpose.string("x00080100"), purpose.string("x00080102")], ["121322", "DCM"]);
    const eqSeq = ds.elements.x0018a001.items ?? [];
    const eq = eqSeq[eqSeq.length - 1].dataSet!;
    assert.equal(eq.string("x00080070"), "medtrace");
    assert.equal(eq.string("x00181020"), "0.1.0");
    assert.equal(eq.string("x0018a002"), "20261123140506.789000+0000");
    assert.equal(eq.string("x0018a003"), "Reversible watermark embedded");
    assert.equal(eq.elements.x0040a170.items![0].dataSet!.string("x00080100"), "109103");

    // Smallest/Largest recomputed from the marked pixels, absent when the source had neither.
    const had = "00280106" in source.dict || "00280107" in source.dict;
    if (had) {
      const [lo, hi] = pixelRange(marked);
      const signed = marked.pixelRepresentation === 1;
      const read = (t: string) => (signed ? ds.int16(t) : ds.uint16(t));
      assert.equal(read("x00280106"), lo);
      assert.equal(read("x00280107"), hi);
      assert.equal(ds.elements.x00280106.vr ?? (signed ? "SS" : "US"), signed ? "SS" : "US");
    } else {
      assert.equal(ds.elements.x00280106, undefined);
      assert.equal(ds.elements.x00280107, undefined);
    }
    for (const gone of ["x00280108", "x00280109", "x00880200", "xfffafffa", "x4ffe0001"]) {
      assert.equal(ds.elements[gone], undefined, gone);
    }
  });
}

test("a given series UID is used; each copy gets its own SOP Instance UID", () => {
  const source = readDicom(dicomBytes("pydicom", "CT_small.dcm"));
  const px = decodePixels(source);
  const series = "2.25.123456789";
  const a = writeDerivedDicom(source, px, { softwareVersion: "t", seriesInstanceUid: series });
  const b = writeDerivedDicom(source, px, { softwareVersion: "t", seriesInstanceUid: series });
  assert.equal(a.seriesInstanceUid, series);
  assert.equal(readDicom(b.bytes).seriesInstanceUid, series);
  assert.notEqual(a.sopInstanceUid, b.sopInstanceUid);
});

test("a lossy source is refused; pixels of another geometry or out of the container are refused", () => {
  const lossy = readDicom(dicomBytes("codecs", "mono8_jpeg50.dcm"));
  const mono = decodePixels(readDicom(dicomBytes("codecs", "mono8.dcm")));
  assert.throws(
    () => writeDerivedDicom(lossy, mono, { softwareVersion: "t" }),
    (e) => e instanceof ImagingError && e.code === "WM_LOSSY_SOURCE",
  );
  const ct = readDicom(dicomBytes("pydicom", "CT_small.dcm"));
  assert.throws(() => writeDerivedDicom(ct, mono, { softwareVersion: "t" }), ImagingError);
  const px = decodePixels(ct);
  const bad = { ...px, planes: [px.planes[0].map((v, i) => (i === 3 ? 40000 : v))] };
  assert.throws(() => writeDerivedDicom(ct, bad, { softwareVersion: "t" }), /does not fit/);
});

test("restoreDicomHeader puts the source identifiers back and removes medtrace's items", () => {
  const src = dicomBytes("pydicom", "CT_small.dcm");
  const source = readDicom(src);
  const original = decodePixels(source);
  const marked = perturb(original);
  const copy = derive(source, marked);
  const markedDicom = readDicom(copy.bytes);
  const restoredBytes = restoreDicomHeader(markedDicom, original, {
    sopInstanceUid: source.sopInstanceUid!,
    seriesInstanceUid: source.seriesInstanceUid!,
    imageType: source.imageType,
  });
  const restored = readDicom(restoredBytes);
  assert.equal(restored.sopInstanceUid, source.sopInstanceUid);
  assert.equal(restored.seriesInstanceUid, source.seriesInstanceUid);
  assert.deepEqual(restored.imageType, source.imageType);
  assert.ok(samePlanes(decodePixels(restored).planes, original.planes));
  assert.equal(pixelSha256(decodePixels(restored)), pixelSha256(original));
  assert.equal(restored.dict["00082112"], undefined);
  assert.equal(restored.dict["0018A001"], undefined);
  assert.equal(restored.dict["00082111"], undefined);
  const ds = dicomParser.parseDicom(restoredBytes);
  assert.equal(ds.string("x00020003"), source.sopInstanceUid);
  // CT_small has no Smallest/Largest Image Pixel Value: none is added.
  assert.equal(ds.elements.x00280106, undefined);
  assertPrivateTagsKept(src, restoredBytes);
});

test("restoreDicomHeader recomputes Smallest/Largest and drops a DERIVED\\SECONDARY Image Type it added", () => {
  const source = readDicom(dicomBytes("pydicom", "MR_small.dcm"));
  const original = decodePixels(source);
  const copy = readDicom(derive(source, perturb(original)).bytes);
  const restoredBytes = restoreDicomHeader(copy, original, {
    sopInstanceUid: source.sopInstanceUid!,
    seriesInstanceUid: source.seriesInstanceUid!,
  });
  const ds = dicomParser.parseDicom(restoredBytes);
  assert.equal(ds.int16("x00280106"), pixelRange(original)[0]);
  assert.equal(ds.int16("x00280107"), pixelRange(original)[1]);
  assert.equal(ds.elements.x00080008, undefined);
});

test("writeDicomPixels replaces pixels only and writes Explicit VR Little Endian", () => {
  const source = readDicom(dicomBytes("pydicom", "MR_small_implicit.dcm"));
  const px = perturb(decodePixels(source));
  const back = readDicom(writeDicomPixels(source, px));
  assert.equal(back.transferSyntaxUid, TS.explicitLE);
  assert.equal(back.sopInstanceUid, source.sopInstanceUid);
  assert.ok(samePlanes(decodePixels(back).planes, px.planes));
});
