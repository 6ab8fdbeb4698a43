// Node enrolment (a one-time token for `medtrace node enrol`), re-enrolment tokens and revocation
// (consortium admin).
import { useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table } from "../../components/Table.tsx";
import { nodeColumns, type NodeRow } from "../hospital/NodeStatus.tsx";

interface Enrolment {
  nodeId: string;
  token: string;
  expiresAt: string;
}

export default function NodesAdminPage() {
  const nodes = useApi<unknown>("/api/nodes");
  const [nodeId, setNodeId] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [error, setError] = useState<unknown>();

  async function act(action: () => Promise<void>) {
    setError(undefined);
    try {
      await action();
      nodes.reload();
    } catch (err) {
      setError(err);
    }
  }

  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      const created = await api<{ token: string; expiresAt: string }>("/api/nodes", { json: { nodeId, ...(displayName && { displayName }) } });
      setEnrolment({ nodeId, token: created.token, expiresAt: created.expiresAt });
      setNodeId("");
      setDisplayName("");
    });
  };

  const newToken = (node: NodeRow) => act(async () => {
    const issued = await api<{ token: string; expiresAt: string }>(`/api/nodes/${encodeURIComponent(node.nodeId)}/token`, { method: "POST", json: {} });
    setEnrolment({ nodeId: node.nodeId, ...issued });
  });

  const revoke = (node: NodeRow) => {
    if (!confirm(`Revoke node ${node.nodeId}? Its certificate is revoked and its connections are closed.`)) return;
    void act(async () => {
      await api(`/api/nodes/${encodeURIComponent(node.nodeId)}/revoke`, { method: "POST", json: { reason: "revoked by a consortium admin in the web app" } });
    });
  };

  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      {error !== undefined && <ErrorBox error={error} action="Node change" />}
      {enrolment && (
        <div className="card" role="status">
          <p>One-time enrolment token for <code>{enrolment.nodeId}</code> (shown only now, valid until {enrolment.expiresAt}). On the hospital's machine:</p>
          <pre>{`medtrace node enrol --server ${location.origin} --node-id ${enrolment.nodeId} --token ${enrolment.token}`}</pre>
        </div>
      )}
      <ApiView state={nodes} what="nodes" isEmpty={(d) => listOf(d).length === 0} empty="No node enrolled yet.">
        {(data) => (
          <Table<NodeRow>
            caption="Edge nodes of the consortium"
            rows={listOf<NodeRow>(data)}
            rowKey={(n) => n.nodeId}
            columns={[
              ...nodeColumns(),
              {
                key: "actions", header: "Actions",
                render: (n) => n.status === "revoked" ? "revoked" : (
                  <span className="actions">
                    <button type="button" className="secondary" onClick={() => void newToken(n)} aria-label={`New enrolment token for ${n.nodeId}`}>New token</button>
                    <button type="button" className="danger" onClick={() => revoke(n)} aria-label={`Revoke node ${n.nodeId}`}>Revoke</button>
                  </span>
                ),
              },
            ]}
          />
        )}
      </ApiView>
      <h2>Add a node</h2>
      <form className="card stack" onSubmit={create}>
        <label htmlFor="enrol-node">Node id (a-z, 0-9, '.', '_', '-')</label>
        <input id="enrol-node" required pattern="[a-z0-9][a-z0-9._\-]{0,62}" value={nodeId} onChange={(e) => setNodeId(e.target.value)} />
        <label htmlFor="enrol-name">Display name (the hospital)</label>
        <input id="enrol-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        <button type="submit">Create node and enrolment token</button>
      </form>
    </section>
  );
}
