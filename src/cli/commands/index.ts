import type { Command } from "./types.ts";

export interface CommandEntry {
  name: string;
  /** Loaded on use only: a command never pays for another's dependencies (TensorFlow.js, codecs). */
  load: () => Promise<Command>;
}

// One line per command family; the order is the order of `medtrace help`.
export const commands: CommandEntry[] = [
  { name: "demo", load: async () => (await import("./demo.ts")).demoCommand },
  { name: "keys", load: async () => (await import("./keys.ts")).keysCommand },
  { name: "mark", load: async () => (await import("./mark.ts")).markCommand },
  { name: "zero", load: async () => (await import("./zero.ts")).zeroCommand },
  { name: "ledger", load: async () => (await import("./ledger.ts")).ledgerCommand },
  { name: "share", load: async () => (await import("./tracing.ts")).shareCommand },
  { name: "trace", load: async () => (await import("./tracing.ts")).traceCommand },
  { name: "evidence", load: async () => (await import("./tracing.ts")).evidenceCommand },
  { name: "fl", load: async () => (await import("./fl.ts")).flCommand },
  { name: "ca", load: async () => (await import("./ca.ts")).caCommand },
  { name: "node", load: async () => (await import("./node.ts")).nodeCommand },
  { name: "server", load: async () => (await import("./server.ts")).serverCommand },
  { name: "train", load: async () => (await import("./train.ts")).trainCommand },
];
