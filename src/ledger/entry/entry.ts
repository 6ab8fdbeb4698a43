// Entries and the hash chain (ledger.md §4): the envelope, its canonical bytes (the leaf data)
// and its leaf hash, which is also the next entry's prevHash.
import { canonicalBytes } from "../canonical/json.ts";
import { leafHash, toHex } from "../merkle/hash.ts";
import type { Actor, Body, EntryType } from "./schema.ts";
import { validateEntry, validateNew } from "./validate.ts";

export const ZERO_HASH_HEX = "0".repeat(64);

/** What a caller appends: the writer assigns index, time and prevHash. */
export interface NewEntry<T extends EntryType = EntryType> {
  type: T;
  actor: Actor | string;
  body: Body<T>;
}

export interface Entry<T extends EntryType = EntryType> {
  v: 1;
  index: number;
  time: string;
  prevHash: string;
  type: T;
  actor: string;
  body: Body<T>;
}

export interface SealedEntry {
  entry: Entry;
  /** Canonical UTF-8 bytes: the leaf data. */
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

export interface ChainTail {
  /** Index the next entry receives (= current size). */
  size: number;
  /** Leaf hash of the last entry, or null for an empty log. */
  lastHash: Uint8Array | null;
  /** Time of the last entry, or null. */
  lastTime: string | null;
}

/** RFC 3339 UTC with milliseconds, never earlier than the previous entry (§4.1). */
export function entryTime(now: Date, previous: string | null): string {
  const t = now.toISOString();
  return previous !== null && previous > t ? previous : t;
}

/** Validates `e`, then fixes its place in the chain and computes its leaf hash. */
export function sealEntry(e: NewEntry, tail: ChainTail, now: Date, validated = false): SealedEntry {
  if (!validated) validateNew(e.type, e.actor, e.body);
  const entry: Entry = {
    v: 1,
    index: tail.size,
    time: entryTime(now, tail.lastTime),
    prevHash: tail.lastHash ? toHex(tail.lastHash) : ZERO_HASH_HEX,
    type: e.type,
    actor: e.actor,
    body: e.body,
  };
  const bytes = canonicalBytes(entry);
  return { entry, bytes, leafHash: leafHash(bytes) };
}

export function advanceTail(tail: ChainTail, sealed: SealedEntry): ChainTail {
  return { size: tail.size + 1, lastHash: sealed.leafHash, lastTime: sealed.entry.time };
}

export { validateEntry };
