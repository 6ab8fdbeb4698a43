// DICOMweb building blocks on real CT slices: the DICOM JSON Model (PS3.18 F.2), multipart bodies,
// frames, QIDO-RS matching as Slicer and OHIF query, and the grant zip (DICOM + NRRD).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unzipSync } from "fflate";
import { readDicom } from "../../src/imaging/index.ts";
import {
  frameBytes,
  FrameError,
  grantZip,
  type InstanceSummary,
  multipartRelated,
  parseFrameList,
  parseMultipart,
  QidoError,
  search,
  summarizeInstance,
  toDicomJson,
} from "../../src/server/dicomweb/index.ts";
import { dataBytes } from "../imaging/helpers.ts";

const ct = (n: number) => dataBytes("ct-head", `slice-${String(n).padStart(3, "0")}.dcm`);
const ctSmall = () => dataBytes("dicom", "pydicom", "CT_small.dcm");

describe("DICOM JSON Model", () => {
  const image = readDicom(ct(1));
  const json = toDicomJson(image.dict, { bulkDataUri: (p) => `bulk/${p.join(".")}` });

  test("person names are objects, DS numbers, file meta left out", () => {
    assert.deepEqual(json["00100010"], { vr: "PN", Value: [{ Alphabetic: "Anonymous^Cranium" }] });
    assert.deepEqual(json["00280030"], { vr: "DS", Value: [0.9570312, 0.9570312] });
    assert.deepEqual(json["00080060"], { vr: "CS", Value: ["CT"] });
    assert.equal(Object.keys(json).some((k) => k.startsWith("0002")), false);
  });

  test("empty elements have no Value; Pixel Data is bulk data", () => {
    assert.deepEqual(json["00080090"], { vr: "PN" });
    assert.deepEqual(json["7FE00010"], { vr: "OW", BulkDataURI: "bulk/7FE00010" });
  });

  test("small binary values are inline base64; omit drops them", () => {
    const ds = { "00091010": { vr: "OB", Value: [new Uint8Array([1, 2, 3, 4]).buffer] }, "00100020": { vr: "LO", Value: ["X "] } };
    assert.deepEqual(toDicomJson(ds), { "00091010": { vr: "OB", InlineBinary: "AQIDBA==" }, "00100020": { vr: "LO", Value: ["X"] } });
    assert.deepEqual(Object.keys(toDicomJson(ds, { binary: "omit" })), ["00100020"]);
  });

  test("sequences nest and person-name strings split into component groups", () => {
    const ds = { "00081140": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: ["1.2.3"] } }] }, "00100010": { vr: "PN", Value: ["Yamada^Tarou=山田^太郎"] } };
    assert.deepEqual(toDicomJson(ds), {
      "00081140": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: ["1.2.3"] } }] },
      "00100010": { vr: "PN", Value: [{ Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎" }] },
    });
  });
});

describe("multipart/related and frames", () => {
  test("parts round-trip with their types and locations", () => {
    const a = ct(1);
    const m = multipartRelated("application/dicom", [{ contentType: "application/dicom", body: a, location: "/x/1" }, { contentType: "application/dicom", body: new Uint8Array([13, 10, 45, 45]) }]);
    assert.match(m.contentType, /^multipart\/related; type="application\/dicom"; boundary=medtrace-[0-9a-f]{32}$/);
    const parts = parseMultipart(m.contentType, m.body);
    assert.equal(parts.length, 2);
    assert.deepEqual(Buffer.from(parts[0]!.body), Buffer.from(a));
    assert.equal(parts[0]!.location, "/x/1");
    assert.deepEqual([...parts[1]!.body], [13, 10, 45, 45]);
  });

  test("frame 1 of a CT slice is its 256x256x2 bytes of Pixel Data", () => {
    const image = readDicom(ct(2));
    const f = frameBytes(image, 1);
    assert.equal(f.length, 256 * 256 * 2);
    const pd = new Uint8Array(image.dict["7FE00010"]!.Value![0] as ArrayBuffer);
    assert.deepEqual(Buffer.from(f), Buffer.from(pd));
    assert.throws(() => frameBytes(image, 2), FrameError);
    assert.throws(() => parseFrameList("1,x", 1), FrameError);
    assert.throws(() => parseFrameList("0", 1), FrameError);
    assert.deepEqual(parseFrameList("1", 1), [1]);
  });
});

describe("QIDO-RS", () => {
  const head = [1, 2, 3].map((n) => summarizeInstance(ct(n)));
  const small = summarizeInstance(ctSmall());
  const all: InstanceSummary[] = [...head, small];
  const url = { retrieveUrl: (level: string, r: InstanceSummary) => `${level}:${r.sopInstanceUid}` };
  const uid = (j: Record<string, { Value?: unknown[] }>, tag: string) => j[tag]?.Value?.[0];

  test("studies carry counts, modalities and the attributes Slicer and OHIF list", () => {
    const studies = search("study", all, {}, url);
    assert.equal(studies.length, 2);
    const s = studies.find((x) => uid(x, "0020000D") === head[0]!.studyInstanceUid)!;
    assert.deepEqual(s["00201208"], { vr: "IS", Value: [3] });
    assert.deepEqual(s["00201206"], { vr: "IS", Value: [1] });
    assert.deepEqual(s["00080061"], { vr: "CS", Value: ["CT"] });
    assert.deepEqual(s["00100010"], { vr: "PN", Value: [{ Alphabetic: "Anonymous^Cranium" }] });
    assert.equal(s["00081190"]?.Value?.[0], `study:${head[0]!.sopInstanceUid}`);
    assert.equal(s["00280010"], undefined, "Rows is not a study attribute unless included");
  });

  test("matching by UID list, wildcard, date range and ModalitiesInStudy", () => {
    assert.equal(search("study", all, { StudyInstanceUID: `${small.studyInstanceUid},9.9.9` }, url).length, 1);
    assert.equal(search("study", all, { PatientID: "CRAN*" }, url).length, 1);
    assert.equal(search("study", all, { "00100020": "CRANIUM-005?" }, url).length, 1);
    assert.equal(search("study", all, { StudyDate: "20120101-20121231" }, url).length, 1);
    assert.equal(search("study", all, { StudyDate: "20130101-" }, url).length, 0);
    assert.equal(search("study", all, { ModalitiesInStudy: "MR" }, url).length, 0);
    assert.equal(search("study", all, { ModalitiesInStudy: "CT" }, url).length, 2);
    assert.equal(search("study", all, { PatientName: "anonymous^cranium" }, url).length, 1, "PN matching ignores case");
  });

  test("includefield, limit and offset", () => {
    const [first] = search("instance", head, { includefield: "Rows,00280011", limit: "1", offset: "1" }, url);
    assert.equal(search("instance", head, { limit: "2" }, url).length, 2);
    assert.equal(first?.["00080018"]?.Value?.[0], head[1]!.sopInstanceUid);
    assert.deepEqual(first?.["00280011"], { vr: "US", Value: [256] });
    const every = search("series", head, { includefield: "all" }, url)[0]!;
    assert.deepEqual(every["00201209"], { vr: "IS", Value: [3] });
    assert.ok(every["00280030"], "includefield=all returns every stored attribute");
  });

  test("unknown keys and bad paging are QidoErrors", () => {
    assert.throws(() => search("study", all, { NoSuchKeyword: "1" }, url), QidoError);
    assert.throws(() => search("study", all, { limit: "-1" }, url), QidoError);
    assert.throws(() => search("study", all, { includefield: "Bogus" }, url), QidoError);
    assert.equal(search("study", all, { fuzzymatching: "false", PatientID: "" }, url).length, 2);
  });
});

describe("grant zip", () => {
  test("DICOM files, one NRRD for the CT volume, README naming the series that is not one", () => {
    const files = [...[10, 11, 12, 13].map(ct), ctSmall()].map((bytes) => ({ ...summarizeInstance(bytes), bytes }));
    const zip = grantZip({ id: "g-1", expiresAt: "2030-01-01T00:00:00.000Z" }, files);
    const out = unzipSync(zip.bytes);
    const names = Object.keys(out);
    assert.equal(names.filter((n) => n.endsWith(".dcm")).length, 5);
    const headSeries = files[0]!.seriesInstanceUid;
    assert.deepEqual(zip.volumes, [headSeries]);
    const nrrd = Buffer.from(out[`NRRD/${headSeries}.nrrd`]!).toString("latin1");
    assert.match(nrrd, /^NRRD0004\n/);
    assert.match(nrrd, /sizes: 256 256 4\n/);
    const readme = Buffer.from(out["README.txt"]!).toString();
    assert.match(readme, new RegExp(`${files[4]!.seriesInstanceUid.replace(/\./g, "\\.")}: a single image`));
    assert.deepEqual(Buffer.from(out[`DICOM/${files[4]!.studyInstanceUid}/${files[4]!.seriesInstanceUid}/${files[4]!.sopInstanceUid}.dcm`]!), Buffer.from(files[4]!.bytes));
  });
});
