import { loadNodeConfig } from "../../edge/config.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import { NODE_PKI_USAGE } from "./node-pki-usage.ts";
import type { Command } from "./types.ts";

/** `medtrace node run`: the edge agent until SIGINT/SIGTERM. */
async function runNode(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      server: { type: "string" },
      dir: { type: "string" },
      source: { type: "string" },
      "node-id": { type: "string" },
      json: { type: "boolean" },
    },
    [],
  );
  if (!values.server) throw new UsageError("--server URL is required (the server's node port)");
  if (!values.dir) throw new UsageError("--dir NODE_DIR is required");
  const cfg = loadNodeConfig(values.dir, {
    ...(values.source ? { source: values.source } : {}),
    ...(values["node-id"] ? { nodeId: values["node-id"] } : {}),
  });
  const { startNode } = await import("../../edge/agent.ts");
  const node = startNode(cfg, {
    serverUrl: values.server,
    onEvent: (e) => process.stderr.write(`${new Date().toISOString()} ${JSON.stringify(e)}\n`),
  });
  process.stderr.write(`node ${cfg.nodeId}: ${node.source.description} -> ${values.server}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await node.close();
  return EXIT.ok;
}

/** `medtrace node approvals|approve|deny`: the hospital admin's decisions on pending requests. */
async function approvals(sub: string, argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { dir: { type: "string" }, by: { type: "string" }, json: { type: "boolean" } },
    sub === "approvals" ? [] : ["REQUEST_ID"],
  );
  if (!values.dir) throw new UsageError("--dir NODE_DIR is required");
  const { ApprovalStore } = await import("../../edge/policy.ts");
  const store = new ApprovalStore(values.dir);
  const out = output(values.json ?? false);
  if (sub === "approvals") {
    const list = store.list();
    out.result({ approvals: list }, list.length === 0 ? ["no requests"] : list.map((r) => `${r.requestId}  ${r.status}  ${r.purpose}  max ${r.maxInstances}  by ${r.requester}  ${JSON.stringify(r.query)}`));
    return EXIT.ok;
  }
  const rec = store.decide(positionals[0], sub === "approve" ? "approved" : "denied", values.by ?? process.env.USER ?? "hospital-admin");
  out.result({ ok: true, approval: rec }, [`request ${rec.requestId} ${rec.status}`]);
  return EXIT.ok;
}

/** One entry per `node` subcommand; `enrol` is added beside `run` by the PKI work. */
export const NODE_SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runNode,
  approvals: (argv) => approvals("approvals", argv),
  approve: (argv) => approvals("approve", argv),
  deny: (argv) => approvals("deny", argv),
  ...Object.fromEntries(["enrol", "add", "revoke"].map((sub) => [sub, async (argv: string[]) => (await import("./node-pki.ts")).NODE_PKI[sub](argv)])),
};

export const nodeCommand: Command = {
  name: "node",
  usage: [
    "node run --server URL --dir NODE_DIR [--source folder:PATH|orthanc:URL] [--node-id ID]",
    "                                             run the edge agent (dials out to the server)",
    "node approvals --dir NODE_DIR [--json]        data requests awaiting the hospital admin",
    "node approve|deny REQUEST_ID --dir NODE_DIR [--by NAME]   decide a pending request",
    ...NODE_PKI_USAGE,
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    const fn = sub === undefined ? undefined : NODE_SUBCOMMANDS[sub];
    if (!fn) throw new UsageError(`expected 'node ${Object.keys(NODE_SUBCOMMANDS).join("|")} ...'`);
    return fn(rest);
  },
};
