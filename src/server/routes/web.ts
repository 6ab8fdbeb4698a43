// The web app: the production bundle built by `npm run build:web` into dist/web, served as static
// files with the single-page-app fallback (any other GET outside the API answers index.html, so a
// deep link such as /ledger reloads). Public: the bundle holds no data; every API call it makes is
// authenticated.
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.ts";
import { badRequest, HttpError } from "../errors.ts";

export const WEB_ROOT = fileURLToPath(new URL("../../../dist/web/", import.meta.url));

/** Paths the API and the DICOMweb/node endpoints own: an unknown one there is a JSON 404, never the app. */
const NOT_THE_APP = /^\/(api|dicomweb|fl)(\/|$)/;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  // WebAssembly.instantiateStreaming refuses any other type (cornerstone's codecs).
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// 'wasm-unsafe-eval' lets the DICOM codecs compile; blob: workers are how cornerstone may start them;
// the OIDC issuer is reached from the page for discovery and the PKCE code exchange.
function contentSecurityPolicy(issuer: string | undefined): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${issuer ? ` ${new URL(issuer).origin}` : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function webRoutes(app: FastifyInstance, ctx: ServerContext, root = WEB_ROOT): void {
  const index = join(root, "index.html");
  const csp = contentSecurityPolicy(ctx.config.oidc?.issuer);
  const oidc = ctx.config.oidc;
  // What the sign-in page needs to offer single sign-on: public facts of the configuration only.
  app.get("/api/web/config", { config: { public: true, audit: false }, schema: { summary: "Public configuration of the web app (OIDC issuer and client id)", tags: ["web"] } }, async () => ({
    oidc: oidc ? { issuer: oidc.issuer, clientId: oidc.audience } : null,
  }));
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split("?")[0]);
    } catch {
      throw badRequest("the path is not valid percent-encoding");
    }
    if (NOT_THE_APP.test(path)) return reply.callNotFound();
    if (!existsSync(index)) throw new HttpError(404, "web-not-built", "the web app is not built: run `npm run build:web` (npm ci does it)");
    const file = resolve(root, `.${path}`);
    const inside = file === resolve(root) || file.startsWith(resolve(root) + sep);
    if (inside && isFile(file)) return sendFile(reply, file, csp);
    // A missing asset (has an extension) is a 404; anything else is a client-side route.
    if (extname(path) !== "") return reply.callNotFound();
    return sendFile(reply, index, csp);
  };
  app.get("/*", { config: { public: true, audit: false }, schema: { hide: true } }, serve);
  app.get("/", { config: { public: true, audit: false }, schema: { hide: true } }, serve);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sendFile(reply: FastifyReply, file: string, csp: string): FastifyReply {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
  // Vite puts a content hash in every asset name, so assets never change; index.html always might.
  const immutable = file.includes(`${sep}assets${sep}`);
  return reply
    .type(type)
    .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
    .header("x-content-type-options", "nosniff")
    .header("content-security-policy", csp)
    .header("referrer-policy", "no-referrer")
    .send(createReadStream(file));
}
