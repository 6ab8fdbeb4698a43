// `medtrace ca init`: the consortium CA in the server's data folder, its key sealed under the
// deployment master secret (the same secret the server uses: --key-file, MEDTRACE_MASTER_SECRET,
// or <data-dir>/master.json, created on first use).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMasterFile, loadMasterSecret } from "../../crypto/index.ts";
import { resolveConfig } from "../../server/config.ts";
import { caFingerprint, initCa } from "../../server/pki/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

export const caCommand: Command = {
  name: "ca",
  usage: ["ca init [--data-dir D] [--consortium ID] [--key-file F]   create the consortium CA (P-256, key sealed)"],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "init") throw new UsageError("expected 'ca init [--data-dir D]'");
    const { values } = parse(
      rest,
      { "data-dir": { type: "string" }, consortium: { type: "string" }, "key-file": { type: "string" }, json: { type: "boolean" } },
      [],
    );
    const config = resolveConfig({ dataDir: values["data-dir"], consortiumId: values.consortium, keyFile: values["key-file"] });
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const defaultKey = join(config.dataDir, "master.json");
    const useDefault = !config.keyFile && !process.env.MEDTRACE_MASTER_SECRET;
    if (useDefault && !existsSync(defaultKey)) createMasterFile(defaultKey, config.consortiumId);
    const master = loadMasterSecret({ keyFile: config.keyFile ?? (useDefault ? defaultKey : undefined) });
    const { ca, created, path } = await initCa(config.dataDir, master, config.consortiumId);
    const fingerprint = caFingerprint(ca);
    output(values.json ?? false).result(
      { ok: true, created, path, consortiumId: ca.consortiumId, caKeyFingerprint: fingerprint, notAfter: ca.cert.notAfter.toISOString() },
      [
        `${created ? "created" : "already present"}: consortium CA for ${ca.consortiumId} at ${path}`,
        `  CA key fingerprint ${fingerprint} (P-256; the private key is sealed with the master secret)`,
      ],
    );
    return EXIT.ok;
  },
};
