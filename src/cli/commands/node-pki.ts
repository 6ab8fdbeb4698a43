// `medtrace node enrol|add|token|revoke`: the node's side of enrolment (key and CSR made here, the
// key never leaves this machine) and the consortium admin's node management against a server.
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

export async function enrolNode(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { server: { type: "string" }, token: { type: "string" }, "node-id": { type: "string" }, dir: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" } },
    [],
  );
  if (!values.server || !values.token || !values["node-id"])
    throw new UsageError("expected 'node enrol --server URL --token T --node-id ID [--dir D]'");
  const { enrolNode: enrol, EnrolError } = await import("../../edge/enrol.ts");
  const r = await enrol({ server: values.server, token: values.token, nodeId: values["node-id"], dir: values.dir ?? ".", force: values.force ?? false }).catch(
    (e: Error & { status?: number }) => {
      if (e instanceof EnrolError && (e.status === 401 || e.status === 403)) throw new ServerReplyError(e.code, e.message, EXIT.refused);
      throw e;
    },
  );
  output(values.json ?? false).result({ ok: true, ...r }, [
    `node ${r.nodeId} enrolled in ${r.consortiumId}; credentials in ${r.dir}/identity`,
    `  key fingerprint ${r.keyFingerprint}: confirm it with your consortium admin`,
    `  run it with: medtrace node run --server ${r.nodeUrl} --dir ${r.dir}`,
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
