// The demo's hospital folders, as the edge node and federated training read them: contiguous CT
// parts, chest X-rays with both classes at every hospital, a labels.csv both readers accept.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { contiguousParts, writeHospitalFolders } from "../../src/demo/hospitals.ts";
import { SYNTHETIC_LABEL } from "../../src/demo/synthetic.ts";
import { buildCatalogue } from "../../src/edge/catalogue.ts";
import { FolderSource } from "../../src/edge/sources/folder.ts";
import { imageDataset } from "../../src/fl/images.ts";
import { readDicom, stringValue } from "../../src/imaging/index.ts";
import { dataRoot } from "../../src/util/data-path.ts";

const root = mkdtempSync(join(tmpdir(), "medtrace-demo-hospitals-"));
after(() => rmSync(root, { recursive: true, force: true }));

function filesOf(dir: string, sub: string): Map<string, Uint8Array> {
  return new Map(readdirSync(join(dir, sub)).map((f) => [`${sub}/${f}`, new Uint8Array(readFileSync(join(dir, sub, f)))]));
}

describe("demo hospital folders", () => {
  test("contiguous parts cover every item once, in order, sizes within one", () => {
    const parts = contiguousParts([...Array(10).keys()], 3);
    assert.deepEqual(parts.flat(), [...Array(10).keys()]);
    assert.ok(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length)) <= 1);
  });

  test("synthetic set: labelled SYNTHETIC, CT HEAD and CR CHEST in the catalogue, labels.csv read by the node and by training", async () => {
    const folders = writeHospitalFolders({ origin: "synthetic", description: "test" }, join(root, "synthetic"), { count: 3, chestPerNode: 12 });
    assert.equal(folders.length, 3);
    const instanceNumbers = folders.map((f) => readdirSync(join(f.dir, "ct")).map((n) => Number(readDicom(new Uint8Array(readFileSync(join(f.dir, "ct", n)))).dict["00200013"]?.Value?.[0])));
    // Each hospital holds a contiguous run of the one series, and together they hold all of it.
    assert.deepEqual(instanceNumbers.flat(), [...Array(instanceNumbers.flat().length).keys()].map((i) => i + 1));
    for (const f of folders) {
      assert.equal(f.chestImages, 12);
      const chest = filesOf(f.dir, "chest");
      const first = readDicom([...chest.values()][0]);
      assert.equal(stringValue(first.dict, "0008103E"), SYNTHETIC_LABEL);
      const source = new FolderSource(f.dir);
      const entries = buildCatalogue("h", new Uint8Array(32), await source.listStudies());
      await source.close();
      assert.ok(entries.some((e) => e.modality === "CT" && e.bodyPart === "HEAD"));
      const chestEntries = entries.filter((e) => e.modality === "CR" && e.bodyPart === "CHEST");
      assert.equal(chestEntries.reduce((n, e) => n + e.instanceCount, 0), 12);
      assert.ok(chestEntries.every((e) => e.labels.length === 1 && ["normal", "pneumonia"].includes(e.labels[0])));
      const ds = imageDataset(chest, readFileSync(join(f.dir, "labels.csv"), "utf8"), { datasetId: "demo", classes: ["normal", "pneumonia"], inputSize: 28 });
      assert.equal(ds.train.n + ds.val.n, 12);
    }
  });

  test("PneumoniaMNIST: both classes at every hospital, in about the same proportion", () => {
    const folders = writeHospitalFolders({ origin: "env", pneumoniaNpz: join(dataRoot(), "pneumoniamnist", "pneumoniamnist.npz"), description: "test" }, join(root, "real"), { count: 3, chestPerNode: 60 });
    const share = folders.map((f) => (f.labels.pneumonia ?? 0) / f.chestImages);
    for (const s of share) assert.ok(s > 0.2 && s < 0.9, `pneumonia share ${s}`);
    assert.ok(Math.max(...share) - Math.min(...share) < 0.15, `shares ${share.join(", ")}`);
  });
});
