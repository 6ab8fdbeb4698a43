import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Harness, startHarness, until } from "./helpers.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/hanging-node.ts", import.meta.url));
let h: Harness;

before(async () => {
  h = await startHarness();
});
after(() => h.close());

test("a node killed mid-call: the call rejects after its timeout, naming the cause", async () => {
  const creds = await h.enrol("hosp-k");
  const cfgPath = join(h.dir, "hosp-k.json");
  writeFileSync(cfgPath, JSON.stringify({ url: h.port.url, ...creds, serverKey: h.serverKeyPem }), { mode: 0o600 });
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, cfgPath], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  try {
    await until(() => out.includes("connected"), "the node process to connect", 40_000);
    const call = h.port.call("hosp-k", "data.request", { requestId: "r1" }, { timeoutMs: 4000 });
    const outcome = call.then(
      () => "resolved",
      (e: Error & { code?: string }) => e,
    );
    await until(() => out.includes("task data.request"), "the node to take the task");
    child.kill("SIGKILL");
    const e = await outcome;
    assert.ok(e instanceof Error);
    assert.equal((e as { code?: string }).code, "node-timeout");
    assert.match(e.message, /hosp-k.*data\.request.*4000 ms.*took the task and then disconnected/);
  } finally {
    child.kill("SIGKILL");
  }
});

test("a call to a node that is not connected rejects after its timeout", async () => {
  await h.enrol("hosp-off");
  await assert.rejects(h.port.call("hosp-off", "catalogue.get", {}, { timeoutMs: 300 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, "node-timeout");
    assert.match(e.message, /not connected/);
    return true;
  });
});
