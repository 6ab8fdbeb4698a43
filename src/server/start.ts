// Starting the API server: context, app, listen, and what to print (URLs, first admin password).
// Shared by `medtrace server` and the demo; plain HTTP is refused unless the host is loopback.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { type BuildOptions, buildApp } from "./app.ts";
import { isLoopback, type ServerConfigInput } from "./config.ts";
import { createServerContext, type ServerContext } from "./context.ts";
import { startNodeHub } from "./nodes/start.ts";

export interface RunningServer {
  ctx: ServerContext;
  app: FastifyInstance;
  /** Base URL of the API, e.g. https://10.0.0.5:8443. */
  url: string;
  firstAdmin?: { username: string; password: string };
  close(): Promise<void>;
}

export class StartError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "StartError";
    this.code = code;
  }
}

export async function startServer(input: ServerConfigInput, opts: Omit<BuildOptions, "https"> = {}): Promise<RunningServer> {
  const host = input.host ?? "127.0.0.1";
  if (!input.tls && !isLoopback(host))
    throw new StartError("SERVER_PLAIN_HTTP", `refusing plain HTTP on ${host}: give --tls-cert and --tls-key, or bind a loopback address`);
  const https = input.tls ? { cert: readFileSync(input.tls.certFile), key: readFileSync(input.tls.keyFile) } : undefined;
  const { ctx, firstAdmin } = await createServerContext(input);
  let app: FastifyInstance | undefined;
  try {
    if (input.nodePort !== undefined) ctx.hub = await startNodeHub(ctx); // node port only when asked: tests run many servers
    app = await buildApp(ctx, { ...opts, ...(https ? { https } : {}) });
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
  } catch (err) {
    await app?.close();
    await ctx.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : ctx.config.port;
  const shownHost = ctx.config.host.includes(":") ? `[${ctx.config.host}]` : ctx.config.host;
  const running = app;
  return {
    ctx,
    app: running,
    url: `${https ? "https" : "http"}://${shownHost}:${port}`,
    ...(firstAdmin ? { firstAdmin } : {}),
    async close() {
      await running.close();
      await ctx.close();
    },
  };
}
