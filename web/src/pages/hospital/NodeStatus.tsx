// The hospital's edge nodes as the server sees them: enrolled, connected, last seen.
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

export interface NodeRow {
  id?: string;
  nodeId?: string;
  hospital?: string;
  status?: string;
  connected?: boolean;
  lastSeen?: string;
  since?: string;
  certificateExpires?: string;
  notAfter?: string;
  revokedAt?: string | null;
}

export const nodeId = (n: NodeRow) => n.nodeId ?? n.id ?? "";

export function nodeColumns() {
  return [
    { key: "nodeId", header: "Node", render: (n: NodeRow) => <code>{nodeId(n)}</code> },
    { key: "hospital", header: "Hospital" },
    {
      key: "status", header: "Status",
      render: (n: NodeRow) => {
        const status = n.revokedAt ? "revoked" : n.status ?? (n.connected ? "connected" : "offline");
        return <span className={`badge ${status}`}>{status}</span>;
      },
    },
    { key: "lastSeen", header: "Last seen", render: (n: NodeRow) => formatTime(n.lastSeen) },
    { key: "certificateExpires", header: "Certificate expires", render: (n: NodeRow) => formatTime(n.certificateExpires ?? n.notAfter) },
  ];
}

export default function NodeStatusPage() {
  const state = useApi<unknown>("/api/nodes");
  return (
    <section aria-labelledby="node-title">
      <h1 id="node-title">Node status</h1>
      <ApiView state={state} what="nodes" isEmpty={(d) => listOf(d).length === 0} empty="No edge node is enrolled for your hospital yet.">
        {(data) => <Table<NodeRow> caption="Edge nodes" rows={listOf<NodeRow>(data)} rowKey={(n, i) => nodeId(n) || String(i)} columns={nodeColumns()} />}
      </ApiView>
      <p><button type="button" className="secondary" onClick={state.reload}>Refresh</button></p>
    </section>
  );
}
