// Shared by the imaging tests: reading the shared data.
import { readFileSync } from "node:fs";
import { dataPath } from "../../src/util/data-path.ts";

export function dicomBytes(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(dataPath("dicom", ...parts)));
}

export function dataBytes(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(dataPath(...parts)));
}

export function samePlanes(a: Int32Array[], b: Int32Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.length === b[i].length && p.every((v, j) => v === b[i][j]))
  );
}
