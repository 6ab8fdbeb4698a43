// One request: its state per node (polled until settled), its grant with expiry, the viewer, the
// zip download, and 3D Slicer links carrying a grant access token issued on demand.
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table, display, formatTime } from "../../components/Table.tsx";
import { api, request as fetchApi, downloadResponse } from "../../lib/api.ts";

export interface Grant {
  id: string;
  state: string;
  expiresAt: string;
  revokedAt?: string | null;
  instances: number;
  nodes?: string[];
  studies?: { studyInstanceUid: string; series: { seriesInstanceUid: string; instances: number }[] }[];
  slicer?: string[];
  download?: string;
}

interface NodeOutcome {
  nodeId: string;
  status: string;
  instances: number;
  reason?: string;
}

interface DataRequest {
  id: string;
  status: string;
  purpose?: string;
  query?: unknown;
  maxInstances?: number;
  error?: string | null;
  createdAt?: string;
  nodes?: NodeOutcome[];
  grant?: Grant | null;
}

const SETTLED = new Set(["done", "failed"]);

function remaining(expiresAt: string): string {
  const ms = new Date(expiresAt).getTime() - Date.now();
  if (ms <= 0) return "expired";
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours > 0 ? `${hours} h ${minutes} min left` : `${minutes} min left`;
}

export default function RequestDetailPage() {
  const { id = "" } = useParams();
  const state = useApi<DataRequest>(`/api/data-requests/${encodeURIComponent(id)}`);
  const status = state.data?.status;
  const { reload } = state;
  useEffect(() => {
    if (!status || SETTLED.has(status)) return;
    const timer = setInterval(reload, 1500);
    return () => clearInterval(timer);
  }, [status, reload]);

  return (
    <section aria-labelledby="rd-title">
      <h1 id="rd-title">Data request</h1>
      <ApiView state={state} what="request">
        {(req) => (
          <>
            <dl className="facts card">
              <dt>Request</dt><dd><code>{req.id}</code></dd>
              <dt>Status</dt><dd><span className={`badge ${req.status}`} data-testid="request-status">{req.status}</span></dd>
              {req.error && <><dt>Error</dt><dd>{req.error}</dd></>}
              <dt>Sent</dt><dd>{formatTime(req.createdAt)}</dd>
              <dt>Purpose</dt><dd>{req.purpose ?? "—"}</dd>
              <dt>Query</dt><dd>{display(req.query)}</dd>
              <dt>Maximum images</dt><dd>{req.maxInstances ?? "—"}</dd>
            </dl>
            {req.nodes && req.nodes.length > 0 && (
              <Table<NodeOutcome>
                caption="Answers of the hospitals"
                rows={req.nodes}
                rowKey={(n) => n.nodeId}
                columns={[
                  { key: "nodeId", header: "Hospital node" },
                  { key: "status", header: "Answer", render: (n) => <span className={`badge ${n.status}`}>{n.status}</span> },
                  { key: "instances", header: "Images" },
                  { key: "reason", header: "Reason" },
                ]}
              />
            )}
            {req.grant ? <GrantCard grant={req.grant} />
              : <p className="status empty">{req.status === "done" ? "No image was granted for this request." : req.status === "failed" ? "The request failed; no grant." : "No grant yet — waiting for the hospitals."}</p>}
          </>
        )}
      </ApiView>
    </section>
  );
}

function GrantCard({ grant }: { grant: Grant }) {
  const [slicer, setSlicer] = useState<string[]>();
  const [error, setError] = useState<unknown>();
  const live = grant.state === "active";

  async function download() {
    setError(undefined);
    try {
      await downloadResponse(await fetchApi(`/api/grants/${encodeURIComponent(grant.id)}/download?format=zip`), `medtrace-grant-${grant.id}.zip`);
    } catch (err) {
      setError(err);
    }
  }

  // Slicer cannot sign in: it gets a grant access token (valid for this grant only, until expiry).
  async function slicerLinks() {
    setError(undefined);
    try {
      const issued = await api<{ grant: Grant }>(`/api/grants/${encodeURIComponent(grant.id)}/token`, { method: "POST", json: {} });
      setSlicer(issued.grant.slicer ?? []);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div className="card">
      <h2>Grant</h2>
      <dl className="facts">
        <dt>Grant</dt><dd><code>{grant.id}</code></dd>
        <dt>State</dt><dd><span className={`badge ${grant.state}`}>{grant.state}</span></dd>
        <dt>Images</dt><dd>{grant.instances}</dd>
        <dt>Hospitals</dt><dd>{grant.nodes?.join(", ") ?? "—"}</dd>
        <dt>Expires</dt><dd data-testid="grant-expiry">{formatTime(grant.expiresAt)} ({grant.revokedAt ? "revoked" : remaining(grant.expiresAt)})</dd>
      </dl>
      {live ? (
        <>
          <p className="actions">
            <Link className="button" to={`/viewer/${encodeURIComponent(grant.id)}`}>Open in viewer</Link>
            <button type="button" className="secondary" onClick={() => void slicerLinks()}>Open in 3D Slicer</button>
            <button type="button" className="secondary" onClick={() => void download()}>Download (zip: DICOM and NRRD)</button>
          </p>
          {slicer && (
            <div role="status">
              <p>Each link opens one study in 3D Slicer's DICOMweb browser; it carries an access token for this grant only (valid until the grant expires):</p>
              <ul>{slicer.map((link, i) => <li key={link}><a href={link}>Open study {i + 1} in 3D Slicer</a></li>)}</ul>
            </div>
          )}
        </>
      ) : <p className="status error">This grant is {grant.state}; nothing is served after expiry or revocation.</p>}
      {error !== undefined && <ErrorBox error={error} action="Grant action" />}
    </div>
  );
}
