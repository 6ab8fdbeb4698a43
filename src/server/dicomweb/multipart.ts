// multipart/related responses of WADO-RS (PS3.18 §8.6.1.2): one part per instance
// (`application/dicom`) or per frame (`application/octet-stream`), boundary from node:crypto.
import { randomBytes } from "node:crypto";

export interface Part {
  contentType: string;
  body: Uint8Array;
  /** Content-Location of the part (the resource it is). */
  location?: string;
}

export interface MultipartBody {
  /** The Content-Type header value, with `type` and `boundary` parameters. */
  contentType: string;
  body: Buffer;
}

export function multipartRelated(type: string, parts: Part[]): MultipartBody {
  const boundary = `medtrace-${randomBytes(16).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head = [`--${boundary}`, `Content-Type: ${p.contentType}`];
    if (p.location) head.push(`Content-Location: ${p.location}`);
    head.push(`Content-Length: ${p.body.byteLength}`, "", "");
    chunks.push(Buffer.from(head.join("\r\n"), "latin1"), Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
    body: Buffer.concat(chunks),
  };
}

/** Splits a multipart/related body (tests and clients of this server). */
export function parseMultipart(contentType: string, body: Uint8Array): Part[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new Error(`no boundary in ${contentType}`);
  const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${m[1]}`);
  const parts: Part[] = [];
  let at = data.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (data.subarray(start, start + 2).toString() === "--") break;
    const headEnd = data.indexOf("\r\n\r\n", start);
    const next = data.indexOf(delim, headEnd + 4);
    if (headEnd < 0 || next < 0) throw new Error("truncated multipart body");
    const headers = data.subarray(start + 2, headEnd).toString("latin1").split("\r\n");
    const header = (name: string) =>
      headers.find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
    const part: Part = { contentType: header("Content-Type") ?? "", body: new Uint8Array(data.subarray(headEnd + 4, next - 2)) };
    const location = header("Content-Location");
    if (location) part.location = location;
    parts.push(part);
    at = next;
  }
  return parts;
}
