// Everything a route needs, built once at start-up and handed to buildApp (never imported as a
// global): configuration, database, master-derived keys, accounts, audit, alerts, ledger, node hub.
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMasterFile, deriveEpochKey, loadMasterSecret, type MasterSecret } from "../crypto/index.ts";
import type { Ledger } from "../ledger/index.ts";
import { openLedgerFile } from "../tracing/index.ts";
import { Alerts, Webhooks } from "./alerts/index.ts";
import { AuditLog } from "./audit/index.ts";
import { Authenticator, LoginGuard, OidcVerifier, oneTimePassword, TokenIssuer, Users } from "./auth/index.ts";
import { resolveConfig, type ServerConfig, type ServerConfigInput } from "./config.ts";
import { type Database, openDatabase } from "./db/index.ts";

/** The node transport (helper C, src/server/nodes); the contract's seam, declared here. */
export interface NodeHub {
  connectedNodes(): { nodeId: string; since: string; lastSeen: string }[];
  call(nodeId: string, type: string, body: unknown, opts?: { timeoutMs?: number }): Promise<{ json: unknown; blobs: Uint8Array[] }>;
  onMessage(type: string, handler: (nodeId: string, json: unknown, blobs: Uint8Array[]) => void | Promise<void>): void;
  close(): Promise<void>;
}

export interface ServerKeys {
  /** HMAC secret of one webhook (derived, never stored); the key is this string's UTF-8 bytes. */
  webhookSecret(id: string): string;
}

export interface ServerContext {
  config: ServerConfig;
  database: Database;
  master: MasterSecret;
  keys: ServerKeys;
  users: Users;
  tokens: TokenIssuer;
  authenticator: Authenticator;
  loginGuard: LoginGuard;
  audit: AuditLog;
  alerts: Alerts;
  ledger: Ledger;
  hub?: NodeHub;
  /** Closes what the context opened (hub first, then webhooks, ledger, database). */
  close(): Promise<void>;
}

export interface CreatedContext {
  ctx: ServerContext;
  /** Set on first start only: the consortium admin's one-time password, to print once. */
  firstAdmin?: { username: string; password: string };
}

export async function createServerContext(input: ServerConfigInput = {}): Promise<CreatedContext> {
  const config = resolveConfig(input);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const master = config.master ?? loadOrCreateMaster(config);
  const database = await openDatabase(config.dbUrl);
  let opened: Awaited<ReturnType<typeof openLedgerFile>> | undefined;
  try {
    opened = await openLedgerFile(config.ledgerPath, master);
    const webhookKey = deriveEpochKey(master, "server/webhook", 1);
    const keys: ServerKeys = {
      webhookSecret: (id) => createHmac("sha256", webhookKey).update(id).digest("base64url"),
    };
    const users = new Users(database.db, master);
    const tokens = new TokenIssuer(master, config.tokenTtlSeconds);
    const oidc = config.oidc ? new OidcVerifier(config.oidc) : null;
    const webhooks = new Webhooks(database.db, {
      ...config.webhook,
      secretOf: keys.webhookSecret,
      onError: (m) => process.emitWarning(m, "MedtraceWebhook"),
    });
    const ledgerHandle = opened;
    const ctx: ServerContext = {
      config,
      database,
      master,
      keys,
      users,
      tokens,
      authenticator: new Authenticator(users, tokens, oidc),
      loginGuard: new LoginGuard(config.login),
      audit: new AuditLog(database.db),
      alerts: new Alerts(database.db, webhooks),
      ledger: ledgerHandle.ledger,
      async close() {
        await ctx.hub?.close();
        await webhooks.close();
        await ledgerHandle.close();
        await database.close();
      },
    };
    const firstAdmin = await bootstrapAdmin(ctx);
    return { ctx, ...(firstAdmin ? { firstAdmin } : {}) };
  } catch (err) {
    await opened?.close();
    await database.close();
    throw err;
  }
}

function loadOrCreateMaster(config: ServerConfig): MasterSecret {
  if (config.keyFile || process.env.MEDTRACE_MASTER_SECRET) return loadMasterSecret({ keyFile: config.keyFile });
  const path = join(config.dataDir, "master.json");
  if (!existsSync(path)) createMasterFile(path, config.consortiumId);
  return loadMasterSecret({ keyFile: path });
}

/** First start: one consortium admin whose one-time password must be changed at first use. */
async function bootstrapAdmin(ctx: ServerContext): Promise<{ username: string; password: string } | null> {
  if ((await ctx.users.count()) > 0) return null;
  const password = oneTimePassword();
  const user = await ctx.users.create({ username: "admin", password, roles: ["consortium-admin"], mustChangePassword: true });
  await ctx.audit.record({ action: "user.create", outcome: "success", actor: {}, entity: { type: "user", id: user.id }, detail: { bootstrap: true, username: "admin" } });
  return { username: "admin", password };
}
