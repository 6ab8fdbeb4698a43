// Ask for images: a query over the de-identified catalogue plus a purpose the hospitals judge.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api } from "../../lib/api.ts";
import { ErrorBox } from "../../components/Status.tsx";

const MODALITIES = ["CT", "MR", "CR", "DX", "US", "PT", "OT"];

const splitList = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

export default function NewRequestPage() {
  const navigate = useNavigate();
  const [modality, setModality] = useState<string[]>(["CT"]);
  const [bodyPart, setBodyPart] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [labels, setLabels] = useState("");
  const [purpose, setPurpose] = useState("");
  const [maxInstances, setMaxInstances] = useState(20);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const query = {
      ...(modality.length > 0 && { modality }),
      ...(bodyPart && { bodyPart: splitList(bodyPart) }),
      ...(from && { studyMonthFrom: from }),
      ...(to && { studyMonthTo: to }),
      ...(labels && { labels: splitList(labels) }),
    };
    try {
      const created = await api<{ id: string }>("/api/data-requests", { json: { query, purpose, maxInstances } });
      navigate(`/requests/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="nr-title">
      <h1 id="nr-title">Request data</h1>
      <form className="card stack" onSubmit={submit}>
        <fieldset>
          <legend>Modality</legend>
          {MODALITIES.map((m) => (
            <label key={m} htmlFor={`mod-${m}`} className="inline">
              <input id={`mod-${m}`} type="checkbox" checked={modality.includes(m)}
                onChange={(e) => setModality(e.target.checked ? [...modality, m] : modality.filter((x) => x !== m))} />
              {m}
            </label>
          ))}
        </fieldset>
        <label htmlFor="nr-body">Body part (comma-separated, DICOM Body Part Examined, e.g. HEAD, CHEST)</label>
        <input id="nr-body" value={bodyPart} onChange={(e) => setBodyPart(e.target.value)} />
        <div className="row">
          <div><label htmlFor="nr-from">Studies from (month)</label><input id="nr-from" type="month" value={from} onChange={(e) => setFrom(e.target.value)} /></div>
          <div><label htmlFor="nr-to">Studies to (month)</label><input id="nr-to" type="month" value={to} onChange={(e) => setTo(e.target.value)} /></div>
        </div>
        <label htmlFor="nr-labels">Labels (comma-separated, e.g. pneumonia)</label>
        <input id="nr-labels" value={labels} onChange={(e) => setLabels(e.target.value)} />
        <label htmlFor="nr-purpose">Purpose (shown to the hospitals and recorded)</label>
        <textarea id="nr-purpose" required minLength={3} value={purpose} onChange={(e) => setPurpose(e.target.value)} />
        <label htmlFor="nr-max">Maximum number of images</label>
        <input id="nr-max" type="number" min={1} max={10000} value={maxInstances} onChange={(e) => setMaxInstances(Number(e.target.value))} />
        <button type="submit" disabled={busy}>{busy ? "Sending request…" : "Send request"}</button>
      </form>
      {error !== undefined && <ErrorBox error={error} action="The request" />}
    </section>
  );
}
