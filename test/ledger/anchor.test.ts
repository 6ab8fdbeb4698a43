// EVM anchoring on a Hardhat 2 node started here on 127.0.0.1 (ledger.md §13.5), fully offline.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { Wallet } from "ethers";
import { compileAnchor } from "../../src/ledger/anchors/compile.ts";
import { anchorArtifact, anchorWriterKey, EvmAnchor, originHash, rpcProvider } from "../../src/ledger/anchors/evm.ts";
import { verifyLog } from "../../src/ledger/index.ts";
import { fixture, populate } from "./helpers.ts";
import { DEMO_MASTER } from "./mix.ts";

// Hardhat's well-known development accounts #0 and #1 (funded on the local network only).
const OWNER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const CHAIN_ID = 31337;

let node: ChildProcess | null = null;
let url = "";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve("hardhat/internal/cli/bootstrap.js");
  node = spawn(process.execPath, [bin, "--config", "contracts/hardhat.config.cjs", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start:\n${log}`)), 90_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes("Started HTTP")) {
        clearTimeout(timer);
        resolve();
      }
    };
    node!.stdout!.on("data", onData);
    node!.stderr!.on("data", onData);
    node!.on("exit", (code) => reject(new Error(`hardhat node exited (${code}):\n${log}`)));
  });
  url = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once("exit", r));
    node.kill("SIGTERM");
    await exited;
  }
});

test("the committed artefact is reproduced byte for byte by npm solc", () => {
  const source = readFileSync("contracts/MedtraceAnchor.sol", "utf8");
  const fresh = compileAnchor(source);
  assert.deepEqual(JSON.parse(JSON.stringify(fresh)), anchorArtifact);
  assert.ok(!anchorArtifact.deployedBytecode.includes("5f5f"), "no PUSH0 pairs expected for paris");
});

test("20 rounds of 500 appends anchored on Hardhat; events verify; guards; forged root caught", async () => {
  const f = await fixture({ checkpointEvery: 1000 });
  const provider = rpcProvider(url, CHAIN_ID);
  try {
    const owner = await EvmAnchor.deploy({ provider, chainId: CHAIN_ID, signer: OWNER_KEY, origin: f.ledger.origin });
    assert.equal(await owner.originHash(), originHash(f.ledger.origin));
    // The writer key is derived from the master secret (§13.4) and allowed by the owner.
    const writerKey = anchorWriterKey(DEMO_MASTER, 1);
    const writerAddr = new Wallet(writerKey).address;
    const ownerWallet = new Wallet(OWNER_KEY, provider);
    await (await ownerWallet.sendTransaction({ to: writerAddr, value: 10n ** 18n })).wait();
    await (await owner.contract.getFunction("setWriter")(writerAddr, true)).wait();
    const writer = new EvmAnchor({ provider, chainId: CHAIN_ID, address: owner.address, signer: writerKey });

    for (let round = 0; round < 20; round++) {
      await populate(f.ledger, 500, round * 500);
      const r = await writer.publish(await f.ledger.checkpoint()).catch((e) => {
        throw e;
      });
      f.store.addAnchor({ ...r, rootHash: r.root, createdAt: new Date().toISOString() });
      assert.equal(r.anchorIndex, round);
    }
    assert.equal(await f.ledger.anchor(writer), null, "nothing new to anchor");
    const listed = await writer.list();
    assert.equal(listed.length, 20);
    assert.deepEqual(await f.ledger.checkAnchors(writer), []);
    const report = verifyLog(f.store, {
      trustedKeys: [f.ledger.verifierKey],
      external: listed.map((a) => ({ size: a.treeSize, root: a.root, source: "anchor" as const })),
    });
    assert.equal(report.ok, true, JSON.stringify(report.firstError));
    assert.equal(report.anchorsChecked, 20);

    // Guards: a non-writer, and a shrinking size.
    const other = new EvmAnchor({ provider, chainId: CHAIN_ID, address: owner.address, signer: OTHER_KEY });
    await assert.rejects(other.publish({ size: f.ledger.size + 1, root: new Uint8Array(32) }), (e: Error & { reason?: string }) => /not writer/.test(e.reason ?? e.message));
    await assert.rejects(writer.publish({ size: 5, root: f.ledger.rootAt(5) }), (e: Error & { reason?: string }) => /tree size must grow/.test(e.reason ?? e.message));
    await assert.rejects(other.contract.getFunction("setWriter")(writerAddr, false), (e: Error & { reason?: string }) => /not owner/.test(e.reason ?? e.message));

    // An authorised writer anchors a wrong root (T11 on chain).
    await populate(f.ledger, 10, 20_000);
    const forged = await writer.publish({ size: f.ledger.size, root: f.ledger.rootAt(f.ledger.size - 1) });
    const findings = await f.ledger.checkAnchors(writer);
    assert.deepEqual(findings.map((x) => [x.code, x.size]), [["ANCHOR_MISMATCH", f.ledger.size]]);
    f.store.addAnchor({ ...forged, rootHash: forged.root, createdAt: new Date().toISOString() });
    const bad = verifyLog(f.store, { trustedKeys: [f.ledger.verifierKey] });
    assert.equal(bad.firstError?.code, "ANCHOR_MISMATCH");

    // Ledger.anchor: publishes the grown tree and logs checkpoint.anchored.
    await populate(f.ledger, 10, 30_000);
    const r = await f.ledger.anchor(writer, { logEntry: true });
    assert.ok(r && r.treeSize === f.ledger.size - 1);
    assert.equal(f.ledger.entry(f.ledger.size - 1).entry.type, "checkpoint.anchored");
  } finally {
    provider.destroy();
    await f.cleanup();
  }
});

test("CLI: ledger anchor --deploy, then --check", async () => {
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { createMasterFile, readMasterFile } = await import("../../src/crypto/index.ts");
  const { Ledger, ledgerSigner, SqliteLedgerStore } = await import("../../src/ledger/index.ts");
  const { mixEntry } = await import("./mix.ts");
  const dir = mkdtempSync(join(tmpdir(), "medtrace-anchor-cli-"));
  const provider = rpcProvider(url, CHAIN_ID);
  try {
    const keyFile = join(dir, "master.json");
    const db = join(dir, "ledger.db");
    createMasterFile(keyFile, "anchor.medtrace.local");
    const master = readMasterFile(keyFile);
    const store = SqliteLedgerStore.open(db);
    const ledger = await Ledger.open(store, ledgerSigner(master), { deploymentId: master.deploymentId, checkpointAfterMs: 0 });
    await ledger.append(Array.from({ length: 30 }, (_, k) => mixEntry(k)));
    await ledger.close();
    store.close();
    // The writer key is derived from this deployment's master secret; fund it on the local chain.
    const ownerWallet = new Wallet(OWNER_KEY, provider);
    await (await ownerWallet.sendTransaction({ to: new Wallet(anchorWriterKey(master, 1)).address, value: 10n ** 18n })).wait();
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, ["bin/medtrace.mjs", "ledger", "anchor", "--db", db, "--key-file", keyFile, "--rpc", url, "--json", ...args], { encoding: "utf8" });
      return { code: r.status, json: r.stdout ? JSON.parse(r.stdout) : null, err: r.stderr };
    };
    const deployed = run("--deploy", "--log-entry");
    assert.equal(deployed.code, 0, deployed.err);
    assert.equal(deployed.json.anchored, true);
    assert.equal(deployed.json.treeSize, 31);
    const checked = run("--contract", deployed.json.contract, "--check");
    assert.equal(checked.code, 0, checked.err);
    assert.deepEqual(checked.json.findings, []);
  } finally {
    provider.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
