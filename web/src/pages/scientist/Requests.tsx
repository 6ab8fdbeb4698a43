// The data scientist's own requests and their state.
import { Link } from "react-router";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

interface RequestRow {
  id: string;
  status: string;
  purpose?: string;
  createdAt?: string;
  grantId?: string | null;
}

export default function RequestsPage() {
  const state = useApi<unknown>("/api/data-requests");
  return (
    <section aria-labelledby="req-title">
      <h1 id="req-title">My requests</h1>
      <p><Link to="/requests/new">New request</Link></p>
      <ApiView state={state} what="requests" isEmpty={(d) => listOf(d).length === 0} empty="You have not requested any data yet.">
        {(data) => (
          <Table<RequestRow>
            caption="Data requests"
            rows={listOf<RequestRow>(data)}
            rowKey={(r) => r.id}
            columns={[
              { key: "id", header: "Request", render: (r) => <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.id}</Link> },
              { key: "createdAt", header: "Sent", render: (r) => formatTime(r.createdAt) },
              { key: "status", header: "Status", render: (r) => <span className={`badge ${r.status}`}>{r.status}</span> },
              { key: "purpose", header: "Purpose" },
              { key: "grantId", header: "Grant", render: (r) => (r.grantId ? <code>{r.grantId.slice(0, 8)}</code> : "—") },
            ]}
          />
        )}
      </ApiView>
    </section>
  );
}
