// JSON views of requests and grants, with the URLs a client needs: the grant's DICOMweb root, the
// `slicer://viewer/` links 3D Slicer opens (one per study; Slicer's DICOM module reads studyUID,
// dicomweb_endpoint, dicomweb_uri_endpoint and access_token), and the zip download.
import type { FastifyRequest } from "fastify";
import type { DataAccess } from "./service.ts";
import type { GrantInstanceRow, GrantRow, NodeOutcome, RequestRow } from "./repository.ts";

export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function dicomwebRoot(base: string, grantId: string): string {
  return `${base}/dicomweb/grants/${grantId}`;
}

export function slicerLink(root: string, studyUid: string, accessToken?: string): string {
  const q = new URLSearchParams({ studyUID: studyUid, dicomweb_endpoint: root, dicomweb_uri_endpoint: root });
  if (accessToken) q.set("access_token", accessToken);
  return `slicer://viewer/?${q.toString()}`;
}

export function grantView(service: DataAccess, grant: GrantRow, instances: GrantInstanceRow[], base: string, accessToken?: string) {
  const root = dicomwebRoot(base, grant.id);
  const studies = new Map<string, Map<string, number>>();
  for (const i of instances) {
    const series = studies.get(i.study_instance_uid) ?? new Map<string, number>();
    series.set(i.series_instance_uid, (series.get(i.series_instance_uid) ?? 0) + 1);
    studies.set(i.study_instance_uid, series);
  }
  return {
    id: grant.id,
    requestId: grant.request_id,
    userId: grant.user_id,
    state: service.stateOf(grant),
    createdAt: grant.created_at,
    expiresAt: grant.expires_at,
    revokedAt: grant.revoked_at,
    instances: instances.length,
    nodes: [...new Set(instances.map((i) => i.node_id))].sort(),
    studies: [...studies].map(([studyInstanceUid, series]) => ({
      studyInstanceUid,
      series: [...series].map(([seriesInstanceUid, count]) => ({ seriesInstanceUid, instances: count })),
      slicer: slicerLink(root, studyInstanceUid, accessToken),
    })),
    dicomweb: { root, qidoRoot: root, wadoRoot: root },
    slicer: [...studies.keys()].map((s) => slicerLink(root, s, accessToken)),
    download: `${base}/api/grants/${grant.id}/download?format=zip`,
  };
}

export function requestView(row: RequestRow, grant: ReturnType<typeof grantView> | null) {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    query: JSON.parse(row.query) as unknown,
    purpose: row.purpose,
    maxInstances: row.max_instances,
    nodes: JSON.parse(row.nodes) as NodeOutcome[],
    grantId: row.grant_id,
    grant,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
