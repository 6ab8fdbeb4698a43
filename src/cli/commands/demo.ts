// `medtrace demo`: the product on this machine (server, three hospitals, a data request, a leak
// traced), and `medtrace demo watermark`: the offline watermark and ledger stories.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LeakStory } from "../../demo/leak-story.ts";
import type { DemoPlatform } from "../../demo/platform.ts";
import type { TrainingStory } from "../../demo/training-story.ts";
import { isLoopback } from "../../server/config.ts";
import { WEB_ROOT } from "../../server/routes/web.ts";
import { dataRoot } from "../../util/data-path.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

export const demoCommand: Command = {
  name: "demo",
  usage: [
    "demo [--port N] [--host H --tls-cert F --tls-key F] [--data DIR | --offline] [--once]",
    "                                                            server, 3 hospitals, training, request, leak, trace",
    "demo watermark [--data DIR] [--out DIR] [--recipient ID]      mark, restore, share, leak and trace CT slices offline",
  ],
  async run(argv) {
    if (argv[0] === "watermark") return watermarkDemo(argv.slice(1));
    return platformDemo(argv);
  },
};

async function platformDemo(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      port: { type: "string" },
      host: { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      data: { type: "string" },
      offline: { type: "boolean" },
      once: { type: "boolean" },
      json: { type: "boolean" },
    },
    [],
  );
  const port = values.port === undefined ? 8443 : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError("--port must be 0..65535");
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) throw new UsageError("--tls-cert and --tls-key go together");
  const host = values.host ?? "127.0.0.1";
  const tls = values["tls-cert"] ? { certFile: values["tls-cert"], keyFile: values["tls-key"]! } : undefined;
  // Checked before any data is fetched or written: the demo's logins must never cross a network in clear.
  if (!tls && !isLoopback(host)) throw new UsageError(`refusing plain HTTP on ${host}: give --tls-cert and --tls-key, or bind a loopback address`);
  const json = values.json ?? false;
  const once = values.once ?? false;
  const say = json ? () => undefined : (line: string) => void process.stdout.write(`${line}\n`);
  // Loaded after the arguments are checked: a usage error does not wait for the whole server to load.
  const { progressBar, resolveDemoData } = await import("../../demo/data.ts");
  const { startDemoPlatform } = await import("../../demo/platform.ts");
  const { runLeakStory } = await import("../../demo/leak-story.ts");
  const { runTrainingStory } = await import("../../demo/training-story.ts");

  const data = await resolveDemoData({ ...(values.data ? { dataFlag: values.data } : {}), download: !values.offline, onProgress: progressBar("downloading PneumoniaMNIST") });
  say(`medtrace demo: ${data.description}`);
  const platform = await startDemoPlatform({ data, host, port, ...(tls ? { tls } : {}), say }).catch((err: Error & { code?: string }) => {
    if (err.code === "EADDRINUSE") throw new UsageError(`port ${port} on ${host} is in use: pick another with --port N (0 takes any free port)`);
    throw err;
  });
  try {
    const training = await runTrainingStory(platform, data, say);
    const story = await runLeakStory(platform, say);
    const ok = training.ok && story.ok;
    const summary = summaryOf(platform, story, training, data, !once);
    if (json) output(true).result(summary, []);
    else say(["", ok ? "the story held: a model trained without moving images, and the leaked copy was traced to the data scientist who received it" : "THE STORY DID NOT HOLD (see above)", ...closingLines(platform, story.grant.dicomweb, once)].join("\n"));
    if (!once) await untilInterrupted();
    return ok ? EXIT.ok : EXIT.error;
  } finally {
    await platform.close();
    if (!once) say("demo stopped: server and hospitals closed");
  }
}

function summaryOf(p: DemoPlatform, story: LeakStory, training: TrainingStory, data: { origin: string; description: string }, withPasswords: boolean) {
  const { lines: _lines, ...rest } = story;
  const { lines: _trainingLines, ...trainingSummary } = training;
  return {
    ...rest,
    ok: story.ok && training.ok,
    training: trainingSummary,
    data: { origin: data.origin, description: data.description },
    urls: urlsOf(p, story.grant.dicomweb),
    workDir: p.workDir,
    keyFile: p.keyFile,
    nodes: p.hospitals.map((h) => ({ nodeId: h.nodeId, ctSlices: h.ctSlices, chestImages: h.chestImages, labels: h.labels, keyFingerprint: h.keyFingerprint })),
    users: Object.values(p.logins).map((l) => ({ role: l.role, username: l.username, userId: l.userId, ...(withPasswords ? { password: l.password } : {}) })),
  };
}

function urlsOf(p: DemoPlatform, dicomweb: string) {
  const api = p.server.url;
  return { web: `${api}/`, api, docs: `${api}/api/docs`, dicomweb, nodePort: p.nodeUrl };
}

function closingLines(p: DemoPlatform, dicomweb: string, once: boolean): string[] {
  if (once) return [`work folder kept: ${p.workDir}`];
  const urls = urlsOf(p, dicomweb);
  return [
    "",
    `web UI        ${urls.web}${existsSync(join(WEB_ROOT, "index.html")) ? "" : "   (not built: run 'npm run build:web' first)"}`,
    `API docs      ${urls.docs}`,
    `DICOMweb      ${urls.dicomweb}   (bearer: ${p.logins.scientist.username}'s token, or a grant token)`,
    `node port     ${urls.nodePort}   (HTTP/2, mTLS, consortium CA)`,
    "",
    "logins (shown once):",
    ...Object.values(p.logins).map((l) => `  ${l.role.padEnd(17)} ${l.username.padEnd(20)} ${l.password}`),
    "",
    `evidence: npx medtrace evidence verify ${join(p.workDir, "evidence.json")} --key-file ${p.keyFile}`,
    "Ctrl-C stops the server and the hospitals.",
  ];
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

async function watermarkDemo(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { data: { type: "string" }, out: { type: "string" }, recipient: { type: "string" }, json: { type: "boolean" } },
    [],
  );
  if (values.data) process.env.MEDTRACE_DATA = values.data;
  const { createMasterFile, readMasterFile } = await import("../../crypto/index.ts");
  const { watermarkStory } = await import("../../demo/watermark-story.ts");
  const { traceStory } = await import("../../demo/trace-story.ts");
  const dataDir = dataRoot();
  const workDir = values.out ?? mkdtempSync(join(tmpdir(), "medtrace-demo-"));
  const recipient = values.recipient ?? "alice@hospital-a.example";
  const json = values.json ?? false;
  if (!json) process.stdout.write(`medtrace demo watermark: data ${dataDir}, output ${workDir}\n\n`);
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
}
