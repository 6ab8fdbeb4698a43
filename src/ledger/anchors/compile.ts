// Compiles MedtraceAnchor with the npm `solc` package (solc-js, pinned 0.8.28): no compiler
// download, ever (ledger.md §13.3). Settings give reproducible, PUSH0-free bytecode.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

export const ANCHOR_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "paris", // no PUSH0: portable to permissioned chains
  metadata: { bytecodeHash: "none" }, // reproducible bytecode
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

export interface AnchorArtifact {
  contractName: "MedtraceAnchor";
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  solcVersion: string;
  settings: typeof ANCHOR_SETTINGS;
  sourceSha256: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

export function compileAnchor(source: string): AnchorArtifact {
  const solc = createRequire(import.meta.url)("solc") as {
    compile(input: string): string;
    version(): string;
  };
  const input = {
    language: "Solidity",
    sources: { "MedtraceAnchor.sol": { content: source } },
    settings: ANCHOR_SETTINGS,
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts["MedtraceAnchor.sol"].MedtraceAnchor;
  return {
    contractName: "MedtraceAnchor",
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    solcVersion: solc.version(),
    settings: ANCHOR_SETTINGS,
    sourceSha256: createHash("sha256").update(source, "utf8").digest("hex"),
  };
}
