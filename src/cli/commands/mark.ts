// `medtrace mark embed|decode|restore`: the reversible watermark on DICOM and PNG files.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { loadMasterSecret } from "../../crypto/index.ts";
import type { PixelImage } from "../../imaging/index.ts";
import {
  decodeFile,
  embedBitsInFile,
  extractBitsFromFile,
  markFile,
  restoreFile,
} from "../../watermark/files.ts";
import { markPsnr } from "../../watermark/metrics.ts";
import { packBits } from "../../watermark/zero/keyed.ts";
import {
  type PlaneEmbedStats,
  type WmKeys,
  watermarkKeysUpTo,
} from "../../watermark/reversible/index.ts";
import { bytesToBits } from "../../watermark/reversible/payload.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

const keyOptions = {
  "key-file": { type: "string" },
  epoch: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Exit 4 for refusals the user can act on (capacity, lossy source, already marked). */
const REFUSALS = new Set(["WM_CAPACITY", "WM_LOSSY_SOURCE", "WM_ALREADY_MARKED", "WM_TOO_SMALL"]);

function refusalExit<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && REFUSALS.has(code)) Object.assign(err as object, { exitCode: EXIT.refused });
    throw err;
  }
}

function epochOf(value: string | undefined): number {
  const epoch = Number(value ?? "1");
  if (!Number.isInteger(epoch) || epoch < 1)
    throw new UsageError(`--epoch must be a positive integer, got ${value}`);
  return epoch;
}

function keysFor(values: { "key-file"?: string; epoch?: string }): WmKeys[] {
  const master = loadMasterSecret(values["key-file"] ? { keyFile: values["key-file"] } : {});
  return watermarkKeysUpTo(master, epochOf(values.epoch));
}

function parseToken(hex: string | undefined): Uint8Array | null {
  if (hex === undefined) return null;
  if (!/^([0-9a-fA-F]{16}|[0-9a-fA-F]{32})$/.test(hex))
    throw new UsageError("--token must be 32 hex digits (16 bytes), or 16 for the compact profile");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function quality(source: PixelImage, marked: PixelImage): Record<string, number> {
  const all = (img: PixelImage) => img.planes.flatMap((p) => Array.from(p));
  return markPsnr(all(source), all(marked), source.bitsStored);
}

function fmtQuality(q: Record<string, number>): string {
  return Object.entries(q)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? `${v.toFixed(2)} dB` : "inf"}`)
    .join(", ");
}

function planeLine(s: PlaneEmbedStats): string {
  if (!s.marked)
    return `  plane ${s.plane}: not marked (at most ${s.bestVoteCarriers} vote carriers)`;
  return `  plane ${s.plane}: profile ${s.profile} (${s.rule}), tau rung k*=${s.rung}, ${s.voteCarriers} vote carriers, ${s.flags} flags, mean ${s.meanVotes.toFixed(1)} votes/slot, ${s.changed} pixels changed`;
}

async function embedCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...keyOptions,
      token: { type: "string" },
      mode: { type: "string" },
      bits: { type: "string" },
      seed: { type: "string" },
    },
    ["IN", "OUT"],
  );
  const [input, out] = positionals;
  if ((values.mode ?? "trace") === "capacity")
    return capacityCommand(input, out, values.bits, values.seed, values.json ?? false);
  if (values.mode && values.mode !== "trace")
    throw new UsageError("--mode must be 'trace' (default) or 'capacity'");
  const keys = keysFor(values)[0];
  const bytes = new Uint8Array(await readFile(input));
  const marked = refusalExit(() => markFile(bytes, parseToken(values.token), keys));
  await writeFile(out, marked.bytes);
  const q = quality(marked.source.image, {
    ...marked.source.image,
    planes: marked.embed.planes.map((p) => p.data),
  });
  const token = Buffer.from(marked.embed.token).toString("hex");
  output(values.json ?? false).result(
    {
      ok: true,
      format: marked.format,
      out,
      token,
      epoch: marked.embed.epoch,
      planes: marked.embed.stats,
      sourcePixelSha256: marked.sourcePixelSha256,
      markedPixelSha256: marked.markedPixelSha256,
      ...(marked.sopInstanceUid ? { sopInstanceUid: marked.sopInstanceUid } : {}),
      ...q,
    },
    [
      `marked ${input} -> ${out} (${marked.format})`,
      `token ${token} (epoch ${marked.embed.epoch})`,
      ...marked.embed.stats.map(planeLine),
      `quality: ${fmtQuality(q)}`,
      `source pixels sha256 ${marked.sourcePixelSha256}`,
    ],
  );
  return EXIT.ok;
}

async function capacityCommand(
  input: string,
  out: string,
  bitsArg: string | undefined,
  seedArg: string | undefined,
  json: boolean,
): Promise<number> {
  const n = Number(bitsArg);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError("--mode capacity needs --bits N (a positive integer)");
  const bits = seededBits(n, seedArg);
  const bytes = new Uint8Array(await readFile(input));
  const result = refusalExit(() => embedBitsInFile(bytes, bits));
  const tau = result.tau;
  await writeFile(out, result.bytes);
  const q = quality(result.source, result.marked);
  output(json).result(
    {
      ok: true,
      format: result.format,
      out,
      tau,
      payloadBits: result.payloadBits,
      voteCarriers: result.voteCarriers,
      changed: result.changed,
      ...q,
    },
    [
      `embedded ${result.payloadBits} bits in ${input} -> ${out} with tau = ${tau} (${result.voteCarriers} carriers, ${result.changed} pixels changed)`,
      `quality: ${fmtQuality(q)}`,
      `extract with: medtrace mark extract ${out} RESTORED --tau ${tau} --bits ${result.payloadBits}`,
    ],
  );
  return EXIT.ok;
}

/** Reproducible payload bits: from --seed (any text), else random. */
function seededBits(n: number, seed: string | undefined): Uint8Array {
  const length = Math.ceil(n / 8);
  const bytes =
    seed === undefined
      ? randomBytes(length)
      : createCipheriv(
          "aes-256-ctr",
          createHash("sha256").update(`medtrace/cli/capacity-seed/${seed}`).digest(),
          Buffer.alloc(16),
        ).update(Buffer.alloc(length));
  return bytesToBits(bytes).slice(0, n);
}

async function decodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, keyOptions, ["IN"]);
  const keys = keysFor(values);
  const decoded = decodeFile(new Uint8Array(await readFile(positionals[0])), keys);
  const d = decoded.decode;
  const json = values.json ?? false;
  if (!d.found) {
    output(json).result({ ok: true, found: false, pixelSha256: decoded.pixelSha256 }, [
      "no watermark detected",
    ]);
    return EXIT.notFound;
  }
  const token = Buffer.from(d.token as Uint8Array).toString("hex");
  output(json).result(
    {
      ok: true,
      found: true,
      token,
      mixedTokens: d.mixedTokens,
      planes: d.planes.map((p) => ({
        ...p,
        token: p.token ? Buffer.from(p.token).toString("hex") : undefined,
      })),
      pixelSha256: decoded.pixelSha256,
    },
    [
      `token ${token}`,
      ...d.planes.map((p) =>
        p.found
          ? `  plane ${p.plane}: epoch ${p.epoch}, profile ${p.profile}, k*=${p.rung}, stage ${p.stage}, ${p.erasures} erasures, ${p.correctedBytes} corrected bytes, ${p.disagreeingVotes} disagreeing votes`
          : `  plane ${p.plane}: no mark`,
      ),
      ...(d.mixedTokens ? ["warning: planes carry different tokens (spliced copy?)"] : []),
    ],
  );
  return EXIT.ok;
}

async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, keyOptions, ["IN", "OUT"]);
  const keys = keysFor(values);
  const restored = restoreFile(new Uint8Array(await readFile(positionals[0])), keys);
  const json = values.json ?? false;
  if (!restored.decode.found || !restored.bytes) {
    output(json).result({ ok: true, found: false }, ["no watermark detected: nothing to restore"]);
    return EXIT.notFound;
  }
  await writeFile(positionals[1], restored.bytes);
  const token = Buffer.from(restored.decode.token as Uint8Array).toString("hex");
  output(json).result(
    {
      ok: true,
      found: true,
      token,
      out: positionals[1],
      restoredPixelSha256: restored.restoredPixelSha256,
    },
    [
      `restored ${positionals[0]} -> ${positionals[1]} (token ${token})`,
      `restored pixels sha256 ${restored.restoredPixelSha256}`,
      "compare it with the source hash recorded when the copy was made: equal means bit-exact",
    ],
  );
  return EXIT.ok;
}

async function extractCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { tau: { type: "string" }, bits: { type: "string" }, json: { type: "boolean" } },
    ["IN", "OUT"],
  );
  const tau = Number(values.tau);
  const n = Number(values.bits);
  if (!Number.isInteger(tau) || tau < 0 || !Number.isInteger(n) || n < 1) {
    throw new UsageError("mark extract needs --tau T (integer >= 0) and --bits N (integer >= 1), as mark embed --mode capacity printed them");
  }
  const out = extractBitsFromFile(new Uint8Array(await readFile(positionals[0])), tau, n);
  await writeFile(positionals[1], out.bytes);
  const hex = Buffer.from(packBits(out.bits)).toString("hex");
  output(values.json ?? false).result(
    { ok: true, bits: n, payloadHex: hex, out: positionals[1] },
    [`extracted ${n} bits: ${hex}`, `restored image -> ${positionals[1]}`],
  );
  return EXIT.ok;
}

export const markCommand: Command = {
  name: "mark",
  usage: [
    "mark embed IN OUT [--token HEX] [--key-file F] [--epoch N]   reversible mark for tracing",
    "mark embed IN OUT --mode capacity --bits N [--seed S]         embed N plain bits (comparisons)",
    "mark decode IN [--key-file F] [--epoch N]                     blind decode (exit 3: no watermark)",
    "mark restore IN OUT [--key-file F] [--epoch N]                restore the original pixels",
    "mark extract IN OUT --tau T --bits N                          capacity mode: read the bits, restore",
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === "embed") return embedCommand(rest);
    if (sub === "decode") return decodeCommand(rest);
    if (sub === "restore") return restoreCommand(rest);
    if (sub === "extract") return extractCommand(rest);
    throw new UsageError("expected 'mark embed', 'mark decode', 'mark restore' or 'mark extract'");
  },
};
