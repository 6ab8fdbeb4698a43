// The edge node agent: source + handler + the outbound channel (channel.ts). Publishes the
// catalogue on every (re)connection and whenever it changes, checked every
// catalogueIntervalSeconds, and tells the server of each decision the hospital admin takes on a
// pending request (message data.approval {requestId, status}) so the request can be sent again.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ChannelEvent, type NodeChannel, openChannel } from "./channel.ts";
import type { NodeConfig } from "./config.ts";
import { loadNodeKeys } from "./config.ts";
import { EdgeError } from "./errors.ts";
import { EdgeHandler } from "./handler.ts";
import { type DataSource, openSource } from "./sources/index.ts";
import { type EdgeTraining, startTraining } from "./training.ts";

export interface RunningNode {
  handler: EdgeHandler;
  training: EdgeTraining;
  channel: NodeChannel;
  source: DataSource;
  /** Publishes the catalogue if it differs from the last one published (or `force`). */
  publishCatalogue(force?: boolean): Promise<boolean>;
  /** Publishes the admin's decisions not yet delivered; returns how many. */
  publishDecisions(): Promise<number>;
  close(): Promise<void>;
}

export type AgentEvent =
  | ChannelEvent
  | { kind: "catalogue-published"; entries: number }
  | { kind: "approval-published"; requestId: string; status: string }
  | { kind: "publish-failed"; what: string; reason: string }
  | { kind: "training"; message: string };

export interface StartOptions {
  /** The server's node port, e.g. https://server.example:8444. */
  serverUrl: string;
  /** How often decisions of the admin are looked for; default 5 s. */
  approvalPollMs?: number;
  onEvent?: (e: AgentEvent) => void;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new EdgeError("EDGE_CONFIG", `${what} ${path} not found: enrol the node first ('medtrace node enrol')`);
  }
}

export function createEdgeHandler(cfg: NodeConfig, source: DataSource = openSource(cfg.source, sourceOptions(cfg))): EdgeHandler {
  return new EdgeHandler({ nodeId: cfg.nodeId, dir: cfg.dir, source, policy: cfg.policy, keys: loadNodeKeys(cfg.dir, cfg.nodeId) });
}

function sourceOptions(cfg: NodeConfig): { labelsCsv?: string; labelAttribute?: string } {
  return {
    ...(cfg.labelsCsv ? { labelsCsv: cfg.labelsCsv } : {}),
    ...(cfg.labelAttribute ? { labelAttribute: cfg.labelAttribute } : {}),
  };
}

export function startNode(cfg: NodeConfig, opts: StartOptions): RunningNode {
  // Credentials first: a node that is not enrolled stops before it touches its images.
  const credentials = {
    keyPem: readPem(cfg.credentials.key, "node key"),
    certPem: readPem(cfg.credentials.cert, "node certificate"),
    caPem: readPem(cfg.credentials.ca, "consortium CA certificate"),
    serverKey: readPem(cfg.credentials.serverKey, "server key"),
  };
  const source = openSource(cfg.source, sourceOptions(cfg));
  const handler = createEdgeHandler(cfg, source);
  const training = startTraining(cfg, source, loadNodeKeys(cfg.dir, cfg.nodeId).catalogue, (line) => opts.onEvent?.({ kind: "training", message: line }));
  let lastDigest = "";
  let timer: NodeJS.Timeout | undefined;
  const publishCatalogue = async (force = false): Promise<boolean> => {
    const entries = await handler.catalogue();
    const digest = createHash("sha256").update(JSON.stringify(entries)).digest("hex");
    if (!force && digest === lastDigest) return false;
    await channel.publish("catalogue.publish", entries);
    lastDigest = digest;
    opts.onEvent?.({ kind: "catalogue-published", entries: entries.length });
    return true;
  };
  const publishDecisions = async (): Promise<number> => {
    let n = 0;
    for (const rec of handler.approvals.undelivered()) {
      await channel.publish("data.approval", { requestId: rec.requestId, status: rec.status });
      handler.approvals.markNotified(rec.requestId);
      opts.onEvent?.({ kind: "approval-published", requestId: rec.requestId, status: rec.status });
      n++;
    }
    return n;
  };
  const failed = (what: string) => (err: Error) => opts.onEvent?.({ kind: "publish-failed", what, reason: err.message });
  const publishSafely = (force: boolean) => publishCatalogue(force).catch(failed("catalogue"));
  const channel = openChannel({
    url: opts.serverUrl,
    nodeId: cfg.nodeId,
    ...credentials,
    handler: training.handle(handler.handle),
    onEvent: (e) => {
      opts.onEvent?.(e);
      if (e.kind === "connected") void publishSafely(true);
    },
  });
  timer = setInterval(() => {
    if (channel.connected()) void publishSafely(false);
  }, cfg.catalogueIntervalSeconds * 1000);
  timer.unref();
  let approvalTimer: NodeJS.Timeout | undefined = setInterval(() => {
    if (channel.connected()) void publishDecisions().catch(failed("approval"));
  }, opts.approvalPollMs ?? 5000);
  approvalTimer.unref();
  return {
    handler,
    training,
    channel,
    source,
    publishCatalogue,
    publishDecisions,
    async close() {
      if (timer) clearInterval(timer);
      if (approvalTimer) clearInterval(approvalTimer);
      timer = undefined;
      approvalTimer = undefined;
      await channel.close();
      await training.close();
      await source.close();
    },
  };
}
