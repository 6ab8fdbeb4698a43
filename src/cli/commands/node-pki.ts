// `medtrace node enrol|add|token|revoke`: the node's side of enrolment (key and CSR made here, the
// key never leaves this machine) and the consortium admin's node management against a server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_CREDENTIALS, NODE_FILE } from "../../edge/config.ts";
import { createNodeKeyAndCsr } from "../../server/pki/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";

class ServerReplyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "ServerReplyError";
  }
}

async function callServer(server: string, method: string, path: string, body?: unknown, bearer?: string): Promise<Record<string, unknown>> {
  const url = new URL(path, server.endsWith("/") ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new ServerReplyError("SERVER_UNREACHABLE", `cannot reach ${url.origin}: ${(err as Error).message}`, EXIT.error);
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const refused = res.status === 401 || res.status === 403;
    throw new ServerReplyError(String(json.error ?? res.status), `server answered ${res.status}: ${String(json.message ?? "")}`, refused ? EXIT.refused : EXIT.error);
  }
  return json;
}

function bearerOf(v: string | undefined): string {
  const t = v ?? process.env.MEDTRACE_TOKEN;
  if (!t) throw new UsageError("an admin access token is required: --bearer TOKEN or MEDTRACE_TOKEN");
  return t;
}

function writeSecretFile(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode });
}

/** Records the node id in NODE_DIR/node.json so `node run --dir` finds it. */
function recordNodeId(dir: string, nodeId: string): void {
  const path = join(dir, NODE_FILE);
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  if (current.nodeId === nodeId) return;
  writeFileSync(path, `${JSON.stringify({ ...current, nodeId }, null, 2)}\n`);
}

export async function enrolNode(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { server: { type: "string" }, token: { type: "string" }, "node-id": { type: "string" }, dir: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" } },
    [],
  );
  if (!values.server || !values.token || !values["node-id"])
    throw new UsageError("expected 'node enrol --server URL --token T --node-id ID [--dir D]'");
  const dir = resolve(values.dir ?? ".");
  const nodeId = values["node-id"];
  const c = DEFAULT_CREDENTIALS;
  const paths = { key: join(dir, c.key), cert: join(dir, c.cert), ca: join(dir, c.ca), serverKey: join(dir, c.serverKey) };
  if (existsSync(paths.key) && !values.force)
    throw new UsageError(`${paths.key} exists; pass --force to replace this node's key`);
  const { keyPem, csrPem } = await createNodeKeyAndCsr(nodeId);
  const r = await callServer(values.server, "POST", `api/nodes/${encodeURIComponent(nodeId)}/enrol`, { token: values.token, csr: csrPem });
  writeSecretFile(paths.key, keyPem, 0o600);
  writeSecretFile(paths.cert, String(r.certPem), 0o644);
  writeSecretFile(paths.ca, String(r.caPem), 0o644);
  writeSecretFile(paths.serverKey, String(r.serverKeyPem), 0o644);
  const summary = {
    nodeId,
    consortiumId: r.consortiumId,
    nodeUrl: r.nodeUrl,
    keyFingerprint: r.keyFingerprint,
    serial: r.serial,
  };
  writeSecretFile(join(dir, "identity", "enrolment.json"), `${JSON.stringify(summary, null, 2)}\n`, 0o644);
  recordNodeId(dir, nodeId);
  output(values.json ?? false).result({ ok: true, dir, ...summary }, [
    `node ${nodeId} enrolled in ${String(r.consortiumId)}; credentials in ${join(dir, "identity")}`,
    `  key fingerprint ${String(r.keyFingerprint)}: confirm it with your consortium admin`,
    `  run it with: medtrace node run --server ${String(r.nodeUrl)} --dir ${dir}`,
  ]);
  return EXIT.ok;
}

export async function addNode(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { server: { type: "string" }, "node-id": { type: "string" }, name: { type: "string" }, bearer: { type: "string" }, json: { type: "boolean" } },
    [],
  );
  if (!values.server || !values["node-id"]) throw new UsageError("expected 'node add --server URL --node-id ID [--name N]'");
  const r = await callServer(values.server, "POST", "api/nodes", { nodeId: values["node-id"], ...(values.name ? { displayName: values.name } : {}) }, bearerOf(values.bearer));
  output(values.json ?? false).result({ ok: true, nodeId: values["node-id"], token: r.token, expiresAt: r.expiresAt }, [
    `node ${values["node-id"]} created; one-time enrolment token (shown once, valid until ${String(r.expiresAt)}):`,
    `  ${String(r.token)}`,
  ]);
  return EXIT.ok;
}

export async function revokeNode(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { server: { type: "string" }, "node-id": { type: "string" }, reason: { type: "string" }, bearer: { type: "string" }, json: { type: "boolean" } },
    [],
  );
  if (!values.server || !values["node-id"]) throw new UsageError("expected 'node revoke --server URL --node-id ID [--reason R]'");
  const id = encodeURIComponent(values["node-id"]);
  const r = await callServer(values.server, "POST", `api/nodes/${id}/revoke`, values.reason ? { reason: values.reason } : {}, bearerOf(values.bearer));
  output(values.json ?? false).result({ ok: true, node: r.node }, [`node ${values["node-id"]} revoked; its connections are closed`]);
  return EXIT.ok;
}

/** The subcommands `node.ts` dispatches to (loaded on use only). */
export const NODE_PKI: Record<string, (argv: string[]) => Promise<number>> = {
  enrol: enrolNode,
  add: addNode,
  revoke: revokeNode,
};
