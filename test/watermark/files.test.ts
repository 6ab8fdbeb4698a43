// Real images from ../shared/data through the whole file path (reversible-watermark.md §14.3–§14.5).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import dicomParser from "dicom-parser";
import { masterSecret } from "../../src/crypto/index.ts";
import { type PixelImage, readDicom, readImage, writePng } from "../../src/imaging/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { decodeFile, markFile, restoreFile } from "../../src/watermark/files.ts";
import {
  decode,
  embed,
  planesOf,
  restorePlane,
  type WmKeys,
  watermarkKeys,
} from "../../src/watermark/reversible/index.ts";

// The first of the benchmark's five keys (§15.4); CT_small only fits P2 under some keys.
const KEYS: WmKeys = watermarkKeys(
  masterSecret(new Uint8Array(32).fill(1), "bench.medtrace.local"),
);
const TOKEN = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const fast = { checkExistingMark: false } as const;

const bytesOf = (...parts: string[]) => new Uint8Array(readFileSync(dataPath(...parts)));
const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString("hex") : "");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

test("every lossless codec variant gives the same marked pixels as the native file (§14.5)", () => {
  const variants = ["", "_rle", "_jpegls", "_j2k", "_jpegll70", "_jpegll57"];
  for (const base of ["mono8", "ct_s16", "mr_u16_bs12"]) {
    let native: string | undefined;
    for (const v of variants) {
      const marked = markFile(bytesOf("dicom", "codecs", `${base}${v}.dcm`), TOKEN, KEYS, fast);
      const again = readDicom(marked.bytes);
      assert.equal(
        again.transferSyntaxUid,
        "1.2.840.10008.1.2.1",
        `${base}${v} written as explicit VR LE`,
      );
      native ??= marked.markedPixelSha256;
      assert.equal(marked.markedPixelSha256, native, `${base}${v}`);
    }
  }
});

test("lossy sources are refused, 32-bit grids and truncated files give their codes (§14.5)", () => {
  for (const f of [
    "codecs/mono8_jpeg50.dcm",
    "codecs/mr_u16_bs12_jpeg51.dcm",
    "codecs/rgb8_jpeg50.dcm",
    "pydicom/JPEG-lossy.dcm",
  ]) {
    assert.equal(
      codeOf(() => markFile(bytesOf("dicom", f), null, KEYS, fast)),
      "WM_LOSSY_SOURCE",
      f,
    );
  }
  assert.equal(
    codeOf(() => markFile(bytesOf("dicom", "pydicom", "rtdose.dcm"), null, KEYS, fast)),
    "WM_UNSUPPORTED_BITS",
  );
  assert.equal(
    codeOf(() => markFile(bytesOf("dicom", "pydicom", "MR_truncated.dcm"), null, KEYS, fast)),
    "IMG_PARSE",
  );
});

test("RGB: three planes carry one token and restore exactly (§14.5)", () => {
  for (const f of ["codecs/rgb8_rle.dcm", "pydicom/SC_rgb_rle.dcm"]) {
    const marked = markFile(bytesOf("dicom", f), TOKEN, KEYS, fast);
    assert.deepEqual(marked.embed.markedPlanes, [0, 1, 2]);
    const restored = restoreFile(marked.bytes, [KEYS]);
    assert.equal(hex(restored.decode.token), hex(TOKEN));
    assert.equal(restored.decode.mixedTokens, false);
    assert.equal(restored.restoredPixelSha256, marked.sourcePixelSha256, f);
  }
});

test("CT_small (padding −2000) is low padding, profile P2, exact round trip; MR_small is refused (§14.3)", () => {
  const { image } = readImage(bytesOf("dicom", "pydicom", "CT_small.dcm"));
  const [plane] = planesOf(image);
  assert.equal(plane.loW, -1999);
  const marked = markFile(bytesOf("dicom", "pydicom", "CT_small.dcm"), TOKEN, KEYS, fast);
  assert.equal(marked.embed.stats[0].profile, "P2");
  const restored = restoreFile(marked.bytes, [KEYS]);
  assert.equal(hex(restored.decode.token), hex(TOKEN.subarray(0, 8)));
  assert.equal(restored.restoredPixelSha256, marked.sourcePixelSha256);
  assert.equal(
    codeOf(() => markFile(bytesOf("dicom", "pydicom", "MR_small.dcm"), null, KEYS, fast)),
    "WM_CAPACITY",
  );
});

test("J2K_pixelrep_mismatch is marked without clipping, or refused as out of range (§14.5)", () => {
  const bytes = bytesOf("dicom", "pydicom", "J2K_pixelrep_mismatch.dcm");
  try {
    const marked = markFile(bytes, TOKEN, KEYS, fast);
    assert.equal(restoreFile(marked.bytes, [KEYS]).restoredPixelSha256, marked.sourcePixelSha256);
  } catch (err) {
    assert.equal((err as { code?: string }).code, "WM_VALUE_OUT_OF_RANGE");
  }
});

test("a 28×28 PneumoniaMNIST-sized image is far too small (§14.5)", () => {
  const image: PixelImage = {
    rows: 28,
    cols: 28,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    highBit: 7,
    pixelRepresentation: 0,
    photometric: "MONOCHROME2",
    planes: [Int32Array.from({ length: 784 }, (_, i) => (i * 7) % 256)],
  };
  assert.equal(
    codeOf(() => markFile(writePng(image), null, KEYS, fast)),
    "WM_CAPACITY",
  );
});

test("the marked copy is a valid derived instance that keeps the source's private tags (§14.5)", () => {
  const source = bytesOf("ct-head", "slice-050.dcm");
  const marked = markFile(source, TOKEN, KEYS, fast);
  const ds = dicomParser.parseDicom(marked.bytes);
  assert.match(ds.string("x00080018") ?? "", /^2\.25\.[0-9]{1,39}$/);
  assert.equal(ds.string("x00080008")?.split("\\")[0], "DERIVED");
  assert.ok(ds.elements.x00082112, "Source Image Sequence");
  assert.ok(ds.elements.x0018a001, "Contributing Equipment Sequence");
  assert.notEqual(ds.string("x00282110"), "01");
  const src = dicomParser.parseDicom(source);
  for (const tag of Object.keys(src.elements)) {
    const group = Number.parseInt(tag.slice(1, 5), 16);
    if (group % 2 === 1) {
      const a = src.elements[tag];
      const b = ds.elements[tag];
      assert.ok(b, `private tag ${tag} kept`);
      assert.deepEqual(
        marked.bytes.subarray(b.dataOffset, b.dataOffset + b.length),
        source.subarray(a.dataOffset, a.dataOffset + a.length),
      );
    }
  }
});

test("12-bit plane with ≥10 % of values in 4090–4095 stays ≤ 4095 and restores exactly (§14.3)", () => {
  const rows = 128;
  const cols = 128;
  const data = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      data[r * cols + c] =
        r < 20 ? 4090 + ((r + c) % 6) : Math.round(2000 + 8 * Math.sin(r / 7) * 100 + c);
  }
  const image: PixelImage = {
    rows,
    cols,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 0,
    photometric: "MONOCHROME2",
    planes: [data],
  };
  const result = embed(planesOf(image), TOKEN, KEYS, fast);
  assert.ok(result.planes[0].data.every((v) => v >= 0 && v <= 4095));
  const decoded = decode(result.planes, [KEYS], { restore: true });
  assert.deepEqual(decoded.restoredPlanes?.[0].data, data);
});

function airplane(): PixelImage {
  return readImage(bytesOf("images", "airplane.png")).image;
}

test("saturated images are marked with an exact round trip or refused, never a broken mark (§14.3)", () => {
  const base = airplane();
  const brighter = (d: number) => base.planes[0].map((v) => Math.min(255, v + d));
  let seed = 7;
  const nearWhite = base.planes[0].map(() => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return 250 + (seed % 6);
  });
  for (const [name, plane] of [
    ["+60", brighter(60)],
    ["+120", brighter(120)],
    ["near-white noise", nearWhite],
  ] as const) {
    try {
      const result = embed(planesOf({ ...base, planes: [plane] }), TOKEN, KEYS, fast);
      const decoded = decode(result.planes, [KEYS], { restore: true });
      assert.equal(hex(decoded.token), hex(TOKEN.subarray(0, decoded.token?.length ?? 0)), name);
      assert.deepEqual(decoded.restoredPlanes?.[0].data, plane, name);
    } catch (err) {
      assert.equal((err as { code?: string }).code, "WM_CAPACITY", name);
    }
  }
});

test("an already-marked image is refused; a copy under another key is 'no watermark detected'", () => {
  const png = bytesOf("images", "boat.png");
  const marked = markFile(png, TOKEN, KEYS, fast);
  assert.equal(
    codeOf(() => markFile(marked.bytes, null, KEYS)),
    "WM_ALREADY_MARKED",
  );
  const other: WmKeys = { epoch: 1, pos: KEYS.pos, mac: new Uint8Array(32).fill(0x43) };
  assert.equal(decodeFile(marked.bytes, [other]).decode.found, false);
  const otherPos: WmKeys = { epoch: 1, pos: new Uint8Array(32).fill(0x22), mac: KEYS.mac };
  assert.equal(decodeFile(marked.bytes, [otherPos]).decode.found, false);
});

test("older epochs still decode; the newest is tried first", () => {
  const png = bytesOf("images", "baboon.png");
  const epoch2: WmKeys = {
    epoch: 2,
    pos: new Uint8Array(32).fill(0x51),
    mac: new Uint8Array(32).fill(0x52),
  };
  const marked = markFile(png, TOKEN, KEYS, fast);
  const decoded = decodeFile(marked.bytes, [KEYS, epoch2]).decode;
  assert.equal(decoded.planes[0].epoch, 1);
  assert.equal(hex(decoded.token), hex(TOKEN));
});

test("one changed pixel at a vote carrier, a flag carrier and a boundary pixel: token found, inexact (§14.3)", () => {
  // Peppers has boundary pixels (values 0/255 inside the region), hence flags.
  const { image } = readImage(bytesOf("images", "peppers.png"));
  const [plane] = planesOf(image);
  const result = embed([plane], TOKEN, KEYS, fast);
  assert.ok(result.stats[0].flags > 0, "peppers has flag carriers");
  const marked = result.planes[0];
  const changedAt = (i: number) => {
    const data = Int32Array.from(marked.data);
    data[i] = data[i] === 255 ? 254 : data[i] + 1;
    return { ...marked, data };
  };
  const boundary = marked.data.findIndex(
    (v, i) =>
      (v === 0 || v === 255) &&
      i > 2 * plane.cols + 2 &&
      i % plane.cols > 2 &&
      i % plane.cols < plane.cols - 3 &&
      i < (plane.rows - 3) * plane.cols,
  );
  const changed = marked.data.findIndex((v, i) => v !== plane.data[i]);
  let lastChanged = -1;
  for (let i = marked.data.length - 1; i >= 0; i--) {
    if (marked.data[i] !== plane.data[i]) {
      lastChanged = i;
      break;
    }
  }
  for (const i of [changed, lastChanged, boundary]) {
    assert.ok(i >= 0);
    const tampered = changedAt(i);
    const decoded = decode([tampered], [KEYS], { restore: true });
    assert.equal(hex(decoded.token), hex(TOKEN), `pixel ${i}`);
    const restored = decoded.restoredPlanes?.[0].data as Int32Array;
    assert.notDeepEqual(restored, plane.data);
  }
});

function tamperCases(
  plane: { rows: number; cols: number; data: Int32Array },
  lo: number,
  hi: number,
) {
  const { rows, cols } = plane;
  const clamp = (v: number) => Math.max(lo, Math.min(hi, v));
  const onePixel = Int32Array.from(plane.data);
  const mid = (rows >> 1) * cols + (cols >> 1);
  onePixel[mid] = clamp(onePixel[mid] + 1);
  const patch = Int32Array.from(plane.data);
  let sum = 0;
  for (let r = 100; r < 132; r++) for (let c = 100; c < 132; c++) sum += patch[r * cols + c];
  for (let r = 100; r < 132; r++)
    for (let c = 100; c < 132; c++) patch[r * cols + c] = Math.round(sum / 1024);
  const band = Int32Array.from(plane.data);
  for (let r = 200; r < 210; r++)
    for (let c = 0; c < cols; c++) band[r * cols + c] = clamp(band[r * cols + c] + 20);
  const sparse = Int32Array.from(plane.data);
  let seed = 12345;
  for (let n = 0; n < Math.round(sparse.length / 1000); n++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const i = seed % sparse.length;
    sparse[i] = clamp(sparse[i] + (seed & 0x100 ? 1 : -1));
  }
  return {
    "one pixel +1": onePixel,
    "32x32 patch flattened": patch,
    "rows 200-209 +20": band,
    "±1 on 0.1 % of pixels": sparse,
  };
}

test("tampered copies still name their token (§14.4): USC-SIPI and ct-head 10/50/90", () => {
  const files = [
    ["images", "airplane.png"],
    ["images", "baboon.png"],
    ["images", "boat.png"],
    ["images", "peppers.png"],
    ["ct-head", "slice-010.dcm"],
    ["ct-head", "slice-050.dcm"],
    ["ct-head", "slice-090.dcm"],
  ];
  for (const parts of files) {
    const { image } = readImage(bytesOf(...parts));
    const [plane] = planesOf(image);
    const result = embed([plane], TOKEN, KEYS, fast);
    for (const [name, data] of Object.entries(tamperCases(result.planes[0], plane.lo, plane.hi))) {
      const decoded = decode([{ ...plane, data }], [KEYS], { restore: true });
      assert.equal(hex(decoded.token), hex(TOKEN), `${parts.join("/")}: ${name}`);
      assert.notDeepEqual(
        decoded.restoredPlanes?.[0].data,
        plane.data,
        `${parts.join("/")}: ${name} is inexact`,
      );
    }
  }
});

test("a copy re-marked by an attacker without K_mac (random tag) never verifies (§14.4)", () => {
  const { image } = readImage(bytesOf("images", "boat.png"));
  const [plane] = planesOf(image);
  const attacker: WmKeys = { epoch: 1, pos: KEYS.pos, mac: new Uint8Array(32).fill(0x99) };
  const forged = embed(
    [plane],
    Uint8Array.from({ length: 16 }, (_, i) => i),
    attacker,
    fast,
  );
  assert.equal(decode(forged.planes, [KEYS]).found, false);
  // Restoring with the attacker's rung would still work, but the mark is not ours.
  assert.ok(
    restorePlane(forged.planes[0], forged.stats[0].rung as number).data.every(
      (v, i) => v === plane.data[i],
    ),
  );
});

test("every markable image of the shared data restores bit-exactly; the others are refused with a code", () => {
  const nightly = process.env.MEDTRACE_NIGHTLY === "1";
  const files: string[][] = [
    ...readdirSync(dataPath("images")).map((f) => ["images", f]),
    ...readdirSync(dataPath("dicom", "pydicom")).map((f) => ["dicom", "pydicom", f]),
    ["dicom", "mr-0051-12bit.dcm"],
    ...readdirSync(dataPath("ct-head"))
      .filter((_, i) => nightly || i % 12 === 0)
      .map((f) => ["ct-head", f]),
  ];
  const refusals = new Set(["WM_CAPACITY", "WM_LOSSY_SOURCE", "WM_UNSUPPORTED_BITS", "IMG_PARSE"]);
  let marked = 0;
  for (const parts of files) {
    let copy: ReturnType<typeof markFile>;
    try {
      copy = markFile(bytesOf(...parts), null, KEYS, fast);
    } catch (err) {
      assert.ok(
        refusals.has((err as { code?: string }).code ?? ""),
        `${parts.join("/")}: ${(err as Error).message}`,
      );
      continue;
    }
    assert.equal(
      restoreFile(copy.bytes, [KEYS]).restoredPixelSha256,
      copy.sourcePixelSha256,
      parts.join("/"),
    );
    marked++;
  }
  assert.ok(marked >= 10, `${marked} images marked`);
});
