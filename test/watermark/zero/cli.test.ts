// `medtrace zero register|verify` end to end, through the real binary.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { dataPath } from "../../../src/util/data-path.ts";

const dir = mkdtempSync(join(tmpdir(), "zw-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(process.cwd(), "bin", "medtrace.mjs");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, "--cache-dir", join(dir, "cache")], {
    encoding: "utf8",
    env: { ...process.env, MEDTRACE_MASTER_SECRET: "" },
  });

test("zero register then verify: exit 0 on the image, 3 on another, clear error on a broken share", () => {
  const key = join(dir, "key.json");
  const share = join(dir, "share.json");
  assert.equal(spawnSync(process.execPath, [bin, "keys", "init", "--out", key]).status, 0);
  const boat = dataPath("images", "boat.png");
  const reg = run(
    "zero",
    "register",
    boat,
    "--identity",
    "boat-1",
    "--key-file",
    key,
    "--out",
    share,
  );
  assert.equal(reg.status, 0, reg.stderr);
  const ok = run("zero", "verify", boat, "--share", share, "--key-file", key, "--json");
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), {
    ok: true,
    match: true,
    ber: 0,
    nc: 1,
    ncPm: 1,
    decision: "match",
  });
  const ct = run(
    "zero",
    "verify",
    dataPath("ct-head", "slice-050.dcm"),
    "--share",
    share,
    "--key-file",
    key,
    "--json",
  );
  assert.equal(ct.status, 3);
  const res = JSON.parse(ct.stdout);
  assert.equal(res.match, false);
  assert.ok(res.ber >= 0.35);
  const bad = join(dir, "bad.json");
  writeFileSync(bad, '{"alg": "zw/frrom-racah/v1", "params": ');
  const broken = run("zero", "verify", boat, "--share", bad, "--key-file", key, "--json");
  assert.equal(broken.status, 1);
  assert.equal(JSON.parse(broken.stdout).error, "ZW_SHARE_INVALID");
});
