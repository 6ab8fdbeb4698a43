// Live alerts: what the server has stored, then everything pushed over SSE while the page is open.
import { useEffect, useState } from "react";
import { subscribe } from "../../lib/sse.ts";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ErrorBox } from "../../components/Status.tsx";
import { formatTime } from "../../components/Table.tsx";

interface Alert {
  id?: string | number;
  kind: string;
  severity: "info" | "warning" | "critical";
  message: string;
  createdAt?: string;
  time?: string;
}

export default function AlertsPage() {
  const stored = useApi<unknown>("/api/alerts?limit=50");
  const [live, setLive] = useState<Alert[]>([]);
  const [connected, setConnected] = useState(false);
  const [streamError, setStreamError] = useState<unknown>();

  useEffect(() => subscribe("/api/alerts/stream", {
    onOpen: () => { setConnected(true); setStreamError(undefined); },
    onError: (error) => { setConnected(false); setStreamError(error); },
    onMessage: (message) => {
      try {
        const alert = JSON.parse(message.data) as Alert;
        if (alert && typeof alert.message === "string") setLive((list) => [alert, ...list].slice(0, 200));
      } catch { /* keep-alive or non-JSON comment */ }
    },
  }), []);

  const seen = new Set(live.map((a) => String(a.id)));
  const alerts = [...live, ...listOf<Alert>(stored.data).filter((a) => !seen.has(String(a.id)))];
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <p className="status" role="status">{connected ? "● Live: new alerts appear here as they are raised." : "○ Not connected to the live feed."}</p>
      {streamError !== undefined && <ErrorBox error={streamError} action="Live feed" />}
      {stored.error && !(live.length > 0) && <ErrorBox error={stored.error} action="Loading stored alerts" />}
      {alerts.length === 0 ? <p className="status empty">No alerts. Trace hits, ledger failures, access anomalies and failed-login bursts show up here.</p> : (
        <ul className="alerts" aria-live="polite" aria-label="Alerts, newest first">
          {alerts.map((a, i) => (
            <li key={String(a.id ?? i)} className={`alert ${a.severity}`}>
              <span className={`badge ${a.severity}`}>{a.severity}</span> <strong>{a.kind}</strong> — {a.message}
              <span className="muted"> {formatTime(a.createdAt ?? a.time)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
