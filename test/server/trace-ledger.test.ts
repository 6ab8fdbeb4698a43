// Ledger and trace routes over a real socket: a copy issued to a data scientist (as the data
// request flow does) is traced by a DPO to that account, with an alert and an evidence bundle that
// verifies offline; proofs from the API verify with the ledger library; a tampered ledger fails
// verification and raises a critical alert.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Sqlite from "better-sqlite3";
import { ledgerSigner, verifyCheckpointNote, verifyConsistency, verifyEvidence, verifyInclusion } from "../../src/ledger/index.ts";
import { type IssuedCopy, issueCopy } from "../../src/tracing/index.ts";
import { data } from "../tracing/helpers.ts";
import { type Api, startApi, TEST_MASTER, type TestUser } from "./api-helpers.ts";

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

describe("ledger and trace routes", () => {
  let api: Api;
  let dpo: TestUser;
  let scientist: TestUser;
  let copy: IssuedCopy;
  before(async () => {
    api = await startApi("sqlite");
    dpo = await api.user("deborah", ["dpo"]);
    scientist = await api.user("simone", ["data-scientist"]);
    copy = await issueCopy(
      { bytes: data("ct-head", "slice-050.dcm"), recipient: scientist.id, consortium: "test.medtrace", hospital: "hospital-a", grantId: "grant-1", requestId: "request-1" },
      { ledger: api.server.ctx.ledger, master: TEST_MASTER },
    );
  });
  after(() => api.close());

  const upload = async (bytes: Uint8Array, token: string) => {
    const form = new FormData();
    form.append("file", new Blob([bytes]), "suspect.dcm");
    const res = await fetch(`${api.base}/api/trace`, { method: "POST", body: form, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  test("a leaked copy is traced to the data scientist's account, with an alert and offline-verifiable evidence", async () => {
    const r = await upload(copy.bytes, dpo.token);
    assert.equal(r.status, 200);
    assert.equal(r.json.found, true);
    assert.equal(r.json.method, "exact");
    assert.deepEqual(r.json.recipient, { userId: scientist.id, username: "simone", pseudonym: copy.recipient });
    assert.equal(r.json.grantId, "grant-1");
    const v = verifyEvidence(r.json.evidence, ledgerSigner(TEST_MASTER, 1));
    assert.ok(v.entries.some((e) => e.index === copy.entryIndex));

    const hits = await api.server.ctx.alerts.list({ limit: 10, kind: "trace.hit" });
    assert.equal(hits.length, 1);
    assert.equal(hits[0].detail?.recipient, scientist.id);
    const audited = (await api.server.ctx.audit.search({ action: "trace.perform", limit: 10, offset: 0 })).rows;
    assert.equal(audited.length, 1);
    assert.equal(audited[0].actor_user_id, dpo.id);
    assert.equal(audited[0].entity_id, r.json.id);

    const again = await api.call("GET", `/api/traces/${r.json.id}/evidence`, { token: dpo.token });
    assert.deepEqual(again.json, r.json.evidence);
    assert.equal((await api.call("GET", `/api/traces/${r.json.id}`, { token: scientist.token })).status, 403);
  });

  test("an unrelated image: no watermark detected, no alert; bad uploads are 4xx", async () => {
    const r = await upload(data("ct-head", "slice-010.dcm"), dpo.token);
    assert.equal(r.status, 200);
    assert.equal(r.json.found, false);
    assert.equal(r.json.message, "no watermark detected");
    assert.equal(r.json.recipient, null);
    assert.equal((await api.server.ctx.alerts.list({ limit: 10, kind: "trace.hit" })).length, 1);

    assert.equal((await upload(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), dpo.token)).status, 422);
    const json = await api.call("POST", "/api/trace", { token: dpo.token, json: { file: "x" } });
    assert.equal(json.status, 415);
    const wrongField = new FormData();
    wrongField.append("image", new Blob([copy.bytes]), "x.dcm");
    const wf = await fetch(`${api.base}/api/trace`, { method: "POST", body: wrongField, headers: { authorization: `Bearer ${dpo.token}` } });
    assert.equal(wf.status, 400);
    assert.equal((await api.call("GET", "/api/traces/00000000-0000-4000-8000-000000000000", { token: dpo.token })).status, 404);
  });

  test("checkpoint, inclusion and consistency proofs from the API verify with the ledger library", async () => {
    const cp = (await api.call("GET", "/api/ledger/checkpoint", { token: scientist.token })).json;
    const checked = verifyCheckpointNote(cp.note, [ledgerSigner(TEST_MASTER, 1)]);
    assert.ok(checked);
    assert.equal(checked.size, cp.size);
    const inc = (await api.call("GET", `/api/ledger/proof/inclusion?index=${copy.entryIndex}&size=${cp.size}`, { token: scientist.token })).json;
    verifyInclusion(copy.entryIndex, cp.size, b64(inc.leafHash), inc.proof.map(b64), b64(cp.root));
    const con = (await api.call("GET", `/api/ledger/proof/consistency?from=1&to=${cp.size}`, { token: scientist.token })).json;
    verifyConsistency(1, cp.size, b64(con.fromRoot), b64(cp.root), con.proof.map(b64));
    assert.equal((await api.call("GET", `/api/ledger/proof/inclusion?index=${cp.size}&size=${cp.size}`, { token: scientist.token })).status, 400);
    assert.equal((await api.call("GET", `/api/ledger/proof/consistency?from=2&to=${cp.size + 5}`, { token: scientist.token })).status, 400);

    const entry = await api.call("GET", `/api/ledger/entries/${copy.entryIndex}`, { token: dpo.token });
    assert.equal(entry.json.entry.type, "image.shared");
    assert.equal(entry.json.entry.body.recipient, copy.recipient);
    assert.equal(JSON.stringify(entry.json).includes(scientist.id), false, "the ledger names a pseudonym only");
    assert.equal((await api.call("GET", "/api/ledger/entries/99999", { token: dpo.token })).status, 404);
    const verified = await api.call("GET", "/api/ledger/verify", { token: dpo.token });
    assert.equal(verified.json.ok, true);
  });

  test("a ledger changed behind the server's back fails verification and raises a critical alert", async () => {
    const raw = new Sqlite(api.server.ctx.config.ledgerPath);
    try {
      raw.exec("DROP TRIGGER ledger_entries_no_update");
      const row = raw.prepare("SELECT body FROM ledger_entries WHERE idx = ?").get(copy.entryIndex) as { body: Buffer };
      const forged = Buffer.from(row.body.toString("utf8").replace("grant-1", "grant-9"));
      raw.prepare("UPDATE ledger_entries SET body = ? WHERE idx = ?").run(forged, copy.entryIndex);
    } finally {
      raw.close();
    }
    const r = await api.call("GET", "/api/ledger/verify", { token: dpo.token });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, false);
    const alerts = await api.server.ctx.alerts.list({ limit: 10, kind: "ledger.verification-failed" });
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].severity, "critical");
  });
});
