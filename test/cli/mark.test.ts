// The `medtrace` command as a user runs it: exit codes, --json, files written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dataPath } from "../../src/util/data-path.ts";

const BIN = new URL("../../bin/medtrace.mjs", import.meta.url).pathname;

function medtrace(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, MEDTRACE_MASTER_SECRET: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

const dir = mkdtempSync(join(tmpdir(), "medtrace-cli-"));
const key = join(dir, "master.json");

test("keys init writes a 0600 key file and refuses to overwrite it", () => {
  assert.equal(medtrace("keys", "init", "--out", key).code, 0);
  assert.equal(statSync(key).mode & 0o777, 0o600);
  const again = medtrace("keys", "init", "--out", key, "--json");
  assert.equal(again.code, 1);
  assert.equal(again.json().error, "KEY_FILE_EXISTS");
});

test("mark embed, decode and restore a DICOM slice; the restored pixels hash to the source", () => {
  const marked = join(dir, "marked.dcm");
  const embed = medtrace(
    "mark",
    "embed",
    dataPath("ct-head", "slice-010.dcm"),
    marked,
    "--key-file",
    key,
    "--json",
  );
  assert.equal(embed.code, 0, embed.stderr);
  const e = embed.json();
  assert.match(e.token, /^[0-9a-f]{32}$/);
  assert.ok(e.psnrDynamicRange > 70);
  const decoded = medtrace("mark", "decode", marked, "--key-file", key, "--json");
  assert.equal(decoded.code, 0);
  assert.equal(decoded.json().token, e.token);
  const restoredPath = join(dir, "restored.dcm");
  const restored = medtrace("mark", "restore", marked, restoredPath, "--key-file", key, "--json");
  assert.equal(restored.code, 0);
  assert.equal(restored.json().restoredPixelSha256, e.sourcePixelSha256);
  assert.ok(existsSync(restoredPath));
});

test("decode of an unmarked image exits 3 with 'no watermark detected'", () => {
  const r = medtrace("mark", "decode", dataPath("ct-head", "slice-020.dcm"), "--key-file", key);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /no watermark detected/);
});

test("refusals exit 4 (capacity, lossy source); usage errors exit 2; a missing key says how to make one", () => {
  const small = medtrace(
    "mark",
    "embed",
    dataPath("dicom", "pydicom", "MR_small.dcm"),
    join(dir, "x.dcm"),
    "--key-file",
    key,
    "--json",
  );
  assert.equal(small.code, 4);
  assert.equal(small.json().error, "WM_CAPACITY");
  const lossy = medtrace(
    "mark",
    "embed",
    dataPath("dicom", "pydicom", "JPEG-lossy.dcm"),
    join(dir, "y.dcm"),
    "--key-file",
    key,
  );
  assert.equal(lossy.code, 4);
  assert.match(lossy.stderr, /lossy/);
  assert.equal(medtrace("mark", "embed", "only-one-arg").code, 2);
  assert.equal(medtrace("mark", "frobnicate").code, 2);
  const nokey = medtrace("mark", "decode", dataPath("ct-head", "slice-020.dcm"));
  assert.equal(nokey.code, 1);
  assert.match(nokey.stderr, /keys init/);
  const garbage = medtrace("mark", "decode", dataPath("README.md"), "--key-file", key, "--json");
  assert.equal(garbage.code, 1);
  assert.equal(garbage.json().error, "IMG_UNSUPPORTED");
});

test("capacity mode: embed N bits, then extract them and restore the source exactly", () => {
  const out = join(dir, "cap.png");
  const r = medtrace("mark", "embed", dataPath("images", "boat.png"), out, "--mode", "capacity", "--bits", "1158", "--seed", "s", "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = r.json();
  assert.equal(j.payloadBits, 1158);
  assert.ok(j.psnr > 63.48 + 2, `PSNR ${j.psnr} beats the reference's 63.48 dB by 2 dB`);
  const restoredPath = join(dir, "cap-restored.png");
  const x = medtrace("mark", "extract", out, restoredPath, "--tau", String(j.tau), "--bits", "1158", "--json");
  assert.equal(x.code, 0, x.stderr);
  const again = medtrace("mark", "embed", dataPath("images", "boat.png"), join(dir, "cap2.png"), "--mode", "capacity", "--bits", "1158", "--seed", "s", "--json");
  assert.equal(x.json().payloadHex.length, Math.ceil(1158 / 8) * 2);
  // Same seed, same bits: the extracted payload is what was embedded; the image is the source.
  const y = medtrace("mark", "extract", join(dir, "cap2.png"), join(dir, "cap2-restored.png"), "--tau", String(again.json().tau), "--bits", "1158", "--json");
  assert.equal(y.json().payloadHex, x.json().payloadHex);
  assert.deepEqual(readFileSync(restoredPath).length > 0, true);
  const restoredHash = medtrace("mark", "decode", restoredPath, "--key-file", key, "--json").json().pixelSha256;
  const sourceHash = medtrace("mark", "decode", dataPath("images", "boat.png"), "--key-file", key, "--json").json().pixelSha256;
  assert.equal(restoredHash, sourceHash);
  assert.equal(medtrace("mark", "extract", out, restoredPath, "--tau", "-1", "--bits", "5").code, 2);
  assert.equal(medtrace("mark", "embed", dataPath("images", "boat.png"), out, "--mode", "capacity", "--bits", "10000000").code, 4);
});

test("bad --token / --epoch are usage errors; restoring an unmarked image exits 3; older epochs decode", () => {
  const png = dataPath("images", "baboon.png");
  assert.equal(medtrace("mark", "embed", png, join(dir, "t.png"), "--key-file", key, "--token", "xyz").code, 2);
  assert.equal(medtrace("mark", "decode", png, "--key-file", key, "--epoch", "0").code, 2);
  const restore = medtrace("mark", "restore", png, join(dir, "r.png"), "--key-file", key);
  assert.equal(restore.code, 3);
  assert.match(restore.stdout, /no watermark detected/);
  const marked = join(dir, "e1.png");
  const token = "00112233445566778899aabbccddeeff";
  assert.equal(medtrace("mark", "embed", png, marked, "--key-file", key, "--token", token).code, 0);
  const decoded = medtrace("mark", "decode", marked, "--key-file", key, "--epoch", "2", "--json");
  assert.equal(decoded.code, 0);
  assert.equal(decoded.json().token, token);
  assert.equal(decoded.json().planes[0].epoch, 1);
});

test("demo watermark runs the watermark and tracing stories end to end", () => {
  const out = mkdtempSync(join(tmpdir(), "medtrace-demo-"));
  const r = medtrace("demo", "watermark", "--out", out, "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = r.json();
  assert.equal(j.ok, true);
  assert.deepEqual(
    j.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok]),
    [
      "mark",
      "decode",
      "restore",
      "tampered-leak",
      "unrelated",
      "share",
      "trace-exact copy",
      "trace-one pixel changed",
      "trace-JPEG quality 50",
      "evidence",
      "trace-unrelated",
      "audit",
    ].map((step) => [step, true]),
  );
  assert.equal(statSync(join(out, "master.json")).mode & 0o777, 0o600);
  // The follow-up command the demo prints works on what it left behind.
  const traced = medtrace("trace", join(out, "leak-2.dcm"), "--db", join(out, "ledger.sqlite"), "--key-file", join(out, "master.json"), "--json");
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.json().method, "rw");
});
