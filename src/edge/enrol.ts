// The node's side of enrolment over the server's API (federated-learning.md §5.2): the key is made
// here and never leaves NODE_DIR; only the CSR travels, with the one-time token the consortium
// admin handed over. The credentials land where `loadNodeConfig` looks for them.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createNodeKeyAndCsr } from "../server/pki/index.ts";
import { DEFAULT_CREDENTIALS } from "./config.ts";
import { EdgeError } from "./errors.ts";

export interface EnrolInput {
  /** The server's API base URL (not the node port), e.g. https://server.example:8443. */
  apiUrl: string;
  nodeId: string;
  token: string;
  dir: string;
}

export interface Enrolment {
  nodeId: string;
  consortiumId: string;
  /** The node port the agent dials. */
  nodeUrl: string;
  keyFingerprint: string;
  serial: string;
}

const enrolmentReply = (json: Record<string, unknown>) => {
  const fields = ["certPem", "caPem", "serverKeyPem", "consortiumId", "nodeUrl", "keyFingerprint", "serial"] as const;
  const missing = fields.filter((f) => typeof json[f] !== "string");
  if (missing.length > 0) throw new EdgeError("EDGE_CONFIG", `the server's enrolment answer lacks ${missing.join(", ")}`);
  return json as Record<(typeof fields)[number], string>;
};

export async function enrolWithServer(input: EnrolInput): Promise<Enrolment> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr(input.nodeId);
  const url = new URL(`api/nodes/${encodeURIComponent(input.nodeId)}/enrol`, input.apiUrl.endsWith("/") ? input.apiUrl : `${input.apiUrl}/`);
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: input.token, csr: csrPem }) });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new EdgeError("EDGE_CONFIG", `enrolment of ${input.nodeId} refused (${res.status}): ${String(json.message ?? json.error ?? "")}`);
  const r = enrolmentReply(json);
  const write = (relative: string, text: string, mode: number) => {
    const path = join(input.dir, relative);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode });
  };
  write(DEFAULT_CREDENTIALS.key, keyPem, 0o600);
  write(DEFAULT_CREDENTIALS.cert, r.certPem, 0o644);
  write(DEFAULT_CREDENTIALS.ca, r.caPem, 0o644);
  write(DEFAULT_CREDENTIALS.serverKey, r.serverKeyPem, 0o644);
  return { nodeId: input.nodeId, consortiumId: r.consortiumId, nodeUrl: r.nodeUrl, keyFingerprint: r.keyFingerprint, serial: r.serial };
}
