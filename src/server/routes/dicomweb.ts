// DICOMweb scoped to one grant (PS3.18): QIDO-RS studies/series/instances, WADO-RS retrieval of
// studies, series and instances (multipart/related application/dicom), metadata
// (application/dicom+json) and frames (multipart/related application/octet-stream, uncompressed).
// Root: /dicomweb/grants/<grantId> — what 3D Slicer's DICOMweb browser and OHIF are pointed at.
// Authenticated by the owner's bearer token or the grant access token; nothing after expiry or
// revocation; every call audited; instance fetches metered for access-rate alerts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { readDicom } from "../../imaging/index.ts";
import type { ServerContext } from "../context.ts";
import { grantAccess } from "../data-access/access.ts";
import { summaryOf, type GrantInstanceRow } from "../data-access/repository.ts";
import { dataAccessOf } from "../data-access/service.ts";
import { baseUrl, dicomwebRoot } from "../data-access/views.ts";
import {
  frameBytes,
  FrameError,
  type InstanceSummary,
  type Level,
  multipartRelated,
  parseFrameList,
  QidoError,
  search,
  toDicomJson,
} from "../dicomweb/index.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import { meter } from "./grants.ts";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const uid = z.string().regex(/^[0-9]+(\.[0-9]+)*$/, "must be a DICOM UID").max(64);
const grantId = z.string().uuid("must be a grant id (UUID)");
const P = {
  grant: z.strictObject({ grantId }),
  study: z.strictObject({ grantId, study: uid }),
  series: z.strictObject({ grantId, study: uid, series: uid }),
  instance: z.strictObject({ grantId, study: uid, series: uid, instance: uid }),
  frames: z.strictObject({ grantId, study: uid, series: uid, instance: uid, frames: z.string().min(1).max(1000) }),
};
type Params = { grantId: string; study?: string; series?: string; instance?: string; frames?: string };

const doc = (summary: string) => ({ summary, tags: ["dicomweb"], security: [{ bearer: [] }] });

export function dicomwebRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const service = dataAccessOf(ctx);
  const route = (suffix: string, params: z.ZodType, summary: string, audit: string, handler: (r: FastifyRequest, reply: FastifyReply, p: Params, rows: GrantInstanceRow[]) => Promise<unknown>) =>
    app.get(`/dicomweb/grants/:grantId${suffix}`, { config: { selfAuth: true, audit }, schema: doc(summary) }, async (request, reply) => {
      corsHeaders(reply);
      const p = parse(params, request.params);
      const { grant } = await grantAccess(service, request, p.grantId, { requireActive: true });
      const rows = (await service.repo.instancesOf(grant.id)).filter(
        (r) => (!p.study || r.study_instance_uid === p.study) && (!p.series || r.series_instance_uid === p.series) && (!p.instance || r.sop_instance_uid === p.instance),
      );
      return handler(request, reply, p, rows);
    });

  const qido = (level: Level) => async (request: FastifyRequest, reply: FastifyReply, p: Params, rows: GrantInstanceRow[]) => {
    const root = dicomwebRoot(baseUrl(request), p.grantId);
    try {
      const result = search(level, rows.map(summaryOf), request.query as Record<string, string>, { retrieveUrl: (l, r) => retrieveUrl(root, l, r) });
      request.auditDetail = { ...request.auditDetail, results: result.length };
      void reply.header("content-type", "application/dicom+json");
      return JSON.stringify(result);
    } catch (err) {
      if (err instanceof QidoError) throw badRequest(err.message, "bad-query");
      throw err;
    }
  };
  route("/studies", P.grant, "QIDO-RS: search for studies", "dicomweb.search", qido("study"));
  route("/series", P.grant, "QIDO-RS: search for series", "dicomweb.search", qido("series"));
  route("/instances", P.grant, "QIDO-RS: search for instances", "dicomweb.search", qido("instance"));
  route("/studies/:study/series", P.study, "QIDO-RS: series of a study", "dicomweb.search", qido("series"));
  route("/studies/:study/instances", P.study, "QIDO-RS: instances of a study", "dicomweb.search", qido("instance"));
  route("/studies/:study/series/:series/instances", P.series, "QIDO-RS: instances of a series", "dicomweb.search", qido("instance"));

  const retrieve = async (request: FastifyRequest, reply: FastifyReply, p: Params, rows: GrantInstanceRow[]) => {
    if (rows.length === 0) throw notFound("no such study, series or instance in this grant");
    checkAccept(request, "application/dicom");
    await meter(ctx, service, p.grantId, rows.length);
    const root = dicomwebRoot(baseUrl(request), p.grantId);
    const parts = await Promise.all(
      rows.map(async (r) => ({ contentType: `application/dicom; transfer-syntax=${EXPLICIT_LE}`, body: await service.files.get(p.grantId, r.file), location: retrieveUrl(root, "instance", summaryOf(r)) })),
    );
    request.auditDetail = { ...request.auditDetail, instances: rows.map((r) => r.sop_instance_uid) };
    const m = multipartRelated("application/dicom", parts);
    void reply.header("content-type", m.contentType).header("cache-control", "no-store");
    return m.body;
  };
  route("/studies/:study", P.study, "WADO-RS: retrieve a study", "dicomweb.retrieve", retrieve);
  route("/studies/:study/series/:series", P.series, "WADO-RS: retrieve a series", "dicomweb.retrieve", retrieve);
  route("/studies/:study/series/:series/instances/:instance", P.instance, "WADO-RS: retrieve an instance", "dicomweb.retrieve", retrieve);

  const metadata = async (request: FastifyRequest, reply: FastifyReply, p: Params, rows: GrantInstanceRow[]) => {
    if (rows.length === 0) throw notFound("no such study, series or instance in this grant");
    const root = dicomwebRoot(baseUrl(request), p.grantId);
    const out = await Promise.all(
      rows.map(async (r) => {
        const image = readDicom(await service.files.get(p.grantId, r.file));
        const at = retrieveUrl(root, "instance", summaryOf(r));
        const frames = Array.from({ length: image.frames }, (_, i) => i + 1).join(",");
        return toDicomJson(image.dict, { bulkDataUri: (path) => (path.length === 1 && path[0] === "7FE00010" ? `${at}/frames/${frames}` : undefined) });
      }),
    );
    void reply.header("content-type", "application/dicom+json");
    return JSON.stringify(out);
  };
  route("/studies/:study/metadata", P.study, "WADO-RS: metadata of a study", "dicomweb.metadata", metadata);
  route("/studies/:study/series/:series/metadata", P.series, "WADO-RS: metadata of a series", "dicomweb.metadata", metadata);
  route("/studies/:study/series/:series/instances/:instance/metadata", P.instance, "WADO-RS: metadata of an instance", "dicomweb.metadata", metadata);

  route("/studies/:study/series/:series/instances/:instance/frames/:frames", P.frames, "WADO-RS: frames, uncompressed", "dicomweb.frames", async (request, reply, p, rows) => {
    const row = rows[0];
    if (!row) throw notFound(`no instance ${p.instance} in this grant`);
    checkAccept(request, "application/octet-stream");
    const image = readDicom(await service.files.get(p.grantId, row.file));
    try {
      const numbers = parseFrameList(p.frames!, image.frames);
      await meter(ctx, service, p.grantId, 1);
      const m = multipartRelated(
        "application/octet-stream",
        numbers.map((n) => ({ contentType: `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`, body: frameBytes(image, n) })),
      );
      void reply.header("content-type", m.contentType).header("cache-control", "no-store");
      return m.body;
    } catch (err) {
      if (err instanceof FrameError) throw err.code === "DICOMWEB_BAD_FRAME" ? badRequest(err.message, "bad-frame") : new HttpError(406, "not-acceptable", err.message);
      throw err;
    }
  });

  // Browser viewers (OHIF) send a CORS preflight before a bearer-authenticated request.
  app.options("/dicomweb/*", { config: { public: true, audit: false }, schema: { hide: true } }, async (_request, reply) => {
    corsHeaders(reply);
    void reply.header("access-control-allow-methods", "GET, OPTIONS").header("access-control-allow-headers", "Authorization, Accept").header("access-control-max-age", "600").code(204);
    return reply.send();
  });
}

/** Bearer tokens, no cookies: any origin may call, the token is the credential. */
function corsHeaders(reply: FastifyReply): void {
  void reply.header("access-control-allow-origin", "*").header("access-control-expose-headers", "Content-Type, Content-Location");
}

function parse<S extends z.ZodType>(schema: S, value: unknown): Params {
  const r = schema.safeParse(value);
  if (r.success) return r.data as Params;
  const issue = r.error.issues[0]!;
  throw new HttpError(400, "validation", `params.${issue.path.join(".")}: ${issue.message}`);
}

/** 406 when the client asks only for media types or transfer syntaxes other than the native one. */
function checkAccept(request: FastifyRequest, type: string): void {
  const accept = request.headers.accept;
  if (!accept) return;
  const ranges = accept.split(",").map((s) => s.trim().toLowerCase());
  const ok = ranges.some((r) => {
    if (r.startsWith("*/*") || r.startsWith("multipart/*")) return true;
    if (!r.startsWith("multipart/related")) return false;
    const t = /type="?([^";]+)"?/.exec(r)?.[1];
    const ts = /transfer-syntax="?([^";]+)"?/.exec(r)?.[1];
    return (!t || t === type) && (!ts || ts === "*" || ts === EXPLICIT_LE);
  });
  if (!ok) throw new HttpError(406, "not-acceptable", `this server sends multipart/related; type="${type}" in transfer syntax ${EXPLICIT_LE} (Explicit VR Little Endian)`);
}

function retrieveUrl(root: string, level: Level, r: InstanceSummary): string {
  const study = `${root}/studies/${r.studyInstanceUid}`;
  if (level === "study") return study;
  const series = `${study}/series/${r.seriesInstanceUid}`;
  return level === "series" ? series : `${series}/instances/${r.sopInstanceUid}`;
}
