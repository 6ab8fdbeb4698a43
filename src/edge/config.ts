// An edge node's configuration: NODE_DIR/node.json (node id, source, policy, credential paths),
// overridable from the command line, and the node's own secret NODE_DIR/edge-secret.json (mode
// 0600) from which the de-identification and catalogue keys are derived (HKDF, labelled).
import { existsSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { createMasterFile, deriveKey, readMasterFile } from "../crypto/index.ts";
import { EdgeError } from "./errors.ts";
import type { EdgeKeys } from "./handler.ts";
import { DEFAULT_POLICY, type EdgePolicy, policySchema } from "./policy.ts";
import { DEFAULT_TRAINING, type TrainingPolicy, trainingPolicySchema } from "./training-policy.ts";

export const NODE_FILE = "node.json";
export const SECRET_FILE = "edge-secret.json";
/** Labels of the keys derived from the node secret (never sent anywhere). */
export const EDGE_KEY_LABELS = { deid: "medtrace/v1/edge/deid", catalogue: "medtrace/v1/edge/catalogue" } as const;

const nodeFileSchema = z.strictObject({
  nodeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and -").optional(),
  source: z.string().min(1).optional(),
  labelsCsv: z.string().min(1).optional(),
  labelAttribute: z.string().min(1).optional(),
  policy: policySchema.partial().optional(),
  training: trainingPolicySchema.optional(),
  /** PEM files written at enrolment, relative to NODE_DIR. */
  credentials: z
    .strictObject({ key: z.string(), cert: z.string(), ca: z.string(), serverKey: z.string() })
    .partial()
    .optional(),
  catalogueIntervalSeconds: z.number().int().positive().max(86_400).optional(),
});

export interface NodeCredentials {
  key: string;
  cert: string;
  ca: string;
  serverKey: string;
}

export interface NodeConfig {
  nodeId: string;
  dir: string;
  /** "folder:PATH" or "orthanc:URL". */
  source: string;
  labelsCsv?: string;
  labelAttribute?: string;
  policy: EdgePolicy;
  /** Federated training: datasets offered and sessions accepted (none by default). */
  training: TrainingPolicy;
  /** Paths of the enrolment PEM files. */
  credentials: NodeCredentials;
  catalogueIntervalSeconds: number;
}

export const DEFAULT_CREDENTIALS: NodeCredentials = {
  key: "identity/node.key.pem",
  cert: "identity/node.crt.pem",
  ca: "identity/ca.crt.pem",
  serverKey: "identity/server-fl.pub.pem",
};

export interface ConfigOverrides {
  nodeId?: string;
  source?: string;
}

function readNodeFile(dir: string): z.output<typeof nodeFileSchema> {
  const path = join(dir, NODE_FILE);
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new EdgeError("EDGE_CONFIG", `${path} is not valid JSON`);
  }
  const r = nodeFileSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`);
    throw new EdgeError("EDGE_CONFIG", `${path}: ${issues.join("; ")}`);
  }
  return r.data;
}

export function loadNodeConfig(dirArg: string, over: ConfigOverrides = {}): NodeConfig {
  const dir = resolve(dirArg);
  const file = readNodeFile(dir);
  const nodeId = over.nodeId ?? file.nodeId ?? basename(dir).toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const source = over.source ?? file.source;
  if (!source) {
    throw new EdgeError("EDGE_CONFIG", `no data source: pass --source folder:PATH|orthanc:URL or set "source" in ${join(dir, NODE_FILE)}`);
  }
  const inDir = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const creds = { ...DEFAULT_CREDENTIALS, ...file.credentials };
  const cfg: NodeConfig = {
    nodeId,
    dir,
    source,
    policy: { ...DEFAULT_POLICY, ...file.policy },
    training: file.training ?? DEFAULT_TRAINING,
    credentials: { key: inDir(creds.key), cert: inDir(creds.cert), ca: inDir(creds.ca), serverKey: inDir(creds.serverKey) },
    catalogueIntervalSeconds: file.catalogueIntervalSeconds ?? 300,
  };
  if (file.labelsCsv) cfg.labelsCsv = inDir(file.labelsCsv);
  if (file.labelAttribute) cfg.labelAttribute = file.labelAttribute;
  return cfg;
}

/** The node's keys; the secret file is created (0600) on first use. */
export function loadNodeKeys(dir: string, nodeId: string): EdgeKeys {
  const path = join(dir, SECRET_FILE);
  if (!existsSync(path)) createMasterFile(path, `edge.${nodeId}`);
  const master = readMasterFile(path);
  return { deid: deriveKey(master, EDGE_KEY_LABELS.deid), catalogue: deriveKey(master, EDGE_KEY_LABELS.catalogue) };
}
