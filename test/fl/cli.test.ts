import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const run = (args: string[]) =>
  spawnSync(process.execPath, ["bin/medtrace.mjs", "fl", ...args], {
    encoding: "utf8",
    env: process.env,
  });

test("medtrace fl simulate --json runs a tiny federation and reports per-round metrics", () => {
  const r = run([
    "simulate",
    "--nodes",
    "3",
    "--rounds",
    "1",
    "--subset",
    "90",
    "--split",
    "dirichlet:1",
    "--json",
  ]);
  assert.equal(r.status, 0, r.stderr.slice(0, 500));
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, true);
  assert.equal(out.backend, "wasm");
  assert.equal(out.rounds.length, 1);
  assert.equal(out.config.secagg, true);
  assert.ok(out.final.auc >= 0 && out.final.auc <= 1);
  assert.match(out.final.modelHash, /^[0-9a-f]{64}$/);
});

test("medtrace fl refuses bad arguments with exit 2 and robust strategies under secure aggregation", () => {
  assert.equal(run(["simulate", "--split", "zipf"]).status, 2);
  assert.equal(run(["simulate", "--strategy", "magic"]).status, 2);
  assert.equal(run(["train"]).status, 2);
  const r = run(["simulate", "--strategy", "krum", "--subset", "30", "--json"]);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error, "CONFIG_INVALID");
});
