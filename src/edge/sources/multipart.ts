// multipart/related bodies of WADO-RS responses (PS3.18 §8.7.3.3, RFC 2387 over RFC 2046 §5.1).
import { EdgeError } from "../errors.ts";

export interface Part {
  headers: Record<string, string>;
  body: Uint8Array;
}

export function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!/^multipart\/related/i.test(contentType.trim()) || !boundary) {
    throw new EdgeError("SOURCE_BAD_RESPONSE", `expected multipart/related with a boundary, got "${contentType}"`);
  }
  return boundary;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

/** Splits a multipart body; the preamble before the first delimiter and the epilogue are ignored. */
export function parseMultipart(body: Uint8Array, boundary: string): Part[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const parts: Part[] = [];
  let at = buf.indexOf(delimiter);
  if (at < 0) throw new EdgeError("SOURCE_BAD_RESPONSE", "multipart body has no boundary");
  while (true) {
    const afterDelimiter = at + delimiter.length;
    if (buf.subarray(afterDelimiter, afterDelimiter + 2).toString("latin1") === "--") return parts;
    const headerStart = buf.indexOf("\r\n", afterDelimiter) + 2;
    const headerEnd = buf.indexOf("\r\n\r\n", headerStart - 2);
    const next = buf.indexOf(Buffer.from(`\r\n--${boundary}`, "latin1"), headerEnd);
    if (headerStart < 2 || headerEnd < 0 || next < 0) {
      throw new EdgeError("SOURCE_BAD_RESPONSE", "multipart body is truncated");
    }
    const headers = parseHeaders(buf.subarray(headerStart, headerEnd).toString("latin1"));
    parts.push({ headers, body: new Uint8Array(buf.subarray(headerEnd + 4, next)) });
    at = next + 2;
  }
}
