// One training session, live: per-round loss, accuracy and AUC (global and per node) as charts,
// refreshed on every SSE progress event; model download when released.
import { useEffect, useMemo } from "react";
import { useParams } from "react-router";
import { request, downloadResponse, api } from "../../lib/api.ts";
import { subscribe } from "../../lib/sse.ts";
import { useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { LineChart, type Series } from "../../components/LineChart.tsx";

interface RoundMetrics {
  round: number;
  loss?: number;
  acc?: number;
  accuracy?: number;
  auc?: number;
  nodes?: Record<string, { loss?: number; acc?: number; accuracy?: number; auc?: number }>;
}

interface Session {
  id: string;
  state?: string;
  status?: string;
  round?: number;
  config?: { rounds?: number };
  rounds?: number | RoundMetrics[];
  metrics?: RoundMetrics[] | { global?: RoundMetrics[]; rounds?: RoundMetrics[] };
  modelHash?: string;
}

function roundsOf(session: Session): RoundMetrics[] {
  if (Array.isArray(session.rounds)) return session.rounds;
  if (Array.isArray(session.metrics)) return session.metrics;
  return session.metrics?.global ?? session.metrics?.rounds ?? [];
}

const accOf = (m: { acc?: number; accuracy?: number }) => m.acc ?? m.accuracy;

function seriesFor(rounds: RoundMetrics[], pick: (m: RoundMetrics | NonNullable<RoundMetrics["nodes"]>[string]) => number | undefined): Series[] {
  const global: Series = { label: "global", points: rounds.map((r) => ({ x: r.round, y: pick(r) })) };
  const nodes = new Set(rounds.flatMap((r) => Object.keys(r.nodes ?? {})));
  return [global, ...[...nodes].sort().map((node) => ({
    label: node,
    points: rounds.map((r) => ({ x: r.round, y: r.nodes?.[node] ? pick(r.nodes[node]) : undefined })),
  }))];
}

export default function TrainingSessionPage() {
  const { id = "" } = useParams();
  const path = `/api/sessions/${encodeURIComponent(id)}`;
  const state = useApi<Session>(path);
  const { reload } = state;
  useEffect(() => subscribe(`${path}/events`, { onMessage: () => reload() }), [path, reload]);

  const rounds = useMemo(() => (state.data ? roundsOf(state.data) : []), [state.data]);
  const phase = state.data?.state ?? state.data?.status ?? "unknown";

  async function download(format: "tfjs" | "onnx") {
    await downloadResponse(await request(`${path}/model?format=${format}`), `model-${id}.${format === "onnx" ? "onnx" : "zip"}`);
  }

  return (
    <section aria-labelledby="ts-title">
      <h1 id="ts-title">Training session {id}</h1>
      <ApiView state={state} what="training session">
        {(s) => (
          <>
            <p className="status" role="status" aria-live="polite" data-testid="session-state">
              {phase} — round {s.round ?? rounds.length} of {s.config?.rounds ?? (typeof s.rounds === "number" ? s.rounds : "?")}
            </p>
            {rounds.length === 0 ? <p className="status empty">No round has completed yet; charts appear after the first round.</p> : (
              <div className="charts">
                <LineChart title="Loss per round" series={seriesFor(rounds, (m) => m.loss)} />
                <LineChart title="Accuracy per round" series={seriesFor(rounds, accOf)} yMax={1} />
                <LineChart title="AUC per round" series={seriesFor(rounds, (m) => m.auc)} yMax={1} />
              </div>
            )}
            <p className="actions">
              {phase !== "completed" && phase !== "cancelled" && (
                <button type="button" className="danger" onClick={() => void api(`${path}/cancel`, { method: "POST", json: {} }).then(reload)}>Cancel session</button>
              )}
              {phase === "completed" && (
                <>
                  <button type="button" onClick={() => void download("tfjs")}>Download model (tfjs)</button>
                  <button type="button" className="secondary" onClick={() => void download("onnx")}>Download model (ONNX)</button>
                </>
              )}
            </p>
            {s.modelHash && <p>Model hash (recorded in the ledger): <code>{s.modelHash}</code></p>}
          </>
        )}
      </ApiView>
    </section>
  );
}
