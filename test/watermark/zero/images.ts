// Test-side image loading from ../shared/data: PNG through pngjs, native DICOM through
// dicom-parser (until src/imaging is used here), rendered to 8-bit 512² planes as in
// zero-watermark.md §17.1.
import { readFileSync } from "node:fs";
import dicomParser from "dicom-parser";
import { PNG } from "pngjs";
import { dataPath } from "../../../src/util/data-path.ts";
import { render8 } from "../../../src/watermark/attacks/index.ts";
import { resize } from "../../../src/watermark/zero/resize.ts";

export interface TestImage {
  id: string;
  rows: number;
  cols: number;
  data: Float64Array;
}

export function readPngGrey(path: string): TestImage {
  const png = PNG.sync.read(readFileSync(path));
  const n = png.width * png.height;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = png.data[4 * i];
  return { id: path, rows: png.height, cols: png.width, data };
}

/** Modality values (stored × slope + intercept) of a native single-frame greyscale DICOM. */
export function readDicomModality(path: string): TestImage {
  const bytes = new Uint8Array(readFileSync(path));
  const ds = dicomParser.parseDicom(bytes);
  const rows = ds.uint16("x00280010") ?? 0;
  const cols = ds.uint16("x00280011") ?? 0;
  const bits = ds.uint16("x00280100") ?? 16;
  const signed = ds.uint16("x00280103") === 1;
  const slope = ds.floatString("x00281053") ?? 1;
  const intercept = ds.floatString("x00281052") ?? 0;
  const el = ds.elements.x7fe00010;
  const view = new DataView(bytes.buffer, bytes.byteOffset + el.dataOffset, el.length);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const v =
      bits === 8
        ? view.getUint8(i)
        : signed
          ? view.getInt16(2 * i, true)
          : view.getUint16(2 * i, true);
    data[i] = v * slope + intercept;
  }
  return { id: path, rows, cols, data };
}

/** min–max to [0, 255] rounded, then resize to 512² and round (§17.1). */
export function to8bit512(img: TestImage, id: string): TestImage {
  const r = render8(img.rows, img.cols, img.data);
  const big = resize(r.data, img.rows, img.cols, 512, 512).map(Math.round);
  return { id, rows: 512, cols: 512, data: big };
}

export function uscImage(name: string): TestImage {
  return { ...readPngGrey(dataPath("images", `${name}.png`)), id: name };
}

export function ctSlice(k: number): TestImage {
  const file = dataPath("ct-head", `slice-${String(k).padStart(3, "0")}.dcm`);
  return to8bit512(readDicomModality(file), `ct-${k}`);
}
