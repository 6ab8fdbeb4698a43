import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeError } from "../../src/edge/errors.ts";
import {
  boundaryOf,
  FolderSource,
  openSource,
  OrthancSource,
  parseLabelsCsv,
  parseMultipart,
} from "../../src/edge/sources/index.ts";
import { DICOMWEB_PLUGIN, ORTHANC_BIN, sourceCases, writeFixtureFolder } from "./source-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "medtrace-source-"));
writeFixtureFolder(dir);

describe("folder source", () => {
  for (const c of sourceCases) test(c.name, () => c.run(new FolderSource(dir)));

  test("a DICOM attribute can supply labels too", async () => {
    const studies = await new FolderSource(dir, { labelAttribute: "(0008,103E)" }).listStudies();
    const ct = studies.find((s) => s.series[0].bodyPart === "HEAD");
    assert.deepEqual(ct?.labels, ["Axial 1.5 mm", "ct, head", "head"]);
    assert.throws(() => new FolderSource(dir, { labelAttribute: "SeriesDescription" }), /not a tag/);
  });

  test("skips files that are not DICOM and lists broken ones", async () => {
    const own = mkdtempSync(join(tmpdir(), "medtrace-source-"));
    writeFixtureFolder(own);
    writeFileSync(join(own, "broken.dcm"), Buffer.concat([Buffer.alloc(128), Buffer.from("DICM"), Buffer.alloc(10, 0xff)]));
    const source = new FolderSource(own);
    assert.equal((await source.listStudies()).length, 3);
    assert.deepEqual([...source.skipped.keys()], [join(own, "broken.dcm")]);
  });
});

/** `unshare -n` needs root or user namespaces; the test says which isolation it got. */
function isolation(): { prefix: string[]; port: number | undefined; mode: string } {
  for (const flags of process.getuid?.() === 0 ? ["-n", "-rn"] : ["-rn"]) {
    if (spawnSync("unshare", [flags, "true"]).status === 0) {
      return { prefix: ["unshare", flags, "sh", "-c", 'ip link set lo up && exec "$0" "$@"'], port: 8042, mode: `unshare ${flags}` };
    }
  }
  return { prefix: [], port: undefined, mode: "plain loopback (unshare not permitted)" };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("orthanc source (real Orthanc over DICOMweb)", () => {
  const results = new Map<string, { ok: boolean; error?: string }>();
  let mode = "";

  before(async () => {
    assert.ok(existsSync(ORTHANC_BIN) && existsSync(DICOMWEB_PLUGIN), "Debian packages orthanc and orthanc-dicomweb are needed");
    const iso = isolation();
    mode = iso.mode;
    const port = iso.port ?? (await freePort());
    const cmd = [...iso.prefix, process.execPath, "--import", "tsx", join("test", "edge", "orthanc-child.ts"), dir, String(port)];
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once("exit", r));
    for (const line of out.split("\n").filter((l) => l.startsWith("RESULT "))) {
      const r = JSON.parse(line.slice(7)) as { name: string; ok: boolean; error?: string };
      results.set(r.name, r);
    }
  });

  test("Orthanc started and took the fixture", (t) => {
    t.diagnostic(`isolation: ${mode}`);
    assert.equal(results.get("setup"), undefined, results.get("setup")?.error);
  });

  for (const c of sourceCases) {
    test(c.name, () => {
      const r = results.get(c.name);
      assert.ok(r, `no result for "${c.name}" (setup: ${results.get("setup")?.error ?? "ok"})`);
      assert.ok(r.ok, r.error);
    });
  }
});

describe("source specs, labels and multipart", () => {
  test("openSource picks the source from the spec", () => {
    assert.equal(openSource(`folder:${dir}`).kind, "folder");
    assert.equal(openSource(dir).kind, "folder");
    const o = openSource("orthanc:https://user:secret@pacs.example/dicom-web");
    assert.equal(o.kind, "orthanc");
    assert.equal(o.description, "orthanc:https://pacs.example/dicom-web");
    assert.ok(o instanceof OrthancSource);
  });

  test("bad specs are SOURCE_SPEC errors", () => {
    for (const spec of ["ftp://x", "orthanc:not a url", "folder:/no/such/dir", "orthanc:file:///etc"]) {
      assert.throws(() => openSource(spec), (e: unknown) => e instanceof EdgeError && e.code === "SOURCE_SPEC", spec);
    }
  });

  test("labels.csv: header required, quoted fields, labels merged per key", () => {
    const m = parseLabelsCsv('key,labels\n1.2.3,"a, b";c\n1.2.3,d\n');
    assert.deepEqual(m.get("1.2.3"), ["a, b", "c", "d"]);
    assert.throws(() => parseLabelsCsv("path,class\n1,2\n"), (e: unknown) => e instanceof EdgeError && e.code === "LABELS_CSV");
    assert.throws(() => parseLabelsCsv("key,labels\nonly-a-key\n"), /row 2/);
    assert.throws(() => parseLabelsCsv(`key,labels\n1.2,${"x".repeat(65)}\n`), /longer than 64/);
    assert.deepEqual(parseLabelsCsv("file,label,split\na/b.dcm,pneumonia,train\n").get("a/b.dcm"), ["pneumonia"]);
  });

  test("multipart/related: parts split on the boundary, truncation refused", () => {
    const boundary = boundaryOf('multipart/related; type="application/dicom"; boundary="b-1"');
    assert.equal(boundary, "b-1");
    const body = Buffer.from("preamble\r\n--b-1\r\nContent-Type: application/dicom\r\n\r\nAB\r\nC\r\n--b-1\r\n\r\nxyz\r\n--b-1--\r\n");
    const parts = parseMultipart(body, boundary);
    assert.deepEqual(parts.map((p) => Buffer.from(p.body).toString()), ["AB\r\nC", "xyz"]);
    assert.equal(parts[0].headers["content-type"], "application/dicom");
    assert.throws(() => parseMultipart(Buffer.from("--b-1\r\n\r\nAB"), "b-1"), /truncated/);
    assert.throws(() => boundaryOf("application/json"), (e: unknown) => e instanceof EdgeError && e.code === "SOURCE_BAD_RESPONSE");
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));
