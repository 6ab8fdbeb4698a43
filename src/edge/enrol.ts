// The node's side of enrolment over the server's API (federated-learning.md §5.2): the key is made
// here and never leaves NODE_DIR; only the CSR travels, with the one-time token the consortium
// admin handed over. The credentials land where `loadNodeConfig` looks for them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createNodeKeyAndCsr } from "../server/pki/csr.ts";
import { DEFAULT_CREDENTIALS, NODE_FILE } from "./config.ts";
import { EdgeError } from "./errors.ts";

export interface EnrolInput {
  /** The server's API base URL (not the node port), e.g. https://server.example:8443. */
  apiUrl: string;
  nodeId: string;
  token: string;
  dir: string;
}

export interface EnrolOptions {
  /** The server's API base URL. */
  server: string;
  token: string;
  nodeId: string;
  dir: string;
  /** Replace an existing node key. */
  force?: boolean;
}

export interface Enrolment {
  nodeId: string;
  consortiumId: string;
  /** The node port the agent dials (`node run --server`). */
  nodeUrl: string;
  keyFingerprint: string;
  serial: string;
}

/** The server refused the enrolment (status and its `{error}` code kept for the CLI's exit code). */
export class EnrolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "EnrolError";
  }
}

const FIELDS = ["certPem", "caPem", "serverKeyPem", "consortiumId", "nodeUrl", "keyFingerprint", "serial"] as const;

function enrolmentReply(json: Record<string, unknown>): Record<(typeof FIELDS)[number], string> {
  const missing = FIELDS.filter((f) => typeof json[f] !== "string");
  if (missing.length > 0) throw new EdgeError("EDGE_CONFIG", `the server's enrolment answer lacks ${missing.join(", ")}`);
  return json as Record<(typeof FIELDS)[number], string>;
}

/** Enrols and writes the credentials, a summary (identity/enrolment.json) and the node id (node.json). */
export async function enrolNode(opts: EnrolOptions): Promise<Enrolment & { dir: string }> {
  const dir = resolve(opts.dir);
  if (existsSync(join(dir, DEFAULT_CREDENTIALS.key)) && !opts.force)
    throw new EdgeError("EDGE_CONFIG", `${join(dir, DEFAULT_CREDENTIALS.key)} exists; pass --force to replace this node's key`);
  const { keyPem, csrPem } = await createNodeKeyAndCsr(opts.nodeId);
  const r = enrolmentReply(await post(opts.server, `api/nodes/${encodeURIComponent(opts.nodeId)}/enrol`, { token: opts.token, csr: csrPem }));
  const write = (relative: string, text: string, mode: number) => {
    const path = join(dir, relative);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode });
  };
  write(DEFAULT_CREDENTIALS.key, keyPem, 0o600);
  write(DEFAULT_CREDENTIALS.cert, r.certPem, 0o644);
  write(DEFAULT_CREDENTIALS.ca, r.caPem, 0o644);
  write(DEFAULT_CREDENTIALS.serverKey, r.serverKeyPem, 0o644);
  const out = { nodeId: opts.nodeId, consortiumId: r.consortiumId, nodeUrl: r.nodeUrl, keyFingerprint: r.keyFingerprint, serial: r.serial };
  write(join("identity", "enrolment.json"), `${JSON.stringify(out, null, 2)}\n`, 0o644);
  recordNodeId(dir, opts.nodeId);
  return { ...out, dir };
}

/** The same enrolment for callers that manage node.json themselves (the demo). */
export async function enrolWithServer(input: EnrolInput): Promise<Enrolment> {
  const { dir: _dir, ...e } = await enrolNode({ server: input.apiUrl, nodeId: input.nodeId, token: input.token, dir: input.dir, force: true });
  return e;
}

async function post(server: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const url = new URL(path, server.endsWith("/") ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (err) {
    throw new EnrolError("SERVER_UNREACHABLE", `cannot reach ${url.origin}: ${(err as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new EnrolError(String(json.error ?? res.status), `enrolment refused (${res.status}): ${String(json.message ?? "")}`, res.status);
  return json;
}

/** Records the node id in NODE_DIR/node.json so `node run --dir` finds it. */
function recordNodeId(dir: string, nodeId: string): void {
  const path = join(dir, NODE_FILE);
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  if (current.nodeId !== nodeId) writeFileSync(path, `${JSON.stringify({ ...current, nodeId }, null, 2)}\n`);
}
