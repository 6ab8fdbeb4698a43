// Opening a ledger for tracing (CLI, demo, server): a SQLite file or a `postgres://` URL, the
// epoch-1 checkpoint key and the zero-watermark index filled with `fullbits` (ledger.md §9).
// Close both when done.
import type { MasterSecret } from "../crypto/index.ts";
import {
  Ledger,
  type LedgerOptions,
  type LedgerStore,
  ledgerSigner,
  openLedgerStore,
} from "../ledger/index.ts";
import { zwFullbitsFor } from "./keys.ts";

export interface OpenLedger {
  ledger: Ledger;
  store: LedgerStore;
  close(): Promise<void>;
}

export async function openLedgerFile(
  path: string,
  master: MasterSecret,
  opts: Partial<LedgerOptions> = {},
): Promise<OpenLedger> {
  const store = openLedgerStore(path);
  try {
    const ledger = await Ledger.open(store, ledgerSigner(master, 1), {
      deploymentId: master.deploymentId,
      checkpointAfterMs: 0,
      zwFullbits: zwFullbitsFor(master),
      ...opts,
    });
    return {
      ledger,
      store,
      async close() {
        await ledger.close();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
