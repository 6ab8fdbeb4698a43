// Validation of a new or stored entry: the forbidden-name guard of ledger.md §6.3 first
// (defence in depth), then the type's strict schema (§6.1).
import { LedgerError } from "../errors.ts";
import { actor, BODY_SCHEMAS, ENVELOPE, type EntryType } from "./schema.ts";

const KEY_SUFFIX = /^key$|Key$/;
const SOFT = /(secret|private|seed|password|mnemonic)/i;
const ALLOWED = new Set(["keyEpoch", "keyId", "logKey", "publicKey"]);

// Property names repeat across entries: remember each verdict (an explicit, bounded cache).
const verdicts = new Map<string, boolean>();

export function isForbiddenName(name: string): boolean {
  let v = verdicts.get(name);
  if (v === undefined) {
    v = !ALLOWED.has(name) && (SOFT.test(name) || KEY_SUFFIX.test(name));
    if (verdicts.size < 10_000) verdicts.set(name, v);
  }
  return v;
}

/** Throws LEDGER_FORBIDDEN_FIELD if any property name, at any depth, looks like key material. */
export function checkForbiddenFields(value: unknown, path = "$"): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      if (value[i] !== null && typeof value[i] === "object") checkForbiddenFields(value[i], path);
    return;
  }
  for (const k in value) {
    if (isForbiddenName(k))
      throw new LedgerError("LEDGER_FORBIDDEN_FIELD", `${path}: '${k}' looks like key material`);
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === "object") checkForbiddenFields(v, path);
  }
}

export function validateBody(type: string, body: unknown, checked = false): void {
  if (!checked) checkForbiddenFields(body, "$.body");
  const schema = BODY_SCHEMAS[type as EntryType];
  if (!schema) throw new LedgerError("LEDGER_SCHEMA", `unknown entry type '${type}'`);
  const r = schema.safeParse(body);
  if (!r.success) throw new LedgerError("LEDGER_SCHEMA", `${type}: ${summarise(r.error.issues)}`);
}

export function validateNew(type: string, actorValue: unknown, body: unknown): void {
  if (!actor.safeParse(actorValue).success)
    throw new LedgerError("LEDGER_SCHEMA", `invalid actor ${JSON.stringify(actorValue)}`);
  validateBody(type, body);
}

/** Full entry: envelope then body. */
export function validateEntry(entry: unknown): void {
  checkForbiddenFields(entry);
  const r = ENVELOPE.safeParse(entry);
  if (!r.success) throw new LedgerError("LEDGER_SCHEMA", `envelope: ${summarise(r.error.issues)}`);
  validateBody(r.data.type, r.data.body, true);
}

function summarise(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
