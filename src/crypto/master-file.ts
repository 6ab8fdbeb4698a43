// Master secret at rest: a file readable by its owner only (ledger.md §7.1), or the
// MEDTRACE_MASTER_SECRET environment variable (base64). The secret is never printed.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { CryptoError } from "./errors.ts";
import { type MasterSecret, MIN_MASTER_BYTES, masterSecret } from "./keys.ts";

export const DEFAULT_DEPLOYMENT_ID = "local.medtrace";

interface MasterFile {
  format: "medtrace-master/v1";
  deploymentId: string;
  secret: string; // base64
}

export function createMasterFile(path: string, deploymentId = DEFAULT_DEPLOYMENT_ID): void {
  if (existsSync(path)) {
    throw new CryptoError(
      "KEY_FILE_EXISTS",
      `${path} already exists; refusing to overwrite a master secret`,
    );
  }
  const body: MasterFile = {
    format: "medtrace-master/v1",
    deploymentId,
    secret: randomBytes(MIN_MASTER_BYTES).toString("base64"),
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: "wx" });
}

export function readMasterFile(path: string): MasterSecret {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new CryptoError(
      "KEY_FILE_MISSING",
      `key file ${path} not found; create one with 'medtrace keys init --out ${path}'`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new CryptoError(
      "KEY_FILE_MODE",
      `key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`,
    );
  }
  let body: Partial<MasterFile>;
  try {
    body = JSON.parse(readFileSync(path, "utf8")) as Partial<MasterFile>;
  } catch {
    throw new CryptoError("KEY_FILE_FORMAT", `key file ${path} is not valid JSON`);
  }
  if (
    body.format !== "medtrace-master/v1" ||
    typeof body.secret !== "string" ||
    typeof body.deploymentId !== "string"
  ) {
    throw new CryptoError("KEY_FILE_FORMAT", `key file ${path} is not a medtrace-master/v1 file`);
  }
  return masterSecret(Buffer.from(body.secret, "base64"), body.deploymentId);
}

/** Key file if given, else MEDTRACE_MASTER_SECRET, else an error that says how to make one. */
export function loadMasterSecret(opts: {
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
}): MasterSecret {
  const env = opts.env ?? process.env;
  if (opts.keyFile) return readMasterFile(opts.keyFile);
  if (env.MEDTRACE_MASTER_SECRET) {
    return masterSecret(
      Buffer.from(env.MEDTRACE_MASTER_SECRET, "base64"),
      env.MEDTRACE_DEPLOYMENT_ID ?? DEFAULT_DEPLOYMENT_ID,
    );
  }
  throw new CryptoError(
    "KEY_UNAVAILABLE",
    "no master secret: pass --key-file FILE (create it with 'medtrace keys init --out FILE') or set MEDTRACE_MASTER_SECRET",
  );
}
