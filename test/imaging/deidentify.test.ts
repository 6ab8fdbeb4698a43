import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { DcmjsDataset } from "../../src/imaging/dcmjs-api.ts";
import {
  coarsenDate,
  deidentifyDicom,
  deidentifyImage,
  replacementUid,
} from "../../src/imaging/deidentify.ts";
import { serialize } from "../../src/imaging/dicom-write.ts";
import {
  type DicomImage,
  decodePixels,
  ImagingError,
  pixelSha256,
  readDicom,
  TS,
} from "../../src/imaging/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { identifierStrings } from "./identifiers.ts";

const KEY = new Uint8Array(32).fill(0x5a);
const OTHER_KEY = new Uint8Array(32).fill(0xa5);

function dicomFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return dicomFiles(p);
    return name.endsWith(".dcm") ? [p] : [];
  });
}

function readable(path: string): { bytes: Uint8Array; image: DicomImage } | undefined {
  const bytes = new Uint8Array(readFileSync(path));
  try {
    return { bytes, image: readDicom(bytes) };
  } catch {
    return undefined; // the broken files of the set are covered by the malformed-input test
  }
}

function pixelBytes(image: DicomImage): Buffer {
  const v = image.dict["7FE00010"]?.Value ?? [];
  return Buffer.concat(v.map((b) => new Uint8Array(b as ArrayBuffer)));
}

function pixelHash(image: DicomImage): string | undefined {
  try {
    return pixelSha256(decodePixels(image));
  } catch {
    return undefined; // a syntax the codecs cannot decode: raw bytes are compared instead
  }
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

const files = [...dicomFiles(dataPath("dicom")), ...dicomFiles(dataPath("ct-head"))]
  .map((path) => ({ path, read: readable(path) }))
  .filter((f) => f.read !== undefined) as {
  path: string;
  read: { bytes: Uint8Array; image: DicomImage };
}[];

describe("de-identification (PS3.15 Annex E basic profile)", () => {
  test("reads most of the shared DICOM files", () => {
    assert.ok(files.length >= 140, `${files.length} readable files`);
  });

  test("no identifying string of any source file survives anywhere in the output bytes", () => {
    let scanned = 0;
    for (const { path, read } of files) {
      const out = deidentifyDicom(read.bytes, { key: KEY });
      const text = Buffer.from(out.bytes).toString("latin1");
      // Pixel Data is kept byte for byte (next test), so a digit run it happens to contain
      // ("1234" in a synthetic gradient) may appear as often as it does there, and no more.
      const pixels = pixelBytes(read.image).toString("latin1");
      const ids = identifierStrings(read.image);
      assert.ok(ids.size > 0, `${path}: no identifiers collected`);
      for (const id of ids) {
        assert.ok(
          occurrences(text, id) <= occurrences(pixels, id),
          `${path}: ${JSON.stringify(id)} is still in the output`,
        );
        scanned++;
      }
    }
    assert.ok(scanned > 1000, `${scanned} identifier checks`);
  });

  test("pixel data is byte-identical and decodes to the same pixels", () => {
    let decoded = 0;
    for (const { path, read } of files) {
      const out = readDicom(deidentifyDicom(read.bytes, { key: KEY }).bytes);
      assert.ok(pixelBytes(read.image).equals(pixelBytes(out)), `${path}: Pixel Data bytes changed`);
      // dcmjs writes a deflated data set inflated: same bytes, Explicit VR Little Endian.
      const syntax = read.image.transferSyntaxUid === TS.deflatedLE ? TS.explicitLE : read.image.transferSyntaxUid;
      assert.equal(out.transferSyntaxUid, syntax, path);
      const before = pixelHash(read.image);
      if (before === undefined) continue;
      assert.equal(pixelHash(out), before, `${path}: pixelSha256 changed`);
      decoded++;
    }
    assert.ok(decoded >= 130, `${decoded} files compared by pixelSha256`);
  });

  test("records the profile and options, coarsens dates to the month, empties the patient", () => {
    const src = files.find((f) => f.path.endsWith("CT_small.dcm"));
    assert.ok(src);
    const out = readDicom(deidentifyDicom(src.read.bytes, { key: KEY }).bytes);
    const value = (tag: string) => out.dict[tag]?.Value;
    assert.deepEqual(value("00120062"), ["YES"]);
    assert.match(String(value("00120063")?.[0]), /Basic Profile/);
    const codes = (value("00120064") as DcmjsDataset[]).map((it) => it["00080100"].Value?.[0]);
    assert.deepEqual(codes, ["113100", "113107"]);
    assert.deepEqual(value("00080020"), ["20040101"]); // Study Date 20040119
    assert.deepEqual(value("00100030"), [""]);
    assert.equal(out.dict["00080080"], undefined); // Institution Name
    assert.equal(out.dict["00081010"], undefined); // Station Name
    assert.ok(Object.keys(out.dict).every((t) => Number.parseInt(t.slice(0, 4), 16) % 2 === 0));
    const pid = String(value("00100020")?.[0]);
    assert.match(pid, /^MT-[0-9A-F]{20}$/);
  });

  test("UIDs are keyed, deterministic, one per original, never the original", () => {
    const slices = files.filter((f) => f.path.includes("ct-head")).slice(0, 5);
    const outs = slices.map((f) => deidentifyDicom(f.read.bytes, { key: KEY }));
    const again = slices.map((f) => deidentifyDicom(f.read.bytes, { key: KEY }));
    assert.deepEqual(again, outs);
    assert.equal(new Set(outs.map((o) => o.studyInstanceUid)).size, 1);
    assert.equal(new Set(outs.map((o) => o.seriesInstanceUid)).size, 1);
    assert.equal(new Set(outs.map((o) => o.sopInstanceUid)).size, slices.length);
    for (const [i, o] of outs.entries()) {
      const src = slices[i].read.image;
      assert.notEqual(o.studyInstanceUid, src.studyInstanceUid);
      assert.notEqual(o.sopInstanceUid, src.sopInstanceUid);
      assert.match(o.sopInstanceUid, /^2\.25\.[1-9]\d{0,38}$/);
    }
    const other = deidentifyImage(slices[0].read.image, { key: OTHER_KEY });
    assert.notEqual(other.studyInstanceUid, outs[0].studyInstanceUid);
    assert.equal(replacementUid(KEY, "1.2.3"), replacementUid(KEY, "1.2.3"));
  });

  test("nested items, overlays, curves and URLs are cleaned; vocabulary UIDs are kept", () => {
    const src = files.find((f) => f.path.endsWith("CT_small.dcm"));
    assert.ok(src);
    const el = (vr: string, ...Value: unknown[]) => ({ vr, Value });
    const meta = { ...src.read.image.meta };
    delete meta["00020000"];
    const snomed = "2.16.840.1.113883.6.96";
    const refSop = "1.2.3.4.5.6.7.8.9";
    const dict: DcmjsDataset = {
      ...src.read.image.dict,
      "0018A001": el("SQ", {
        "00080080": el("LO", "ST ELSEWHERE HOSPITAL"),
        "00081070": el("PN", { Alphabetic: "Tech^Tina" }),
        "0018A002": el("DT", "20040119101010"),
        "00081155": el("UI", refSop),
      }),
      "00082218": el("SQ", {
        "00080100": el("SH", "69536005"),
        "00080102": el("SH", "SCT"),
        "0008010C": el("UI", snomed),
        "00080104": el("LO", "Head"),
      }),
      "00081190": el("UR", `https://pacs.example/studies/${src.read.image.studyInstanceUid}`),
      "60004000": el("LT", "Patient Jane Roe"),
      "50002500": el("LO", "curve of John Doe"),
    };
    const out = deidentifyDicom(serialize(meta, dict), { key: KEY });
    const text = Buffer.from(out.bytes).toString("latin1");
    for (const id of ["ST ELSEWHERE", "Tina", "20040119", refSop, "pacs.example", "Jane Roe", "John Doe"]) {
      assert.ok(!text.includes(id), id);
    }
    const back = readDicom(out.bytes);
    const equipment = (back.dict["0018A001"].Value as DcmjsDataset[])[0];
    assert.deepEqual(equipment["0018A002"].Value, ["20040101"]);
    assert.deepEqual(equipment["00081155"].Value, [replacementUid(KEY, refSop)]);
    const code = (back.dict["00082218"].Value as DcmjsDataset[])[0];
    assert.deepEqual(code["0008010C"].Value, [snomed]);
    assert.deepEqual(code["00080104"].Value, ["Head"]);
  });

  test("coarsenDate keeps year and month only", () => {
    assert.equal(coarsenDate("19970430"), "19970401");
    assert.equal(coarsenDate("20040119123000.000000+0100"), "20040101");
    assert.equal(coarsenDate("garbage"), undefined);
    assert.equal(coarsenDate("20041301"), undefined);
  });

  test("malformed input gives IMG_PARSE, burned-in text IMG_DEID_REFUSED, a short key a RangeError", () => {
    const truncated = new Uint8Array(readFileSync(dataPath("dicom/pydicom/MR_truncated.dcm")));
    for (const bad of [truncated, new Uint8Array(0), new Uint8Array(300).fill(7)]) {
      assert.throws(
        () => deidentifyDicom(bad, { key: KEY }),
        (e: unknown) => e instanceof ImagingError && e.code === "IMG_PARSE",
      );
    }
    const src = files[0].read.image;
    const meta = { ...src.meta };
    delete meta["00020000"];
    const burned = serialize(meta, { ...src.dict, "00280301": { vr: "CS", Value: ["YES"] } });
    assert.throws(
      () => deidentifyDicom(burned, { key: KEY }),
      (e: unknown) =>
        e instanceof ImagingError &&
        e.code === "IMG_DEID_REFUSED" &&
        /Burned In Annotation/.test(e.message),
    );
    assert.throws(() => deidentifyImage(src, { key: new Uint8Array(8) }), RangeError);
  });
});
