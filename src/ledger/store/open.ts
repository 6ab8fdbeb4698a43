// One place that turns a `--db` value into a store: `postgres://…` or `postgresql://…` gives the
// PostgreSQL store, anything else is a SQLite file path.
import { PostgresLedgerStore } from "./postgres.ts";
import { SqliteLedgerStore } from "./sqlite.ts";
import type { LedgerStore } from "./types.ts";

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export function openLedgerStore(location: string, opts: { readonly?: boolean } = {}): LedgerStore {
  return isPostgresUrl(location)
    ? PostgresLedgerStore.open(location)
    : SqliteLedgerStore.open(location, { readonly: opts.readonly ?? false });
}
