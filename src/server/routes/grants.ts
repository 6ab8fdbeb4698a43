// Grants (issue 6): read, revoke, a grant access token for DICOMweb clients, the zip download
// (DICOM + NRRD per volume) and annotations routed back to the hospital that holds the image.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { userPseudonym } from "../../tracing/index.ts";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { findGrant, grantAccess } from "../data-access/access.ts";
import { dataAccessOf } from "../data-access/service.ts";
import { baseUrl, grantView } from "../data-access/views.ts";
import { grantZip } from "../dicomweb/index.ts";
import { conflict, forbidden, HttpError, notFound } from "../errors.ts";
import { routeInput } from "../validate.ts";

const params = z.strictObject({ id: z.string().uuid("must be a grant id (UUID)") });
const point = z.tuple([z.number().finite(), z.number().finite()]);
export const annotationSchema = z.strictObject({
  sopInstanceUid: z.string().regex(/^[0-9]+(\.[0-9]+)*$/, "must be a DICOM UID").max(64),
  labels: z.array(z.string().trim().min(1).max(128)).max(64).default([]),
  regions: z
    .array(z.strictObject({ kind: z.enum(["rect", "polygon", "point"]), points: z.array(point).min(1).max(10_000) }))
    .max(1000)
    .default([]),
  measurements: z.array(z.strictObject({ kind: z.enum(["length", "area"]), value: z.number().finite(), unit: z.string().min(1).max(16) })).max(1000).default([]),
});

const read = routeInput({ params }, { summary: "A grant: state, expiry, studies, DICOMweb root, slicer:// links", tags: ["grants"] });
const revoke = routeInput({ params }, { summary: "Revoke a grant: nothing is served afterwards", tags: ["grants"] });
const token = routeInput({ params }, { summary: "Issue the grant's access token for DICOMweb clients (shown once; replaces the previous one)", tags: ["grants"] });
const download = routeInput({ params, query: z.strictObject({ format: z.literal("zip").default("zip") }) }, { summary: "Download the grant as a zip (DICOM, one NRRD per volume)", tags: ["grants"] });
const annotate = routeInput({ params, body: annotationSchema }, { summary: "Annotate an image of the grant; delivered to the hospital that holds it", tags: ["grants"] });
const annotations = routeInput({ params }, { summary: "Annotations made on a grant", tags: ["grants"] });

export function grantRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const service = dataAccessOf(ctx);
  const ownerOrDpo = requireRole("data-scientist", "dpo");

  app.get("/api/grants/:id", { preHandler: ownerOrDpo, config: { audit: "grant.read" }, schema: read.schema }, async (request) => {
    const { grant } = await grantAccess(service, request, read.parse(request).params.id, { alsoRoles: ["dpo"], requireActive: false });
    return grantView(service, grant, await service.repo.instancesOf(grant.id), baseUrl(request));
  });

  app.post("/api/grants/:id/revoke", { preHandler: requireRole("consortium-admin", "dpo"), config: { audit: "grant.revoke" }, schema: revoke.schema }, async (request) => {
    const grant = await findGrant(service, revoke.parse(request).params.id);
    request.auditEntity = { type: "grant", id: grant.id };
    if (!(await service.revoke(grant.id, request.user!.id))) throw conflict(`grant ${grant.id} is already revoked`);
    const after = (await service.repo.grant(grant.id))!;
    return grantView(service, after, await service.repo.instancesOf(grant.id), baseUrl(request));
  });

  app.post("/api/grants/:id/token", { preHandler: requireRole("data-scientist"), config: { audit: "grant.token" }, schema: token.schema }, async (request, reply) => {
    const { grant } = await grantAccess(service, request, token.parse(request).params.id, { requireActive: true });
    if (request.user?.id !== grant.user_id) throw forbidden("only the grant's owner can issue its access token", "not-grant-owner");
    const accessToken = await service.issueAccessToken(grant.id);
    void reply.code(201).header("cache-control", "no-store");
    return { accessToken, expiresAt: grant.expires_at, grant: grantView(service, grant, await service.repo.instancesOf(grant.id), baseUrl(request), accessToken) };
  });

  app.get("/api/grants/:id/download", { config: { selfAuth: true, audit: "grant.download" }, schema: download.schema }, async (request, reply) => {
    const { params: p } = download.parse(request);
    const { grant } = await grantAccess(service, request, p.id, { requireActive: true });
    const rows = await service.repo.instancesOf(grant.id);
    const instances = await Promise.all(
      rows.map(async (r) => ({ studyInstanceUid: r.study_instance_uid, seriesInstanceUid: r.series_instance_uid, sopInstanceUid: r.sop_instance_uid, bytes: await service.files.get(grant.id, r.file) })),
    );
    const zip = grantZip({ id: grant.id, expiresAt: grant.expires_at }, instances);
    request.auditDetail = { ...request.auditDetail, instances: rows.length, volumes: zip.volumes.length };
    await meter(ctx, service, grant.id, rows.length);
    void reply
      .header("content-type", "application/zip")
      .header("content-disposition", `attachment; filename="medtrace-grant-${grant.id}.zip"`)
      .header("cache-control", "no-store");
    return Buffer.from(zip.bytes.buffer, zip.bytes.byteOffset, zip.bytes.byteLength);
  });

  app.post("/api/grants/:id/annotations", { preHandler: requireRole("data-scientist"), config: { audit: "annotation.create" }, schema: annotate.schema }, async (request, reply) => {
    const { params: p, body } = annotate.parse(request);
    const { grant } = await grantAccess(service, request, p.id, { requireActive: true });
    if (request.user?.id !== grant.user_id) throw forbidden("only the grant's owner can annotate it", "not-grant-owner");
    const instance = await service.repo.instance(grant.id, body.sopInstanceUid);
    if (!instance) throw notFound(`grant ${grant.id} holds no instance ${body.sopInstanceUid}`);
    if (!ctx.hub) throw new HttpError(503, "no-hub", "no node transport: the annotation cannot be delivered");
    const annotation = { labels: body.labels, regions: body.regions, measurements: body.measurements, author: userPseudonym(ctx.master, grant.user_id), createdAt: new Date().toISOString() };
    let nodeId: string | null = null;
    try {
      const r = await ctx.hub.call(instance.node_id, "annotation.deliver", { grantId: grant.id, sopInstanceUid: instance.source_sop_instance_uid, annotation }, { timeoutMs: 30_000 });
      const parsed = z.object({ stored: z.literal(true), id: z.string().min(1).max(256) }).safeParse(r.json);
      if (!parsed.success) throw new Error("the node did not confirm storage");
      nodeId = parsed.data.id;
    } catch (err) {
      throw new HttpError(502, "node-unavailable", `hospital node ${instance.node_id} did not store the annotation: ${(err as Error).message}`);
    }
    const id = randomUUID();
    await service.repo.insertAnnotation({ id, grant_id: grant.id, user_id: grant.user_id, node_id: instance.node_id, sop_instance_uid: instance.sop_instance_uid, body: JSON.stringify(annotation), node_annotation_id: nodeId, created_at: annotation.createdAt });
    request.auditEntity = { type: "annotation", id };
    request.auditDetail = { ...request.auditDetail, grantId: grant.id, nodeId: instance.node_id };
    void reply.code(201);
    return { id, grantId: grant.id, sopInstanceUid: instance.sop_instance_uid, nodeId: instance.node_id, nodeAnnotationId: nodeId, ...annotation };
  });

  app.get("/api/grants/:id/annotations", { preHandler: ownerOrDpo, config: { audit: "annotation.list" }, schema: annotations.schema }, async (request) => {
    const { grant } = await grantAccess(service, request, annotations.parse(request).params.id, { alsoRoles: ["dpo"], requireActive: false });
    const rows = await service.repo.annotationsOf(grant.id);
    return {
      annotations: rows.map((r) => ({ id: r.id, grantId: r.grant_id, sopInstanceUid: r.sop_instance_uid, nodeId: r.node_id, nodeAnnotationId: r.node_annotation_id, createdAt: r.created_at, ...(JSON.parse(r.body) as object) })),
    };
  });
}

/** Counts instance fetches of a grant; crossing the per-minute limit raises one alert. */
export async function meter(ctx: ServerContext, service: ReturnType<typeof dataAccessOf>, grantId: string, n: number): Promise<void> {
  const count = service.meter.record(grantId, n);
  if (count === null) return;
  await ctx.alerts.raise({
    kind: "grant.access-rate",
    severity: "warning",
    message: `grant ${grantId}: ${count} instance fetches within a minute (limit ${service.meter.limitPerMinute})`,
    detail: { grantId, count, limitPerMinute: service.meter.limitPerMinute },
  });
}
