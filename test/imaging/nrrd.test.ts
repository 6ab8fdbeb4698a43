import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodePixels, readDicom, seriesToNrrd } from "../../src/imaging/index.ts";

const dir = join(process.env.MEDTRACE_DATA ?? "../shared/data", "ct-head");
const files = readdirSync(dir).filter((f) => f.endsWith(".dcm")).sort();

function parse(bytes: Uint8Array): { fields: Map<string, string>; body: Uint8Array } {
  const text = Buffer.from(bytes).toString("latin1");
  const end = text.indexOf("\n\n");
  const fields = new Map<string, string>();
  for (const line of text.slice(0, end).split("\n").slice(1)) {
    if (line.startsWith("#")) continue;
    const [key, value] = line.split(": ");
    fields.set(key as string, value as string);
  }
  return { fields, body: bytes.subarray(end + 2) };
}

test("a CT series becomes one NRRD volume with LPS geometry and HU voxels", () => {
  // Shuffled input: the order must come from the geometry, not from the file list.
  const chosen = files.slice(20, 30);
  const shuffled = [chosen[3], chosen[0], chosen[9], chosen[5], chosen[1], chosen[8], chosen[2], chosen[7], chosen[4], chosen[6]] as string[];
  const volume = seriesToNrrd(shuffled.map((f) => readFileSync(join(dir, f))));
  const { fields, body } = parse(volume.bytes);
  const firstSlice = readDicom(readFileSync(join(dir, chosen[0] as string)));
  const n = firstSlice.rows * firstSlice.cols;
  assert.equal(fields.get("sizes"), `${firstSlice.cols} ${firstSlice.rows} 10`);
  assert.equal(fields.get("space"), "left-posterior-superior");
  const directions = fields.get("space directions") ?? "";
  assert.match(directions, /^\(0\.9570312,0,0\) \(0,0\.9570312,0\) \(0,0,1\.5\)$/);
  const origin = (firstSlice.dict["00200032"]?.Value as number[]).map(Number);
  assert.equal(fields.get("space origin"), `(${origin.join(",")})`);
  assert.equal(body.length, n * 10 * 2);
  // Voxel (x, y, z) equals the stored pixel of slice z times slope plus intercept (slope 1, intercept 0 here).
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (const z of [0, 4, 9]) {
    const plane = decodePixels(readDicom(readFileSync(join(dir, chosen[z] as string)))).planes[0] as Int32Array;
    for (const i of [0, 1000, Math.floor(n / 2) + 77, n - 1]) {
      assert.equal(view.getInt16((z * n + i) * 2, true), plane[i]);
    }
  }
});

test("a series with a missing slice is refused rather than stretched", () => {
  const gap = [files[10], files[11], files[13]].map((f) => readFileSync(join(dir, f as string)));
  assert.throws(() => seriesToNrrd(gap), /not evenly spaced/);
});

test("a duplicated slice, no slices, or garbage give clear errors", () => {
  const one = readFileSync(join(dir, files[5] as string));
  assert.throws(() => seriesToNrrd([one, one]), /share one position/);
  assert.throws(() => seriesToNrrd([]), /at least one slice/);
  assert.throws(() => seriesToNrrd([new Uint8Array(300)]), /IMG_PARSE/);
});
