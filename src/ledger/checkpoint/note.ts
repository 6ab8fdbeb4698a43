// C2SP tlog-checkpoint over signed-note (ledger.md §8.1, §8.3). The signed message is the note
// text: origin, size and base64 root, each line ending in "\n". No extension lines.
import { LedgerError, parseError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";
import { type CheckpointSigner, keyIdHex, type NoteVerifierKey, verifySignature } from "./keys.ts";

const EM_DASH = "\u2014";
const MAX_SIGNATURES = 16;
const SIZE = /^(0|[1-9][0-9]*)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

export interface ParsedNote extends Checkpoint {
  /** The signed text (three lines, each with its newline). */
  text: string;
  signatures: NoteSignature[];
}

export interface SignedCheckpoint extends Checkpoint {
  /** The whole signed note, verbatim. */
  note: string;
  keyId: string;
}

export function checkpointText(cp: Checkpoint): string {
  return `${cp.origin}\n${cp.size}\n${Buffer.from(cp.root).toString("base64")}\n`;
}

export function signCheckpoint(signer: CheckpointSigner, cp: Checkpoint): SignedCheckpoint {
  const text = checkpointText(cp);
  const sig = signer.sign(utf8.encode(text));
  const blob = Buffer.concat([signer.keyId, sig]).toString("base64");
  return {
    ...cp,
    root: Uint8Array.from(cp.root),
    note: `${text}\n${EM_DASH} ${signer.name} ${blob}\n`,
    keyId: keyIdHex(signer),
  };
}

/** Strict parse of a signed checkpoint note; any deviation is a ParseError. */
export function parseCheckpointNote(input: string | Uint8Array): ParsedNote {
  let note: string;
  if (typeof input === "string") note = input;
  else {
    try {
      note = utf8Strict.decode(input);
    } catch {
      throw parseError("checkpoint", "not valid UTF-8");
    }
  }
  if (hasControl(note)) throw parseError("checkpoint", "control character");
  if (LONE_SURROGATE.test(note)) throw parseError("checkpoint", "lone surrogate");
  const split = note.indexOf("\n\n");
  if (split < 0) throw parseError("checkpoint", "no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const sigPart = note.slice(split + 2);
  const lines = text.slice(0, -1).split("\n");
  if (lines.length !== 3 || lines.some((l) => l.length === 0))
    throw parseError("checkpoint", "expected exactly three non-empty text lines");
  const [origin, sizeText, rootText] = lines;
  if (!SIZE.test(sizeText)) throw parseError("checkpoint", "bad tree size");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw parseError("checkpoint", "tree size beyond 2^53 − 1");
  const root = decodeBase64(rootText, "root");
  if (root.length !== HASH_SIZE) throw parseError("checkpoint", "root is not 32 bytes");
  if (!sigPart.endsWith("\n")) throw parseError("checkpoint", "signatures must end with a newline");
  const sigLines = sigPart.slice(0, -1).split("\n");
  if (sigLines.length === 0 || sigLines.length > MAX_SIGNATURES)
    throw parseError("checkpoint", "between 1 and 16 signature lines are allowed");
  const signatures = sigLines.map((line) => {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
    if (!m) throw parseError("checkpoint", "bad signature line");
    const blob = decodeBase64(m[2], "signature");
    if (blob.length < 5) throw parseError("checkpoint", "signature too short");
    return { name: m[1], keyId: blob.subarray(0, 4), signature: blob.subarray(4) };
  });
  return { origin, size, root, text, signatures };
}

function decodeBase64(s: string, what: string): Uint8Array {
  if (!BASE64.test(s) || s.length % 4 !== 0)
    throw parseError("checkpoint", `${what} is not base64`);
  const b = Buffer.from(s, "base64");
  if (b.toString("base64") !== s) throw parseError("checkpoint", `${what} is not canonical base64`);
  return new Uint8Array(b);
}

/**
 * Parses and verifies a checkpoint (ledger.md §8.3): signatures by unknown (name, keyID) pairs
 * are ignored; one bad known signature, or no valid known one, rejects the note.
 */
export function verifyCheckpointNote(
  note: string | Uint8Array,
  keys: readonly NoteVerifierKey[],
  expectedOrigin?: string,
): SignedCheckpoint {
  const p = parseCheckpointNote(note);
  if (expectedOrigin !== undefined && p.origin !== expectedOrigin)
    throw new LedgerError("LEDGER_CHECKPOINT_SIGNATURE", `origin '${p.origin}' is not expected`);
  const message = utf8.encode(p.text);
  let valid: NoteVerifierKey | null = null;
  for (const s of p.signatures) {
    const key = keys.find(
      (k) => k.name === s.name && Buffer.from(k.keyId).equals(Buffer.from(s.keyId)),
    );
    if (!key) continue;
    if (!verifySignature(key, message, s.signature))
      throw new LedgerError("LEDGER_CHECKPOINT_SIGNATURE", `bad signature by ${keyIdHex(key)}`, {
        size: p.size,
      });
    valid ??= key;
  }
  if (!valid)
    throw new LedgerError("LEDGER_CHECKPOINT_SIGNATURE", "no valid signature by a known key", {
      size: p.size,
    });
  const text = typeof note === "string" ? note : utf8Strict.decode(note);
  return { origin: p.origin, size: p.size, root: p.root, note: text, keyId: keyIdHex(valid) };
}

/** Any C0 control other than "\n", or DEL (ledger.md §8.3). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}
