// UIDs derived from a random UUID (PS3.5 §B.2): "2.25." followed by the UUID's 128 bits as an
// unsigned decimal integer, at most 39 digits, so the UID stays within the 64-character limit.
import { createHash, randomUUID } from "node:crypto";

export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString(10)}`;
}

/**
 * A UID that is the same every time for the same name: a name-based (version 5 style) UUID from
 * SHA-256 of `name`, in the same 2.25 form. For generated data sets that must be reproducible.
 */
export function nameUid(name: string): string {
  const bytes = createHash("sha256").update(`medtrace/v1/uid\0${name}`, "utf8").digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${bytes.toString("hex")}`).toString(10)}`;
}
