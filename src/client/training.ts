// The data scientist's side of training sessions over the server's API (issue 7): sign in with a
// local account, create/start/cancel a session, read it, follow its event stream (SSE), download
// the released model. Used by `medtrace train`; nothing here trains or stores anything.
import { writeFileSync } from "node:fs";

/** An answer of the server other than 2xx: status, its `{error}` code and message. */
export class ApiError extends Error {
  readonly exitCode: number;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
    // the CLI's exit codes: 3 not found, 4 refused, 1 otherwise
    this.exitCode = status === 404 ? 3 : status === 401 || status === 403 || status === 423 || status === 429 ? 4 : 1;
  }
}

export interface SessionView {
  sessionId: string;
  state: string;
  reason: string | null;
  planHash: string;
  rounds: number;
  round: number;
  attempt: number | null;
  phase: string | null;
  secureAggregation: boolean;
  nodes: { nodeId: string; accepted: boolean; n: number | null }[];
  selected: string[];
  modelHash: string | null;
  history: RoundRow[];
  finalEval: { n: number; loss: number; acc: number; auc: number } | null;
  epsilon: number | null;
}

export interface RoundRow {
  round: number;
  attempt: number;
  modelHash: string;
  metrics: { participants: string[]; dropouts: string[]; fedEval?: { n: number; loss: number; acc: number; auc: number } };
}

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

export const TERMINAL_STATES = ["completed", "failed", "cancelled"];

export class TrainingClient {
  private constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  /** POST /api/auth/login with a local account. */
  static async login(server: string, username: string, password: string): Promise<TrainingClient> {
    const base = server.replace(/\/+$/, "");
    const r = await request(`${base}/api/auth/login`, { method: "POST", json: { username, password } });
    const body = (await r.json()) as { accessToken: string; user: { mustChangePassword: boolean } };
    if (body.user.mustChangePassword) throw new ApiError(403, "password-change-required", "sign in to the web app once to replace the one-time password");
    return new TrainingClient(base, body.accessToken);
  }

  async create(config: unknown): Promise<{ id: string; planHash: string; seed: string; state: string; warnings: string[] }> {
    return (await (await this.call("POST", "/api/sessions", config)).json()) as Awaited<ReturnType<TrainingClient["create"]>>;
  }

  async start(id: string): Promise<SessionView> {
    return (await (await this.call("POST", `/api/sessions/${encodeURIComponent(id)}/start`)).json()) as SessionView;
  }

  async cancel(id: string): Promise<SessionView> {
    return (await (await this.call("POST", `/api/sessions/${encodeURIComponent(id)}/cancel`)).json()) as SessionView;
  }

  async status(id: string): Promise<SessionView> {
    return (await (await this.call("GET", `/api/sessions/${encodeURIComponent(id)}`)).json()) as SessionView;
  }

  /** Writes the model (tfjs: a zip of model.json + weights.bin; onnx) and returns its size. */
  async download(id: string, format: "tfjs" | "onnx", file: string): Promise<number> {
    const r = await this.call("GET", `/api/sessions/${encodeURIComponent(id)}/model?format=${format}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    writeFileSync(file, bytes);
    return bytes.length;
  }

  /** The session's event stream: a snapshot, then each event, until the server closes it or `signal` aborts. */
  async *events(id: string, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    const r = await this.call("GET", `/api/sessions/${encodeURIComponent(id)}/events`, undefined, signal);
    if (!r.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e = parseSseBlock(block);
          if (e) yield e;
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }

  private async call(method: string, path: string, json?: unknown, signal?: AbortSignal): Promise<Response> {
    return request(this.base + path, { method, json, token: this.token, signal });
  }
}

/** One SSE block (text/event-stream): comments (keep-alives) give undefined. */
export function parseSseBlock(block: string): StreamEvent | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (data.length === 0) return undefined;
  try {
    return { event, data: JSON.parse(data.join("\n")) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

async function request(url: string, o: { method: string; json?: unknown; token?: string; signal?: AbortSignal }): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: o.method,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.json !== undefined ? { "content-type": "application/json" } : {}) },
      body: o.json === undefined ? undefined : JSON.stringify(o.json),
      signal: o.signal,
    });
  } catch (err) {
    throw new ApiError(0, "SERVER_UNREACHABLE", `cannot reach ${new URL(url).origin}: ${(err as Error).message}`);
  }
  if (res.ok) return res;
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  throw new ApiError(res.status, body.error ?? String(res.status), `${res.status} ${body.message ?? res.statusText}`);
}

// ---------------------------------------------------------------- rendering

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "-" : `${(100 * v).toFixed(1)}%`);
const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(4));

/** One line of progress: a bar over rounds, the phase and who is in the round. */
export function progressLine(v: Pick<SessionView, "state" | "round" | "rounds" | "phase" | "selected" | "history">, width = 24): string {
  const done = v.history.length;
  const filled = Math.round((width * done) / Math.max(1, v.rounds));
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const where = TERMINAL_STATES.includes(v.state) || v.phase === null ? v.state : `round ${v.round}/${v.rounds} ${v.phase}`;
  const last = v.history.at(-1)?.metrics.fedEval;
  return `${bar} ${done}/${v.rounds} ${where}${v.selected.length && !TERMINAL_STATES.includes(v.state) ? ` (${v.selected.length} nodes)` : ""}${last ? ` acc ${pct(last.acc)} auc ${num(last.auc)}` : ""}`;
}

/** The per-round table: participants, dropouts and the pooled federated evaluation. */
export function roundTable(history: RoundRow[]): string[] {
  const head = ["round", "attempt", "nodes", "dropouts", "fed-n", "loss", "acc", "auc", "model"];
  const rows = history.map((h) => {
    const e = h.metrics.fedEval;
    return [String(h.round), String(h.attempt), String(h.metrics.participants.length), h.metrics.dropouts.join(",") || "-", e ? String(e.n) : "-", num(e?.loss), pct(e?.acc), num(e?.auc), h.modelHash.slice(0, 12)];
  });
  const widths = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
