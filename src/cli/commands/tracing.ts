// `medtrace share | trace | evidence verify`: issuing traceable copies, tracing suspect files and
// verifying evidence bundles offline (ledger.md §10, §14; issue 4).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { loadMasterSecret, type MasterSecret } from "../../crypto/index.ts";
import { checkEvidence, formatVkey, ledgerSigner, parseVkey } from "../../ledger/index.ts";
import { issueCopy, openLedgerFile, trace } from "../../tracing/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

export const DEFAULT_DB = "medtrace.sqlite";

const COMMON = {
  db: { type: "string" },
  "key-file": { type: "string" },
  epoch: { type: "string" },
  evidence: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Exit 4 for refusals the user can act on, as `mark embed` does. */
const REFUSALS = new Set(["WM_CAPACITY", "WM_LOSSY_SOURCE", "WM_ALREADY_MARKED", "WM_TOO_SMALL"]);

function epochOf(value: string | undefined): number {
  const e = Number(value ?? "1");
  if (!Number.isInteger(e) || e < 1) throw new UsageError("--epoch must be a positive integer");
  return e;
}

function master(keyFile: string | undefined): MasterSecret {
  return loadMasterSecret(keyFile ? { keyFile } : {});
}

async function withLedger<T>(
  db: string,
  m: MasterSecret,
  fn: (l: Awaited<ReturnType<typeof openLedgerFile>>) => Promise<T>,
): Promise<T> {
  const open = await openLedgerFile(db, m);
  try {
    return await fn(open);
  } finally {
    await open.close();
  }
}

async function share(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...COMMON,
      recipient: { type: "string" },
      consortium: { type: "string" },
      hospital: { type: "string" },
      grant: { type: "string" },
      request: { type: "string" },
    },
    ["IN", "OUT"],
  );
  const [input, out] = positionals;
  if (!values.recipient) throw new UsageError("--recipient ID is required");
  const m = master(values["key-file"]);
  const bytes = new Uint8Array(await readFile(input));
  const db = values.db ?? DEFAULT_DB;
  const issued = await withLedger(db, m, async ({ ledger }) => {
    try {
      return await issueCopy(
        {
          bytes,
          recipient: values.recipient!,
          consortium: values.consortium ?? "default",
          hospital: values.hospital ?? "local",
          grantId: values.grant ?? `grant-${randomBytes(6).toString("hex")}`,
          requestId: values.request ?? `request-${randomBytes(6).toString("hex")}`,
        },
        { ledger, master: m, epoch: epochOf(values.epoch) },
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && REFUSALS.has(code)) Object.assign(err as object, { exitCode: EXIT.refused });
      throw err;
    }
  });
  await writeFile(out, issued.bytes);
  if (values.evidence) await writeFile(values.evidence, `${JSON.stringify(issued.evidence)}\n`);
  output(values.json ?? false).result(
    {
      ok: true,
      out,
      db,
      format: issued.format,
      entryIndex: issued.entryIndex,
      recipient: issued.recipient,
      token: issued.token,
      keyEpoch: issued.keyEpoch,
      zwEntries: issued.zwEntries,
      registered: issued.registered,
      sourcePixelSha256: issued.sourcePixelSha256,
      markedPixelSha256: issued.markedPixelSha256,
      evidence: issued.evidence,
    },
    [
      `shared ${input} -> ${out} (${issued.format}): ledger entry ${issued.entryIndex} in ${db}`,
      `recipient ${issued.recipient} (keep the pseudonym -> user mapping off the ledger)`,
      `token ${issued.token}, key epoch ${issued.keyEpoch}`,
      `zero-watermark share: entr${issued.zwEntries.length === 1 ? "y" : "ies"} ${issued.zwEntries.join(", ")}${issued.registered ? " (registered now)" : " (already registered)"}`,
      ...(values.evidence ? [`evidence bundle written to ${values.evidence}`] : []),
    ],
  );
  return EXIT.ok;
}

async function runTrace(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...COMMON,
      "requested-by": { type: "string" },
      "approved-by": { type: "string", multiple: true },
    },
    ["IN"],
  );
  const db = values.db ?? DEFAULT_DB;
  if (!existsSync(db))
    throw Object.assign(new Error(`no ledger database at ${db} (pass --db PATH)`), {
      code: "LEDGER_NOT_FOUND",
    });
  const m = master(values["key-file"]);
  const bytes = new Uint8Array(await readFile(positionals[0]));
  const requestedBy = values["requested-by"] ?? safeUser();
  const { r, vkey } = await withLedger(db, m, async ({ ledger }) => ({
    r: await trace(
      { bytes, requestedBy, approvedBy: values["approved-by"] ?? [] },
      { ledger, master: m, epoch: epochOf(values.epoch) },
    ),
    vkey: ledger.vkey,
  }));
  if (values.evidence) await writeFile(values.evidence, `${JSON.stringify(r.evidence)}\n`);
  const c = r.copy;
  output(values.json ?? false).result(
    {
      ok: true,
      found: r.found,
      method: r.method,
      decision: r.decision,
      message: r.message,
      recipient: c?.recipient ?? null,
      time: c?.time ?? null,
      entryIndex: c?.entryIndex ?? null,
      grantId: c?.grantId ?? null,
      token: r.token ?? null,
      restoredExact: r.restoredExact ?? null,
      recipients: r.recipients,
      candidates: r.candidates,
      original: r.original,
      alerts: r.alerts,
      suspect: r.suspect,
      traceId: r.traceId,
      traceEntryIndex: r.traceEntryIndex,
      vkey,
      evidence: r.evidence,
    },
    [
      r.message,
      ...(c ? [`  recipient ${c.recipient}, issued ${c.time}, grant ${c.grantId}, entry ${c.entryIndex}`] : []),
      ...(r.method === "rw" ? [`  token ${r.token}, restored pixels ${r.restoredExact ? "equal" : "differ from"} the source`] : []),
      ...r.candidates.map(
        (z) =>
          `  image of entry ${z.entryIndex} (${z.identity.sopInstanceUid}): BER ${z.ber.toFixed(4)} ${z.decision}; recipients ${z.copies.map((x) => x.recipient).join(", ") || "none"}`,
      ),
      ...r.alerts.map((a) => `  ALERT: ${a}`),
      `trace logged as entry ${r.traceEntryIndex}${values.evidence ? `; evidence bundle written to ${values.evidence}` : ""}`,
    ],
  );
  return r.found ? EXIT.ok : EXIT.notFound;
}

function safeUser(): string {
  try {
    return userInfo().username || "cli";
  } catch {
    return "cli";
  }
}

async function evidenceVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { vkey: { type: "string" }, "key-file": { type: "string" }, json: { type: "boolean" } },
    ["BUNDLE"],
  );
  const bytes = new Uint8Array(await readFile(positionals[0]));
  let pinned: string;
  let source: "vkey" | "key-file" | "bundle";
  if (values.vkey) {
    pinned = formatVkey(parseVkey(values.vkey));
    source = "vkey";
  } else if (values["key-file"] || process.env.MEDTRACE_MASTER_SECRET) {
    pinned = formatVkey(ledgerSigner(master(values["key-file"]), 1));
    source = "key-file";
  } else {
    // Nothing pinned: the bundle's own key proves internal consistency only; say so.
    pinned = bundleVkey(bytes) ?? "";
    source = "bundle";
  }
  const r = pinned
    ? checkEvidence(bytes, pinned)
    : ({ valid: false, step: "parse", code: "ParseError", message: "bundle has no vkey" } as const);
  const note =
    source === "bundle"
      ? ["note: key taken from the bundle itself; pin the log's key with --vkey or --key-file"]
      : [];
  if (r.valid) {
    output(values.json ?? false).result(
      { ok: true, valid: true, keys: source, size: r.size, entries: r.entries },
      [`VALID: ${r.entries.length} entries (${r.entries.join(", ")}) against a checkpoint of size ${r.size}`, ...note],
    );
    return EXIT.ok;
  }
  output(values.json ?? false).result(
    { ok: false, valid: false, keys: source, step: r.step, error: r.code, message: r.message },
    [`INVALID at step ${r.step}: ${r.code}: ${r.message}`, ...note],
  );
  return EXIT.error;
}

function bundleVkey(bytes: Uint8Array): string | null {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString("utf8")) as { vkey?: unknown }).vkey;
    return typeof v === "string" && v.length > 0 ? v : null;
  } catch {
    return null;
  }
}

export const shareCommand: Command = {
  name: "share",
  usage: [
    "share IN OUT --recipient ID [--consortium ID] [--hospital ID] [--grant ID] [--request ID] [--db PATH] [--key-file F] [--evidence FILE]   issue a traceable copy",
  ],
  run: share,
};

export const traceCommand: Command = {
  name: "trace",
  usage: [
    "trace IN [--db PATH] [--key-file F] [--requested-by ID] [--evidence FILE]   who leaked this file? (exit 0 found, 3 no watermark detected)",
  ],
  run: runTrace,
};

export const evidenceCommand: Command = {
  name: "evidence",
  usage: [
    "evidence verify BUNDLE.json [--vkey VKEY | --key-file F]   offline check of an evidence bundle (exit 0 valid, 1 invalid)",
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "verify") throw new UsageError("expected 'evidence verify BUNDLE.json'");
    return evidenceVerify(rest);
  },
};
