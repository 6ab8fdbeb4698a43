// `medtrace zero register|verify`: the zero-watermark of one image (zero-watermark.md §6–§7).
import { readFileSync, writeFileSync } from "node:fs";
import { loadMasterSecret } from "../../crypto/index.ts";
import { type DicomImage, readImage } from "../../imaging/index.ts";
import {
  BASELINES,
  type BaselineName,
  BaselineScheme,
  type FloatPlane,
  KernelCache,
  parseShareRecord,
  planeFromPixels,
  type ShareRecord,
  ZeroWatermark,
  type ZwIdentity,
  type ZwParams,
  type ZwScheme,
  zwKeys,
} from "../../watermark/zero/index.ts";
import { EXIT, output, parse, UsageError } from "../args.ts";
import type { Command } from "./types.ts";

function numberAttr(dicom: DicomImage | undefined, tag: string): number | undefined {
  const v = (dicom?.dict as Record<string, { Value?: unknown[] }> | undefined)?.[tag]?.Value?.[0];
  const n = typeof v === "string" ? Number.parseFloat(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** First plane in the displayed sense (§5.1): modality rescale, MONOCHROME1 negated, RGB luma. */
function readPlane(path: string): FloatPlane {
  const { image, dicom } = readImage(new Uint8Array(readFileSync(path)));
  return planeFromPixels(image, {
    slope: numberAttr(dicom, "00281053"),
    intercept: numberAttr(dicom, "00281052"),
  });
}

/** --identity: a JSON object (the §6.1 fields) or any text, which becomes {"label": TEXT}. */
function parseIdentity(text: string): ZwIdentity {
  if (text.trim().startsWith("{")) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as ZwIdentity;
    } catch {
      // not JSON: a label
    }
    throw new UsageError("--identity looks like JSON but is not a JSON object");
  }
  if (text.length === 0) throw new UsageError("--identity must not be empty");
  return { label: text };
}

function schemeFor(share: ShareRecord, cache: KernelCache): ZwScheme {
  if (share.alg.startsWith("zw/baseline/")) {
    const name = share.params.scheme as BaselineName;
    if (!BASELINES.includes(name)) throw new UsageError(`unknown baseline ${String(name)}`);
    return new BaselineScheme(name);
  }
  return new ZeroWatermark(share.params as Partial<ZwParams>, cache);
}

const common = {
  "key-file": { type: "string" },
  epoch: { type: "string" },
  "cache-dir": { type: "string" },
  json: { type: "boolean" },
} as const;

function epochOf(v: string | undefined): number {
  const e = v === undefined ? 1 : Number(v);
  if (!Number.isInteger(e) || e < 1) throw new UsageError("--epoch must be a positive integer");
  return e;
}

export const zeroCommand: Command = {
  name: "zero",
  usage: [
    "zero register IN --identity TEXT [--key-file F] [--out SHARE.json] [--epoch E]   zero-watermark share of an image",
    "zero verify IN --share SHARE.json [--key-file F]   BER/NC against a share (exit 0 match, 3 no match)",
  ],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === "register") {
      const { values, positionals } = parse(
        rest,
        { ...common, identity: { type: "string" }, out: { type: "string" } },
        ["IN"],
      );
      if (values.identity === undefined) throw new UsageError("--identity TEXT is required");
      const identity = parseIdentity(values.identity);
      const keys = zwKeys(loadMasterSecret({ keyFile: values["key-file"] }), epochOf(values.epoch));
      const cache = new KernelCache(values["cache-dir"] ? { dir: values["cache-dir"] } : {});
      const zw = new ZeroWatermark({}, cache);
      const share = zw.register(readPlane(positionals[0]), identity, keys);
      const text = `${JSON.stringify(share, null, 2)}\n`;
      if (values.out) writeFileSync(values.out, text);
      const out = output(values.json ?? false);
      if (values.out) {
        out.result({ ok: true, out: values.out, paramsId: share.paramsId, alg: share.alg }, [
          `share written to ${values.out} (${share.alg}, params ${share.paramsId})`,
        ]);
      } else if (out.json) {
        out.result({ ok: true, share }, []);
      } else {
        process.stdout.write(text);
      }
      return EXIT.ok;
    }
    if (sub === "verify") {
      const { values, positionals } = parse(rest, { ...common, share: { type: "string" } }, ["IN"]);
      if (!values.share) throw new UsageError("--share SHARE.json is required");
      let text: string;
      try {
        text = readFileSync(values.share, "utf8");
      } catch (err) {
        throw new UsageError(`cannot read share ${values.share}: ${(err as Error).message}`);
      }
      const share = parseShareRecord(text);
      const keys = zwKeys(
        loadMasterSecret({ keyFile: values["key-file"] }),
        values.epoch ? epochOf(values.epoch) : share.keyEpoch,
      );
      const cache = new KernelCache(values["cache-dir"] ? { dir: values["cache-dir"] } : {});
      const r = schemeFor(share, cache).verify(readPlane(positionals[0]), share, keys);
      const match = r.decision === "match";
      output(values.json ?? false).result({ ok: true, match, ...r }, [
        `BER ${r.ber.toFixed(4)}  NC{0,1} ${r.nc.toFixed(4)}  NC± ${r.ncPm.toFixed(4)}`,
        `match: ${match ? "yes" : "no"} (${r.decision})`,
      ]);
      return match ? EXIT.ok : EXIT.notFound;
    }
    throw new UsageError(
      "expected 'zero register IN --identity TEXT' or 'zero verify IN --share F'",
    );
  },
};
