// The share record (zero-watermark.md §6.6): body of the ledger entry `zw.registered`.
// Never holds keys, W, π or the feature f.
import { z } from "zod";
import { ZeroWatermarkError } from "./errors.ts";
import { canonicalJson, type ZwIdentity } from "./keyed.ts";
import { ALG_FRROM, makeParams, paramsId, type ZwParams } from "./params.ts";

export interface ShareRecord {
  alg: string;
  params: Record<string, unknown>;
  paramsId: string;
  identity: ZwIdentity;
  /** base64, L/8 bytes. */
  share: string;
  /** base64, q²/8 bytes (FrROM only: the reliable-bit selection). */
  mask?: string;
  keyEpoch: number;
}

/** Baseline records are for benchmarks only, never for the production ledger (§9). */
export const BASELINE_ALG_PREFIX = "zw/baseline/";

const identitySchema: z.ZodType<ZwIdentity> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), identitySchema])),
);

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "not base64");

const recordSchema = z
  .object({
    alg: z.string().min(1),
    params: z.record(z.string(), z.unknown()),
    paramsId: z.string().regex(/^[0-9a-f]{16}$/, "16 lowercase hex characters"),
    identity: identitySchema,
    share: base64,
    mask: base64.optional(),
    keyEpoch: z.number().int().min(1),
  })
  .strict();

function invalid(message: string): never {
  throw new ZeroWatermarkError("ZW_SHARE_INVALID", message);
}

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) {
    let v = b;
    while (v) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}

export function baselineParamsId(params: Record<string, unknown>): string {
  return paramsIdOf(params);
}

function paramsIdOf(params: Record<string, unknown>): string {
  return paramsId(params as unknown as ZwParams);
}

/**
 * Parses and checks a share record from JSON text or a parsed value. Malformed JSON or fields:
 * ZW_SHARE_INVALID; an unknown `alg` version or unsupported params: ZW_PARAMS_MISMATCH.
 */
export function parseShareRecord(input: string | unknown): ShareRecord {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      invalid(`share is not valid JSON (${(err as Error).message})`);
    }
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`share record field '${issue.path.join(".") || "(root)"}': ${issue.message}`);
  }
  const rec = parsed.data as ShareRecord;
  const isBaseline = rec.alg.startsWith(BASELINE_ALG_PREFIX);
  if (rec.alg !== ALG_FRROM && !isBaseline) {
    throw new ZeroWatermarkError(
      "ZW_PARAMS_MISMATCH",
      `share algorithm '${rec.alg}' is not supported (this version reads '${ALG_FRROM}')`,
    );
  }
  if (paramsIdOf(rec.params) !== rec.paramsId) {
    invalid(`paramsId ${rec.paramsId} does not match the share's params`);
  }
  const L = rec.params.L;
  if (typeof L !== "number" || !Number.isInteger(L) || L <= 0 || L % 8 !== 0) {
    invalid("params.L must be a positive multiple of 8");
  }
  const share = Buffer.from(rec.share, "base64");
  if (share.length !== L / 8) invalid(`share has ${share.length} bytes, params say ${L / 8}`);
  if (!isBaseline) {
    let p: ZwParams;
    try {
      p = makeParams(rec.params as Partial<ZwParams>);
    } catch (err) {
      throw new ZeroWatermarkError(
        "ZW_PARAMS_MISMATCH",
        `share params are not supported: ${(err as Error).message}`,
      );
    }
    if (canonicalJson(p) !== canonicalJson(rec.params)) {
      throw new ZeroWatermarkError("ZW_PARAMS_MISMATCH", "share params have unknown fields");
    }
    if (rec.mask === undefined) invalid("share record has no mask");
    const mask = Buffer.from(rec.mask, "base64");
    if (mask.length !== Math.ceil((p.q * p.q) / 8)) {
      invalid(`mask has ${mask.length} bytes, params say ${Math.ceil((p.q * p.q) / 8)}`);
    }
    if (popcount(mask) !== p.L) invalid(`mask selects ${popcount(mask)} moments, expected ${p.L}`);
  }
  return rec;
}

export function shareBytes(rec: ShareRecord): Uint8Array {
  return new Uint8Array(Buffer.from(rec.share, "base64"));
}

export function maskBytes(rec: ShareRecord): Uint8Array {
  if (rec.mask === undefined) invalid("share record has no mask");
  return new Uint8Array(Buffer.from(rec.mask, "base64"));
}
