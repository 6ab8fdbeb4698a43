// Worker of verifyLogParallel: reads chunks of rows through its own read-only connection and
// returns the per-entry checks (canonical form, leaf hash, schema).
import { parentPort, workerData } from "node:worker_threads";
import { checkRange } from "../audit/entry-check.ts";
import { SqliteLedgerStore } from "./sqlite.ts";

const { path, schema } = workerData as { path: string; schema: boolean };
const store = SqliteLedgerStore.open(path, { readonly: true });
parentPort!.on("message", (m: { id: number; from: number; limit: number } | "close") => {
  if (m === "close") {
    store.close();
    parentPort!.close();
    return;
  }
  const check = checkRange(store, m.from, m.limit, { schema });
  parentPort!.postMessage({ id: m.id, check }, [check.leaves.buffer as ArrayBuffer]);
});
