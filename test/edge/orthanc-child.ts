// Runs the shared source suite against a real Orthanc. Started by sources.test.ts inside a
// private network namespace (unshare -n), so Orthanc's HTTP port exists only in here; prints one
// "RESULT <json>" line per case for the parent test.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OrthancSource } from "../../src/edge/sources/index.ts";
import { DICOMWEB_PLUGIN, ORTHANC_BIN, sourceCases } from "./source-suite.ts";

const [fixtureDir, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 8042);

async function waitUp(base: string, orthanc: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (orthanc.exitCode !== null) throw new Error(`Orthanc exited with ${orthanc.exitCode}`);
    try {
      const res = await fetch(`${base}/system`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("Orthanc did not start within 30 s");
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "medtrace-orthanc-"));
  const config = {
    Name: "medtrace-test",
    StorageDirectory: join(work, "db"),
    IndexDirectory: join(work, "db"),
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: "/dicom-web/" },
  };
  writeFileSync(join(work, "orthanc.json"), JSON.stringify(config));
  const orthanc = spawn(ORTHANC_BIN, [join(work, "orthanc.json")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  orthanc.stderr?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUp(base, orthanc);
    for (const name of readdirSync(fixtureDir).filter((n) => n.endsWith(".dcm"))) {
      const res = await fetch(`${base}/instances`, { method: "POST", body: readFileSync(join(fixtureDir, name)) });
      if (!res.ok) throw new Error(`upload of ${name}: HTTP ${res.status}`);
    }
    const source = new OrthancSource(`${base}/dicom-web`, { labelsCsv: join(fixtureDir, "labels.csv") });
    for (const c of sourceCases) {
      try {
        await c.run(source);
        console.log(`RESULT ${JSON.stringify({ name: c.name, ok: true })}`);
      } catch (err) {
        console.log(`RESULT ${JSON.stringify({ name: c.name, ok: false, error: String((err as Error).stack ?? err) })}`);
      }
    }
  } catch (err) {
    console.log(`RESULT ${JSON.stringify({ name: "setup", ok: false, error: `${(err as Error).message}\n${log}` })}`);
  } finally {
    orthanc.kill("SIGTERM");
    await new Promise((r) => orthanc.once("exit", r));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
