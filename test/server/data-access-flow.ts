// The data-access flow of issue 6 over real sockets on 127.0.0.1, with real edge nodes (src/edge)
// in-process: request -> grant -> QIDO-RS/WADO-RS fetch of a marked CT slice -> the fetched file
// traced to the requesting data scientist; zip with DICOM + NRRD; annotations back to the
// hospital; expired, revoked, other user's and wrong-role access refused. One suite, run by
// data-access.test.ts (SQLite) and data-access-postgres.test.ts (PostgreSQL).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { unzipSync } from "fflate";
import { readDicom } from "../../src/imaging/index.ts";
import { dataAccessOf } from "../../src/server/data-access/service.ts";
import { parseMultipart } from "../../src/server/dicomweb/index.ts";
import { type Backend, type Env, startEnv } from "./data-access-support.ts";

export function dataAccessSuite(backend: Backend): void {
  describe(`data access (${backend})`, () => {
    let env: Env;
    let ds: { id: string; token: string };
    let other: { id: string; token: string };
    let dpo: { id: string; token: string };
    let admin: { id: string; token: string };
    let hospital: { id: string; token: string };
    let grant: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    let root: string;

    before(async () => {
      env = await startEnv(backend, { "hospital-a": [20, 21, 22], "hospital-b": [40, 41] });
      ds = await env.user("alice", ["data-scientist"]);
      other = await env.user("bob", ["data-scientist"]);
      dpo = await env.user("dora", ["dpo"]);
      admin = await env.user("carl", ["consortium-admin"]);
      hospital = await env.user("hank", ["hospital-admin"]);
      const r = await env.call("POST", "/api/data-requests", { token: ds.token, json: { query: { modality: ["CT"] }, purpose: "research", maxInstances: 5 } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      await dataAccessOf(env.server.ctx).settled(r.json.id);
      const status = await env.call("GET", `/api/data-requests/${r.json.id}`, { token: ds.token });
      assert.equal(status.status, 200);
      assert.equal(status.json.status, "done", JSON.stringify(status.json));
      assert.deepEqual(
        status.json.nodes.map((n: { nodeId: string; status: string; instances: number }) => [n.nodeId, n.status, n.instances]).sort(),
        [["hospital-a", "ok", 3], ["hospital-b", "ok", 2]],
      );
      grant = status.json.grant;
      root = new URL(grant.dicomweb.root).pathname;
    });
    after(() => env?.close());

    test("the grant lists its studies, the DICOMweb root and slicer:// links", () => {
      assert.equal(grant.instances, 5);
      assert.equal(grant.state, "active");
      assert.equal(grant.userId, ds.id);
      assert.equal(root, `/dicomweb/grants/${grant.id}`);
      const link = new URL(grant.slicer[0]);
      assert.equal(link.protocol, "slicer:");
      assert.equal(link.searchParams.get("dicomweb_endpoint"), grant.dicomweb.root);
      assert.ok(grant.studies.some((s: { studyInstanceUid: string }) => s.studyInstanceUid === link.searchParams.get("studyUID")));
    });

    test("QIDO-RS -> WADO-RS -> the fetched file traces to the requester", async () => {
      const studies = await env.call("GET", `${root}/studies?ModalitiesInStudy=CT&includefield=StudyDescription`, { token: ds.token });
      assert.equal(studies.status, 200);
      assert.match(studies.headers.get("content-type") ?? "", /^application\/dicom\+json/);
      assert.equal(studies.json.length, 2, "each node's de-identified study is its own study");
      const study = studies.json[0]["0020000D"].Value[0];
      const series = await env.call("GET", `${root}/studies/${study}/series`, { token: ds.token });
      const seriesUid = series.json[0]["0020000E"].Value[0];
      const instances = await env.call("GET", `${root}/studies/${study}/series/${seriesUid}/instances`, { token: ds.token });
      const sop = instances.json[0]["00080018"].Value[0];
      const wado = await env.call("GET", `${root}/studies/${study}/series/${seriesUid}/instances/${sop}`, {
        token: ds.token,
        headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      assert.equal(wado.status, 200);
      const [part] = parseMultipart(wado.headers.get("content-type")!, wado.bytes);
      assert.equal(readDicom(part!.body).sopInstanceUid, sop);

      const form = new FormData();
      form.set("file", new Blob([part!.body]), "leak.dcm");
      const traced = await env.call("POST", "/api/trace", { token: dpo.token, body: form });
      assert.equal(traced.status, 200, JSON.stringify(traced.json));
      assert.equal(traced.json.found, true);
      assert.equal(traced.json.recipient.userId, ds.id);
      assert.equal(traced.json.grantId, grant.id);
    });

    test("metadata carries Pixel Data as a BulkDataURI; frames are the uncompressed pixels", async () => {
      const s = grant.studies[0];
      const meta = await env.call("GET", `${root}/studies/${s.studyInstanceUid}/series/${s.series[0].seriesInstanceUid}/metadata`, { token: ds.token });
      assert.equal(meta.status, 200);
      const first = meta.json[0];
      assert.equal(first["00080060"].Value[0], "CT");
      assert.doesNotMatch(JSON.stringify(meta.json), /CRANIUM-0051|Anonymous\^Cranium/, "only de-identified attributes are served");
      const bulk = new URL(first["7FE00010"].BulkDataURI);
      assert.match(bulk.pathname, /\/frames\/1$/);
      const frames = await env.call("GET", bulk.pathname, { token: ds.token, headers: { accept: "multipart/related; type=application/octet-stream; transfer-syntax=*" } });
      assert.equal(frames.status, 200);
      const [frame] = parseMultipart(frames.headers.get("content-type")!, frames.bytes);
      assert.equal(frame!.body.length, 256 * 256 * 2);
      const bad = await env.call("GET", bulk.pathname.replace(/frames\/1$/, "frames/2"), { token: ds.token });
      assert.equal(bad.status, 400);
      const refused = await env.call("GET", bulk.pathname, { token: ds.token, headers: { accept: "multipart/related; type=image/jpeg" } });
      assert.equal(refused.status, 406);
    });

    test("the zip holds every DICOM file and one NRRD per node's volume", async () => {
      const r = await env.call("GET", `/api/grants/${grant.id}/download?format=zip`, { token: ds.token });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "application/zip");
      const files = unzipSync(r.bytes);
      assert.equal(Object.keys(files).filter((n) => n.endsWith(".dcm")).length, 5);
      const nrrds = Object.keys(files).filter((n) => n.endsWith(".nrrd")).sort();
      assert.equal(nrrds.length, 2);
      const sizes = nrrds.map((n) => /sizes: (\d+ \d+ \d+)/.exec(Buffer.from(files[n]!.subarray(0, 400)).toString("latin1"))?.[1]).sort();
      assert.deepEqual(sizes, ["256 256 2", "256 256 3"]);
    });

    test("a grant access token opens DICOMweb; a wrong one does not", async () => {
      const issued = await env.call("POST", `/api/grants/${grant.id}/token`, { token: ds.token });
      assert.equal(issued.status, 201);
      const token = issued.json.accessToken as string;
      assert.match(issued.json.grant.slicer[0], /access_token=mtg_/);
      assert.equal((await env.call("GET", `${root}/studies`, { token })).status, 200);
      assert.equal((await env.call("GET", `${root}/studies`, { token: `${token.slice(0, -2)}xx` })).status, 401);
      assert.equal((await env.call("GET", `${root}/studies`)).status, 401);
    });

    test("another data scientist, a hospital admin and a wrong role are refused", async () => {
      assert.equal((await env.call("GET", `${root}/studies`, { token: other.token })).status, 403);
      assert.equal((await env.call("GET", `/api/grants/${grant.id}`, { token: other.token })).status, 403);
      assert.equal((await env.call("GET", `/api/grants/${grant.id}/download`, { token: other.token })).status, 403);
      assert.equal((await env.call("POST", "/api/data-requests", { token: hospital.token, json: { query: {}, purpose: "research", maxInstances: 1 } })).status, 403);
      assert.equal((await env.call("POST", `/api/grants/${grant.id}/revoke`, { token: ds.token })).status, 403);
      assert.equal((await env.call("GET", `/api/grants/${grant.id}`, { token: dpo.token })).status, 200, "a dpo may read a grant");
      const mine = await env.call("GET", "/api/data-requests", { token: other.token });
      assert.deepEqual(mine.json.requests, []);
    });

    test("annotations reach the hospital that holds the image", async () => {
      const s = grant.studies.find((x: { series: { instances: number }[] }) => x.series[0]!.instances === 2);
      const list = await env.call("GET", `${root}/studies/${s.studyInstanceUid}/instances`, { token: ds.token });
      const sop = list.json[0]["00080018"].Value[0];
      const body = { sopInstanceUid: sop, labels: ["haemorrhage"], regions: [{ kind: "rect", points: [[10, 10], [40, 30]] }], measurements: [{ kind: "length", value: 12.5, unit: "mm" }] };
      const r = await env.call("POST", `/api/grants/${grant.id}/annotations`, { token: ds.token, json: body });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.nodeId, "hospital-b");
      const stored = env.nodes.get("hospital-b")!.annotations();
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0]!.annotation.labels, ["haemorrhage"]);
      assert.ok(stored[0]!.source, "the node maps the de-identified UID back to its own instance");
      const listed = await env.call("GET", `/api/grants/${grant.id}/annotations`, { token: ds.token });
      assert.equal(listed.json.annotations.length, 1);
      const unknown = await env.call("POST", `/api/grants/${grant.id}/annotations`, { token: ds.token, json: { ...body, sopInstanceUid: "1.2.3" } });
      assert.equal(unknown.status, 404);
    });

    test("an access-rate anomaly raises one alert", async () => {
      const service = dataAccessOf(env.server.ctx);
      service.configure({ accessRatePerMinute: 3 });
      try {
        const s = grant.studies[0];
        for (let i = 0; i < 2; i++) await env.call("GET", `${root}/studies/${s.studyInstanceUid}`, { token: ds.token });
        const alerts = await env.server.ctx.database.db.selectFrom("alerts").selectAll().where("kind", "=", "grant.access-rate").execute();
        assert.equal(alerts.length, 1);
      } finally {
        service.configure({ accessRatePerMinute: 600 });
      }
    });

    test("every DICOMweb access is an audit event", async () => {
      const rows = await env.server.ctx.database.db.selectFrom("audit_events").selectAll().where("entity_id", "=", grant.id).execute();
      const actions = new Set(rows.map((r) => r.action));
      for (const a of ["dicomweb.search", "dicomweb.retrieve", "dicomweb.metadata", "dicomweb.frames", "grant.download"]) assert.ok(actions.has(a), a);
      assert.ok(rows.some((r) => r.outcome === "failure"), "refusals are audited too");
    });

    test("a request goes only to nodes whose published catalogue matches", async () => {
      const catalogue = await env.nodes.get("hospital-b")!.catalogue();
      await env.publish("hospital-b", "catalogue.publish", catalogue.map((e) => ({ ...e, modality: "MR" })));
      try {
        const r = await env.call("POST", "/api/data-requests", { token: other.token, json: { query: { modality: ["CT"] }, purpose: "research", maxInstances: 1 } });
        await dataAccessOf(env.server.ctx).settled(r.json.id);
        const status = await env.call("GET", `/api/data-requests/${r.json.id}`, { token: other.token });
        assert.deepEqual(status.json.nodes.map((n: { nodeId: string }) => n.nodeId), ["hospital-a"]);
        assert.equal(status.json.grant.instances, 1);
        assert.equal(status.json.grant.userId, other.id);
      } finally {
        await env.publish("hospital-b", "catalogue.publish", catalogue);
      }
    });

    test("an expired grant serves nothing", async () => {
      await env.server.ctx.database.db.updateTable("grants").set({ expires_at: "2000-01-01T00:00:00.000Z" }).where("id", "=", grant.id).execute();
      try {
        const r = await env.call("GET", `${root}/studies`, { token: ds.token });
        assert.equal(r.status, 403);
        assert.equal(r.json.error, "grant-expired");
        assert.equal((await env.call("GET", `/api/grants/${grant.id}/download`, { token: ds.token })).json.error, "grant-expired");
        assert.equal((await env.call("GET", `/api/grants/${grant.id}`, { token: ds.token })).json.state, "expired");
      } finally {
        await env.server.ctx.database.db.updateTable("grants").set({ expires_at: grant.expiresAt }).where("id", "=", grant.id).execute();
      }
    });

    test("a revoked grant serves nothing", async () => {
      const r = await env.call("POST", `/api/grants/${grant.id}/revoke`, { token: admin.token });
      assert.equal(r.status, 200);
      assert.equal(r.json.state, "revoked");
      const q = await env.call("GET", `${root}/studies`, { token: ds.token });
      assert.equal(q.status, 403);
      assert.equal(q.json.error, "grant-revoked");
      assert.equal((await env.call("POST", `/api/grants/${grant.id}/revoke`, { token: dpo.token })).status, 409);
    });
  });
}
