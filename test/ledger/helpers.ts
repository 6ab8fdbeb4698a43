// Shared set-up for the ledger tests: a temporary SQLite file and a ledger with the demo key.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Ledger,
  type LedgerOptions,
  ledgerSigner,
  SqliteLedgerStore,
} from "../../src/ledger/index.ts";
import { DEMO_MASTER, mixEntry } from "./mix.ts";

export const SIGNER = ledgerSigner(DEMO_MASTER, 1);
export const DEPLOYMENT = DEMO_MASTER.deploymentId;

export interface Fixture {
  dir: string;
  path: string;
  store: SqliteLedgerStore;
  ledger: Ledger;
  cleanup(): Promise<void>;
}

export async function fixture(
  opts: Partial<LedgerOptions> = {},
  synchronous: "FULL" | "NORMAL" = "NORMAL",
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-ledger-"));
  const path = join(dir, "ledger.db");
  const store = SqliteLedgerStore.open(path, { synchronous });
  const ledger = await Ledger.open(store, SIGNER, {
    deploymentId: DEPLOYMENT,
    checkpointAfterMs: 0,
    ...opts,
  });
  return {
    dir,
    path,
    store,
    ledger,
    async cleanup() {
      await ledger.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Appends n mix entries (from mix index `from`) in batches. */
export async function populate(ledger: Ledger, n: number, from = 0, batch = 500): Promise<void> {
  for (let k = from; k < from + n; k += batch) {
    const m = Math.min(batch, from + n - k);
    await ledger.append(Array.from({ length: m }, (_, j) => mixEntry(k + j)));
  }
}
