// Pixel layouts the shared data lacks: multi-frame compressed files, planar RGB, and the
// photometric decisions of §2.1 for YBR and palette data sets.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import dcmjsCodecs from "dcmjs-codecs";
import {
  createDicomFromPixels,
  type DicomImage,
  decodedPhotometric,
  decodePixels,
  ImagingError,
  readDicom,
  TAG,
  writeDicomPixels,
} from "../../src/imaging/index.ts";
import type { PixelImage } from "../../src/imaging/types.ts";
import { dicomBytes, samePlanes } from "./helpers.ts";

// dcmjs-codecs loads dcmjs's CommonJS build, whose VR notices go to their own logger.
createRequire(import.meta.url)("dcmjs")
  .log.getLogger("validation.dcmjs")
  .setLevel("silent");

const { Transcoder, constants } = dcmjsCodecs;

function stack(frames: number, signed: boolean): PixelImage {
  const n = 32 * 40;
  const planes = Array.from({ length: frames }, (_, f) =>
    Int32Array.from({ length: n }, (_, i) => ((i * 37 + f * 101) % 3000) - (signed ? 1024 : 0)),
  );
  return {
    rows: 32,
    cols: 40,
    frames,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: signed ? 1 : 0,
    photometric: "MONOCHROME2",
    planes,
  };
}

test("multi-frame files in every lossless syntax decode frame by frame", () => {
  const image = stack(4, true);
  const native = createDicomFromPixels(image).bytes;
  const T = constants.TransferSyntax;
  for (const ts of [
    T.RleLossless,
    T.JpegLsLossless,
    T.Jpeg2000Lossless,
    T.JpegLosslessProcess14V1,
    T.HtJpeg2000Lossless,
  ]) {
    const t = new Transcoder(native.slice().buffer);
    t.transcode(ts);
    const d = readDicom(new Uint8Array(t.getDicomPart10()));
    assert.equal(d.transferSyntaxUid, ts);
    assert.equal(d.frames, 4);
    assert.ok(samePlanes(decodePixels(d).planes, image.planes), ts);
  }
});

test("native RGB with Planar Configuration 1 is split like the interleaved file", () => {
  const source = readDicom(dicomBytes("codecs", "rgb8.dcm"));
  const interleaved = decodePixels(source);
  const n = interleaved.rows * interleaved.cols;
  const planar = new Uint8Array(n * 3);
  interleaved.planes.forEach((p, s) => {
    for (let i = 0; i < n; i++) planar[s * n + i] = p[i];
  });
  const dict = {
    ...source.dict,
    [TAG.PlanarConfiguration]: { vr: "US", Value: [1] },
    [TAG.PixelData]: { vr: "OB", Value: [planar.buffer] },
  };
  const asPlanar: DicomImage = { ...source, dict, planarConfiguration: 1 };
  assert.ok(samePlanes(decodePixels(asPlanar).planes, interleaved.planes));
  // Written back, the copy is interleaved (Planar Configuration 0) and reads the same.
  const back = readDicom(writeDicomPixels(asPlanar, interleaved));
  assert.equal(back.planarConfiguration, 0);
  assert.ok(samePlanes(decodePixels(back).planes, interleaved.planes));
});

test("photometric: YBR_RCT only under lossless JPEG 2000; palette and other YBR refused", () => {
  const j2k = readDicom(dicomBytes("codecs", "rgb8_j2k.dcm"));
  const rle = readDicom(dicomBytes("codecs", "rgb8_rle.dcm"));
  const mono = readDicom(dicomBytes("codecs", "mono8.dcm"));
  assert.equal(decodedPhotometric({ ...j2k, photometric: "YBR_RCT" }), "RGB");
  assert.equal(
    decodedPhotometric({
      ...j2k,
      transferSyntaxUid: "1.2.840.10008.1.2.4.201",
      photometric: "YBR_RCT",
    }),
    "RGB",
  );
  const refused = (d: DicomImage) =>
    assert.throws(
      () => decodePixels(d),
      (e) => e instanceof ImagingError && e.code === "WM_UNSUPPORTED_PHOTOMETRIC",
    );
  refused({ ...rle, photometric: "YBR_RCT" });
  refused({ ...rle, photometric: "YBR_FULL" });
  refused({ ...j2k, photometric: "YBR_FULL_422" });
  refused({ ...j2k, photometric: "YBR_ICT" });
  refused({ ...mono, photometric: "PALETTE COLOR" });
  refused({ ...mono, photometric: "RGB" }); // one sample cannot be RGB
});

test("bits: only 8/16 allocated with High Bit = Bits Stored - 1", () => {
  const mono = readDicom(dicomBytes("codecs", "mono8.dcm"));
  const bits = (d: DicomImage) =>
    assert.throws(
      () => decodePixels(d),
      (e) => e instanceof ImagingError && e.code === "WM_UNSUPPORTED_BITS",
    );
  bits({ ...mono, bitsAllocated: 1, bitsStored: 1, highBit: 0 });
  bits({ ...mono, bitsAllocated: 32, bitsStored: 32, highBit: 31 });
  bits({ ...mono, bitsStored: 9, highBit: 8 });
  bits({ ...mono, bitsStored: 6, highBit: 7 });
});

test("signed 12-bit data keeps its sign through JPEG-family codecs and RLE", () => {
  const image = stack(2, true);
  const twelve: PixelImage = {
    ...image,
    bitsStored: 12,
    highBit: 11,
    planes: image.planes.map((p) =>
      p.map((v, i) => (i === 0 ? -2048 : i === 1 ? 2047 : (v % 2048) - 1)),
    ),
  };
  const native = createDicomFromPixels(twelve).bytes;
  assert.ok(samePlanes(decodePixels(readDicom(native)).planes, twelve.planes));
  const T = constants.TransferSyntax;
  for (const ts of [
    T.RleLossless,
    T.JpegLsLossless,
    T.JpegLosslessProcess14V1,
    T.Jpeg2000Lossless,
  ]) {
    const t = new Transcoder(native.slice().buffer);
    t.transcode(ts);
    const d = readDicom(new Uint8Array(t.getDicomPart10()));
    assert.equal(d.bitsStored, 12);
    assert.ok(samePlanes(decodePixels(d).planes, twelve.planes), ts);
  }
});
