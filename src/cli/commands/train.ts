import { EXIT, output, parse, UsageError } from "../args.ts";
import type { SessionView, TrainingClient as Client } from "../../client/training.ts";
import type { Command } from "./types.ts";

const CONNECT = {
  server: { type: "string" },
  user: { type: "string" },
  "password-env": { type: "string" },
  json: { type: "boolean" },
} as const;

async function connect(values: { server?: string; user?: string; "password-env"?: string }): Promise<Client> {
  if (!values.server) throw new UsageError("--server URL is required (the server's API, e.g. https://server:8443)");
  if (!values.user) throw new UsageError("--user USERNAME is required");
  const variable = values["password-env"] ?? "MEDTRACE_PASSWORD";
  // the password comes from the environment so it never shows in the process list or shell history
  const password = process.env[variable];
  if (!password) throw new UsageError(`set the password in $${variable} (or name another variable with --password-env)`);
  const { TrainingClient } = await import("../../client/training.ts");
  return TrainingClient.login(values.server, values.user, password);
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer`);
  return Number(v);
}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

/** The session config from the flags; the server fills in and checks the rest (§1.2). */
export function sessionConfigFromFlags(v: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const tag = str("tag");
  if (!tag) throw new UsageError("--tag TAG is required (the dataset the hospitals offer)");
  const minNodes = positiveInt("min-nodes", str("min-nodes"));
  const fraction = positiveNumber("fraction", str("fraction"));
  const lr = positiveNumber("lr", str("lr"));
  return {
    dataset: { tag, ...(str("min-examples") ? { minExamples: positiveInt("min-examples", str("min-examples")) } : {}) },
    rounds: positiveInt("rounds", str("rounds")) ?? 10,
    localEpochs: positiveInt("epochs", str("epochs")) ?? 1,
    batchSize: positiveInt("batch-size", str("batch-size")) ?? 32,
    ...(lr ? { optimizer: { learningRate: lr } } : {}),
    ...(str("strategy") ? { strategy: { name: str("strategy") } } : {}),
    ...(minNodes || fraction ? { nodes: { ...(minNodes ? { min: minNodes } : {}), ...(fraction ? { fraction } : {}) } } : {}),
    ...(v["no-secure-aggregation"] ? { secureAggregation: { enabled: false } } : {}),
    ...(str("seed") ? { seed: str("seed") } : {}),
    ...(str("name") ? { name: str("name") } : {}),
  };
}

async function start(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...CONNECT,
      tag: { type: "string" },
      rounds: { type: "string" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      strategy: { type: "string" },
      "min-nodes": { type: "string" },
      fraction: { type: "string" },
      "min-examples": { type: "string" },
      "no-secure-aggregation": { type: "boolean" },
      seed: { type: "string" },
      name: { type: "string" },
      watch: { type: "boolean" },
    },
    [],
  );
  const config = sessionConfigFromFlags(values);
  const client = await connect(values);
  const created = await client.create(config);
  const out = output(values.json ?? false);
  if (!values.watch || values.json) {
    out.result({ ok: true, ...created }, [`session ${created.id} ${created.state}`, `plan ${created.planHash}`, ...created.warnings.map((w) => `warning: ${w}`)]);
    return EXIT.ok;
  }
  process.stdout.write(`session ${created.id} ${created.state}\n${created.warnings.map((w) => `warning: ${w}\n`).join("")}`);
  return follow(client, created.id);
}

async function status(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, CONNECT, ["SESSION_ID"]);
  const client = await connect(values);
  const v = await client.status(positionals[0]);
  const { progressLine, roundTable } = await import("../../client/training.ts");
  output(values.json ?? false).result({ ok: true, session: v }, [progressLine(v), ...summary(v), ...roundTable(v.history)]);
  return EXIT.ok;
}

function summary(v: SessionView): string[] {
  const lines = [`session ${v.sessionId}  state ${v.state}${v.reason ? ` (${v.reason})` : ""}  secure aggregation ${v.secureAggregation ? "on" : "OFF"}`];
  if (v.modelHash) lines.push(`model ${v.modelHash}`);
  if (v.finalEval) lines.push(`final federated evaluation: n ${v.finalEval.n}  acc ${(100 * v.finalEval.acc).toFixed(1)}%  auc ${v.finalEval.auc.toFixed(4)}`);
  return lines;
}

async function watch(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, CONNECT, ["SESSION_ID"]);
  const client = await connect(values);
  if (values.json) {
    // one JSON event per line until the session ends
    const { TERMINAL_STATES } = await import("../../client/training.ts");
    for await (const e of client.events(positionals[0])) {
      process.stdout.write(`${JSON.stringify({ event: e.event, ...e.data })}\n`);
      const state = e.data.state as string | undefined;
      if (state && TERMINAL_STATES.includes(state) && (e.event === "state" || e.event === "snapshot")) break;
    }
    return exitFor((await client.status(positionals[0])).state);
  }
  return follow(client, positionals[0]);
}

/** The live progress line (rewritten in place on a terminal) and the table row of each round. */
async function follow(client: Client, id: string): Promise<number> {
  const { progressLine, roundTable, TERMINAL_STATES } = await import("../../client/training.ts");
  const tty = process.stderr.isTTY;
  const show = (line: string) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  let v = await client.status(id);
  let printed = 0;
  const printRounds = () => {
    const table = roundTable(v.history);
    if (v.history.length > printed) {
      if (tty) process.stderr.write("\r\x1b[2K");
      process.stdout.write(`${(printed === 0 ? table : table.slice(printed + 1)).join("\n")}\n`);
      printed = v.history.length;
    }
  };
  printRounds();
  show(progressLine(v));
  const ac = new AbortController();
  let ending: NodeJS.Timeout | undefined;
  const finished = TERMINAL_STATES.includes(v.state) && (v.state !== "completed" || v.finalEval !== null);
  for await (const e of finished ? [] : client.events(id, ac.signal)) {
    if (e.event === "snapshot") continue;
    v = await client.status(id);
    printRounds();
    show(progressLine(v));
    if (TERMINAL_STATES.includes(v.state) && (v.state !== "completed" || v.finalEval)) break;
    // the nodes' final evaluations follow completion; a node that is gone never sends one
    if (TERMINAL_STATES.includes(v.state)) ending ??= setTimeout(() => ac.abort(), 10_000);
  }
  clearTimeout(ending);
  ac.abort();
  v = await client.status(id);
  printRounds();
  if (tty) process.stderr.write("\n");
  process.stdout.write(`${summary(v).join("\n")}\n`);
  return exitFor(v.state);
}

function exitFor(state: string): number {
  return state === "completed" ? EXIT.ok : EXIT.error;
}

async function download(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...CONNECT, format: { type: "string" }, out: { type: "string" } }, ["SESSION_ID"]);
  const format = values.format ?? "tfjs";
  if (format !== "tfjs" && format !== "onnx") throw new UsageError("--format must be tfjs or onnx");
  const id = positionals[0];
  const file = values.out ?? (format === "onnx" ? `${id}.onnx` : `${id}-tfjs.zip`);
  const client = await connect(values);
  const bytes = await client.download(id, format, file);
  output(values.json ?? false).result({ ok: true, file, format, bytes }, [`${format} model written to ${file} (${bytes} bytes)`]);
  return EXIT.ok;
}

async function cancel(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, CONNECT, ["SESSION_ID"]);
  const v = await (await connect(values)).cancel(positionals[0]);
  output(values.json ?? false).result({ ok: true, state: v.state }, [`session ${positionals[0]} ${v.state}`]);
  return EXIT.ok;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { start, status, watch, download, cancel };
const AUTH = "--server URL --user NAME [--password-env VAR (default MEDTRACE_PASSWORD)]";

export const trainCommand: Command = {
  name: "train",
  usage: [
    `train start --tag TAG ${AUTH}`,
    "      [--rounds 10] [--epochs 1] [--batch-size 32] [--lr 0.001] [--strategy fedavg] [--min-nodes 3]",
    "      [--fraction 1] [--min-examples 50] [--no-secure-aggregation] [--seed S] [--name N] [--watch]",
    "                                             create a training session (it starts when the hospitals accept)",
    `train status|watch|cancel SESSION_ID ${AUTH}   state and per-round table | live progress until it ends`,
    `train download SESSION_ID ${AUTH} [--format tfjs|onnx] [--out FILE]`,
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    const fn = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!fn) throw new UsageError(`expected 'train ${Object.keys(SUBCOMMANDS).join("|")} ...'`);
    return fn(rest);
  },
};
