// `medtrace demo`: the product's story on embedded defaults and the shared sample data.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMasterFile, readMasterFile } from "../../crypto/index.ts";
import { traceStory } from "../../demo/trace-story.ts";
import { watermarkStory } from "../../demo/watermark-story.ts";
import { dataRoot } from "../../util/data-path.ts";
import { EXIT, output, parse } from "../args.ts";
import type { Command } from "./types.ts";

export const demoCommand: Command = {
  name: "demo",
  usage: ["demo [--data DIR] [--out DIR] [--recipient ID]             mark, restore, share, leak and trace CT slices"],
  async run(argv) {
    const { values } = parse(
      argv,
      { data: { type: "string" }, out: { type: "string" }, recipient: { type: "string" }, json: { type: "boolean" } },
      [],
    );
    if (values.data) process.env.MEDTRACE_DATA = values.data;
    const dataDir = dataRoot();
    const workDir = values.out ?? mkdtempSync(join(tmpdir(), "medtrace-demo-"));
    const recipient = values.recipient ?? "alice@hospital-a.example";
    const json = values.json ?? false;
    if (!json) process.stdout.write(`medtrace demo: data ${dataDir}, output ${workDir}\n\n`);
    // A fresh deployment secret, kept in the output folder (mode 0600) for the follow-up commands.
    const keyFile = join(workDir, "master.json");
    createMasterFile(keyFile, "demo.medtrace.local");
    const master = readMasterFile(keyFile);
    const steps = await watermarkStory({ dataDir, workDir, recipient, master });
    const traced = await traceStory({ dataDir, workDir, master, recipients: [recipient, "bob@university-b.example"] });
    steps.push(...traced.steps);
    const ok = steps.every((s) => s.ok);
    output(json).result(
      { ok, workDir, keyFile, ledger: traced.dbPath, steps: steps.map(({ step, ok, detail }) => ({ step, ok, ...detail })) },
      [
        ...steps.flatMap((s) => s.lines),
        "",
        ok ? "every step behaved as expected" : "SOME STEPS FAILED",
        "",
        "try it yourself:",
        `  npx medtrace trace ${join(workDir, "leak-2.dcm")} --db ${traced.dbPath} --key-file ${keyFile}`,
        `  npx medtrace evidence verify ${join(workDir, "evidence.json")} --key-file ${keyFile}`,
        `  npx medtrace ledger verify --db ${traced.dbPath} --key-file ${keyFile}`,
      ],
    );
    return ok ? EXIT.ok : EXIT.error;
  },
};
