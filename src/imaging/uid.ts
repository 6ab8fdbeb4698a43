// UIDs derived from a random UUID (PS3.5 §B.2): "2.25." followed by the UUID's 128 bits as an
// unsigned decimal integer, at most 39 digits, so the UID stays within the 64-character limit.
import { randomUUID } from "node:crypto";

export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString(10)}`;
}
