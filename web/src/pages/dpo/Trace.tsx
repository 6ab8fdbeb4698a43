// Trace a suspect file: upload it, see who received this copy (or which image it is), and keep the
// evidence bundle, which verifies offline (`medtrace evidence verify`).
import { useState, type DragEvent } from "react";
import { api, downloadJson, request } from "../../lib/api.ts";
import { ErrorBox } from "../../components/Status.tsx";

interface TraceAnswer {
  id: string;
  found: boolean;
  method: string;
  message?: string;
  recipient: { userId: string; username: string; pseudonym: string } | null;
  recipients: { pseudonym: string; userId: string | null; username: string | null }[];
  grantId: string | null;
  requestId: string | null;
}

export default function TracePage() {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<TraceAnswer>();
  const [error, setError] = useState<unknown>();
  const [dragging, setDragging] = useState(false);

  async function run(chosen: File) {
    setFile(chosen);
    setBusy(true);
    setAnswer(undefined);
    setError(undefined);
    try {
      const form = new FormData();
      form.append("file", chosen, chosen.name);
      setAnswer(await api<TraceAnswer>("/api/trace", { form }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) void run(dropped);
  }

  async function downloadEvidence() {
    if (!answer) return;
    try {
      const response = await request(`/api/traces/${encodeURIComponent(answer.id)}/evidence`);
      downloadJson(await response.json(), `evidence-${answer.id}.json`);
    } catch (err) {
      setError(err);
    }
  }

  const recipient = answer?.recipient ? `${answer.recipient.username} (user ${answer.recipient.userId}, pseudonym ${answer.recipient.pseudonym})` : "";
  const others = answer && !answer.recipient ? answer.recipients.map((r) => r.username ?? r.pseudonym).join(", ") : "";
  const found = answer?.found;
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">Trace a suspect file</h1>
      <p>Tracing is a privileged act: it is recorded in the audit log under your name.</p>
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor="trace-file">Drop a DICOM or PNG file here, or choose one</label>
        <input id="trace-file" type="file" accept=".dcm,.png,.jpg,.jpeg,application/dicom,image/*" onChange={(e) => { const f = e.target.files?.[0]; if (f) void run(f); }} />
      </div>
      <div aria-live="polite">
        {busy && <p className="status" role="status">Tracing {file?.name}… (blind decode and zero-watermark search can take a few seconds)</p>}
        {error !== undefined && <ErrorBox error={error} action="Trace" />}
        {answer && (
          <div className={`card ${found ? "hit" : ""}`} data-testid="trace-result">
            <h2>{found ? "Copy identified" : "No watermark detected"}</h2>
            <dl className="facts">
              <dt>File</dt><dd>{file?.name}</dd>
              <dt>Method</dt><dd>{answer.method}</dd>
              {answer.message && <><dt>Finding</dt><dd>{answer.message}</dd></>}
              <dt>Recipient</dt><dd data-testid="trace-recipient">{recipient || others || "—"}</dd>
              <dt>Grant</dt><dd>{answer.grantId ?? "—"}</dd>
              <dt>Request</dt><dd>{answer.requestId ?? "—"}</dd>
            </dl>
            <button type="button" onClick={() => void downloadEvidence()}>Download evidence bundle</button>
          </div>
        )}
      </div>
    </section>
  );
}
