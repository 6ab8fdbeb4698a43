import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { masterSecret } from "../../src/crypto/keys.ts";
import { resolveDemoData } from "../../src/demo/data.ts";
import { SYNTHETIC_LABEL, syntheticChestImages, syntheticCtSeries } from "../../src/demo/synthetic.ts";
import { readDicom, seriesToNrrd } from "../../src/imaging/index.ts";
import { decodeFile, markFile, restoreFile } from "../../src/watermark/files.ts";
import { watermarkKeys } from "../../src/watermark/reversible/index.ts";

const NOWHERE = join(tmpdir(), "medtrace-no-such-data-dir");
const payload = Buffer.from("PK\u0003\u0004 not really an npz, but bytes with a known checksum");
const md5 = createHash("md5").update(payload).digest("hex");
let server: Server;
let base = "";

before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/ok.npz") {
      res.writeHead(200, { "content-length": payload.length });
      res.end(payload);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe("demo data resolution", () => {
  test("--data wins, then $MEDTRACE_DATA, then ../shared/data; a --data folder without images is an error", async () => {
    const shared = process.env.MEDTRACE_DATA ?? "../shared/data";
    const fromFlag = await resolveDemoData({ dataFlag: shared, env: {}, download: false });
    assert.equal(fromFlag.origin, "flag");
    assert.ok(fromFlag.pneumoniaNpz && existsSync(fromFlag.pneumoniaNpz));
    assert.ok(fromFlag.ctDir && existsSync(fromFlag.ctDir));
    const fromEnv = await resolveDemoData({ env: { MEDTRACE_DATA: shared }, download: false });
    assert.equal(fromEnv.origin, "env");
    const fromDefault = await resolveDemoData({ env: {}, defaultDataDir: shared, download: false });
    assert.equal(fromDefault.origin, "default");
    assert.ok(fromDefault.ctDir && existsSync(fromDefault.ctDir));
    const empty = mkdtempSync(join(tmpdir(), "medtrace-empty-"));
    await assert.rejects(resolveDemoData({ dataFlag: empty, env: {}, download: false }), /no pneumoniamnist/);
  });

  test("a verified download lands in the cache and is used from there next time", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "medtrace-cache-"));
    const seen: number[] = [];
    const got = await resolveDemoData({ env: {}, defaultDataDir: NOWHERE, cacheDir, source: { url: `${base}/ok.npz`, md5 }, onProgress: (n) => seen.push(n) });
    assert.equal(got.origin, "download");
    assert.deepEqual(readFileSync(got.pneumoniaNpz as string), payload);
    assert.equal(seen.at(-1), payload.length);
    const again = await resolveDemoData({ env: {}, defaultDataDir: NOWHERE, cacheDir, download: false });
    assert.equal(again.origin, "cache");
  });

  test("a checksum mismatch or an unreachable server falls back to a labelled synthetic set and caches nothing", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "medtrace-cache-"));
    const wrong = await resolveDemoData({ env: {}, defaultDataDir: NOWHERE, cacheDir, source: { url: `${base}/ok.npz`, md5: "0".repeat(32) } });
    assert.equal(wrong.origin, "synthetic");
    assert.match(wrong.description, /SYNTHETIC.*checksum mismatch/);
    assert.equal(existsSync(join(cacheDir, "pneumoniamnist.npz")), false);
    const missing = await resolveDemoData({ env: {}, defaultDataDir: NOWHERE, cacheDir, source: { url: `${base}/missing.npz`, md5 } });
    assert.match(missing.description, /HTTP 404/);
  });
});

describe("synthetic phantoms", () => {
  test("the CT phantom is a labelled volume whose slices carry a reversible mark", () => {
    const series = syntheticCtSeries(6, 128);
    const first = readDicom(series[0] as Uint8Array);
    assert.equal(first.dict["0008103E"]?.Value?.[0], SYNTHETIC_LABEL);
    assert.equal(first.dict["00180015"]?.Value?.[0], "HEAD");
    const volume = seriesToNrrd(series);
    assert.deepEqual(volume.sizes, [128, 128, 6]);
    assert.equal(volume.type, "int16");
    const keys = watermarkKeys(masterSecret(new Uint8Array(32).fill(9), "demo-data-test"), 1);
    const marked = markFile(series[3] as Uint8Array, null, keys);
    assert.notEqual(marked.markedPixelSha256, marked.sourcePixelSha256);
    const decoded = decodeFile(marked.bytes, [keys]).decode;
    assert.deepEqual(decoded.token, marked.embed.token);
    assert.equal(restoreFile(marked.bytes, [keys]).restoredPixelSha256, marked.sourcePixelSha256);
  });

  test("the chest set has both classes and the opacities separate them", () => {
    const { images, labels } = syntheticChestImages(200);
    const positives = labels.filter((l) => l === 1).length;
    assert.ok(positives > 60 && positives < 180, `positives ${positives}`);
    const meanOf = (cls: number) => {
      const sel = images.filter((_, i) => labels[i] === cls);
      return sel.reduce((s, im) => s + im.reduce((a, b) => a + b, 0) / im.length, 0) / sel.length;
    };
    assert.ok(meanOf(1) > meanOf(0) + 5, `class means ${meanOf(0)} / ${meanOf(1)}`);
  });
});
