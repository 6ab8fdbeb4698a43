// `medtrace server`: the central API server (issue 6). Runs until SIGINT or SIGTERM.
import { isLoopback, type OidcConfig } from "../../server/config.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

const OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  "node-port": { type: "string" },
  "data-dir": { type: "string" },
  db: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "key-file": { type: "string" },
  consortium: { type: "string" },
  "oidc-issuer": { type: "string" },
  "oidc-jwks": { type: "string" },
  "oidc-audience": { type: "string" },
  "oidc-roles-claim": { type: "string" },
  json: { type: "boolean" },
} as const;

export const serverCommand: Command = {
  name: "server",
  usage: [
    "server [--host H] [--port N] [--node-port N] [--data-dir D] [--db URL] [--tls-cert F --tls-key F] [--key-file F]",
    "       [--oidc-issuer URL --oidc-jwks URL --oidc-audience A [--oidc-roles-claim C]]   central API server",
  ],
  async run(argv) {
    const { values } = parse(argv, OPTIONS, []);
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError("--port must be 0..65535");
    // Edge nodes dial this HTTP/2 mTLS port (default 8444); --port 0 (any free port) picks a free one for it too.
    const nodePort = values["node-port"] !== undefined ? Number(values["node-port"]) : port === 0 ? 0 : 8444;
    if (!(Number.isInteger(nodePort) && nodePort >= 0 && nodePort <= 65535)) throw new UsageError("--node-port must be 0..65535");
    if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) throw new UsageError("--tls-cert and --tls-key go together");
    const host = values.host ?? "127.0.0.1";
    if (!values["tls-cert"] && !isLoopback(host))
      throw new UsageError(`refusing plain HTTP on ${host}: give --tls-cert and --tls-key, or bind a loopback address`);
    // Loaded only once the arguments are known good: the server pulls in every route's dependencies.
    const { startServer } = await import("../../server/start.ts");
    const { redactUrl } = await import("../../server/db/index.ts");
    const running = await startServer({
      host: values.host,
      port,
      nodePort,
      dataDir: values["data-dir"],
      dbUrl: values.db,
      keyFile: values["key-file"],
      consortiumId: values.consortium,
      tls: values["tls-cert"] ? { certFile: values["tls-cert"], keyFile: values["tls-key"]! } : undefined,
      oidc: oidcOf(values),
    }, { logger: { level: "warn" } });
    const { ctx, url, firstAdmin } = running;
    output(values.json ?? false).result(
      {
        ok: true,
        url,
        docs: `${url}/api/docs`,
        nodeUrl: (ctx.hub as { url?: string } | undefined)?.url,
        dataDir: ctx.config.dataDir,
        database: redactUrl(ctx.config.dbUrl),
        ...(firstAdmin ? { firstAdmin } : {}),
      },
      [
        `medtrace server listening on ${url}`,
        `  API docs   ${url}/api/docs`,
        `  health     ${url}/api/health`,
        `  nodes      ${(ctx.hub as { url?: string } | undefined)?.url} (HTTP/2, mutual TLS with the consortium CA)`,
        `  data       ${ctx.config.dataDir}, database ${redactUrl(ctx.config.dbUrl)}`,
        ...(firstAdmin
          ? [
              "",
              `first start: consortium admin '${firstAdmin.username}', one-time password ${firstAdmin.password}`,
              "  (shown once; change it at first login: POST /api/auth/password)",
            ]
          : []),
      ],
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await running.close();
    return EXIT.ok;
  },
};

function oidcOf(v: { "oidc-issuer"?: string; "oidc-jwks"?: string; "oidc-audience"?: string; "oidc-roles-claim"?: string }): OidcConfig | undefined {
  if (!v["oidc-issuer"]) {
    if (v["oidc-jwks"] || v["oidc-audience"]) throw new UsageError("--oidc-jwks and --oidc-audience need --oidc-issuer");
    return undefined;
  }
  if (!v["oidc-jwks"] || !v["oidc-audience"]) throw new UsageError("--oidc-issuer needs --oidc-jwks and --oidc-audience");
  return { issuer: v["oidc-issuer"], jwksUrl: v["oidc-jwks"], audience: v["oidc-audience"], rolesClaim: v["oidc-roles-claim"] ?? "roles" };
}
