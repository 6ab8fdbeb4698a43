// `npm run build:contracts`: contracts/MedtraceAnchor.sol -> src/ledger/anchors/MedtraceAnchor.artifact.json
import { readFileSync, writeFileSync } from "node:fs";
import { compileAnchor } from "./compile.ts";

const source = readFileSync(new URL("../../../contracts/MedtraceAnchor.sol", import.meta.url), "utf8");
const artifact = compileAnchor(source);
const out = new URL("./MedtraceAnchor.artifact.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(artifact, null, 2)}\n`);
process.stdout.write(`MedtraceAnchor compiled with solc ${artifact.solcVersion}: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed\n`);
