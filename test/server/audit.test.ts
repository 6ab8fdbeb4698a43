// Audit trail on SQLite and PostgreSQL: FHIR AuditEvent search (filters, paging, date prefixes),
// ATNA export as RFC 5424 syslog with DICOM audit messages, and the append-only store.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { type Api, BACKENDS, startApi, type TestUser } from "./api-helpers.ts";

// RFC 5424 §6: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG
const SYSLOG = /^<(\d{1,3})>1 (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (\S+) medtrace (\d+) IHE\+RFC-3881 - (<\?xml .*<\/AuditMessage>)$/;

for (const backend of BACKENDS) {
  describe(`audit (${backend})`, () => {
    let api: Api;
    let dpo: TestUser;
    let sci: TestUser;
    let t0: string;
    before(async () => {
      api = await startApi(backend);
      dpo = await api.user("dina", ["dpo"]);
      sci = await api.user("sid", ["data-scientist"]);
      t0 = new Date().toISOString();
      await api.call("GET", "/api/ledger/checkpoint", { token: sci.token }); // success
      await api.call("GET", "/api/ledger/verify", { token: sci.token }); // refused: failure
      await api.call("GET", "/api/ledger/entries/0", { token: dpo.token });
    });
    after(() => api.close());

    type Bundle = { resourceType: string; type: string; total: number; entry: { resource: Record<string, any> }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const search = async (q: string) => (await api.call("GET", `/api/audit/events?${q}`, { token: dpo.token })) as { status: number; json: Bundle };

    test("search returns a FHIR searchset of AuditEvents, filtered by agent, action, outcome and date", async () => {
      const bySci = await search(`agent=${sci.id}`);
      assert.equal(bySci.status, 200);
      assert.equal(bySci.json.resourceType, "Bundle");
      assert.equal(bySci.json.type, "searchset");
      assert.equal(bySci.json.total, 2);
      const [ok, refused] = bySci.json.entry.map((e) => e.resource);
      assert.equal(ok.resourceType, "AuditEvent");
      assert.equal(ok.outcome, "0");
      assert.equal(refused.outcome, "4");
      assert.deepEqual(ok.type, { system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest", display: "RESTful Operation" });
      assert.equal(ok.subtype[0].code, "read");
      assert.equal(ok.action, "R");
      assert.equal(ok.agent[0].who.identifier.value, sci.id);
      assert.equal(ok.agent[0].network.address, "127.0.0.1");

      assert.equal((await search(`agent=${sci.id}&outcome=failure`)).json.total, 1);
      assert.equal((await search(`action=ledger.entry.read`)).json.entry[0].resource.entity[0].what.identifier.value, "0");
      assert.equal((await search(`agent=${sci.id}&date=ge${t0}`)).json.total, 2);
      assert.equal((await search(`agent=${sci.id}&date=lt${t0}`)).json.total, 0);
      assert.equal((await search(`agent=${sci.id}&date=${t0.slice(0, 10)}`)).json.total, 2, "a bare date is that day");
      assert.equal((await search(`agent=${sci.id}&date=gt2999-01-01`)).json.total, 0);
    });

    test("logins are coded as DICOM User Authentication, account changes as Security Alert", async () => {
      await api.call("POST", "/api/auth/login", { json: { username: "dina", password: "wrong" } });
      const login = (await search("action=auth.login")).json.entry.at(-1)!.resource;
      assert.equal(login.type.code, "110114");
      assert.equal(login.subtype[0].code, "110122");
      assert.equal(login.outcome, "4");
      const created = (await search("action=user.create")).json.entry[0].resource;
      assert.equal(created.type.code, "110113");
    });

    test("paging with _count and _offset; bad parameters are 400 with a message", async () => {
      const page1 = await search("_count=2&_offset=0");
      const page2 = await search("_count=2&_offset=2");
      assert.equal(page1.json.entry.length, 2);
      assert.notDeepEqual(page1.json.entry[0].resource.id, page2.json.entry[0].resource.id);
      for (const q of ["date=yesterday", "_count=0", "_count=5000", "outcome=maybe", "unknown=1"]) {
        const r = await api.call("GET", `/api/audit/events?${q}`, { token: dpo.token });
        assert.equal(r.status, 400, q);
        assert.equal(typeof r.json.message, "string");
      }
    });

    test("ATNA export: one RFC 5424 line per event, DICOM audit message XML, severity by outcome", async () => {
      const r = await api.call("GET", "/api/audit/export?format=syslog", { token: dpo.token });
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
      const lines = r.text.trimEnd().split("\n");
      const total = (await api.server.ctx.audit.search({ limit: 1, offset: 0 })).total;
      assert.equal(lines.length, total - 1, "every event before this export");
      for (const line of lines) assert.match(line, SYSLOG);
      const mine = lines.filter((l) => l.includes(`UserID="${sci.id}"`));
      assert.equal(mine.length, 2);
      const pris = mine.map((l) => Number(SYSLOG.exec(l)![1]));
      assert.deepEqual(pris, [85, 84], "authpriv.notice for success, authpriv.warning for failure");
      assert.match(mine[1], /EventOutcomeIndicator="4"/);
      assert.equal((await api.call("GET", "/api/audit/export?format=csv", { token: dpo.token })).status, 400);
      const exported = (await search("action=audit.export")).json.entry;
      assert.equal(exported[0].resource.type.code, "110106");
    });

    test("audit events cannot be changed or deleted, even through the database handle", async () => {
      const { db } = api.server.ctx.database;
      await assert.rejects(sql`update audit_events set outcome = 'success'`.execute(db), /append-only/);
      await assert.rejects(sql`delete from audit_events`.execute(db), /append-only/);
    });
  });
}
