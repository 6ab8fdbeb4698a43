// Server configuration (contract: src/server/config.ts). Every default is overridable by the CLI,
// the demo or a test; `resolveConfig` is the only place defaults live.
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import type { MasterSecret } from "../crypto/index.ts";

export type Role = "data-scientist" | "hospital-admin" | "dpo" | "consortium-admin";
export const ROLES: readonly Role[] = ["data-scientist", "hospital-admin", "dpo", "consortium-admin"];

export interface OidcConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Claim holding the roles; a dotted path reaches nested claims (`realm_access.roles`). */
  rolesClaim: string;
}

export interface LoginPolicy {
  /** Failed logins of one account within `windowMs` that lock it (and raise an alert). */
  maxFailures: number;
  windowMs: number;
  lockMs: number;
  /** Login attempts per client address per minute before 429. */
  perIpPerMinute: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  nodePort: number;
  dataDir: string;
  /** `sqlite:<path>` or `postgres://…`. */
  dbUrl: string;
  consortiumId: string;
  oidc?: OidcConfig;
  tls?: { certFile: string; keyFile: string };
  /** Master secret: injected (tests, demo), else this key file, else MEDTRACE_MASTER_SECRET, else <dataDir>/master.json (created). */
  master?: MasterSecret;
  keyFile?: string;
  /** Lifetime of the access tokens this server issues. */
  tokenTtlSeconds: number;
  login: LoginPolicy;
  /** JSON bodies. */
  bodyLimit: number;
  /** Multipart uploads (a suspect file for a trace). */
  uploadLimit: number;
  webhook: { attempts: number; baseDelayMs: number; timeoutMs: number };
  /** Ledger file for SQLite and PostgreSQL deployments alike (the ledger store is SQLite). */
  ledgerPath: string;
}

export type ServerConfigInput = Partial<Omit<ServerConfig, "login" | "webhook">> & {
  login?: Partial<LoginPolicy>;
  webhook?: Partial<ServerConfig["webhook"]>;
};

export function resolveConfig(input: ServerConfigInput = {}): ServerConfig {
  const dataDir = resolve(input.dataDir ?? "medtrace-data");
  return {
    host: input.host ?? "127.0.0.1",
    port: input.port ?? 8443,
    nodePort: input.nodePort ?? 8444,
    dataDir,
    dbUrl: input.dbUrl ?? `sqlite:${join(dataDir, "medtrace.sqlite")}`,
    consortiumId: input.consortiumId ?? "local.medtrace",
    oidc: input.oidc,
    tls: input.tls,
    master: input.master,
    keyFile: input.keyFile,
    tokenTtlSeconds: input.tokenTtlSeconds ?? 900,
    login: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000, perIpPerMinute: 30, ...input.login },
    bodyLimit: input.bodyLimit ?? 1024 * 1024,
    uploadLimit: input.uploadLimit ?? 64 * 1024 * 1024,
    webhook: { attempts: 5, baseDelayMs: 1000, timeoutMs: 5000, ...input.webhook },
    ledgerPath: input.ledgerPath ?? join(dataDir, "ledger.sqlite"),
  };
}

/** Plain HTTP is for development on this machine only (issue 6). */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}
