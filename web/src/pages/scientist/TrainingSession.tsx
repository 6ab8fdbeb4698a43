// One training session, live: the pooled federated evaluation of each round (loss, accuracy, AUC)
// as charts and a table, refreshed on every SSE event of /api/sessions/:id/events; each hospital's
// answer and participation; the final evaluation; start, cancel, and the model's download.
// GET /api/sessions/:id reports evaluations pooled over the nodes only, so no per-node curves.
import { useEffect, useMemo, useState } from "react";
import { useParams } from "react-router";
import { api, downloadResponse, request } from "../../lib/api.ts";
import { subscribe } from "../../lib/sse.ts";
import { useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { LineChart, type Series } from "../../components/LineChart.tsx";
import { Table } from "../../components/Table.tsx";

interface FedEval { n: number; loss: number; acc: number; auc: number }
interface HistoryEntry {
  round: number;
  attempt: number;
  modelHash: string;
  metrics: { participants: string[]; dropouts: string[]; fedEval?: FedEval; epsilon?: number };
  at: number;
}

export interface SessionView {
  sessionId: string;
  state: "pending" | "running" | "aggregating" | "completed" | "failed" | "cancelled";
  reason: string | null;
  planHash: string;
  rounds: number;
  round: number;
  phase: string | null;
  secureAggregation: boolean;
  nodes: { nodeId: string; accepted: boolean; n: number | null }[];
  selected: string[];
  modelHash: string | null;
  history: HistoryEntry[];
  finalEval: FedEval | null;
  epsilon: number | null;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

function series(history: HistoryEntry[], pick: (e: FedEval) => number): Series[] {
  return [{ label: "global (pooled over the nodes)", points: history.map((h) => ({ x: h.round, y: h.metrics.fedEval ? pick(h.metrics.fedEval) : undefined })) }];
}

interface NodeRow { nodeId: string; accepted: boolean; n: number | null; selected: boolean; took: number[]; dropped: number[] }

/** Each hospital's answer and, from the round history, the rounds it took part in or dropped out of. */
function nodeRows(s: SessionView): NodeRow[] {
  return s.nodes.map((n) => ({
    ...n,
    selected: s.selected.includes(n.nodeId),
    took: s.history.filter((h) => h.metrics.participants.includes(n.nodeId)).map((h) => h.round),
    dropped: s.history.filter((h) => h.metrics.dropouts.includes(n.nodeId)).map((h) => h.round),
  }));
}

const fixed = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(4));

export default function TrainingSessionPage() {
  const { id = "" } = useParams();
  const path = `/api/sessions/${encodeURIComponent(id)}`;
  const state = useApi<SessionView>(path);
  const [live, setLive] = useState<SessionView>();
  const [actionError, setActionError] = useState<unknown>();
  const { reload } = state;

  // The stream opens with a snapshot; every later event is followed by a fresh read of the view.
  useEffect(() => subscribe(`${path}/events`, {
    onMessage: (message) => {
      if (message.event === "snapshot") setLive(JSON.parse(message.data) as SessionView);
      else reload();
    },
  }), [path, reload]);
  useEffect(() => { if (state.data) setLive(state.data); }, [state.data]);

  const session = live ?? state.data;
  const history = useMemo(() => session?.history ?? [], [session]);

  async function act(action: "start" | "cancel") {
    setActionError(undefined);
    try {
      setLive(await api<SessionView>(`${path}/${action}`, { method: "POST", json: {} }));
    } catch (error) {
      setActionError(error);
    }
  }

  async function download(format: "tfjs" | "onnx") {
    setActionError(undefined);
    try {
      await downloadResponse(await request(`${path}/model?format=${format}`), `model-${id}.${format === "onnx" ? "onnx" : "zip"}`);
    } catch (error) {
      setActionError(error);
    }
  }

  return (
    <section aria-labelledby="ts-title">
      <h1 id="ts-title">Training session</h1>
      {/* a reload after an event keeps the view (and its charts) on screen instead of "Loading…" */}
      <ApiView state={{ ...state, data: session, loading: state.loading && !session }} what="training session">
        {(s) => (
          <>
            <p className="status" role="status" aria-live="polite" data-testid="session-state">
              <span className={`badge ${s.state}`}>{s.state}</span> round {s.round} of {s.rounds}{s.phase ? ` (${s.phase})` : ""}
              {s.reason ? ` — ${s.reason}` : ""}
            </p>
            <dl className="facts card">
              <dt>Session</dt><dd><code>{s.sessionId}</code></dd>
              <dt>Plan hash</dt><dd><code>{s.planHash}</code></dd>
              <dt>Secure aggregation</dt><dd>{s.secureAggregation ? "on" : "OFF (updates seen in clear by the server)"}</dd>
              {s.epsilon !== null && <><dt>Privacy spent (ε)</dt><dd>{s.epsilon.toFixed(3)}</dd></>}
              {s.modelHash && <><dt>Model hash</dt><dd><code>{s.modelHash}</code></dd></>}
            </dl>
            {s.finalEval && (
              <dl className="facts card" aria-label="Final evaluation" data-testid="final-eval">
                <dt>Final accuracy</dt><dd>{fixed(s.finalEval.acc)}</dd>
                <dt>Final AUC</dt><dd>{fixed(s.finalEval.auc)}</dd>
                <dt>Final loss</dt><dd>{fixed(s.finalEval.loss)}</dd>
                <dt>Validation examples (all nodes)</dt><dd>{s.finalEval.n}</dd>
              </dl>
            )}
            {history.length === 0 ? <p className="status empty">No round has completed yet; the charts appear after the first round.</p> : (
              <div className="charts">
                <LineChart title="Loss per round" series={series(history, (e) => e.loss)} />
                <LineChart title="Accuracy per round" series={series(history, (e) => e.acc)} yMax={1} />
                <LineChart title="AUC per round" series={series(history, (e) => e.auc)} yMax={1} />
              </div>
            )}
            {history.length > 0 && (
              <Table
                caption="Rounds"
                rows={history}
                rowKey={(h) => `${h.round}-${h.attempt}`}
                columns={[
                  { key: "round", header: "Round" },
                  { key: "attempt", header: "Attempt" },
                  { key: "loss", header: "Loss", render: (h) => fixed(h.metrics.fedEval?.loss) },
                  { key: "acc", header: "Accuracy", render: (h) => fixed(h.metrics.fedEval?.acc) },
                  { key: "auc", header: "AUC", render: (h) => fixed(h.metrics.fedEval?.auc) },
                  { key: "participants", header: "Nodes", render: (h) => h.metrics.participants.join(", ") },
                  { key: "dropouts", header: "Dropped out", render: (h) => h.metrics.dropouts.join(", ") || "none" },
                ]}
              />
            )}
            {s.nodes.length > 0 && (
              <Table<NodeRow>
                caption="Hospitals asked to take part"
                rows={nodeRows(s)}
                rowKey={(n) => n.nodeId}
                columns={[
                  { key: "nodeId", header: "Node" },
                  { key: "accepted", header: "Answer", render: (n) => (n.accepted ? "accepted" : "declined") },
                  { key: "n", header: "Training examples" },
                  { key: "selected", header: "In the current round", render: (n) => (n.selected ? "yes" : "no") },
                  { key: "took", header: "Rounds taken part in", render: (n) => n.took.join(", ") || "none" },
                  { key: "dropped", header: "Rounds dropped out of", render: (n) => n.dropped.join(", ") || "none" },
                ]}
              />
            )}
            <p className="actions">
              {s.state === "pending" && <button type="button" onClick={() => void act("start")}>Start</button>}
              {!TERMINAL.has(s.state) && <button type="button" className="danger" onClick={() => void act("cancel")}>Cancel session</button>}
              {history.length > 0 && (
                <>
                  <button type="button" onClick={() => void download("tfjs")}>Download model (tfjs)</button>
                  <button type="button" className="secondary" onClick={() => void download("onnx")}>Download model (ONNX)</button>
                </>
              )}
            </p>
            {actionError !== undefined && <ErrorBox error={actionError} action="Session action" />}
          </>
        )}
      </ApiView>
    </section>
  );
}
