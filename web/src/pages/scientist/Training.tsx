// Start a federated training session (defaults of federated-learning.md §1.2) and list the
// sessions the server shows this user (GET /api/sessions: one's own; every one for a dpo).
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api } from "../../lib/api.ts";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

// src/fl/strategies STRATEGY_NAMES (robust ones need secure aggregation off: the server says so).
const STRATEGIES = ["fedavg", "fedprox", "fedadam", "fedyogi", "median", "trimmed-mean", "krum", "multi-krum"];

interface SessionRow {
  id: string;
  createdBy: { id: string; username: string | null };
  createdAt: string;
  state: string;
  modelHash: string | null;
}

export default function TrainingPage() {
  const navigate = useNavigate();
  const sessions = useApi<unknown>("/api/sessions");
  const [openId, setOpenId] = useState("");
  const [form, setForm] = useState({
    name: "", tag: "pneumoniamnist", rounds: 5, localEpochs: 1, batchSize: 32, lr: 0.001,
    strategy: "fedavg", minNodes: 3, fraction: 1, secureAggregation: true, seed: "",
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) => setForm({ ...form, [key]: value });

  async function start(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        ...(form.name && { name: form.name }),
        dataset: { tag: form.tag },
        rounds: form.rounds,
        localEpochs: form.localEpochs,
        batchSize: form.batchSize,
        optimizer: { name: "adam", learningRate: form.lr },
        strategy: { name: form.strategy },
        nodes: { min: form.minNodes, fraction: form.fraction },
        secureAggregation: { enabled: form.secureAggregation },
        ...(form.seed && { seed: form.seed }),
      };
      const created = await api<{ id: string; warnings: string[] }>("/api/sessions", { json: body });
      navigate(`/training/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const num = (key: "rounds" | "localEpochs" | "batchSize" | "lr" | "minNodes" | "fraction") => ({
    id: `tr-${key}`, type: "number", value: form[key], onChange: (e: { target: { value: string } }) => set(key, Number(e.target.value)),
  });

  return (
    <section aria-labelledby="tr-title">
      <h1 id="tr-title">Federated training</h1>
      <form className="card grid" onSubmit={start} aria-label="Start a training session">
        <div><label htmlFor="tr-name">Name (optional)</label><input id="tr-name" value={form.name} onChange={(e) => set("name", e.target.value)} /></div>
        <div><label htmlFor="tr-tag">Dataset tag on the nodes</label><input id="tr-tag" required value={form.tag} onChange={(e) => set("tag", e.target.value)} /></div>
        <div><label htmlFor="tr-rounds">Rounds</label><input {...num("rounds")} min={1} max={1000} /></div>
        <div><label htmlFor="tr-localEpochs">Local epochs</label><input {...num("localEpochs")} min={1} max={1000} /></div>
        <div><label htmlFor="tr-batchSize">Batch size</label><input {...num("batchSize")} min={1} max={1024} /></div>
        <div><label htmlFor="tr-lr">Learning rate</label><input {...num("lr")} step="any" min={0} /></div>
        <div>
          <label htmlFor="tr-strategy">Strategy</label>
          <select id="tr-strategy" value={form.strategy} onChange={(e) => set("strategy", e.target.value)}>
            {STRATEGIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div><label htmlFor="tr-minNodes">Minimum nodes</label><input {...num("minNodes")} min={2} max={255} /></div>
        <div><label htmlFor="tr-fraction">Fraction of nodes per round</label><input {...num("fraction")} step="any" min={0.01} max={1} /></div>
        <div><label htmlFor="tr-seed">Seed (optional, for a reproducible run)</label><input id="tr-seed" value={form.seed} onChange={(e) => set("seed", e.target.value)} /></div>
        <div className="inline">
          <input id="tr-sa" type="checkbox" checked={form.secureAggregation} onChange={(e) => set("secureAggregation", e.target.checked)} />
          <label htmlFor="tr-sa">Secure aggregation</label>
        </div>
        <div><button type="submit" disabled={busy}>{busy ? "Starting…" : "Start training"}</button></div>
      </form>
      {error !== undefined && <ErrorBox error={error} action="Starting the session" />}
      <h2>Training sessions</h2>
      <ApiView state={sessions} what="training sessions" isEmpty={(d) => listOf(d).length === 0} empty="No training session yet.">
        {(data) => (
          <Table<SessionRow>
            caption="Training sessions, newest first"
            rows={listOf<SessionRow>(data)}
            rowKey={(r) => r.id}
            columns={[
              { key: "id", header: "Session", render: (r) => <Link to={`/training/${encodeURIComponent(r.id)}`}>{r.id.slice(0, 8)}</Link> },
              { key: "state", header: "State", render: (r) => <span className={`badge ${r.state}`}>{r.state}</span> },
              { key: "createdAt", header: "Created", render: (r) => formatTime(r.createdAt) },
              { key: "createdBy", header: "By", render: (r) => r.createdBy.username ?? r.createdBy.id },
              { key: "modelHash", header: "Latest model", render: (r) => (r.modelHash ? <code>{r.modelHash.slice(0, 12)}</code> : "—") },
            ]}
          />
        )}
      </ApiView>
      <form className="row" onSubmit={(e) => { e.preventDefault(); if (openId.trim()) navigate(`/training/${encodeURIComponent(openId.trim())}`); }}>
        <div><label htmlFor="tr-open">Open a session by id</label><input id="tr-open" value={openId} onChange={(e) => setOpenId(e.target.value)} /></div>
        <button type="submit" className="secondary">Open</button>
      </form>
    </section>
  );
}
