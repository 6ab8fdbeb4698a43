// Audit log: the server's FHIR AuditEvent search (a searchset Bundle) with its filters, and exports
// (the Bundle as JSON, or ATNA RFC 5424 syslog from the server).
import { useState, type FormEvent } from "react";
import { downloadJson, downloadResponse, request } from "../../lib/api.ts";
import { useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

interface Coding { code?: string; display?: string }
interface AuditEvent {
  id: string;
  type?: Coding;
  subtype?: Coding[];
  recorded?: string;
  outcome?: string;
  outcomeDesc?: string;
  agent?: { who?: { identifier?: { value?: string }; display?: string }; network?: { address?: string } }[];
  entity?: { what?: { identifier?: { value?: string }; display?: string }; description?: string }[];
}
interface Bundle { total?: number; entry?: { resource: AuditEvent }[] }

interface Filters { action: string; outcome: string; agent: string; entity: string; from: string; to: string }
const EMPTY: Filters = { action: "", outcome: "", agent: "", entity: "", from: "", to: "" };
const PAGE = 50;

/** FHIR search parameters, as the server's /api/audit/events takes them (date=ge…&date=lt…). */
function query(filters: Filters, offset: number): string {
  const params = new URLSearchParams();
  if (filters.action) params.set("action", filters.action);
  if (filters.outcome) params.set("outcome", filters.outcome);
  if (filters.agent) params.set("agent", filters.agent);
  if (filters.entity) params.set("entity", filters.entity);
  if (filters.from) params.append("date", `ge${new Date(filters.from).toISOString()}`);
  if (filters.to) params.append("date", `lt${new Date(filters.to).toISOString()}`);
  params.set("_count", String(PAGE));
  params.set("_offset", String(offset));
  return params.toString();
}

const actionOf = (e: AuditEvent) => e.outcomeDesc?.replace(/ \(HTTP \d+\)$/, "") ?? e.type?.display ?? "";
const agentOf = (e: AuditEvent) => (e.agent ?? []).map((a) => [a.who?.identifier?.value ?? a.who?.display, a.network?.address].filter(Boolean).join(" @ ")).join("; ");
const entityOf = (e: AuditEvent) => (e.entity ?? []).map((x) => `${x.description ?? ""} ${x.what?.identifier?.value ?? x.what?.display ?? ""}`.trim()).join("; ");

export default function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [exportError, setExportError] = useState<unknown>();
  const state = useApi<Bundle>(`/api/audit/events?${query(applied, offset)}`);
  const rows = (state.data?.entry ?? []).map((e) => e.resource);
  const total = state.data?.total ?? 0;

  function apply(event: FormEvent) {
    event.preventDefault();
    setOffset(0);
    setApplied(draft);
  }

  async function exportSyslog() {
    setExportError(undefined);
    try {
      const params = new URLSearchParams(query(applied, 0));
      const range = new URLSearchParams({ format: "syslog" });
      for (const d of params.getAll("date")) range.append("date", d);
      await downloadResponse(await request(`/api/audit/export?${range}`), "medtrace-audit.log");
    } catch (error) {
      setExportError(error);
    }
  }

  const field = (key: keyof Filters) => ({
    id: `audit-${key}`,
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" onSubmit={apply} aria-label="Audit filters">
        <div><label htmlFor="audit-action">Action</label><input {...field("action")} placeholder="e.g. auth.login" /></div>
        <div>
          <label htmlFor="audit-outcome">Outcome</label>
          <select {...field("outcome")}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </div>
        <div><label htmlFor="audit-agent">User id</label><input {...field("agent")} /></div>
        <div><label htmlFor="audit-entity">Entity id</label><input {...field("entity")} /></div>
        <div><label htmlFor="audit-from">From</label><input type="datetime-local" {...field("from")} /></div>
        <div><label htmlFor="audit-to">Before</label><input type="datetime-local" {...field("to")} /></div>
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button type="button" className="secondary" onClick={() => { setDraft(EMPTY); setApplied(EMPTY); setOffset(0); }}>Clear</button>
        </div>
      </form>
      <p className="actions">
        <button type="button" className="secondary" disabled={!state.data} onClick={() => downloadJson(state.data, "audit-events.fhir.json")}>
          Export this page as FHIR Bundle (JSON)
        </button>
        <button type="button" className="secondary" onClick={() => void exportSyslog()}>Export as ATNA syslog</button>
      </p>
      {exportError !== undefined && <ErrorBox error={exportError} action="Export" />}
      <ApiView state={state} what="audit events" isEmpty={() => rows.length === 0} empty="No audit event matches these filters.">
        {() => (
          <>
            <Table<AuditEvent>
              caption={`Events ${offset + 1}–${offset + rows.length} of ${total}, newest first`}
              rows={rows}
              rowKey={(row) => row.id}
              columns={[
                { key: "recorded", header: "Time", render: (r) => formatTime(r.recorded) },
                { key: "action", header: "Action", render: actionOf },
                { key: "outcome", header: "Outcome", render: (r) => <span className={`badge ${r.outcome === "0" ? "success" : "failure"}`}>{r.outcome === "0" ? "success" : "failure"}</span> },
                { key: "agent", header: "Who", render: agentOf },
                { key: "entity", header: "What", render: entityOf },
                { key: "type", header: "Type", render: (r) => [r.type?.display, ...(r.subtype ?? []).map((s) => s.display)].filter(Boolean).join(" / ") },
              ]}
            />
            <p className="actions">
              <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Newer</button>
              <button type="button" className="secondary" disabled={offset + rows.length >= total} onClick={() => setOffset(offset + PAGE)}>Older</button>
            </p>
          </>
        )}
      </ApiView>
    </section>
  );
}
