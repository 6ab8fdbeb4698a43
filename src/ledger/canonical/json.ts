// Canonical JSON: RFC 8785 (JCS) restricted to the subset of ledger.md §3.
// Keys sorted by UTF-16 code units, no whitespace, strings escaped as JSON.stringify does,
// numbers as ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3).
import { LedgerError } from "../errors.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

export function canonicalize(value: unknown): string {
  return write(value, "$");
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalize(value));
}

function write(v: unknown, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return number(v, path);
    case "string":
      if (LONE_SURROGATE.test(v)) refuse(path, "lone surrogate in string");
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${path}[${i}]`)).join(",")}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) refuse(path, "not a plain object");
      const keys = Object.keys(v).sort();
      const parts: string[] = [];
      for (const k of keys) {
        if (LONE_SURROGATE.test(k)) refuse(path, "lone surrogate in key");
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) refuse(`${path}.${k}`, "undefined value");
        parts.push(`${JSON.stringify(k)}:${write(x, `${path}.${k}`)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return refuse(path, `unsupported type ${typeof v}`);
  }
}

function number(n: number, path: string): string {
  if (!Number.isFinite(n)) refuse(path, "NaN and Infinity are refused");
  if (Object.is(n, -0)) refuse(path, "-0 is refused");
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) refuse(path, "integer beyond ±(2^53 − 1)");
  return String(n);
}

function refuse(path: string, why: string): never {
  throw new LedgerError("LEDGER_SCHEMA", `${path}: ${why}`);
}

/**
 * Parses stored leaf data and checks it is exactly canonical (ledger.md §3, last paragraph):
 * strict UTF-8, JSON, and byte-identical after re-canonicalisation.
 */
export function parseCanonical(bytes: Uint8Array): JsonValue {
  let text: string;
  let value: JsonValue;
  try {
    text = utf8Strict.decode(bytes);
    value = JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new LedgerError("LEDGER_NONCANONICAL", `not UTF-8 JSON: ${(err as Error).message}`);
  }
  let again: string;
  try {
    again = canonicalize(value);
  } catch (err) {
    throw new LedgerError("LEDGER_NONCANONICAL", (err as Error).message);
  }
  if (again !== text) throw new LedgerError("LEDGER_NONCANONICAL", "bytes are not canonical");
  return value;
}
