// Alerts on SQLite and PostgreSQL: a lock-out reaches an open SSE stream, Last-Event-ID replays
// what was missed, and webhooks receive signed deliveries, retried after a failure.
import assert from "node:assert/strict";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { SIGNATURE_HEADER, verifySignature } from "../../src/server/alerts/index.ts";
import { type Api, BACKENDS, startApi, type TestUser } from "./api-helpers.ts";

interface Delivery {
  body: string;
  signature: string | undefined;
}

/** A webhook receiver on 127.0.0.1 answering 500 to the first `failFirst` deliveries. */
async function receiver(failFirst: number): Promise<{ url: string; got: Delivery[]; close(): Promise<void> }> {
  const got: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ body: Buffer.concat(chunks).toString("utf8"), signature: req.headers[SIGNATURE_HEADER] as string | undefined });
      res.writeHead(got.length <= failFirst ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** An SSE client that collects `event: alert` messages. */
function openStream(base: string, token: string, lastEventId?: string) {
  const events: { id: string; data: { kind: string; id: number } }[] = [];
  const waiters: (() => void)[] = [];
  let res: IncomingMessage | undefined;
  const ready = new Promise<number>((resolve, reject) => {
    const req = get(`${base}/api/alerts/stream`, { headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) } }, (r) => {
      res = r;
      let buf = "";
      r.setEncoding("utf8");
      r.on("data", (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const fields = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
          if (fields.event === "alert") {
            events.push({ id: fields.id, data: JSON.parse(fields.data) });
            waiters.splice(0).forEach((w) => w());
          }
        }
      });
      resolve(r.statusCode ?? 0);
    });
    req.on("error", reject);
  });
  return {
    ready,
    events,
    async until(n: number) {
      while (events.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    close: () => res?.destroy(),
  };
}

for (const backend of BACKENDS) {
  describe(`alerts (${backend})`, () => {
    let api: Api;
    let admin: TestUser;
    let dpo: TestUser;
    before(async () => {
      api = await startApi(backend, { login: { maxFailures: 2 }, webhook: { attempts: 3, baseDelayMs: 20 } });
      admin = await api.user("ada", ["consortium-admin"]);
      dpo = await api.user("dora", ["dpo"]);
    });
    after(() => api.close());

    async function lockOut(username: string) {
      await api.user(username, ["data-scientist"]);
      for (const guess of ["a", "b"]) await api.call("POST", "/api/auth/login", { json: { username, password: guess } });
    }

    test("an open SSE stream receives the lock-out alert; Last-Event-ID replays missed alerts", async () => {
      const stream = openStream(api.base, dpo.token);
      assert.equal(await stream.ready, 200);
      await lockOut("mallory");
      await stream.until(1);
      stream.close();
      const first = stream.events.find((e) => e.data.kind === "auth.lockout");
      assert.ok(first, `got ${stream.events.map((e) => e.data.kind).join(", ")}`);
      assert.equal(first.id, String(first.data.id));
      assert.ok((await api.server.ctx.audit.search({ action: "alerts.stream", limit: 10, offset: 0 })).total >= 1, "opening a stream is audited");

      await lockOut("trudy"); // raised while nobody listens
      const replay = openStream(api.base, dpo.token, first.id);
      assert.equal(await replay.ready, 200);
      await replay.until(1);
      replay.close();
      assert.ok(replay.events.every((e) => e.data.id > first.data.id));
      assert.ok(replay.events.some((e) => e.data.kind === "auth.lockout"));
    });

    test("webhooks: signed with HMAC-SHA256 of the body, retried after a 500, filtered by kind", async () => {
      const hook = await receiver(1);
      const quiet = await receiver(0);
      try {
        const created = await api.call("POST", "/api/webhooks", { token: admin.token, json: { url: hook.url, minSeverity: "warning" } });
        assert.equal(created.status, 201);
        const secret = created.json.secret as string;
        await api.call("POST", "/api/webhooks", { token: admin.token, json: { url: quiet.url, kinds: ["trace.hit"] } });

        await lockOut("eve");
        await api.server.ctx.alerts.webhooks.settle();
        const lockouts = hook.got.filter((d) => JSON.parse(d.body).alert.kind === "auth.lockout");
        assert.equal(lockouts.length, 2, "one failed attempt, one retry");
        assert.equal(lockouts[0].body, lockouts[1].body, "a retry resends the same delivery");
        for (const d of lockouts) assert.ok(verifySignature(secret, d.body, d.signature), "signature verifies");
        assert.equal(verifySignature(secret, `${lockouts[0].body} `, lockouts[0].signature), false, "a changed body does not");
        assert.equal(verifySignature("another secret", lockouts[0].body, lockouts[0].signature), false, "another secret does not");
        assert.equal(quiet.got.length, 0, "a webhook for trace.hit only gets no lock-out");

        const listed = await api.call("GET", "/api/webhooks", { token: admin.token });
        const mine = listed.json.webhooks.find((w: { url: string }) => w.url === hook.url);
        assert.equal(mine.lastStatus, "200");
        assert.equal(JSON.stringify(listed.json).includes(secret), false, "the secret is shown once, at creation");

        const del = await api.call("DELETE", `/api/webhooks/${mine.id}`, { token: admin.token });
        assert.equal(del.status, 200);
        assert.equal((await api.call("DELETE", `/api/webhooks/${mine.id}`, { token: admin.token })).status, 404);
        const bad = await api.call("POST", "/api/webhooks", { token: admin.token, json: { url: "ftp://example.org/x" } });
        assert.equal(bad.status, 400);
      } finally {
        await hook.close();
        await quiet.close();
      }
    });

    test("the alert list pages by id", async () => {
      const all = await api.call("GET", "/api/alerts?limit=1000", { token: dpo.token });
      assert.ok(all.json.alerts.length >= 3);
      const after = await api.call("GET", `/api/alerts?after=${all.json.alerts[0].id}`, { token: dpo.token });
      assert.equal(after.json.alerts.length, all.json.alerts.length - 1);
      assert.equal((await api.call("GET", "/api/alerts?limit=0", { token: dpo.token })).status, 400);
    });
  });
}
