// Starting the node port for a running server: the consortium CA (created on first start, like
// the master secret), the registry over the server database, the FL signing key, audit and alerts.
import type { ServerContext } from "../context.ts";
import { initCa } from "../pki/ca.ts";
import { NodeRegistry } from "../pki/registry.ts";
import { serverFlSigningKey } from "./keys.ts";
import { type NodePort, type NodePortOptions, startNodePort } from "./port.ts";

export async function startNodeHub(
  ctx: ServerContext,
  overrides: Partial<NodePortOptions> = {},
): Promise<NodePort> {
  const { ca } = await initCa(ctx.config.dataDir, ctx.master, ctx.config.consortiumId);
  return startNodePort({
    host: ctx.config.host,
    port: ctx.config.nodePort,
    consortiumId: ctx.config.consortiumId,
    ca,
    registry: new NodeRegistry(ctx.database.db),
    serverKey: serverFlSigningKey(ctx.master),
    audit: ctx.audit,
    alerts: ctx.alerts,
    onError: (e) => process.emitWarning(String(e), "MedtraceNodePort"),
    ...overrides,
  });
}
