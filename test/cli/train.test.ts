// `medtrace train` against a real server with three real edge processes: start with --watch follows
// the session to completion with its per-round table, status and download (tfjs zip, ONNX) work
// by session id, and wrong input or credentials give the documented exit codes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { type Net, SCIENTIST, startNet } from "../e2e/fl-network-support.ts";

const BIN = fileURLToPath(new URL("../../bin/medtrace.mjs", import.meta.url));
let net: Net;
let out: string;

function medtrace(args: string[], password = SCIENTIST.password): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MT_PW: password }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const auth = () => ["--server", net.server.url, "--user", SCIENTIST.username, "--password-env", "MT_PW"];

before(async () => {
  out = mkdtempSync(join(tmpdir(), "mt-train-cli-"));
  net = await startNet(3, 150);
});

after(async () => {
  await net?.close();
  rmSync(out, { recursive: true, force: true });
});

describe("medtrace train", () => {
  let id = "";

  test("start --watch follows the session to completion with a per-round table", async () => {
    const r = await medtrace(["train", "start", "--tag", "pneumonia", "--rounds", "2", "--min-examples", "20", "--seed", "cli", "--watch", ...auth()]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    id = /^session ([0-9a-f-]{36}) /m.exec(r.stdout)?.[1] ?? "";
    assert.ok(id, r.stdout);
    const lines = r.stdout.split("\n");
    const head = lines.findIndex((l) => l.startsWith("round  attempt  nodes"));
    assert.ok(head >= 0, r.stdout);
    assert.match(lines[head + 1], /^1 +1 +3 +- /);
    assert.match(lines[head + 2], /^2 +1 +3 +- /);
    assert.match(r.stdout, /state completed/);
    assert.match(r.stdout, /final federated evaluation: n \d+/);
    assert.match(r.stderr, /\[#{24}\] 2\/2 completed/, "the progress line reached the end");
  });

  test("status --json and download tfjs / onnx", async () => {
    const s = await medtrace(["train", "status", id, "--json", ...auth()]);
    assert.equal(s.code, 0, s.stderr);
    const v = JSON.parse(s.stdout).session;
    assert.equal(v.state, "completed");
    assert.equal(v.history.length, 2);
    const w = await medtrace(["train", "watch", id, ...auth()]);
    assert.equal(w.code, 0, "watching a finished session prints it and ends");
    assert.match(w.stdout, /^2 +1 +3 /m);
    const zip = join(out, "m.zip");
    const d = await medtrace(["train", "download", id, "--out", zip, ...auth()]);
    assert.equal(d.code, 0, d.stderr);
    const files = unzipSync(new Uint8Array(readFileSync(zip)));
    assert.equal(JSON.parse(Buffer.from(files["model.json"]).toString()).userDefinedMetadata.medtrace.modelHash, v.modelHash);
    const onnx = join(out, "m.onnx");
    assert.equal((await medtrace(["train", "download", id, "--format", "onnx", "--out", onnx, ...auth()])).code, 0);
    assert.ok(readFileSync(onnx).length > 1000);
  });

  test("usage errors exit 2, a wrong password 4, an unknown session 3, a bad config 1 with the server's message", async () => {
    assert.equal((await medtrace(["train", "start", ...auth()])).code, 2, "no --tag");
    assert.equal((await medtrace(["train", "start", "--tag", "p", "--rounds", "0", ...auth()])).code, 2);
    assert.equal((await medtrace(["train", "download", id, "--format", "pt", ...auth()])).code, 2);
    assert.equal((await medtrace(["train", "status", ...auth()])).code, 2, "no session id");
    assert.equal((await medtrace(["train", "status", id, "--server", net.server.url, "--user", "alice", "--password-env", "MT_NOT_SET"])).code, 2);
    const wrong = await medtrace(["train", "status", id, "--json", ...auth()], "wrong-password");
    assert.equal(wrong.code, 4);
    assert.equal(JSON.parse(wrong.stdout).error, "unauthorized");
    assert.equal((await medtrace(["train", "status", "00000000-0000-4000-8000-000000000000", ...auth()])).code, 3);
    const bad = await medtrace(["train", "start", "--tag", "p", "--strategy", "krum", ...auth()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /400 .*krum/);
  });
});
