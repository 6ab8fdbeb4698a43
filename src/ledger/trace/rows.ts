// Trace-index rows derived from one entry (ledger.md §9). Pure: the same function fills the
// index at append time and rebuilds it from the log.
import type { Entry } from "../entry/entry.ts";
import type { ImageSharedBody, ZwRegisteredBody } from "../entry/schema.ts";

export interface IndexRows {
  markedPixels: Uint8Array[];
  tokens: Uint8Array[];
  sourcePixels: Uint8Array[];
  zw: { paramsId: string; mask: Uint8Array; share: Uint8Array; fullbits: Uint8Array | null } | null;
}

/**
 * `f = share XOR W_s` needs the zero-watermark keys (zero-watermark.md §7.2), so the caller may
 * supply it; without it `fullbits` stays null and the BER search recomputes from the share.
 */
export type ZwFullbits = (body: ZwRegisteredBody) => Uint8Array | null;

export const NO_ROWS: IndexRows = { markedPixels: [], tokens: [], sourcePixels: [], zw: null };

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

export function indexRowsOf(entry: Entry, zwFullbits?: ZwFullbits): IndexRows {
  if (entry.type === "image.shared") {
    const b = entry.body as ImageSharedBody;
    return {
      markedPixels: [bytes(b.copy.pixelSha256)],
      tokens: [bytes(b.copy.token)],
      sourcePixels: [bytes(b.source.pixelSha256)],
      zw: null,
    };
  }
  if (entry.type === "zw.registered") {
    const b = entry.body as ZwRegisteredBody;
    return {
      markedPixels: [],
      tokens: [],
      sourcePixels: [bytes(b.identity.pixelSha256)],
      zw: {
        paramsId: b.paramsId,
        mask: b64(b.mask),
        share: b64(b.share),
        fullbits: zwFullbits ? zwFullbits(b) : null,
      },
    };
  }
  return NO_ROWS;
}
