// Data requests waiting for this hospital's approval (policy "approval required"), and the local policy.
import { useState } from "react";
import { api } from "../../lib/api.ts";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table, display, formatTime } from "../../components/Table.tsx";

interface PendingRequest {
  id: string;
  purpose?: string;
  query?: unknown;
  requester?: string;
  createdAt?: string;
  maxInstances?: number;
}

export default function ApprovalsPage() {
  const pending = useApi<unknown>("/api/data-requests?status=pending-approval");
  const policy = useApi<unknown>("/api/nodes/policy");
  const [actionError, setActionError] = useState<unknown>();

  async function decide(id: string, decision: "approve" | "refuse") {
    setActionError(undefined);
    try {
      await api(`/api/data-requests/${encodeURIComponent(id)}/${decision}`, { method: "POST", json: {} });
      pending.reload();
    } catch (error) {
      setActionError(error);
    }
  }

  return (
    <section aria-labelledby="appr-title">
      <h1 id="appr-title">Pending requests</h1>
      {actionError !== undefined && <ErrorBox error={actionError} action="Decision" />}
      <ApiView state={pending} what="pending requests" isEmpty={(d) => listOf(d).length === 0} empty="No request is waiting for your approval.">
        {(data) => (
          <Table<PendingRequest>
            caption="Requests needing approval"
            rows={listOf<PendingRequest>(data)}
            rowKey={(r) => r.id}
            columns={[
              { key: "createdAt", header: "Received", render: (r) => formatTime(r.createdAt) },
              { key: "requester", header: "Requester" },
              { key: "purpose", header: "Purpose" },
              { key: "query", header: "Query", render: (r) => display(r.query) },
              { key: "maxInstances", header: "Max instances" },
              {
                key: "decide", header: "Decision",
                render: (r) => (
                  <span className="actions">
                    <button type="button" onClick={() => decide(r.id, "approve")} aria-label={`Approve request ${r.id}`}>Approve</button>
                    <button type="button" className="danger" onClick={() => decide(r.id, "refuse")} aria-label={`Refuse request ${r.id}`}>Refuse</button>
                  </span>
                ),
              },
            ]}
          />
        )}
      </ApiView>
      <h2>Local policy</h2>
      <ApiView state={policy} what="local policy">
        {(data) => <pre className="card">{JSON.stringify(data, null, 2)}</pre>}
      </ApiView>
    </section>
  );
}
