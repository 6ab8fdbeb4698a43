// Every migration, in order. Owners add one line each (contract: 001 core, 002 nodes, 003 data
// access, 004 fl). A migration gets the dialect for its few dialect-specific statements.
import type { Kysely } from "kysely";
import type { Dialect } from "../index.ts";
import * as core from "./001_core.ts";
import * as nodes from "./002_nodes.ts";
import * as dataAccess from "./003_data_access.ts";
import * as fl from "./004_fl.ts";

export interface ServerMigration {
  name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

export const migrations: ServerMigration[] = [
  { name: "001_core", up: core.up },
  { name: "002_nodes", up: nodes.up },
  { name: "003_data_access", up: dataAccess.up },
  { name: "004_fl", up: fl.up },
];
