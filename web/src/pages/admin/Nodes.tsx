// Node enrolment (one-time token for `medtrace node enrol`) and revocation (consortium admin).
import { useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table } from "../../components/Table.tsx";
import { nodeColumns, nodeId, type NodeRow } from "../hospital/NodeStatus.tsx";

export default function NodesAdminPage() {
  const nodes = useApi<unknown>("/api/nodes");
  const [newNode, setNewNode] = useState("");
  const [hospital, setHospital] = useState("");
  const [enrolment, setEnrolment] = useState<Record<string, unknown>>();
  const [error, setError] = useState<unknown>();

  async function enrol(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setEnrolment(await api<Record<string, unknown>>("/api/nodes/enrolment-tokens", { json: { nodeId: newNode, hospital } }));
      nodes.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function revoke(node: NodeRow) {
    if (!confirm(`Revoke node ${nodeId(node)}? It will be refused at its next connection.`)) return;
    setError(undefined);
    try {
      await api(`/api/nodes/${encodeURIComponent(nodeId(node))}/revoke`, { method: "POST", json: { reason: "revoked by consortium admin" } });
      nodes.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      {error !== undefined && <ErrorBox error={error} action="Node change" />}
      <ApiView state={nodes} what="nodes" isEmpty={(d) => listOf(d).length === 0} empty="No node enrolled yet.">
        {(data) => (
          <Table<NodeRow>
            caption="Enrolled edge nodes"
            rows={listOf<NodeRow>(data)}
            rowKey={(n, i) => nodeId(n) || String(i)}
            columns={[
              ...nodeColumns(),
              {
                key: "revoke", header: "Revocation",
                render: (n: NodeRow) => n.revokedAt ? "revoked" : (
                  <button type="button" className="danger" onClick={() => revoke(n)} aria-label={`Revoke node ${nodeId(n)}`}>Revoke</button>
                ),
              },
            ]}
          />
        )}
      </ApiView>
      <h2>Enrol a node</h2>
      <form className="card stack" onSubmit={enrol}>
        <label htmlFor="enrol-node">Node id</label>
        <input id="enrol-node" required pattern="[A-Za-z0-9._\-]{1,64}" value={newNode} onChange={(e) => setNewNode(e.target.value)} />
        <label htmlFor="enrol-hospital">Hospital</label>
        <input id="enrol-hospital" required value={hospital} onChange={(e) => setHospital(e.target.value)} />
        <button type="submit">Create one-time enrolment token</button>
      </form>
      {enrolment && (
        <div className="card" role="status">
          <p>Give this to the hospital once; it is shown only now:</p>
          <pre>{JSON.stringify(enrolment, null, 2)}</pre>
        </div>
      )}
    </section>
  );
}
