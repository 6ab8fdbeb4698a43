// Shared set-up for the tracing tests: a ledger file in a temporary folder opened with the demo
// master secret, and the leak forms of ledger.md §16.7 (exact, one pixel changed, JPEG).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterSecret } from "../../src/crypto/index.ts";
import { readImage, writeDicomPixels, writePng } from "../../src/imaging/index.ts";
import { type OpenLedger, openLedgerFile } from "../../src/tracing/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { jpegAttack, render8 } from "../../src/watermark/attacks/index.ts";

export const MASTER = masterSecret(new Uint8Array(32).fill(0x42), "demo.medtrace.local");

export interface Fixture extends OpenLedger {
  dir: string;
  cleanup(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-tracing-"));
  const open = await openLedgerFile(join(dir, "ledger.sqlite"), MASTER);
  return {
    ...open,
    dir,
    async cleanup() {
      await open.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function data(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(dataPath(...parts)));
}

function rewrite(bytes: Uint8Array, planes: Int32Array[]): Uint8Array {
  const { format, image, dicom } = readImage(bytes);
  const changed = { ...image, planes };
  return format === "dicom" ? writeDicomPixels(dicom!, changed) : writePng(changed);
}

/** The same file with one pixel changed by +1 (or −1 at the top of the range). */
export function onePixelChanged(bytes: Uint8Array, at = 20_000): Uint8Array {
  const { image } = readImage(bytes);
  const planes = image.planes.map((p) => Int32Array.from(p));
  const v = planes[0][at];
  planes[0][at] = v >= 2 ** image.bitsStored - 1 || (image.pixelRepresentation === 1 && v > 0) ? v - 1 : v + 1;
  return rewrite(bytes, planes);
}

/**
 * JPEG at quality Q through the attack suite (zero-watermark.md §10.2): the first plane is
 * rendered to 8 bits (min–max), compressed and decoded, then mapped back to the stored range and
 * written in the same container. A DICOM leak thus keeps its header; only the pixels are lossy.
 */
export function jpegLeak(bytes: Uint8Array, quality = 50): Uint8Array {
  const { image } = readImage(bytes);
  const p = image.planes[0];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of p) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const j = jpegAttack(render8(image.rows, image.cols, p), quality);
  const back = Int32Array.from(j.data, (v) => Math.round(lo + (v * (hi - lo)) / 255));
  return rewrite(bytes, [back, ...image.planes.slice(1)]);
}
