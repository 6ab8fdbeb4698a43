// The demo's consortium on this machine, built only through the product's own paths: a work
// folder in the OS temp dir with the master secret (0600), the API server on SQLite with its node
// port and consortium CA, accounts made through the users API, and three hospitals enrolled with
// one-time tokens and CSRs, each running the edge agent that dials the node port over mTLS.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMasterFile, readMasterFile, type MasterSecret } from "../crypto/index.ts";
import { type RunningNode, startNode } from "../edge/agent.ts";
import { loadNodeConfig, NODE_FILE } from "../edge/config.ts";
import { enrolNode } from "../edge/enrol.ts";
import { oneTimePassword } from "../server/auth/index.ts";
import type { Role } from "../server/config.ts";
import { type RunningServer, startServer } from "../server/start.ts";
import { ApiClient } from "./api-client.ts";
import type { DemoData } from "./data.ts";
import { type HospitalFolder, writeHospitalFolders } from "./hospitals.ts";
import { DEMO_TRAINING_DATASET } from "./training-story.ts";

export const DEMO_CONSORTIUM = "demo.medtrace";

export interface DemoLogin {
  role: Role;
  username: string;
  password: string;
  userId: string;
  /** A current access token (the demo acts as this user). */
  token: string;
}

export interface DemoHospital extends HospitalFolder {
  nodeId: string;
  nodeDir: string;
  /** The node port, as the enrolment answer named it. */
  nodeUrl: string;
  keyFingerprint: string;
  agent: RunningNode;
}

export interface PlatformOptions {
  data: DemoData;
  host?: string;
  port?: number;
  tls?: { certFile: string; keyFile: string };
  hospitals?: number;
  chestPerNode?: number;
  /** Narrative lines, as they happen. */
  say?: (line: string) => void;
}

export interface DemoPlatform {
  workDir: string;
  keyFile: string;
  master: MasterSecret;
  server: RunningServer;
  api: ApiClient;
  nodeUrl: string;
  caFingerprint: string;
  logins: Record<"admin" | "scientist" | "dpo" | "hospitalAdmin", DemoLogin>;
  hospitals: DemoHospital[];
  close(): Promise<void>;
}

const DEMO_USERS = [
  ["scientist", "demo-scientist", "data-scientist"],
  ["dpo", "demo-dpo", "dpo"],
  ["hospitalAdmin", "demo-hospital-admin", "hospital-admin"],
] as const;

/** Purposes the demo hospitals serve: the data request of this story and training (issue 7). */
const DEMO_POLICY = { allowedPurposes: ["annotation", "research", "training"] };

export async function startDemoPlatform(opts: PlatformOptions): Promise<DemoPlatform> {
  const say = opts.say ?? (() => undefined);
  const workDir = mkdtempSync(join(tmpdir(), "medtrace-demo-"));
  const keyFile = join(workDir, "master.json");
  createMasterFile(keyFile, DEMO_CONSORTIUM);
  const master = readMasterFile(keyFile);
  const server = await startServer({
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 8443,
    // Any free port: agents learn it from their enrolment answer.
    nodePort: 0,
    dataDir: join(workDir, "server"),
    keyFile,
    consortiumId: DEMO_CONSORTIUM,
    ...(opts.tls ? { tls: opts.tls } : {}),
  }).catch((err: unknown) => {
    // Nothing of this run is worth keeping when the server could not even start.
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  });
  const hospitals: DemoHospital[] = [];
  const close = async () => {
    for (const h of hospitals) await h.agent.close();
    await server.close();
  };
  try {
    const api = new ApiClient(server.url);
    say(`server ${server.url} (SQLite in ${join(workDir, "server")}, master secret ${keyFile}, mode 0600)`);
    const admin = await firstAdminLogin(api, server);
    const ca = await api.json<{ caKeyFingerprint: string }>("GET", "/api/pki/ca");
    say(`consortium CA of ${DEMO_CONSORTIUM} initialised (key fingerprint ${ca.caKeyFingerprint})`);
    const logins = { admin } as DemoPlatform["logins"];
    for (const [key, username, role] of DEMO_USERS) logins[key] = await createUser(api, admin.token, username, role);
    say(`accounts created through the users API: ${DEMO_USERS.map(([, u, r]) => `${u} (${r})`).join(", ")}`);
    const folders = writeHospitalFolders(opts.data, join(workDir, "hospitals"), {
      ...(opts.hospitals ? { count: opts.hospitals } : {}),
      ...(opts.chestPerNode ? { chestPerNode: opts.chestPerNode } : {}),
    });
    for (const folder of folders) {
      const hospital = await enrolAndRun(api, admin.token, folder);
      hospitals.push(hospital);
      say(`${hospital.nodeId}: enrolled (key ${hospital.keyFingerprint.slice(0, 23)}...), ${folder.ctSlices} CT slices, ${folder.chestImages} chest X-rays (${labelSummary(folder.labels)}), connected over mTLS`);
    }
    // The hospital admin's view of the consortium (GET /api/nodes) is what says the story can start.
    await waitForNodes(api, logins.hospitalAdmin.token, hospitals.map((h) => h.nodeId));
    say(`${logins.hospitalAdmin.username} sees ${hospitals.length} hospitals connected (GET /api/nodes)`);
    return { workDir, keyFile, master, server, api, nodeUrl: hospitals[0]?.nodeUrl ?? "", caFingerprint: ca.caKeyFingerprint, logins, hospitals, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const labelSummary = (labels: Record<string, number>) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");

/** The one-time password of the bootstrap admin is replaced at first use, as the server demands. */
async function firstAdminLogin(api: ApiClient, server: RunningServer): Promise<DemoLogin> {
  if (!server.firstAdmin) throw new Error("the demo's fresh server did not create its first admin");
  const { username, password: oneTime } = server.firstAdmin;
  const first = await api.login(username, oneTime);
  const password = oneTimePassword();
  await api.call("POST", "/api/auth/password", { token: first.token, json: { currentPassword: oneTime, newPassword: password } });
  const { token, userId } = await api.login(username, password);
  return { role: "consortium-admin", username, password, userId, token };
}

async function createUser(api: ApiClient, adminToken: string, username: string, role: Role): Promise<DemoLogin> {
  const password = oneTimePassword();
  await api.call("POST", "/api/users", { token: adminToken, json: { username, roles: [role], password } });
  const { token, userId } = await api.login(username, password);
  return { role, username, password, userId, token };
}

async function enrolAndRun(api: ApiClient, adminToken: string, folder: HospitalFolder): Promise<DemoHospital> {
  const nodeDir = join(folder.dir, "..");
  const nodeId = nodeDir.split(/[\\/]/).pop()!;
  const created = await api.json<{ token: string }>("POST", "/api/nodes", { token: adminToken, json: { nodeId, displayName: `Demo ${nodeId}` } });
  const enrolment = await enrolNode({ server: api.base, nodeId, token: created.token, dir: nodeDir });
  mkdirSync(nodeDir, { recursive: true });
  writeFileSync(join(nodeDir, NODE_FILE), `${JSON.stringify({ nodeId, source: `folder:${folder.dir}`, policy: DEMO_POLICY, training: { datasets: [DEMO_TRAINING_DATASET] } }, null, 2)}\n`);
  const agent = startNode(loadNodeConfig(nodeDir), { serverUrl: enrolment.nodeUrl });
  try {
    await agent.channel.waitConnected(60_000);
  } catch (err) {
    await agent.close();
    throw err;
  }
  return { ...folder, nodeId, nodeDir, nodeUrl: enrolment.nodeUrl, keyFingerprint: enrolment.keyFingerprint, agent };
}

/** The server's own view: every hospital listed as connected. */
async function waitForNodes(api: ApiClient, token: string, nodeIds: string[], timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { nodes } = await api.json<{ nodes: { nodeId: string; connection: unknown }[] }>("GET", "/api/nodes", { token });
    const connected = new Set(nodes.filter((n) => n.connection).map((n) => n.nodeId));
    if (nodeIds.every((id) => connected.has(id))) return;
    if (Date.now() > end) throw new Error(`hospitals not connected after ${timeoutMs} ms: ${nodeIds.filter((id) => !connected.has(id)).join(", ")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
