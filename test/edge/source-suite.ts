// The one test suite every DataSource must pass, run against the folder source in-process and
// against a real Orthanc inside a private network namespace (orthanc-child.ts).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EdgeError } from "../../src/edge/errors.ts";
import type { DataSource } from "../../src/edge/sources/index.ts";
import { decodePixels, pixelSha256, readDicom } from "../../src/imaging/index.ts";
import { dataPath } from "../../src/util/data-path.ts";

export const ORTHANC_BIN = "/usr/sbin/Orthanc";
export const DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

/** Six slices of the CT head series, two pydicom studies. */
export const FIXTURE = [
  ...[1, 2, 3, 4, 5, 6].map((i) => `ct-head/slice-${String(i).padStart(3, "0")}.dcm`),
  "dicom/pydicom/CT_small.dcm",
  "dicom/pydicom/MR_small.dcm",
];

interface Original {
  file: string;
  study: string;
  series: string;
  sop: string;
  pixels: string;
}

export function originals(): Original[] {
  return FIXTURE.map((file) => {
    const img = readDicom(new Uint8Array(readFileSync(dataPath(file))));
    return {
      file,
      study: img.studyInstanceUid ?? "",
      series: img.seriesInstanceUid ?? "",
      sop: img.sopInstanceUid ?? "",
      pixels: pixelSha256(decodePixels(img)),
    };
  });
}

/** Copies the fixture into `dir` with a labels.csv keyed by UIDs (both sources understand it). */
export function writeFixtureFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const o = originals();
  for (const [i, f] of o.entries()) copyFileSync(dataPath(f.file), join(dir, `f${i}.dcm`));
  const ct = o[0];
  const mr = o.find((x) => x.file.includes("MR_small"));
  writeFileSync(
    join(dir, "labels.csv"),
    `key,labels\n${ct.study},head;"ct, head"\n${mr?.sop},mr-test\n`,
  );
  writeFileSync(join(dir, "notes.txt"), "not a DICOM file\n");
}

export interface SourceCase {
  name: string;
  run(source: DataSource): Promise<void>;
}

export const sourceCases: SourceCase[] = [
  {
    name: "lists every study with its series and instances",
    async run(source) {
      const o = originals();
      const studies = await source.listStudies();
      assert.deepEqual(
        studies.map((s) => s.studyInstanceUid),
        [...new Set(o.map((x) => x.study))].sort(),
      );
      const ct = studies.find((s) => s.studyInstanceUid === o[0].study);
      assert.ok(ct);
      assert.equal(ct.series.length, 1);
      assert.equal(ct.series[0].modality, "CT");
      assert.equal(ct.series[0].bodyPart, "HEAD");
      assert.equal(ct.studyDate, "20120914");
      assert.deepEqual(
        ct.series[0].instances.map((i) => i.sopInstanceUid),
        o.slice(0, 6).map((x) => x.sop),
      );
      assert.ok(ct.series[0].instances.every((i) => i.rows === 256 && i.columns === 256));
      const mr = studies.find((s) => s.series[0].modality === "MR");
      assert.equal(mr?.series[0].instances[0].rows, 64);
    },
  },
  {
    name: "labels come from labels.csv by study or instance UID",
    async run(source) {
      const o = originals();
      const studies = await source.listStudies();
      const labelsOf = (file: string) =>
        studies.find((s) => s.studyInstanceUid === o.find((x) => x.file.includes(file))?.study)
          ?.labels;
      assert.deepEqual(labelsOf("ct-head"), ["ct, head", "head"]);
      assert.deepEqual(labelsOf("MR_small"), ["mr-test"]);
      assert.deepEqual(labelsOf("CT_small"), []);
    },
  },
  {
    name: "reads each instance with its pixels unchanged",
    async run(source) {
      for (const x of originals()) {
        const bytes = await source.readInstance({
          studyInstanceUid: x.study,
          seriesInstanceUid: x.series,
          sopInstanceUid: x.sop,
        });
        const img = readDicom(bytes);
        assert.equal(img.sopInstanceUid, x.sop);
        assert.equal(pixelSha256(decodePixels(img)), x.pixels, x.file);
      }
    },
  },
  {
    name: "an unknown instance is SOURCE_NOT_FOUND",
    async run(source) {
      const x = originals()[0];
      await assert.rejects(
        source.readInstance({ studyInstanceUid: x.study, seriesInstanceUid: x.series, sopInstanceUid: "1.2.3.4" }),
        (e: unknown) => e instanceof EdgeError && e.code === "SOURCE_NOT_FOUND",
      );
    },
  },
];
