import { flCommand } from "./fl.ts";
import { keysCommand } from "./keys.ts";
import { ledgerCommand } from "./ledger.ts";
import { markCommand } from "./mark.ts";
import type { Command } from "./types.ts";
import { zeroCommand } from "./zero.ts";

// One line per command family; the order is the order of `medtrace help`.
export const commands: Command[] = [
  keysCommand,
  markCommand,
  flCommand,
  zeroCommand,
  ledgerCommand,
];
