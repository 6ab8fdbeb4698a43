// The DICOM JSON Model (PS3.18 Annex F.2) of a data set read by src/imaging (dcmjs raw form).
// Binary values (OB, OD, OF, OL, OV, OW, UN) become InlineBinary (base64) or, for Pixel Data and
// large values, a BulkDataURI (F.2.7); person names become {Alphabetic, Ideographic, Phonetic}
// (F.2.2); DS and IS become JSON numbers (F.2.3.1); group 0002 is file meta, not data set.
import type { DcmjsDataset } from "../../imaging/dcmjs-api.ts";

export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type DicomJson = Record<string, DicomJsonAttribute>;

export const BINARY_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);
export const PIXEL_DATA = "7FE00010";
/** Binary values up to this size are inlined; larger ones are bulk data. */
export const INLINE_BINARY_MAX = 1024;

export interface JsonOptions {
  /**
   * URI of a binary element's bulk data (`path` is the tag path from the top level); when it
   * returns undefined, or for `binary: "omit"`, the element is rendered by the other rules.
   */
  bulkDataUri?: (path: string[]) => string | undefined;
  /** `omit` drops binary elements (summaries stored for QIDO-RS). Default `render`. */
  binary?: "render" | "omit";
}

export function toDicomJson(dataset: DcmjsDataset, opts: JsonOptions = {}, path: string[] = []): DicomJson {
  const out: DicomJson = {};
  for (const key of Object.keys(dataset).sort()) {
    const tag = key.toUpperCase();
    if (tag.startsWith("0002") && path.length === 0) continue;
    const el = dataset[key];
    if (!el) continue;
    const vr = el.vr;
    if (BINARY_VRS.has(vr)) {
      if (opts.binary === "omit") continue;
      out[tag] = binaryAttribute(vr, el.Value, [...path, tag], opts);
      continue;
    }
    out[tag] = valueAttribute(vr, el.Value ?? [], [...path, tag], opts);
  }
  return out;
}

function valueAttribute(vr: string, values: unknown[], path: string[], opts: JsonOptions): DicomJsonAttribute {
  if (values.length === 0) return { vr };
  let rendered: unknown[];
  if (vr === "SQ") rendered = values.map((item) => toDicomJson(item as DcmjsDataset, opts, path));
  else if (vr === "PN") rendered = values.map(personName);
  else if (vr === "DS" || vr === "IS") rendered = values.map(decimal);
  else if (vr === "AT") rendered = values.map(attributeTag);
  else rendered = values.map(plain);
  // A single empty string is how dcmjs reads a zero-length element: F.2.5 renders it without Value.
  if (rendered.length === 1 && (rendered[0] === null || rendered[0] === "")) return { vr };
  return { vr, Value: rendered };
}

function binaryAttribute(vr: string, values: unknown[] | undefined, path: string[], opts: JsonOptions): DicomJsonAttribute {
  const bytes = concatBuffers(values ?? []);
  const isPixels = path.length === 1 && path[0] === PIXEL_DATA;
  if (isPixels || bytes.length > INLINE_BINARY_MAX) {
    const uri = opts.bulkDataUri?.(path);
    if (uri !== undefined) return { vr, BulkDataURI: uri };
  }
  if (bytes.length === 0) return { vr };
  return { vr, InlineBinary: Buffer.from(bytes).toString("base64") };
}

function concatBuffers(values: unknown[]): Uint8Array {
  const parts = values.filter((v): v is ArrayBuffer | ArrayBufferView => v instanceof ArrayBuffer || ArrayBuffer.isView(v));
  const views = parts.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
  return views.length === 1 ? views[0]! : Buffer.concat(views);
}

function personName(v: unknown): unknown {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const k of ["Alphabetic", "Ideographic", "Phonetic"]) if (typeof o[k] === "string" && o[k] !== "") out[k] = o[k] as string;
    return Object.keys(out).length > 0 ? out : null;
  }
  // PS3.5 §6.2.1.1: component groups separated by "=" in the order alphabetic, ideographic, phonetic.
  const [a, i, p] = String(v).split("=");
  const out: Record<string, string> = {};
  if (a) out.Alphabetic = a;
  if (i) out.Ideographic = i;
  if (p) out.Phonetic = p;
  return out;
}

function decimal(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function attributeTag(v: unknown): string {
  return typeof v === "number" ? v.toString(16).padStart(8, "0").toUpperCase() : String(v).toUpperCase();
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === "string") return v.replace(/[\0 ]+$/, "");
  return v ?? null;
}

/** The first value of an attribute, as a string (UIDs, codes, dates). */
export function firstString(json: DicomJson, tag: string): string | undefined {
  const v = json[tag]?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object") return (v as { Alphabetic?: string }).Alphabetic;
  return String(v);
}
