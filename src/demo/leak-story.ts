// The demo's story on the running consortium, every step through the HTTP API: the data scientist
// asks for a few CT head images for annotation, gets a grant, fetches one instance over WADO-RS;
// that copy "leaks" with one pixel changed; the DPO uploads it to POST /api/trace and gets the
// recipient, the method and an evidence bundle, which is then checked offline against the log key
// derived from the master secret (no server involved).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkEvidence, formatVkey, ledgerSigner } from "../ledger/index.ts";
import { parseMultipart } from "../server/dicomweb/multipart.ts";
import { onePixelChanged } from "./leaks.ts";
import type { DemoPlatform } from "./platform.ts";

export const DEMO_REQUEST = {
  query: { modality: ["CT"], bodyPart: ["HEAD"] },
  purpose: "annotation",
  maxInstances: 3,
} as const;

interface GrantView {
  id: string;
  instances: number;
  nodes: string[];
  expiresAt: string;
  dicomweb: { root: string };
}

interface RequestView {
  id: string;
  status: string;
  error: string | null;
  nodes: { nodeId: string; status: string; reason?: string; instances: number }[];
  grant: GrantView | null;
}

interface TraceView {
  id: string;
  found: boolean;
  method: string;
  message: string;
  recipient: { userId: string; username: string; pseudonym: string } | null;
  grantId: string | null;
  evidence: unknown;
}

export interface LeakStory {
  ok: boolean;
  requester: string;
  request: { id: string; status: string; nodes: RequestView["nodes"] };
  grant: { id: string; instances: number; nodes: string[]; expiresAt: string; dicomweb: string };
  fetched: { sopInstanceUid: string; bytes: number; file: string };
  leak: { kind: string; file: string };
  trace: { id: string; found: boolean; recipient: string | null; username: string | null; pseudonym: string | null; method: string; grantId: string | null; evidence: { file: string; valid: boolean; entries: number[] } };
  lines: string[];
}

const TAG = { sop: "00080018", retrieveUrl: "00081190" } as const;
type DicomJson = Record<string, { Value?: unknown[] } | undefined>;

export async function runLeakStory(p: DemoPlatform, say: (line: string) => void = () => undefined): Promise<LeakStory> {
  const lines: string[] = [];
  const tell = (line: string) => {
    lines.push(line);
    say(line);
  };
  const scientist = p.logins.scientist;
  const { id: requestId } = await p.api.json<{ id: string }>("POST", "/api/data-requests", { token: scientist.token, json: DEMO_REQUEST });
  tell(`${scientist.username} asks for ${DEMO_REQUEST.maxInstances} CT HEAD images, purpose "${DEMO_REQUEST.purpose}" (request ${requestId})`);
  const request = await settledRequest(p, requestId);
  if (!request.grant) throw new Error(`data request ${requestId} ended ${request.status} without a grant: ${request.error ?? JSON.stringify(request.nodes)}`);
  const grant = request.grant;
  tell(`granted: ${grant.instances} traceable copies from ${grant.nodes.join(", ")} (grant ${grant.id}, until ${grant.expiresAt})`);

  const fetched = await fetchOneInstance(p, grant);
  const fetchedFile = join(p.workDir, "fetched.dcm");
  writeFileSync(fetchedFile, fetched.bytes);
  tell(`WADO-RS: ${scientist.username} fetched instance ${fetched.sopInstanceUid} (${fetched.bytes.length} bytes) -> ${fetchedFile}`);

  const leaked = onePixelChanged(fetched.bytes);
  const leakFile = join(p.workDir, "leaked.dcm");
  writeFileSync(leakFile, leaked);
  tell(`the copy leaks with one pixel changed -> ${leakFile}`);

  const answer = await traceUpload(p, leaked);
  const evidenceFile = join(p.workDir, "evidence.json");
  const evidenceText = JSON.stringify(answer.evidence, null, 2);
  writeFileSync(evidenceFile, evidenceText);
  const vkey = formatVkey(ledgerSigner(p.master, 1));
  const checked = checkEvidence(evidenceText, vkey);
  const who = answer.recipient ? `${answer.recipient.username} (user ${answer.recipient.userId}, pseudonym ${answer.recipient.pseudonym})` : "nobody";
  tell(`${p.logins.dpo.username} traces it (POST /api/trace): ${answer.found ? `issued to ${who}, method ${answer.method}` : answer.message}`);
  tell(`evidence bundle -> ${evidenceFile}: ${checked.valid ? `VALID offline (${checked.entries.length} ledger entries, key pinned from the master secret)` : `INVALID at ${checked.step}: ${checked.message}`}`);

  const ok = answer.found && answer.recipient?.userId === scientist.userId && answer.grantId === grant.id && grant.instances > 0 && checked.valid;
  return {
    ok,
    requester: scientist.userId,
    request: { id: requestId, status: request.status, nodes: request.nodes },
    grant: { id: grant.id, instances: grant.instances, nodes: grant.nodes, expiresAt: grant.expiresAt, dicomweb: grant.dicomweb.root },
    fetched: { sopInstanceUid: fetched.sopInstanceUid, bytes: fetched.bytes.length, file: fetchedFile },
    leak: { kind: "one pixel changed", file: leakFile },
    trace: {
      id: answer.id,
      found: answer.found,
      recipient: answer.recipient?.userId ?? null,
      username: answer.recipient?.username ?? null,
      pseudonym: answer.recipient?.pseudonym ?? null,
      method: answer.method,
      grantId: answer.grantId,
      evidence: { file: evidenceFile, valid: checked.valid, entries: checked.valid ? checked.entries : [] },
    },
    lines,
  };
}

/** Polls the request as its owner would, until it is no longer running. */
async function settledRequest(p: DemoPlatform, id: string, timeoutMs = 170_000): Promise<RequestView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await p.api.json<RequestView>("GET", `/api/data-requests/${id}`, { token: p.logins.scientist.token });
    if (r.status !== "running") return r;
    if (Date.now() > end) throw new Error(`data request ${id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** QIDO-RS for the grant's instances, then WADO-RS of the first one by its Retrieve URL. */
async function fetchOneInstance(p: DemoPlatform, grant: GrantView): Promise<{ sopInstanceUid: string; bytes: Uint8Array }> {
  const token = p.logins.scientist.token;
  const found = await p.api.json<DicomJson[]>("GET", `${grant.dicomweb.root}/instances?limit=1`, { token, accept: "application/dicom+json" });
  const first = found[0];
  const url = first?.[TAG.retrieveUrl]?.Value?.[0];
  const sop = first?.[TAG.sop]?.Value?.[0];
  if (typeof url !== "string" || typeof sop !== "string") throw new Error("QIDO-RS listed no instance with a Retrieve URL in the grant");
  const reply = await p.api.call("GET", url, { token, accept: 'multipart/related; type="application/dicom"' });
  const parts = parseMultipart(reply.headers.get("content-type") ?? "", reply.bytes);
  if (parts.length !== 1) throw new Error(`WADO-RS answered ${parts.length} parts for one instance`);
  return { sopInstanceUid: sop, bytes: parts[0].body };
}

async function traceUpload(p: DemoPlatform, bytes: Uint8Array): Promise<TraceView> {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: "application/dicom" }), "leaked.dcm");
  return p.api.json<TraceView>("POST", "/api/trace", { token: p.logins.dpo.token, form });
}
