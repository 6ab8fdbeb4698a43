// Start a federated training session (defaults of federated-learning.md §1.2) and list past ones.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api } from "../../lib/api.ts";
import { ErrorBox } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

// src/fl/strategies STRATEGY_NAMES (robust ones need secure aggregation off: the server says so).
const STRATEGIES = ["fedavg", "fedprox", "fedadam", "fedyogi", "median", "trimmed-mean", "krum", "multi-krum"];

interface RecentSession {
  id: string;
  name: string;
  createdAt: string;
}

// The server lists no sessions (GET /api/sessions/:id only), so the ids started here are kept here.
const RECENT_KEY = "medtrace.sessions";
function readRecent(): RecentSession[] {
  try {
    const value = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]") as unknown;
    return Array.isArray(value) ? (value as RecentSession[]) : [];
  } catch {
    return [];
  }
}

export default function TrainingPage() {
  const navigate = useNavigate();
  const [recent, setRecent] = useState<RecentSession[]>(readRecent);
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
      const next = [{ id: created.id, name: form.name || form.tag, createdAt: new Date().toISOString() }, ...recent].slice(0, 20);
      localStorage.setItem(RECENT_KEY, JSON.stringify(next));
      setRecent(next);
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
      <h2>Sessions started in this browser</h2>
      {recent.length === 0 ? <p className="status empty">No training session started from this browser yet.</p> : (
        <Table<RecentSession>
          caption="Your recent training sessions"
          rows={recent}
          rowKey={(r) => r.id}
          columns={[
            { key: "id", header: "Session", render: (r) => <Link to={`/training/${encodeURIComponent(r.id)}`}>{r.name} ({r.id.slice(0, 8)})</Link> },
            { key: "createdAt", header: "Started", render: (r) => formatTime(r.createdAt) },
          ]}
        />
      )}
      <form className="row" onSubmit={(e) => { e.preventDefault(); if (openId.trim()) navigate(`/training/${encodeURIComponent(openId.trim())}`); }}>
        <div><label htmlFor="tr-open">Open a session by id</label><input id="tr-open" value={openId} onChange={(e) => setOpenId(e.target.value)} /></div>
        <button type="submit" className="secondary">Open</button>
      </form>
    </section>
  );
}
