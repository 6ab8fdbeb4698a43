// `medtrace server` as a process: HTTPS with a given certificate, the first admin's one-time
// password printed on first start only, plain HTTP refused off loopback, clean stop on SIGTERM.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { webcrypto } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { x509 } from "../../src/crypto/x509.ts";

const BIN = join(import.meta.dirname, "../../bin/medtrace.mjs");
const ENV = { ...process.env, MEDTRACE_MASTER_SECRET: Buffer.alloc(32, 7).toString("base64") };

async function selfSigned(dir: string): Promise<{ cert: string; key: string; pem: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=127.0.0.1",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }])],
  });
  const pem = cert.toString("pem");
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
  writeFileSync(join(dir, "cert.pem"), pem);
  writeFileSync(join(dir, "key.pem"), keyPem, { mode: 0o600 });
  return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem"), pem };
}

/** Starts the server and resolves with its --json start-up line. */
function start(args: string[]): Promise<{ child: ChildProcess; info: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const child = spawn(process.execPath, [BIN, "server", "--port", "0", "--json", ...args], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, info: JSON.parse(out.slice(0, nl)) });
    });
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

const stop = (child: ChildProcess) => new Promise<number | null>((r) => (child.once("exit", (code) => r(code)), child.kill("SIGTERM")));

describe("medtrace server (process)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "medtrace-server-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("HTTPS with the given certificate; the one-time admin password is printed on first start only", async () => {
    const tls = await selfSigned(dir);
    const data = join(dir, "data");
    const { child, info } = await start(["--data-dir", data, "--tls-cert", tls.cert, "--tls-key", tls.key]);
    try {
      assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(info.firstAdmin.username, "admin");
      assert.ok(info.firstAdmin.password.length >= 20);
      const health = await new Promise<{ status: number; body: string }>((resolve, reject) =>
        get(`${info.url}/api/health`, { ca: tls.pem }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject),
      );
      assert.equal(health.status, 200);
      assert.equal(JSON.parse(health.body).ok, true);
    } finally {
      assert.equal(await stop(child), 0, "SIGTERM stops it cleanly");
    }
    const again = await start(["--data-dir", data]);
    try {
      assert.match(again.info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(again.info.firstAdmin, undefined, "no second one-time password");
      const login = await fetch(`${again.info.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: info.firstAdmin.password }),
      });
      assert.equal(login.status, 200, "the first start's password still opens the account");
      assert.equal(((await login.json()) as { user: { mustChangePassword: boolean } }).user.mustChangePassword, true);
    } finally {
      await stop(again.child);
    }
  });

  test("plain HTTP on a non-loopback address is refused (exit 2) before anything listens", () => {
    const r = spawnSync(process.execPath, [BIN, "server", "--host", "0.0.0.0", "--data-dir", join(dir, "other")], { env: ENV, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refusing plain HTTP on 0\.0\.0\.0/);
    const half = spawnSync(process.execPath, [BIN, "server", "--tls-cert", "x.pem"], { env: ENV, encoding: "utf8" });
    assert.equal(half.status, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
  });
});
