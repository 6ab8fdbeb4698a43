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

/**
 * Fast path: a sorted, checked copy serialised by the engine's JSON.stringify (identical escaping
 * and number formatting). Keys that look like array indices are ordered first by the engine, so
 * a value holding one takes the slow, explicit writer.
 */
export function canonicalize(value: unknown): string {
  try {
    return JSON.stringify(sortedCopy(value));
  } catch (err) {
    if (err === SLOW) return write(value);
    throw err;
  }
}

const SLOW = new Error("index-like key");
const SURROGATE = /[\uD800-\uDFFF]/;
const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 0x30 && c <= 0x39 && INDEX_KEY.test(k);
}

function sortedCopy(v: unknown): unknown {
  if (v === null) return v;
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      number(v);
      return v;
    case "string":
      if (SURROGATE.test(v) && LONE_SURROGATE.test(v)) refuse("lone surrogate in string");
      return v;
    case "object": {
      if (Array.isArray(v)) {
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) refuse("undefined array element");
          out[i] = sortedCopy(v[i]);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) refuse("not a plain object");
      const keys = Object.keys(v).sort();
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        if (isIndexKey(k)) throw SLOW;
        if (SURROGATE.test(k) && LONE_SURROGATE.test(k)) refuse("lone surrogate in key");
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) refuse(`undefined value at key ${JSON.stringify(k)}`);
        out[k] = sortedCopy(x);
      }
      return out;
    }
    default:
      return refuse(`unsupported type ${typeof v}`);
  }
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalize(value));
}

// Hot path of both append and audit: no per-key path strings; the path is rebuilt on error only.
function write(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return number(v);
    case "string":
      if (LONE_SURROGATE.test(v)) refuse("lone surrogate in string");
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) refuse("undefined array element");
          out += (i === 0 ? "" : ",") + write(v[i]);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) refuse("not a plain object");
      const keys = Object.keys(v).sort();
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) refuse(`undefined value at key ${JSON.stringify(k)}`);
        if (LONE_SURROGATE.test(k)) refuse("lone surrogate in key");
        out += `${i === 0 ? "" : ","}${JSON.stringify(k)}:${write(x)}`;
      }
      return `${out}}`;
    }
    default:
      return refuse(`unsupported type ${typeof v}`);
  }
}

function number(n: number): string {
  if (!Number.isFinite(n)) refuse("NaN and Infinity are refused");
  if (Object.is(n, -0)) refuse("-0 is refused");
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) refuse("integer beyond ±(2^53 − 1)");
  return String(n);
}

function refuse(why: string): never {
  throw new LedgerError("LEDGER_SCHEMA", `canonical JSON: ${why}`);
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
  // Fast path: the engine re-serialises in parse order; then only key order and the value rules
  // remain to be checked. Anything else goes through the explicit canonicaliser.
  if (JSON.stringify(value) === text && inCanonicalOrder(value)) return value;
  let again: string;
  try {
    again = canonicalize(value);
  } catch (err) {
    throw new LedgerError("LEDGER_NONCANONICAL", (err as Error).message);
  }
  if (again !== text) throw new LedgerError("LEDGER_NONCANONICAL", "bytes are not canonical");
  return value;
}

function inCanonicalOrder(v: JsonValue): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "number":
      return !(Number.isInteger(v) && !Number.isSafeInteger(v));
    case "string":
      return !(SURROGATE.test(v) && LONE_SURROGATE.test(v));
    case "object": {
      if (Array.isArray(v)) return v.every(inCanonicalOrder);
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        if (i > 0 && !(keys[i - 1] < keys[i])) return false;
        if (SURROGATE.test(keys[i]) && LONE_SURROGATE.test(keys[i])) return false;
        if (!inCanonicalOrder(v[keys[i]])) return false;
      }
      return true;
    }
    default:
      return true;
  }
}
