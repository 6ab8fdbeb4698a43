// One request: its state (polled until settled), its grant, expiry, viewer, download and Slicer link.
import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../lib/useApi.ts";
import { ApiView } from "../../components/Status.tsx";
import { display, formatTime } from "../../components/Table.tsx";
import { request as fetchApi, downloadResponse } from "../../lib/api.ts";

export interface Grant {
  id: string;
  expiresAt: string;
  revokedAt?: string | null;
  instances?: unknown[] | number;
  slicerUrl?: string;
  dicomwebUrl?: string;
}

interface DataRequest {
  id: string;
  status: string;
  purpose?: string;
  query?: unknown;
  reason?: string;
  createdAt?: string;
  nodes?: unknown;
  grant?: Grant | null;
}

const SETTLED = new Set(["granted", "refused", "failed", "expired", "revoked", "rejected"]);

function remaining(expiresAt: string): string {
  const ms = new Date(expiresAt).getTime() - Date.now();
  if (ms <= 0) return "expired";
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours > 0 ? `${hours} h ${minutes} min left` : `${minutes} min left`;
}

/** 3D Slicer's DICOMweb browser opens `slicer://viewer/?dicomweb_endpoint=...&studyUID=...`. */
export function slicerLink(grant: Grant): string {
  if (grant.slicerUrl) return grant.slicerUrl;
  const endpoint = grant.dicomwebUrl ?? `${location.origin}/dicomweb/grants/${encodeURIComponent(grant.id)}`;
  return `slicer://viewer/?dicomweb_endpoint=${encodeURIComponent(endpoint)}`;
}

export default function RequestDetailPage() {
  const { id = "" } = useParams();
  const state = useApi<DataRequest>(`/api/data-requests/${encodeURIComponent(id)}`);
  const status = state.data?.status;
  useEffect(() => {
    if (!status || SETTLED.has(status)) return;
    const timer = setInterval(state.reload, 2000);
    return () => clearInterval(timer);
  }, [status, state.reload]);

  return (
    <section aria-labelledby="rd-title">
      <h1 id="rd-title">Request {id}</h1>
      <ApiView state={state} what="request">
        {(req) => (
          <>
            <dl className="facts card">
              <dt>Status</dt><dd><span className={`badge ${req.status}`} data-testid="request-status">{req.status}</span></dd>
              {req.reason && <><dt>Reason</dt><dd>{req.reason}</dd></>}
              <dt>Sent</dt><dd>{formatTime(req.createdAt)}</dd>
              <dt>Purpose</dt><dd>{req.purpose ?? "—"}</dd>
              <dt>Query</dt><dd>{display(req.query)}</dd>
            </dl>
            {req.grant ? <GrantCard grant={req.grant} /> : <p className="status empty">No grant yet{SETTLED.has(req.status) ? "." : " — waiting for the hospitals."}</p>}
          </>
        )}
      </ApiView>
    </section>
  );
}

function GrantCard({ grant }: { grant: Grant }) {
  const count = Array.isArray(grant.instances) ? grant.instances.length : grant.instances;
  const live = !grant.revokedAt && new Date(grant.expiresAt).getTime() > Date.now();
  async function download() {
    await downloadResponse(await fetchApi(`/api/grants/${encodeURIComponent(grant.id)}/download`), `grant-${grant.id}.zip`);
  }
  return (
    <div className="card">
      <h2>Grant {grant.id}</h2>
      <dl className="facts">
        <dt>Images</dt><dd>{count ?? "—"}</dd>
        <dt>Expires</dt><dd data-testid="grant-expiry">{formatTime(grant.expiresAt)} ({grant.revokedAt ? "revoked" : remaining(grant.expiresAt)})</dd>
      </dl>
      {live ? (
        <p className="actions">
          <Link className="button" to={`/viewer/${encodeURIComponent(grant.id)}`}>Open in viewer</Link>
          <a className="button secondary" href={slicerLink(grant)}>Open in 3D Slicer</a>
          <button type="button" className="secondary" onClick={() => void download()}>Download (zip)</button>
        </p>
      ) : <p className="status error">This grant is no longer valid; nothing is served after expiry or revocation.</p>}
    </div>
  );
}
