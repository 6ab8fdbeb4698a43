// Ledger explorer: the signed checkpoint, the latest entries drawn as chained blocks, and a full
// chain verification run by the server.
import { useEffect, useState } from "react";
import { api } from "../../lib/api.ts";
import { useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox, Loading } from "../../components/Status.tsx";
import { formatTime } from "../../components/Table.tsx";

interface Checkpoint {
  origin?: string;
  size?: number;
  treeSize?: number;
  root?: string;
  keyId?: string;
  note?: string;
  [key: string]: unknown;
}

interface LedgerEntry {
  index: number;
  time: string;
  prevHash: string;
  type: string;
  actor: string;
  body: Record<string, unknown>;
}

const PAGE = 12;

function sizeOf(checkpoint: Checkpoint): number {
  const size = checkpoint.size ?? checkpoint.treeSize;
  return typeof size === "number" ? size : 0;
}

/** The few body fields a DPO looks for, wherever the entry type keeps them (ledger.md §6.1). */
function highlights(entry: LedgerEntry, origin: string | undefined) {
  const body = entry.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    consortium: body.identity?.consortium ?? body.origin ?? origin,
    recipient: body.recipient,
    token: body.copy?.token,
    imageHash: body.copy?.pixelSha256 ?? body.identity?.pixelSha256 ?? body.source?.pixelSha256,
  };
}

function Hash({ value }: { value: unknown }) {
  if (typeof value !== "string") return <span className="muted">—</span>;
  return <code className="hash" title={value}>{value.length > 20 ? `${value.slice(0, 10)}…${value.slice(-8)}` : value}</code>;
}

export default function LedgerPage() {
  const checkpoint = useApi<Checkpoint>("/api/ledger/checkpoint");
  const [end, setEnd] = useState<number | null>(null);
  const [entries, setEntries] = useState<LedgerEntry[]>();
  const [entriesError, setEntriesError] = useState<unknown>();
  const [verify, setVerify] = useState<{ running: boolean; result?: unknown; error?: unknown }>({ running: false });

  const size = checkpoint.data ? sizeOf(checkpoint.data) : 0;
  const last = end ?? size;

  useEffect(() => {
    if (!checkpoint.data || last === 0) { setEntries([]); return; }
    const indices = Array.from({ length: Math.min(PAGE, last) }, (_, i) => last - 1 - i);
    setEntries(undefined);
    Promise.all(indices.map((i) => api<LedgerEntry | { entry: LedgerEntry }>(`/api/ledger/entries/${i}`)))
      .then((list) => setEntries(list.map((e) => ("entry" in e ? e.entry : e))))
      .catch(setEntriesError);
  }, [checkpoint.data, last]);

  async function runVerify() {
    setVerify({ running: true });
    try {
      setVerify({ running: false, result: await api("/api/ledger/verify") });
    } catch (error) {
      setVerify({ running: false, error });
    }
  }

  const verified = verify.result as { ok?: boolean; size?: number; firstError?: { code?: string; message?: string; index?: number } } | undefined;
  return (
    <section aria-labelledby="ledger-title">
      <h1 id="ledger-title">Ledger</h1>
      <ApiView state={checkpoint} what="checkpoint">
        {(cp) => (
          <div className="card">
            <h2>Latest signed checkpoint</h2>
            <dl className="facts">
              <dt>Consortium (origin)</dt><dd>{cp.origin ?? "—"}</dd>
              <dt>Entries</dt><dd>{sizeOf(cp)}</dd>
              <dt>Root hash (base64)</dt><dd><Hash value={cp.root} /></dd>
              <dt>Signing key id</dt><dd><code>{String(cp.keyId ?? "—")}</code></dd>
            </dl>
            {typeof cp.note === "string" && <details><summary>Signed note</summary><pre>{cp.note}</pre></details>}
          </div>
        )}
      </ApiView>
      <p className="actions">
        <button type="button" onClick={runVerify} disabled={verify.running}>{verify.running ? "Verifying…" : "Verify the whole chain"}</button>
      </p>
      <div aria-live="polite">
        {verify.error !== undefined && <ErrorBox error={verify.error} action="Verification" />}
        {verified && (
          <p className={`status ${verified.ok ? "ok" : "error"}`} role="status" data-testid="ledger-verify">
            {verified.ok
              ? `Chain verified: all ${verified.size ?? ""} entries link to their predecessor and match the signed checkpoint.`
              : `Verification FAILED: ${verified.firstError?.code ?? ""} ${verified.firstError?.message ?? ""}`}
          </p>
        )}
      </div>
      <h2>Entries</h2>
      {entriesError !== undefined ? <ErrorBox error={entriesError} action="Loading entries" />
        : !entries ? <Loading what="entries" />
        : entries.length === 0 ? <p className="status empty">The ledger has no entries yet.</p>
        : (
          <ol className="blocks" aria-label="Ledger entries, newest first" reversed start={last}>
            {entries.map((entry) => {
              const h = highlights(entry, checkpoint.data?.origin);
              return (
                <li key={entry.index} className="block">
                  <h3>#{entry.index} <span className="badge">{entry.type}</span></h3>
                  <dl className="facts">
                    <dt>Time</dt><dd>{formatTime(entry.time)}</dd>
                    <dt>Previous hash</dt><dd><Hash value={entry.prevHash} /></dd>
                    <dt>Consortium</dt><dd>{h.consortium ?? "—"}</dd>
                    <dt>Recipient</dt><dd>{h.recipient ? <code>{String(h.recipient)}</code> : "—"}</dd>
                    <dt>Token</dt><dd>{h.token ? <code>{String(h.token)}</code> : "—"}</dd>
                    <dt>Image hash</dt><dd><Hash value={h.imageHash} /></dd>
                  </dl>
                </li>
              );
            })}
          </ol>
        )}
      {size > PAGE && (
        <p className="actions">
          <button type="button" className="secondary" disabled={last >= size} onClick={() => setEnd(Math.min(size, last + PAGE))}>Newer</button>
          <button type="button" className="secondary" disabled={last <= PAGE} onClick={() => setEnd(Math.max(PAGE, last - PAGE))}>Older</button>
        </p>
      )}
    </section>
  );
}
