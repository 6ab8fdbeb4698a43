// `medtrace demo`: the product's story on embedded defaults and the shared sample data.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watermarkStory } from "../../demo/watermark-story.ts";
import { dataRoot } from "../../util/data-path.ts";
import { EXIT, output, parse } from "../args.ts";
import type { Command } from "./types.ts";

export const demoCommand: Command = {
  name: "demo",
  usage: [
    "demo [--data DIR] [--out DIR] [--recipient ID]             the watermark story on a CT slice",
  ],
  async run(argv) {
    const { values } = parse(
      argv,
      {
        data: { type: "string" },
        out: { type: "string" },
        recipient: { type: "string" },
        json: { type: "boolean" },
      },
      [],
    );
    if (values.data) process.env.MEDTRACE_DATA = values.data;
    const dataDir = dataRoot();
    const workDir = values.out ?? mkdtempSync(join(tmpdir(), "medtrace-demo-"));
    const recipient = values.recipient ?? "alice@hospital-a.example";
    const json = values.json ?? false;
    if (!json) process.stdout.write(`medtrace demo: data ${dataDir}, output ${workDir}\n\n`);
    const steps = await watermarkStory({ dataDir, workDir, recipient });
    const ok = steps.every((s) => s.ok);
    output(json).result(
      { ok, workDir, steps: steps.map(({ step, ok, detail }) => ({ step, ok, ...detail })) },
      [
        ...steps.flatMap((s) => s.lines),
        "",
        ok ? "every step behaved as expected" : "SOME STEPS FAILED",
      ],
    );
    return ok ? EXIT.ok : EXIT.error;
  },
};
