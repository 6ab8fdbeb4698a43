// Shared set-up for the tracing tests: a ledger file in a temporary folder opened with the demo
// master secret, and the leak forms of ledger.md §16.7 (exact, one pixel changed, JPEG).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterSecret } from "../../src/crypto/index.ts";
import { type OpenLedger, openLedgerFile } from "../../src/tracing/index.ts";
import { dataPath } from "../../src/util/data-path.ts";

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

export { jpegLeak, onePixelChanged } from "../../src/demo/leaks.ts";
