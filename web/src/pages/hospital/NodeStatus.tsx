// The edge nodes as the server sees them: enrolment status, certificate, key fingerprint (to compare
// out of band with the node's own), and the live connection.
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { Table, formatTime, type Column } from "../../components/Table.tsx";

export interface NodeRow {
  nodeId: string;
  displayName?: string;
  status: "pending" | "active" | "revoked" | string;
  keyFingerprint?: string | null;
  certNotAfter?: string | null;
  enrolledAt?: string | null;
  connection?: { since: string; lastSeen: string } | null;
}

export function nodeColumns(): Column<NodeRow>[] {
  return [
    { key: "nodeId", header: "Node", render: (n) => <><code>{n.nodeId}</code>{n.displayName && n.displayName !== n.nodeId ? ` — ${n.displayName}` : ""}</> },
    { key: "status", header: "Enrolment", render: (n) => <span className={`badge ${n.status}`}>{n.status}</span> },
    {
      key: "connection", header: "Connection",
      render: (n) => n.connection
        ? <span><span className="badge connected">connected</span> since {formatTime(n.connection.since)}, last seen {formatTime(n.connection.lastSeen)}</span>
        : <span className="badge">offline</span>,
    },
    { key: "certNotAfter", header: "Certificate expires", render: (n) => formatTime(n.certNotAfter) },
    { key: "keyFingerprint", header: "Key fingerprint", render: (n) => (n.keyFingerprint ? <code className="hash" title={n.keyFingerprint}>{n.keyFingerprint.slice(0, 23)}…</code> : "—") },
  ];
}

export default function NodeStatusPage() {
  const state = useApi<unknown>("/api/nodes");
  return (
    <section aria-labelledby="node-title">
      <h1 id="node-title">Node status</h1>
      <ApiView state={state} what="nodes" isEmpty={(d) => listOf(d).length === 0} empty="No edge node is enrolled yet.">
        {(data) => <Table<NodeRow> caption="Edge nodes" rows={listOf<NodeRow>(data)} rowKey={(n) => n.nodeId} columns={nodeColumns()} />}
      </ApiView>
      <p><button type="button" className="secondary" onClick={state.reload}>Refresh</button></p>
    </section>
  );
}
