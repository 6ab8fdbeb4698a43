// `medtrace ledger …`: audit, inspect and checkpoint a ledger database (ledger.md §12, §14).
import { existsSync } from "node:fs";
import { loadMasterSecret } from "../../crypto/index.ts";
import {
  type HeldCheckpoint,
  Ledger,
  LedgerError,
  ledgerSigner,
  type NoteVerifierKey,
  parseVkey,
  isPostgresUrl,
  type LedgerStore,
  openLedgerStore,
  toHex,
  verifyCheckpointNote,
  verifyLog,
  verifyLogParallel,
} from "../../ledger/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

const COMMON = {
  db: { type: "string" },
  "key-file": { type: "string" },
  json: { type: "boolean" },
} as const;

function openStore(db: string | undefined, readonly: boolean): LedgerStore {
  if (!db) throw new UsageError("--db FILE is required");
  if (isPostgresUrl(db)) return openLedgerStore(db);
  if (readonly && !existsSync(db))
    throw Object.assign(new LedgerError("LEDGER_NOT_FOUND", `no ledger database at ${db}`), {
      exitCode: EXIT.notFound,
    });
  return openLedgerStore(db, { readonly });
}

async function openLedger(db: string | undefined, keyFile: string | undefined) {
  const master = loadMasterSecret({ keyFile });
  const store = openStore(db, false);
  const ledger = await Ledger.open(store, ledgerSigner(master, 1), {
    deploymentId: master.deploymentId,
    checkpointAfterMs: 0,
  });
  return { store, ledger };
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...COMMON,
      vkey: { type: "string", multiple: true },
      held: { type: "string", multiple: true },
      workers: { type: "string" },
      "no-schema": { type: "boolean" },
    },
    [],
  );
  const out = output(values.json ?? false);
  let keys: NoteVerifierKey[] | undefined;
  if (values.vkey) keys = values.vkey.map(parseVkey);
  else if (values["key-file"] || process.env.MEDTRACE_MASTER_SECRET)
    keys = [ledgerSigner(loadMasterSecret({ keyFile: values["key-file"] }), 1)];
  const store = openStore(values.db, true);
  try {
    // Held checkpoints (signed notes kept by an edge node, an anchor or an earlier bundle).
    const external: HeldCheckpoint[] = [];
    for (const note of values.held ?? []) {
      const { readFileSync } = await import("node:fs");
      const text = readFileSync(note, "utf8");
      const cp = keys ? verifyCheckpointNote(text, keys) : null;
      if (!cp) throw new UsageError("--held needs --vkey or --key-file to verify the note");
      external.push({ size: cp.size, root: cp.root, source: "held" });
    }
    const t0 = performance.now();
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
      throw new UsageError("--workers must be a non-negative integer");
    // Worker threads share the per-entry work; --workers 0 audits on this thread only.
    // --no-schema: integrity only (hashes, chain, nodes, roots, signatures), no per-entry schema.
    const schema = !values["no-schema"];
    const report =
      workers === 0 || isPostgresUrl(values.db!)
        ? verifyLog(store, { trustedKeys: keys, external, schema })
        : await verifyLogParallel(values.db!, { trustedKeys: keys, external, workers, schema });
    const seconds = (performance.now() - t0) / 1000;
    const trust = keys ? "pinned" : "announced-in-log";
    out.result({ ...report, keys: trust, seconds: Number(seconds.toFixed(3)) }, [
      report.ok
        ? `ledger OK: ${report.size} entries, root ${report.root}`
        : `ledger verification FAILED: ${report.firstError?.code} at ${report.firstError?.index !== undefined ? `index ${report.firstError.index}` : `size ${report.firstError?.size}`}: ${report.firstError?.message}`,
      `${report.checkpointsChecked} checkpoints, ${report.anchorsChecked} anchors, ${report.externalChecked} held checkpoints checked in ${seconds.toFixed(2)} s`,
      ...(keys ? [] : ["note: checkpoint keys taken from the log itself; pin one with --vkey"]),
    ]);
    return report.ok ? EXIT.ok : EXIT.error;
  } finally {
    store.close();
  }
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMON, ["N"]);
  const n = Number(positionals[0]);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError("N must be a non-negative integer");
  const store = openStore(values.db, true);
  try {
    const row = store.entry(n);
    if (!row) {
      output(values.json ?? false).result({ ok: false, error: "LEDGER_NOT_FOUND", index: n }, [
        `no entry ${n} (the log has ${store.size()} entries)`,
      ]);
      return EXIT.notFound;
    }
    const entry = JSON.parse(Buffer.from(row.body).toString("utf8")) as Record<string, unknown>;
    output(values.json ?? false).result(
      { ok: true, index: n, leafHash: toHex(row.leafHash), entry },
      [
        `block ${n}  time ${row.time}  type ${row.type}`,
        `previous hash ${toHex(row.prevHash)}`,
        `block hash    ${toHex(row.leafHash)}`,
        JSON.stringify(entry, null, 2),
      ],
    );
    return EXIT.ok;
  } finally {
    store.close();
  }
}

async function checkpoint(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...COMMON, "no-sign": { type: "boolean" } }, []);
  const out = output(values.json ?? false);
  if (values["no-sign"]) {
    const store = openStore(values.db, true);
    try {
      const cp = store.latestCheckpoint();
      if (!cp) throw new LedgerError("LEDGER_NOT_FOUND", "no checkpoint has been signed yet");
      out.result({ ok: true, size: cp.treeSize, root: toHex(cp.rootHash), note: cp.note }, [
        cp.note,
      ]);
      return EXIT.ok;
    } finally {
      store.close();
    }
  }
  const { store, ledger } = await openLedger(values.db, values["key-file"]);
  try {
    const cp = await ledger.checkpoint();
    out.result(
      { ok: true, size: cp.size, root: toHex(cp.root), note: cp.note, vkey: ledger.vkey },
      [cp.note, `vkey ${ledger.vkey}`],
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
    store.close();
  }
}

async function anchor(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...COMMON,
      rpc: { type: "string" },
      "chain-id": { type: "string" },
      contract: { type: "string" },
      deploy: { type: "boolean" },
      "log-entry": { type: "boolean" },
      check: { type: "boolean" },
    },
    [],
  );
  if (!values.rpc) throw new UsageError("--rpc URL is required");
  if (!values.contract && !values.deploy) throw new UsageError("--contract ADDRESS or --deploy is required");
  const chainId = Number(values["chain-id"] ?? 31337);
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new UsageError("--chain-id must be a positive integer");
  // ethers is loaded only by this sub-command.
  const { anchorWriterKey, EvmAnchor, rpcProvider } = await import("../../ledger/anchors/evm.ts");
  const master = loadMasterSecret({ keyFile: values["key-file"] });
  const provider = rpcProvider(values.rpc, chainId);
  const { store, ledger } = await openLedger(values.db, values["key-file"]);
  const out = output(values.json ?? false);
  try {
    const signer = anchorWriterKey(master, 1);
    const evm = values.deploy
      ? await EvmAnchor.deploy({ provider, chainId, signer, origin: ledger.origin })
      : new EvmAnchor({ provider, chainId, address: values.contract!, signer });
    if (values.check) {
      const findings = await ledger.checkAnchors(evm);
      out.result({ ok: findings.length === 0, contract: evm.address, findings }, [
        findings.length === 0
          ? `every checkpoint anchored at ${evm.address} matches the log`
          : `ANCHOR_MISMATCH: ${findings.map((f) => `size ${f.size}`).join(", ")}`,
      ]);
      return findings.length === 0 ? EXIT.ok : EXIT.error;
    }
    const r = await ledger.anchor(evm, { logEntry: values["log-entry"] ?? false });
    out.result(
      r
        ? { ok: true, anchored: true, contract: evm.address, treeSize: r.treeSize, root: toHex(r.root), chainId, txHash: r.txHash, blockNumber: r.blockNumber, anchorIndex: r.anchorIndex }
        : { ok: true, anchored: false, contract: evm.address },
      [r ? `anchored size ${r.treeSize} at ${evm.address} in tx ${r.txHash} (block ${r.blockNumber})` : "nothing new to anchor"],
    );
    return EXIT.ok;
  } finally {
    provider.destroy();
    await ledger.close();
    store.close();
  }
}

export const ledgerCommand: Command = {
  name: "ledger",
  usage: [
    "ledger verify --db FILE [--vkey VKEY | --key-file FILE] [--held NOTE…] [--workers N] [--no-schema]   full audit",
    "ledger show N --db FILE                                    print entry N (block view)",
    "ledger checkpoint --db FILE --key-file FILE | --no-sign    sign (if grown) and print the checkpoint",
    "ledger anchor --db FILE --key-file FILE --rpc URL (--contract ADDR | --deploy) [--chain-id N] [--log-entry] [--check]",
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "verify":
        return verify(rest);
      case "show":
        return show(rest);
      case "checkpoint":
        return checkpoint(rest);
      case "anchor":
        return anchor(rest);
      default:
        throw new UsageError("expected 'ledger verify|show N|checkpoint|anchor'");
    }
  },
};
