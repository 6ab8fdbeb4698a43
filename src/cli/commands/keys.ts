import { createMasterFile, DEFAULT_DEPLOYMENT_ID } from "../../crypto/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

export const keysCommand: Command = {
  name: "keys",
  usage: ["keys init --out FILE [--deployment ID]   create a master secret (mode 0600)"],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "init") throw new UsageError("expected 'keys init --out FILE'");
    const { values } = parse(
      rest,
      { out: { type: "string" }, deployment: { type: "string" }, json: { type: "boolean" } },
      [],
    );
    if (!values.out) throw new UsageError("--out FILE is required");
    const deploymentId = values.deployment ?? DEFAULT_DEPLOYMENT_ID;
    createMasterFile(values.out, deploymentId);
    output(values.json ?? false).result({ ok: true, keyFile: values.out, deploymentId }, [
      `master secret written to ${values.out} (mode 0600, deployment ${deploymentId})`,
      "keep it safe: every watermark key is derived from it",
    ]);
    return EXIT.ok;
  },
};
